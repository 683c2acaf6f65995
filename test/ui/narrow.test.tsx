import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Mounted, lines, mountDashboard } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/** A small terminal (60×20): the header's parts stay apart and every line fits. */
let db: ReturnType<typeof tempDb>;
let m: Mounted;

beforeEach(async () => {
  db = tempDb('queuectl-ui-narrow-');
  const q = openTestQueue(db.path);
  await seedEveryState(q);
  await q.close();
  m = await mountDashboard(db.path, { columns: 60, rows: 20 });
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

describe('at 60×20', () => {
  it('keeps the header’s parts apart, and no line is wider than the terminal', async () => {
    const f = await m.waitForFrame((fr) => fr.includes('c-done') && /pend 1/.test(fr), 'the first page with counts');
    if (process.env.SHOW_FRAME) console.log(f);
    const [first, second] = lines(f);
    expect(first).toMatch(/^queuectl \S.* {2,}workers 0 busy 0 idle +0\/s$/);
    expect(second).toMatch(/^pend 1 +proc 1 +done 1 +fail 1 +dead 1 +canc 1 +1m ✓1 ✗2$/);
    for (const l of lines(f)) expect([...l].length).toBeLessThanOrEqual(60);
  });
});
