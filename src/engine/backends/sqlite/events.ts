import type { Database } from 'better-sqlite3';
import { ValidationError } from '../../errors.js';
import type { EventQuery, JobEvent, NewEvent } from '../../types.js';
import { type Row, encodeSeq, toEvent } from './rows.js';

/** The event log: appended inside the transactions of the moves it records, read by cursor. */
export interface EventWriter {
  add(e: NewEvent): void;
}

/** The statement is prepared on the first event: a command that only reads never writes one. */
export function makeEventWriter(db: Database): EventWriter {
  let insert: ReturnType<Database['prepare']> | undefined;
  return {
    add: (e) => {
      insert ??= db.prepare(
        'INSERT INTO events (at, type, job_id, queue, worker_id, attempt, detail) VALUES (@at, @type, @job_id, @queue, @worker_id, @attempt, @detail)',
      );
      insert.run(e);
    },
  };
}

function decodeSeq(cursor: string): number {
  const n = Number.parseInt(cursor, 36);
  if (!/^[0-9a-z]+$/.test(cursor) || !Number.isSafeInteger(n)) throw new ValidationError(`invalid event cursor "${cursor}"`);
  return n;
}

export function listEvents(db: Database, q: EventQuery): { events: JobEvent[]; next: string | null } {
  const where = ['seq > @after'];
  const params: Record<string, unknown> = { after: q.after === undefined ? 0 : decodeSeq(q.after) };
  if (q.since !== undefined) {
    where.push('at >= @since');
    params.since = q.since;
  }
  if (q.queue !== undefined) {
    where.push('queue = @queue');
    params.queue = q.queue;
  }
  if (q.job_id !== undefined) {
    where.push('job_id = @job');
    params.job = q.job_id;
  }
  const limit = Math.max(1, Math.min(Math.floor(q.limit), 10_000));
  const select = db.prepare(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${limit}`);
  const newest = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events').pluck();
  // One read transaction: the newest seq and the rows come from the same snapshot, so a cursor
  // moved to the newest seq (nothing matched) never jumps over a row committed in between.
  return db.transaction(() => {
    const rows = select.all(params) as Row[];
    if (rows.length === limit) return { events: rows.map(toEvent), next: encodeSeq(rows[rows.length - 1].seq as number) };
    return { events: rows.map(toEvent), next: encodeSeq(newest.get() as number) };
  })();
}
