import type Database from 'better-sqlite3';
import type { NewJob } from '../../types.js';

/** Rows per multi-row INSERT in a bulk enqueue (12 parameters each, well under SQLite's limit). */
const INSERT_BATCH = 64;

/** Builds the insert transaction once: enqueue is a hot path, one by one as much as in bulk. */
export function makeInserter(db: Database.Database, resolveWithin: (ids: readonly string[], now: number) => number): (jobs: NewJob[]) => void {
  const statement = (rows: number) =>
    db.prepare(
      `INSERT INTO jobs (id, command, state, max_retries, priority, run_at, timeout_seconds, queue, cwd, created_at, updated_at, after_ids)
       VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
  const batch = statement(INSERT_BATCH);
  const single = statement(1);
  const count = db.prepare('UPDATE job_counts SET n = n + ? WHERE state = ?');
  const dep = db.prepare('INSERT OR IGNORE INTO job_deps (depends_on, job_id) VALUES (?, ?)');
  const lastSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM jobs').pluck();
  // The `enqueued` event of each new row (as `rules.enqueuedEvent` builds it), in one statement:
  // new rows take seq numbers above the largest before the insert.
  const enqueued = db.prepare(
    "INSERT INTO events (at, type, job_id, queue) SELECT created_at, 'enqueued', id, queue FROM jobs WHERE seq > ? ORDER BY seq",
  );
  const params: unknown[] = [];
  const bind = (j: NewJob) =>
    params.push(
      j.id,
      j.command,
      j.state,
      j.max_retries,
      j.priority,
      j.run_at,
      j.timeout_seconds,
      j.queue,
      j.cwd,
      j.created_at,
      j.created_at,
      j.after.length > 0 ? JSON.stringify(j.after) : null,
    );
  const insert = db.transaction((jobs: NewJob[]) => {
    const before = lastSeq.get() as number;
    // Many rows per statement: each run() crosses into SQLite once, and in bulk that
    // crossing, not the insert itself, is most of the cost.
    let i = 0;
    for (; i + INSERT_BATCH <= jobs.length; i += INSERT_BATCH) {
      params.length = 0;
      for (let k = i; k < i + INSERT_BATCH; k++) bind(jobs[k]);
      batch.run(params);
    }
    for (; i < jobs.length; i++) {
      params.length = 0;
      bind(jobs[i]);
      single.run(params);
    }
    const waiting: NewJob[] = [];
    for (const j of jobs) if (j.state === 'waiting') waiting.push(j);
    count.run(jobs.length - waiting.length, 'pending');
    if (waiting.length > 0) count.run(waiting.length, 'waiting');
    enqueued.run(before);
    if (waiting.length > 0) {
      for (const j of waiting) for (const d of j.after) dep.run(d, j.id);
      // Checked again inside this transaction: a dependency that finished since the engine read
      // its state (or that is one of this batch) is seen as it is now.
      resolveWithin(
        waiting.map((j) => j.id),
        waiting[0].created_at,
      );
    }
  });
  return (jobs) => insert.immediate(jobs);
}
