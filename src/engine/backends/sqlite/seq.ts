import type { Database, Statement } from 'better-sqlite3';

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
  /**
   * Gives the next `n` numbers (none for 0); returns the last number given before them. Numbers
   * start above every job and every stored event there is, whoever wrote them (a process of a
   * version from before the shared sequence numbers its rows itself).
   */
  take(n: number): number;
  /** Records that numbers up to `last` are given (rows numbered from `take(0)` on). */
  advanceTo(last: number): void;
}

/**
 * One per connection, shared by everything that writes jobs or events. Inside a write transaction
 * only: each read and its increment are one statement. Prepared on first use: a command that only
 * reads never takes a number.
 */
export function makeSeqCounter(db: Database): SeqCounter {
  let take: Statement | undefined;
  let advance: Statement | undefined;
  return {
    take: (n) => {
      take ??= db
        .prepare(
          `UPDATE job_counts SET n = MAX(n, COALESCE((SELECT MAX(seq) FROM jobs), 0), COALESCE((SELECT MAX(seq) FROM events), 0)) + ?
           WHERE state = '${SEQ_ROW}' RETURNING n`,
        )
        .pluck();
      return (take.get(n) as number) - n;
    },
    advanceTo: (last) => {
      advance ??= db.prepare(`UPDATE job_counts SET n = MAX(n, ?) WHERE state = '${SEQ_ROW}'`);
      advance.run(last);
    },
  };
}
