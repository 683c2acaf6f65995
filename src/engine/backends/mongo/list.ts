import type { FilterQuery, Model } from 'mongoose';
import { type Edge, byFinished, decodeEdge, edgeOf, encodeEdge } from '../../paging.js';
import type { ListQuery } from '../../types.js';
import type { JobDoc } from './schema.js';

/**
 * Listing jobs newest first with keyset paging, as the SQLite adapter does: a cursor is the `seq`
 * of a page's edge job (base 36), so any page is an index seek on `state_seq` (or `seq`) plus
 * `limit` documents. Offset paging is kept for scripts; its cost grows with the offset.
 */

/** Attempts and events are read on their own; listings never carry them. */
export const JOB_FIELDS = { history: 0, events: 0 } as const;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface RawPage {
  docs: JobDoc[];
  next: string | null;
  prev: string | null;
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
  // The sort key: seq, or (finished_at, seq) for the latest finished first (index state_finished).
  const fin = byFinished(q);
  const beyond = (cmp: '$lt' | '$gt', e: Edge): FilterQuery<JobDoc> =>
    fin
      ? { $or: [{ finished_at: { [cmp]: e.finished } }, { finished_at: e.finished, seq: { [cmp]: e.seq } }] }
      : { seq: { [cmp]: e.seq } };
  const sort = (dir: 1 | -1): Record<string, 1 | -1> => (fin ? { finished_at: dir, seq: dir } : { seq: dir });
  const withBase = (extra: FilterQuery<JobDoc>): FilterQuery<JobDoc> => (Object.keys(base).length ? { $and: [base, extra] } : extra);
  const probe = async (cmp: '$lt' | '$gt', e: Edge) => (await Job.findOne(withBase(beyond(cmp, e)), { _id: 1 }).lean()) !== null;

  const olderward = !(q.direction === 'before' || (q.cursor === undefined && q.from === 'last'));
  const filter = q.cursor !== undefined ? withBase(beyond(olderward ? '$lt' : '$gt', decodeEdge(q.cursor, fin))) : { ...base };
  let find = Job.find(filter, JOB_FIELDS)
    .sort(sort(olderward ? -1 : 1))
    .limit(limit + 1);
  if (q.cursor === undefined && q.offset !== undefined && q.offset > 0 && olderward) find = find.skip(Math.floor(q.offset));
  let docs = (await find.lean()) as JobDoc[];
  const more = docs.length > limit;
  if (more) docs = docs.slice(0, limit);
  if (!olderward) docs.reverse();
  if (docs.length === 0) return { docs, next: null, prev: null };
  const newest = edgeOf(docs[0] as unknown as Record<string, unknown>, fin);
  const oldest = edgeOf(docs[docs.length - 1] as unknown as Record<string, unknown>, fin);
  const next = olderward ? (more ? oldest : null) : (await probe('$lt', oldest)) ? oldest : null;
  const paged = q.cursor !== undefined || (q.offset ?? 0) > 0;
  const prev = olderward ? (paged && (await probe('$gt', newest)) ? newest : null) : more ? newest : null;
  return { docs, next: next && encodeEdge(next), prev: prev && encodeEdge(prev) };
}
