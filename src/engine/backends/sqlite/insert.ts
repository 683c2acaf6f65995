import type Database from 'better-sqlite3';
import type { NewJob } from '../../types.js';

/** Rows per multi-row INSERT in a bulk enqueue (11 parameters each, well under SQLite's limit). */
const INSERT_BATCH = 64;

/** Builds the insert transaction once: enqueue is a hot path, one by one as much as in bulk. */
export function makeInserter(db: Database.Database): (jobs: NewJob[]) => void {
  const statement = (rows: number) =>
    db.prepare(
      `INSERT INTO jobs (seq, id, command, state, max_retries, priority, run_at, timeout_seconds, queue, cwd, created_at, updated_at)
       VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)").join(', ')}`,
    );
  const batch = statement(INSERT_BATCH);
  const single = statement(1);
  const count = db.prepare("UPDATE job_counts SET n = n + ? WHERE state = 'pending'");
  const lastSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM jobs').pluck();
  // The `enqueued` event of each new row (as `rules.enqueuedEvent` builds it), in one statement:
  // new rows take seq numbers above the largest before the insert.
  const enqueued = db.prepare(
    "INSERT INTO events (at, type, job_id, queue) SELECT created_at, 'enqueued', id, queue FROM jobs WHERE seq > ? ORDER BY seq",
  );
  const params: unknown[] = [];
  const bind = (j: NewJob, seq: number) =>
    params.push(seq, j.id, j.command, j.max_retries, j.priority, j.run_at, j.timeout_seconds, j.queue, j.cwd, j.created_at, j.created_at);
  const insert = db.transaction((jobs: NewJob[]) => {
    const before = lastSeq.get() as number;
    // Job k takes seq before + 1 + k, as it would in order, but each statement's rows go in last
    // first: the search index is keyed by the negated seq (migration 8), and FTS5 keeps adding
    // to its pending segment only while the rowids it is given ascend (a smaller one flushes
    // it). Reversed per statement, not the whole batch: the jobs table still grows at its end
    // (a batch reversed whole left its pages 40% larger), and a flush every 64 rows costs
    // little (bulk enqueue at about half the rate without the index; one per row: a fifth).
    // Many rows per statement: each run() crosses into SQLite once, and in bulk that crossing,
    // not the insert itself, is most of the cost.
    let i = 0;
    for (; i + INSERT_BATCH <= jobs.length; i += INSERT_BATCH) {
      params.length = 0;
      for (let x = i + INSERT_BATCH - 1; x >= i; x--) bind(jobs[x], before + 1 + x);
      batch.run(params);
    }
    for (let x = jobs.length - 1; x >= i; x--) {
      params.length = 0;
      bind(jobs[x], before + 1 + x);
      single.run(params);
    }
    count.run(jobs.length);
    enqueued.run(before);
  });
  return (jobs) => insert.immediate(jobs);
}
