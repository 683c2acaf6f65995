// Reads against a database of 1,000,000 jobs: state counts and list pages, first and deepest,
// must not depend on the table's size.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fmt, median, openSqliteQueue, percentile, report, timeEach } from './lib.mjs';

export const LARGE_N = 1_000_000;

/**
 * Builds the large fixture: 1M jobs enqueued through the engine, then spread over the states
 * with one SQL pass (the fixture's shape is what matters here, not how it got there).
 */
export async function buildLargeDb(path, n = LARGE_N) {
  const q = await openSqliteQueue(path);
  const cfg = await q.config();
  const B = 50_000;
  for (let i = 0; i < n; i += B) {
    await q.enqueueBulk(Array.from({ length: Math.min(B, n - i) }, (_, k) => ({ command: `echo job ${i + k}` })), cfg);
    if (process.stdout.isTTY) process.stdout.write(`\r  building ${fmt(i + B)} jobs…`);
  }
  if (process.stdout.isTTY) process.stdout.write('\r');
  await q.close();
  const db = new Database(path);
  const now = Date.now();
  db.exec(`
    UPDATE jobs SET state = 'completed', attempts = 1, finished_at = ${now}, started_at = ${now - 50}, last_outcome = 'succeeded', exit_code = 0 WHERE seq % 100 < 70;
    UPDATE jobs SET state = 'dead', attempts = 4, finished_at = ${now}, last_outcome = 'exit', exit_code = 1, last_error = 'exit code 1' WHERE seq % 100 BETWEEN 70 AND 74;
    UPDATE jobs SET state = 'failed', attempts = 1, run_at = ${now + 3_600_000}, last_outcome = 'exit', exit_code = 1 WHERE seq % 100 BETWEEN 75 AND 79;
    UPDATE jobs SET state = 'cancelled', finished_at = ${now} WHERE seq % 100 = 80;
  `);
  db.close();
}

export async function run(dir) {
  console.log('\n== 1,000,000 jobs ==');
  const path = join(dir, 'large.db');
  const t0 = performance.now();
  await buildLargeDb(path);
  console.log(`  (fixture built in ${fmt((performance.now() - t0) / 1000, 1)} s)`);
  const q = await openSqliteQueue(path);
  const measure = async (figure, fn) => {
    const times = await timeEach(fn, 200, 5);
    const p50 = median(times);
    const p99 = percentile(times, 99);
    report('1M jobs', figure, `p50 ${fmt(p50, 2)} ms, p99 ${fmt(p99, 2)} ms`, { target: '≤ 5 ms', ok: p99 <= 5 });
  };
  await measure('state counts', () => q.counts());
  await measure('first page, all states (50 rows)', () => q.list({ limit: 50 }));
  await measure('deepest page, all states', () => q.list({ limit: 50, from: 'last' }));
  for (const state of ['pending', 'completed', 'dead']) {
    await measure(`first page, ${state}`, () => q.list({ limit: 50, state }));
    await measure(`deepest page, ${state}`, () => q.list({ limit: 50, state, from: 'last' }));
  }
  const mid = await q.list({ limit: 50, cursor: (LARGE_N / 2).toString(36) });
  await measure('a page in the middle, by cursor', () => q.list({ limit: 50, cursor: mid.next_cursor }));
  const offset = await timeEach(() => q.list({ limit: 50, offset: 800_000 }), 10, 1);
  report('1M jobs', 'page at OFFSET 800,000 (scripts only)', `p50 ${fmt(median(offset), 1)} ms`, { anchor: 'for contrast: offsets grow with depth, cursors do not' });
  await q.close();
  return path;
}
