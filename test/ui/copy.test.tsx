import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/** y puts the selected job's id on the clipboard through the terminal (OSC 52). */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const osc52 = (text: string) => `\x1b]52;c;${Buffer.from(text).toString('base64')}\x07`;

beforeEach(async () => {
  db = tempDb('queuectl-ui-copy-');
  const q = openTestQueue(db.path);
  await seedEveryState(q);
  await q.close();
  m = await mountDashboard(db.path);
  await m.waitForFrame((f) => f.includes('c-done'), 'the first page');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

describe('y', () => {
  it('copies the selected job’s id in a table and in details', async () => {
    await m.press('6');
    await m.waitForFrame((f) => rowOf(f, 'd-buried') !== undefined && rowOf(f, 'c-done') === undefined, 'the dead tab');
    await m.press('y');
    await m.waitForFrame((f) => f.includes('copied d-buried to the clipboard'), 'the status');
    expect(m.written()).toContain(osc52('d-buried'));
    await m.press('5', KEY.enter);
    await m.waitForFrame((f) => f.includes('f-retrying') && f.includes('attempts'), 'the details');
    await m.press('y');
    await m.waitForFrame((f) => f.includes('copied f-retrying to the clipboard'), 'the status in details');
    expect(m.written()).toContain(osc52('f-retrying'));
  });
});
