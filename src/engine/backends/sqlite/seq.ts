import type { Database } from 'better-sqlite3';

/**
 * One sequence numbers jobs and events alike (migration 12): a new job's seq is also the seq of
 * its `enqueued` event, which is read from the job row instead of being stored (events.ts), and
 * every stored event takes the next number. The last number given is a row of `job_counts`, not
 * a table of its own: every enqueue and every move of a job already writes that page, so the
 * sequence costs no page of its own in a commit. Numbers are never given twice, even after the
 * newest job or event is deleted, so a reader's cursor never passes over a later commit.
 */
export const SEQ_ROW = '#seq';
/**
 * Jobs with a seq up to this have their `enqueued` event stored as a row (made before migration
 * 12); it is not read from them a second time.
 */
export const STORED_ENQUEUED_ROW = '#stored_enqueued_through';

export interface SeqCounter {
  /** The last number given. */
  last(): number;
  /** Gives the next `n` numbers; returns the last number given before them. */
  take(n: number): number;
}

/** Inside a write transaction only: the read and the increment are one statement. */
export function makeSeqCounter(db: Database): SeqCounter {
  const last = db.prepare(`SELECT n FROM job_counts WHERE state = '${SEQ_ROW}'`).pluck();
  const take = db.prepare(`UPDATE job_counts SET n = n + ? WHERE state = '${SEQ_ROW}' RETURNING n`).pluck();
  return {
    last: () => last.get() as number,
    take: (n) => (take.get(n) as number) - n,
  };
}
