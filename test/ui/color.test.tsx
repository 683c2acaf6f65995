import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { colorFromEnv } from '../../src/ui/theme.js';
import type { Mounted } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

// Colour is decided by NO_COLOR in the dashboard; the terminal library must be able to colour at
// all for the difference to show, so it is told so before it loads.
process.env.FORCE_COLOR = '1';
let mountDashboard: typeof import('./harness.js').mountDashboard;

// SGR colour codes (foreground or background), as opposed to bold, dim or inverse.
// eslint-disable-next-line no-control-regex
const COLOR = /\x1b\[(3[0-7]|9[0-7]|4[0-7]|38;|48;)[0-9;]*m/;

describe('NO_COLOR', () => {
  let db: ReturnType<typeof tempDb>;
  let m: Mounted | undefined;

  beforeAll(async () => {
    ({ mountDashboard } = await import('./harness.js'));
  });

  afterEach(async () => {
    await m?.unmount();
    m = undefined;
    db?.cleanup();
  });

  async function frameWith(color: boolean): Promise<string> {
    db = tempDb();
    const q = openTestQueue(db.path);
    await seedEveryState(q);
    await q.close();
    m = await mountDashboard(db.path, { color });
    // eslint-disable-next-line no-control-regex
    return m.waitForFrame((f) => f.replace(/\x1b\[[0-9;]*m/g, '').includes('cancelled 1'), 'the counts');
  }

  it('is read from the environment: set and non-empty turns colour off', () => {
    expect(colorFromEnv({})).toBe(true);
    expect(colorFromEnv({ NO_COLOR: '' })).toBe(true);
    expect(colorFromEnv({ NO_COLOR: '1' })).toBe(false);
  });

  it('states are coloured normally', async () => {
    expect(await frameWith(true)).toMatch(COLOR);
  });

  it('with colour off, no colour code is written; the cursor row still shows (inverse)', async () => {
    const f = await frameWith(false);
    expect(f).not.toMatch(COLOR);
    expect(f).toContain('\x1b[7m');
  });
});
