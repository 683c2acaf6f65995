import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Mounted } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

// Styles must reach the frame: the terminal library is told it may style before it loads.
process.env.FORCE_COLOR = '1';
let mountDashboard: typeof import('./harness.js').mountDashboard;
let splitMatches: typeof import('../../src/ui/components/Table.js').splitMatches;
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('the filter highlights its matches', () => {
  let db: ReturnType<typeof tempDb>;
  let m: Mounted;

  beforeAll(async () => {
    ({ mountDashboard } = await import('./harness.js'));
    ({ splitMatches } = await import('../../src/ui/components/Table.js'));
  });

  afterEach(async () => {
    await m?.unmount();
    db?.cleanup();
  });

  it('cuts text at each match, ignoring case', () => {
    expect(splitMatches('sh -c "echo BOOM; boom"', 'boom')).toEqual([
      ['sh -c "echo ', false],
      ['BOOM', true],
      ['; ', false],
      ['boom', true],
      ['"', false],
    ]);
    expect(splitMatches('nothing here', 'zz')).toEqual([['nothing here', false]]);
  });

  it('underlines the filter text in the rows that match', async () => {
    db = tempDb('queuectl-ui-hl-');
    const q = openTestQueue(db.path);
    await seedEveryState(q);
    await q.close();
    m = await mountDashboard(db.path, { color: false });
    await m.waitForFrame((f) => plain(f).includes('c-done'), 'the first page');
    await m.press('/', 'b', 'o', 'o', 'm');
    const f = await m.waitForFrame((fr) => plain(fr).includes('/boom') && !plain(fr).includes('c-done'), 'the filtered table');
    // eslint-disable-next-line no-control-regex
    expect(f).toMatch(/\x1b\[[0-9;]*4[0-9;]*m(\x1b\[[0-9;]*m)*boom/);
  });
});
