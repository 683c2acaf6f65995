import type { FilterQuery, Model } from 'mongoose';
import { type Edge, byFinished, decodeEdge, edgeOf, encodeEdge } from '../../paging.js';
import { foldTerm, isIndexedTerm, trigrams } from '../../search.js';
import { JOB_STATES, type JobState, type ListQuery, type MatchCounts, type MatchQuery, type StateCounts } from '../../types.js';
import type { JobDoc } from './schema.js';

/**
 * Listing jobs newest first with keyset paging, as the SQLite adapter does: a cursor is the `seq`
 * of a page's edge job (base 36), so any page is an index seek on `state_seq` (or `seq`) plus
 * `limit` documents. Offset paging is kept for scripts; its cost grows with the offset.
 *
 * A text filter (search.ts) is a substring test on the id (ids are ASCII: a case-insensitive
 * regex folds them) and on `command_lc` (the command in lower case), which no index serves; a term of 3 or more characters also requires every one of its
 * trigrams in `search_grams`, a multikey index with `seq` (index `search`), so the server reads
 * only jobs holding one of the term's trigrams, newest first, and stops when the page is full.
 * (A text index would not do: it matches words, not substrings.)
 */

/** Attempts, events and the search fields are read on their own or not at all; listings never carry them. */
export const JOB_FIELDS = { history: 0, events: 0, search_grams: 0, command_lc: 0 } as const;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What a job is found by: stored with it at insert (id and command never change afterwards). */
export function searchFields(id: string, command: string): Pick<JobDoc, 'search_grams' | 'command_lc'> {
  return { search_grams: [...new Set([...trigrams(id), ...trigrams(command)])], command_lc: foldTerm(command) };
}

/** The filter for a term: the trigrams narrow through the index, the substring test decides. */
export function searchFilter(term: string): FilterQuery<JobDoc> {
  const folded = foldTerm(term);
  // Plain strings, not an array: a regex over an array of strings is not matched element by
  // element everywhere (the in-memory test server matches it against the array's text).
  const test = { $or: [{ _id: new RegExp(escapeRegex(folded), 'i') }, { command_lc: new RegExp(escapeRegex(folded)) }] };
  return isIndexedTerm(term) ? { search_grams: { $all: trigrams(folded) }, ...test } : test;
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
  if (q.search) Object.assign(base, searchFilter(q.search));
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

/** Counts per state of the newest `bound` matches (and one more, to know whether others exist). */
export async function countMatches(Job: Model<JobDoc>, q: MatchQuery, bound: number): Promise<MatchCounts> {
  const match: FilterQuery<JobDoc> = searchFilter(q.search);
  if (q.queue) match.queue = q.queue;
  const rows = await Job.aggregate<{ _id: JobState; n: number }>([
    { $match: match },
    { $sort: { seq: -1 } },
    { $limit: bound + 1 },
    { $group: { _id: '$state', n: { $sum: 1 } } },
  ]);
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
  let total = 0;
  for (const r of rows) {
    counts[r._id] = r.n;
    total += r.n;
  }
  return { counts, exact: total <= bound };
}
