import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, mountDashboard } from './harness.js';
import { openTestQueue, tempDb } from './seed.js';

let db: ReturnType<typeof tempDb>;
let m: Mounted;

beforeEach(async () => {
  db = tempDb();
  const q = openTestQueue(db.path);
  await q.enqueue([{ id: 'mail-1', command: 'true', queue: 'mail', unique_key: 'digest', unique_for_ms: 3_600_000 }]);
  await q.enqueue([{ id: 'plain', command: 'true' }]);
  await q.setQueueLimits('mail', { concurrency: 2, rate: { limit: 10, window_ms: 60_000 } });
  await q.close();
  m = await mountDashboard(db.path, { columns: 140, rows: 30 });
  await m.waitForFrame((f) => f.includes('mail-1'), 'the first page');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

describe('limits and unique keys where an operator looks', () => {
  it('the queues view shows each queue limits, with what is running against them', async () => {
    m.type(':queues');
    await m.press(KEY.enter);
    const f = await m.waitForFrame((f) => f.includes('LIMITS') && /mail .*2 at once \(0 running\), 10\/1m/.test(f), 'the queues view with limits');
    expect(f.split('\n').find((l) => /^\W*default\b/.test(l.trim()))).toMatch(/ -\s*\W*$/);
  });

  it('a job details show its unique key and how long it is held', async () => {
    const row = m.frame().split('\n').findIndex((l) => l.includes('mail-1'));
    expect(row).toBeGreaterThan(-1);
    // mail-1 was enqueued first, so it is the second row (newest first).
    await m.press('j', KEY.enter);
    await m.waitForFrame((f) => /unique key +digest \(held until/.test(f), 'the details with the unique key');
  });
});
