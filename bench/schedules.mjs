// Schedules on SQLite: what a worker's check costs when nothing is due (one indexed read, made
// about once a second by every worker), next to a claim that finds nothing; and how fast due
// firings are enqueued.
import { join } from 'node:path';
import { fmt, internals, median, openSqliteQueue, report, tempDir, timeEach } from './lib.mjs';

export async function run() {
  console.log('\n== schedules (SQLite) ==');
  const t = tempDir();
  try {
    let now = Date.UTC(2030, 0, 1);
    const q = await openSqliteQueue(join(t.dir, 'schedules.db'));
    const { Queue } = await internals();
    const clocked = new Queue(q.backend, { now: () => now });
    const cfg = await q.config();
    // A history the checks must not walk: 100,000 jobs, 1,000 schedules none of which is due.
    for (let i = 0; i < 100_000; i += 50_000) await q.enqueueBulk(Array.from({ length: 50_000 }, () => ({ command: 'true' })), cfg);
    const N = 1000;
    for (let i = 0; i < N; i++) await clocked.schedules.add({ name: `s${i}`, every_ms: 3_600_000, job: { command: 'true' }, overlap: 'allow' }, cfg);

    const idle = median(await timeEach(() => clocked.schedules.nextDue(), 2000, 50));
    const empty = await openSqliteQueue(join(t.dir, 'empty.db'));
    const emptyClaim = median(await timeEach(() => empty.claim('bench', null, 30_000), 2000, 50));
    await empty.close();
    report('schedules', `idle check (earliest next firing of ${fmt(N)} schedules, ${fmt(100_000)} jobs)`, `${(idle * 1000).toFixed(0)} µs`, {
      anchor: `a claim that finds nothing: ${(emptyClaim * 1000).toFixed(0)} µs`,
    });

    // Every schedule comes due at once: checks enqueue a job for each.
    now += 3_600_000 + 1000;
    const start = performance.now();
    let fired = 0;
    for (;;) {
      const reports = await clocked.schedules.fireDue('bench');
      if (reports.length === 0) break;
      fired += reports.reduce((n, r) => n + r.fired.length, 0);
    }
    const rate = fired / ((performance.now() - start) / 1000);
    report('schedules', `firings enqueued (${fmt(fired)} schedules due at once)`, `${fmt(rate)}/s`, { anchor: 'each: an insert with its events, then a guarded advance' });
    await q.close();
  } finally {
    t.cleanup();
  }
}
