import type { Database } from 'better-sqlite3';
import { type Edge, byFinished, decodeEdge, edgeOf, encodeEdge } from '../../paging.js';
import { containsFolded, foldTerm, isIndexedTerm } from '../../search.js';
import type { JobState, ListQuery, MatchCounts, MatchQuery, StateCounts } from '../../types.js';
import { JOB_STATES } from '../../types.js';

/**
 * Listing jobs newest first with keyset paging.
 *
 * A cursor is the sort key of a page's edge row (`seq`, or `finished_at` and `seq`: see
 * paging.ts), so every page, the first or the millionth, is an index seek plus `limit` rows
 * (`jobs_state_seq` or `jobs_state_finished` with a state, the primary key without). OFFSET
 * is kept for scripts but costs grow with it. Each page asks one extra row to know whether more
 * lie beyond it, and probes the other side with a one-row seek.
 *
 * A text filter of 3 or more characters walks the trigram index (`jobs_search`, migration 8)
 * instead: its phrase query yields matching seqs newest first and stops once the page is full,
 * so a page costs about the same for a term in every job or in one (a term in none reads its
 * trigrams' lists once). Shorter terms have no trigram: they read jobs newest first and test
 * each, which is quick for the common short terms (a digit, `ec`) and a full read for a rare one.
 */
export interface RawPage {
  rows: Record<string, unknown>[];
  next: string | null;
  prev: string | null;
}

/** The test for terms the index cannot answer; the same case folding as search.ts. */
export function registerSearchFunctions(db: Database): void {
  db.function('queuectl_contains', { deterministic: true }, (id: unknown, command: unknown, folded: unknown) =>
    containsFolded(String(id), String(folded)) || containsFolded(String(command), String(folded)) ? 1 : 0,
  );
}

/** An FTS5 phrase: the term's trigrams in a row, anywhere in either column. */
function phrase(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/**
 * With the latest finished first, the index's seq order does not serve: when a term has at most
 * this many matches they are read and sorted (a few ms); a term with more is common enough that
 * walking the state's `jobs_state_finished` index and testing each job fills a page soon.
 */
const SORTABLE_MATCHES = 5_000;

/** Where a listing reads its rows from, and the position (sort key) of a row in it. */
interface Source {
  from: string;
  where: string[];
  /**
   * The sort key's seq part, as a column the walk can seek on: `jobs.seq`, or the index's rowid
   * (the seq negated, see migration 8: FTS5 seeks only on its own rowid, and walks it fastest
   * ascending). `negated` says the rowid runs the other way from seq.
   */
  seq: string;
  negated?: boolean;
}

function source(db: Database, q: ListQuery, fin: boolean, params: Record<string, unknown>): Source {
  const where: string[] = [];
  if (q.state) {
    where.push('jobs.state = @state');
    params.state = q.state;
  }
  if (q.queue) {
    where.push('jobs.queue = @queue');
    params.queue = q.queue;
  }
  const scan = (): Source => {
    params.folded = foldTerm(q.search!);
    return { from: 'jobs', where: [...where, 'queuectl_contains(jobs.id, jobs.command, @folded)'], seq: 'jobs.seq' };
  };
  if (!q.search) return { from: 'jobs', where, seq: 'jobs.seq' };
  if (!isIndexedTerm(q.search)) return scan();
  params.match = phrase(q.search);
  if (!fin) {
    // CROSS JOIN keeps the index as the outer loop: matches come in seq order and the walk stops
    // at the page's end, rather than SQLite choosing to test every job of a state against it.
    return {
      from: 'jobs_search CROSS JOIN jobs ON jobs.seq = -jobs_search.rowid',
      where: [...where, 'jobs_search MATCH @match'],
      seq: 'jobs_search.rowid',
      negated: true,
    };
  }
  const n = db.prepare(`SELECT COUNT(*) FROM (SELECT rowid FROM jobs_search WHERE jobs_search MATCH ? LIMIT ${SORTABLE_MATCHES + 1})`).pluck().get(params.match) as number;
  if (n > SORTABLE_MATCHES) return scan();
  return { from: '(SELECT -rowid AS s FROM jobs_search WHERE jobs_search MATCH @match) m CROSS JOIN jobs ON jobs.seq = m.s', where, seq: 'jobs.seq' };
}

export function listPage(db: Database, q: ListQuery): RawPage {
  const params: Record<string, unknown> = {};
  // The sort key: seq, or (finished_at, seq) for the latest finished first (jobs_state_finished).
  const fin = byFinished(q);
  const src = source(db, q, fin, params);
  const limit = Math.max(1, Math.min(q.limit, 10_000));
  const base = src.where.length ? src.where.join(' AND ') : '1';
  const key = fin ? `(jobs.finished_at, ${src.seq})` : src.seq;
  const at = fin ? '(@ef, @es)' : '@es';
  // Over the negated rowid, "older than" is "greater than" and newest first is ascending.
  const flip = <T extends string>(a: T, b: T) => (x: T): T => (src.negated ? (x === a ? b : a) : x);
  const cmpOf = flip<'<' | '>'>('<', '>');
  const dirOf = flip<'DESC' | 'ASC'>('DESC', 'ASC');
  const order = (d: 'DESC' | 'ASC') => {
    const dir = dirOf(d);
    return fin ? `jobs.finished_at ${dir}, ${src.seq} ${dir}` : `${src.seq} ${dir}`;
  };
  const bind = (e: Edge) => ({ es: src.negated ? -e.seq : e.seq, ...(fin ? { ef: e.finished } : {}) });
  const probe = (cmp: '<' | '>', e: Edge) =>
    db.prepare(`SELECT 1 FROM ${src.from} WHERE ${base} AND ${key} ${cmpOf(cmp)} ${at} LIMIT 1`).pluck().get({ ...params, ...bind(e) }) !== undefined;

  // Walking toward older rows (the usual direction) or toward newer ones.
  const olderward = !(q.direction === 'before' || (q.cursor === undefined && q.from === 'last'));
  const select = `SELECT jobs.* FROM ${src.from} WHERE ${base}`;
  let sql: string;
  if (q.cursor !== undefined) {
    Object.assign(params, bind(decodeEdge(q.cursor, fin)));
    sql = `${select} AND ${key} ${cmpOf(olderward ? '<' : '>')} ${at} ORDER BY ${order(olderward ? 'DESC' : 'ASC')} LIMIT ${limit + 1}`;
  } else if (q.offset !== undefined && q.offset > 0 && olderward) {
    sql = `${select} ORDER BY ${order('DESC')} LIMIT ${limit + 1} OFFSET ${Math.floor(q.offset)}`;
  } else {
    sql = `${select} ORDER BY ${order(olderward ? 'DESC' : 'ASC')} LIMIT ${limit + 1}`;
  }
  let rows = db.prepare(sql).all(params) as Record<string, unknown>[];
  const more = rows.length > limit;
  if (more) rows = rows.slice(0, limit);
  if (!olderward) rows.reverse();
  if (rows.length === 0) {
    return { rows, next: null, prev: null };
  }
  const newest = edgeOf(rows[0], fin);
  const oldest = edgeOf(rows[rows.length - 1], fin);
  const next = olderward ? (more ? oldest : null) : probe('<', oldest) ? oldest : null;
  const prev = olderward ? (q.cursor !== undefined || (q.offset ?? 0) > 0 ? (probe('>', newest) ? newest : null) : null) : more ? newest : null;
  return { rows, next: next && encodeEdge(next), prev: prev && encodeEdge(prev) };
}

/**
 * Counts per state of the newest `bound` matches (and one more, to know whether others exist):
 * the same walk as the first page of the listing, `bound` rows long.
 */
export function countMatches(db: Database, q: MatchQuery, bound: number): MatchCounts {
  const params: Record<string, unknown> = {};
  const src = source(db, { search: q.search, queue: q.queue, limit: 1 }, false, params);
  const newestFirst = `${src.seq} ${src.negated ? 'ASC' : 'DESC'}`;
  const rows = db
    .prepare(`SELECT state, COUNT(*) AS n FROM (SELECT jobs.state FROM ${src.from} WHERE ${src.where.join(' AND ')} ORDER BY ${newestFirst} LIMIT ${bound + 1}) GROUP BY state`)
    .all(params) as { state: JobState; n: number }[];
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
  let total = 0;
  for (const r of rows) {
    counts[r.state] = r.n;
    total += r.n;
  }
  return { counts, exact: total <= bound };
}
