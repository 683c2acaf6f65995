import type { Database } from 'better-sqlite3';
import { ValidationError } from '../../errors.js';
import type { EventQuery, JobEvent, NewEvent } from '../../types.js';
import { type Row, encodeSeq, toEvent } from './rows.js';
import { SEQ_ROW, STORED_ENQUEUED_ROW, type SeqCounter } from './seq.js';

/** The event log: appended inside the transactions of the moves it records, read by cursor. */
export interface EventWriter {
  add(e: NewEvent): void;
}

/**
 * Each event takes the next number of the sequence it shares with jobs (seq.ts). The statements
 * are prepared on the first event: a command that only reads never writes one.
 */
export function makeEventWriter(db: Database, counter: SeqCounter): EventWriter {
  let insert: ReturnType<Database['prepare']> | undefined;
  return {
    add: (e) => {
      insert ??= db.prepare(
        'INSERT INTO events (seq, at, type, job_id, queue, worker_id, attempt, detail) VALUES (@seq, @at, @type, @job_id, @queue, @worker_id, @attempt, @detail)',
      );
      insert.run({ ...e, seq: counter.take(1) + 1 });
    },
  };
}

function decodeSeq(cursor: string): number {
  const n = Number.parseInt(cursor, 36);
  if (!/^[0-9a-z]+$/.test(cursor) || !Number.isSafeInteger(n)) throw new ValidationError(`invalid event cursor "${cursor}"`);
  return n;
}

/**
 * Events in seq order: the stored ones, and the `enqueued` event of every job, read from the job
 * itself (its seq, creation time, id and queue, none of which change). Jobs up to the stored
 * mark have theirs stored (seq.ts). Both parts are walked in seq order and merged.
 */
export function listEvents(db: Database, q: EventQuery): { events: JobEvent[]; next: string | null } {
  const stored = ['seq > @after'];
  const jobs = ['seq > @from'];
  const params: Record<string, unknown> = { after: q.after === undefined ? 0 : decodeSeq(q.after) };
  if (q.since !== undefined) {
    stored.push('at >= @since');
    jobs.push('created_at >= @since');
    params.since = q.since;
  }
  if (q.queue !== undefined) {
    stored.push('queue = @queue');
    jobs.push('queue = @queue');
    params.queue = q.queue;
  }
  if (q.job_id !== undefined) {
    stored.push('job_id = @job');
    jobs.push('id = @job');
    params.job = q.job_id;
  }
  const limit = Math.max(1, Math.min(Math.floor(q.limit), 10_000));
  // Without a job, the jobs are walked by seq from the cursor (a follower reads only what is new),
  // not through an index that would have them sorted first.
  const select = db.prepare(
    `SELECT seq, at, type, job_id, queue, worker_id, attempt, detail FROM events WHERE ${stored.join(' AND ')}
     UNION ALL
     SELECT seq, created_at, 'enqueued', id, queue, NULL, NULL, NULL FROM jobs${q.job_id === undefined ? ' NOT INDEXED' : ''} WHERE ${jobs.join(' AND ')}
     ORDER BY seq LIMIT ${limit}`,
  );
  const marks = db.prepare(`SELECT MAX(CASE state WHEN '${SEQ_ROW}' THEN n END), MAX(CASE state WHEN '${STORED_ENQUEUED_ROW}' THEN n END) FROM job_counts`).raw();
  // One read transaction: the newest seq and the rows come from the same snapshot, so a cursor
  // moved to the newest seq (nothing matched) never jumps over a row committed in between.
  return db.transaction(() => {
    const [newest, storedThrough] = marks.get() as [number, number];
    const rows = select.all({ ...params, from: Math.max(params.after as number, storedThrough) }) as Row[];
    if (rows.length === limit) return { events: rows.map(toEvent), next: encodeSeq(rows[rows.length - 1].seq as number) };
    return { events: rows.map(toEvent), next: encodeSeq(newest) };
  })();
}
