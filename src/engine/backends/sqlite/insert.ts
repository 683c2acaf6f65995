import type Database from 'better-sqlite3';
import { holdsUniqueKey } from '../../rules.js';
import type { Deduplicated, JobState, NewJob } from '../../types.js';
import type { SearchIndexer } from './search-index.js';
import type { SeqCounter } from './seq.js';

/** Rows per multi-row INSERT in a bulk enqueue (15 parameters each, well under SQLite's limit). */
const INSERT_BATCH = 64;

/**
 * The inserts end the whole transaction on a failed constraint (a taken id) rather than undoing
 * their own statement: the insert is all or nothing anyway, and undoing one statement of many
 * rows means SQLite first copies every page it touches to a statement journal, a temporary file
 * (two writes a page: most of a bulk enqueue's writes, 140,000 of 217,000 for 200,000 jobs). The
 * insert is therefore always a transaction of its own, never nested in another.
 */
const INSERT = 'INSERT OR ROLLBACK INTO jobs';
const COLUMNS = 'seq, id, command, state, max_retries, priority, run_at, timeout_seconds, queue, cwd, created_at, updated_at, unique_key, unique_until, after_ids';

/** A row with nothing of its own beyond its fields: no dependencies, no unique key. */
const plain = (j: NewJob) => j.after.length === 0 && (j.unique_key ?? null) === null && (j.unique_until ?? null) === null;

/** Whether rows[from..to) are plain and differ in nothing but id and command. */
function alike(rows: NewJob[], from: number, to: number): boolean {
  const a = rows[from];
  if (!plain(a)) return false;
  for (let x = from + 1; x < to; x++) {
    const b = rows[x];
    if (
      b.state !== a.state ||
      b.max_retries !== a.max_retries ||
      b.priority !== a.priority ||
      b.run_at !== a.run_at ||
      b.timeout_seconds !== a.timeout_seconds ||
      b.queue !== a.queue ||
      b.cwd !== a.cwd ||
      b.created_at !== a.created_at ||
      !plain(b)
    ) {
      return false;
    }
  }
  return true;
}

/** The values rows that are `alike` share, named as the shared statement names them. */
function common(a: NewJob, seq: number): Record<string, unknown> {
  return {
    seq,
    state: a.state,
    max_retries: a.max_retries,
    priority: a.priority,
    run_at: a.run_at,
    timeout_seconds: a.timeout_seconds,
    queue: a.queue,
    cwd: a.cwd,
    created_at: a.created_at,
  };
}

/**
 * Builds the insert transaction once: enqueue is a hot path, one by one as much as in bulk.
 * Returns the jobs left out because another job held their unique key.
 */
export function makeInserter(
  db: Database.Database,
  resolveWithin: (ids: readonly string[], now: number) => number,
  search: SearchIndexer,
  counter: SeqCounter,
): (jobs: NewJob[]) => Deduplicated[] {
  const statement = (rows: number) =>
    db.prepare(
      `${INSERT} (${COLUMNS}) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
  // A run of rows that differ only in id and command (most bulk enqueues) binds the other values
  // once, by name: binding, not the insert, was most of a bulk enqueue's time (960 values per
  // statement against 137), and the seq is the first one's plus the row's place.
  const shared = () =>
    db.prepare(
      `${INSERT} (${COLUMNS}) VALUES ${Array.from(
        { length: INSERT_BATCH },
        (_, k) => `(@seq + ${k}, ?, ?, @state, @max_retries, @priority, @run_at, @timeout_seconds, @queue, @cwd, @created_at, @created_at, NULL, NULL, NULL)`,
      ).join(', ')}`,
    );
  // Statements only some inserts use are prepared on first use: a command that enqueues one job
  // runs in a process of its own, where preparing the 64-row statement cost more than the insert.
  let batch: Database.Statement | undefined;
  let batchShared: Database.Statement | undefined;
  const single = statement(1);
  const count = db.prepare('UPDATE job_counts SET n = n + ? WHERE state = ?');
  let dep: Database.Statement | undefined;
  // New jobs take the next numbers of the sequence they share with events (seq.ts), which is
  // also where their `enqueued` events stand: those are read from the job rows, not stored
  // (events.ts). The insert indexes nothing for search unless the tail is past its cap
  // (search-index.ts).
  const readMark = db.prepare('SELECT seq FROM jobs_search_mark').pluck();
  let lockOf: Database.Statement | undefined;
  let takeLock: Database.Statement | undefined;
  const params: unknown[] = [];
  const bind = (j: NewJob, seq: number) =>
    params.push(
      seq,
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
      j.unique_key ?? null,
      j.unique_until ?? null,
      j.after.length > 0 ? JSON.stringify(j.after) : null,
    );

  /**
   * The jobs whose keys are free take them; the others are left out, naming the holder. Runs
   * inside the insert's immediate transaction: no other process can take a key between the
   * read and the write, and a failed insert gives every key back with the rollback.
   */
  const takeKeys = (jobs: NewJob[], deduplicated: Deduplicated[]): NewJob[] => {
    lockOf ??= db.prepare('SELECT l.job_id, l.until, j.state FROM unique_locks l LEFT JOIN jobs j ON j.id = l.job_id WHERE l.key = ?');
    takeLock ??= db.prepare(
      'INSERT INTO unique_locks (key, job_id, until) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id, until = excluded.until',
    );
    const rows: NewJob[] = [];
    const taken = new Map<string, string>();
    for (const [index, j] of jobs.entries()) {
      const key = j.unique_key;
      if (key === undefined || key === null) {
        rows.push(j);
        continue;
      }
      const earlier = taken.get(key);
      if (earlier !== undefined) {
        deduplicated.push({ index, holder: earlier });
        continue;
      }
      const lock = lockOf.get(key) as { job_id: string; until: number | null; state: JobState | null } | undefined;
      if (lock && holdsUniqueKey(lock.state === null ? null : { state: lock.state }, lock.until, j.created_at)) {
        deduplicated.push({ index, holder: lock.job_id });
        continue;
      }
      takeLock.run(key, j.id, j.unique_until ?? null);
      taken.set(key, j.id);
      rows.push(j);
    }
    return rows;
  };

  const insert = db.transaction((jobs: NewJob[]): Deduplicated[] => {
    const deduplicated: Deduplicated[] = [];
    const rows = jobs.some((j) => j.unique_key) ? takeKeys(jobs, deduplicated) : jobs;
    if (rows.length === 0) return deduplicated;
    const before = counter.take(rows.length);
    const mark = readMark.get() as number;
    // Job k takes seq before + 1 + k. Many rows per statement: each run() crosses into SQLite
    // once, and in bulk that crossing, not the insert itself, is most of the cost.
    let i = 0;
    for (; i + INSERT_BATCH <= rows.length; i += INSERT_BATCH) {
      params.length = 0;
      if (alike(rows, i, i + INSERT_BATCH)) {
        batchShared ??= shared();
        for (let x = i; x < i + INSERT_BATCH; x++) params.push(rows[x].id, rows[x].command);
        batchShared.run(params, common(rows[i], before + 1 + i));
      } else {
        batch ??= statement(INSERT_BATCH);
        for (let x = i; x < i + INSERT_BATCH; x++) bind(rows[x], before + 1 + x);
        batch.run(params);
      }
    }
    for (; i < rows.length; i++) {
      params.length = 0;
      bind(rows[i], before + 1 + i);
      single.run(params);
    }
    // The new jobs join the search index's unindexed tail, which workers index later; only a
    // tail past its cap (a million jobs enqueued with no worker running) is indexed here
    // (search-index.ts).
    search.afterInsert(before + rows.length, mark);
    const waiting: NewJob[] = [];
    for (const j of rows) if (j.state === 'waiting') waiting.push(j);
    count.run(rows.length - waiting.length, 'pending');
    if (waiting.length > 0) count.run(waiting.length, 'waiting');
    if (waiting.length > 0) {
      dep ??= db.prepare('INSERT OR IGNORE INTO job_deps (depends_on, job_id) VALUES (?, ?)');
      for (const j of waiting) for (const d of j.after) dep.run(d, j.id);
      // Checked again inside this transaction: a dependency that finished since the engine read
      // its state (or that is one of this batch) is seen as it is now.
      resolveWithin(
        waiting.map((j) => j.id),
        waiting[0].created_at,
      );
    }
    return deduplicated;
  });
  return (jobs) => {
    if (db.inTransaction) throw new Error('an insert of jobs is a transaction of its own, never nested');
    return insert.immediate(jobs);
  };
}
