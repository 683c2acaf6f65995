import type { FilterQuery, Model } from 'mongoose';
import { ValidationError } from '../../errors.js';
import type { ListQuery } from '../../types.js';
import type { JobDoc } from './schema.js';

/**
 * Listing jobs newest first with keyset paging, as the SQLite adapter does: a cursor is the `seq`
 * of a page's edge job (base 36), so any page is an index seek on `state_seq` (or `seq`) plus
 * `limit` documents. Offset paging is kept for scripts; its cost grows with the offset.
 */

/** Attempts and events are read on their own; listings never carry them. */
export const JOB_FIELDS = { history: 0, events: 0 } as const;

export function encodeCursor(seq: number): string {
  return seq.toString(36);
}

export function decodeCursor(cursor: string): number {
  const n = Number.parseInt(cursor, 36);
  if (!/^[0-9a-z]+$/.test(cursor) || !Number.isSafeInteger(n)) throw new ValidationError(`invalid cursor "${cursor}"`);
  return n;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface RawPage {
  docs: JobDoc[];
  next: number | null;
  prev: number | null;
}

export async function listPage(Job: Model<JobDoc>, q: ListQuery): Promise<RawPage> {
  const base: FilterQuery<JobDoc> = {};
  if (q.state) base.state = q.state;
  if (q.queue) base.queue = q.queue;
  if (q.search) {
    const re = new RegExp(escapeRegex(q.search), 'i');
    base.$or = [{ _id: re }, { command: re }];
  }
  const limit = Math.max(1, Math.min(Math.floor(q.limit), 10_000));
  const probe = async (cmp: '$lt' | '$gt', seq: number) =>
    (await Job.findOne({ ...base, seq: { [cmp]: seq } }, { _id: 1 }).lean()) !== null;

  const olderward = !(q.direction === 'before' || (q.cursor === undefined && q.from === 'last'));
  const filter: FilterQuery<JobDoc> = { ...base };
  if (q.cursor !== undefined) filter.seq = { [olderward ? '$lt' : '$gt']: decodeCursor(q.cursor) };
  let find = Job.find(filter, JOB_FIELDS)
    .sort({ seq: olderward ? -1 : 1 })
    .limit(limit + 1);
  if (q.cursor === undefined && q.offset !== undefined && q.offset > 0 && olderward) find = find.skip(Math.floor(q.offset));
  let docs = (await find.lean()) as JobDoc[];
  const more = docs.length > limit;
  if (more) docs = docs.slice(0, limit);
  if (!olderward) docs.reverse();
  if (docs.length === 0) return { docs, next: null, prev: null };
  const newest = docs[0].seq;
  const oldest = docs[docs.length - 1].seq;
  const next = olderward ? (more ? oldest : null) : (await probe('$lt', oldest)) ? oldest : null;
  const paged = q.cursor !== undefined || (q.offset ?? 0) > 0;
  const prev = olderward ? (paged && (await probe('$gt', newest)) ? newest : null) : more ? newest : null;
  return { docs, next, prev };
}
