import type { Database } from 'better-sqlite3';
import { type Edge, byFinished, decodeEdge, edgeOf, encodeEdge } from '../../paging.js';
import { containsFolded, foldTerm, isIndexedTerm } from '../../search.js';
import type { JobState, ListQuery, MatchCounts, MatchQuery, StateCounts } from '../../types.js';
import { JOB_STATES } from '../../types.js';
import { FINISHED_STATES } from '../../state-machine.js';

/**
 * Listing jobs newest first with keyset paging.
 *
 * A cursor is the sort key of a page's edge row (`seq`, or `finished_at` and `seq`: see
 * paging.ts), so every page, the first or the millionth, is an index seek plus `limit` rows
 * (`jobs_state_seq` or `jobs_state_finished` with a state, `jobs_queue_state_seq` with a queue,
 * the primary key without). OFFSET is kept for scripts but costs grow with it. Each page asks one
 * extra row to know whether more lie beyond it, and probes the other side with a one-row seek.
 *
 * A text filter of 3 or more characters walks the trigram index (`jobs_search`, migration 8)
 * instead: its phrase query yields matching seqs newest first and stops once the page is full,
 * so a page costs about the same for a term in every job or in one (a term in none reads its
 * trigrams' lists once). The index holds the jobs up to its mark; the newer ones (the tail: about
 * SEARCH_TAIL_ROWS at most while workers run, never more than SEARCH_TAIL_CAP) are read first and
 * tested one by one (search-index.ts). Shorter terms have no trigram: they read jobs newest first
 * and test each, which is quick for the common short terms (a digit, `ec`) and a full read for a
 * rare one.
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

/**
 * A place a listing reads rows from, and the position (sort key) of a row in it. A listing reads
 * one or more, newest first: every row of a part is newer than every row of the parts after it.
 */
interface Part {
  from: string;
  where: string[];
  /**
   * The sort key's seq part, as a column the walk can seek on: `jobs.seq`, or the index's rowid
   * (the seq negated, see migration 8: FTS5 seeks only on its own rowid, and walks it fastest
   * ascending). `negated` says the rowid runs the other way from seq.
   */
  seq: string;
  negated?: boolean;
  /** Rows at most the search tail's length: a page may count them to skip them whole. */
  bounded?: boolean;
  /** Runs merged in order (a UNION ALL): SQLite merges them only in a query of its own. */
  merged?: boolean;
  /**
   * The index part's filter without the index: each job's own test (see `nearCursor`). FTS5
   * reaches a rowid by reading every entry of the term's lists before it, so a page far from
   * either end of the index costs a walk to it (tens of ms at 1M jobs); the jobs next to the
   * cursor, read by seq and tested one by one, give the page at once when the term is common.
   */
  near?: string[];
}

/**
 * How many jobs next to a cursor a page of an indexed term reads and tests before it walks the
 * index (about 1 ms at most). A term in every twentieth job or more often fills a page of 50 from them.
 */
export const NEAR_CURSOR_ROWS = 1024;

/**
 * Where a listing's rows come from. A term the index answers reads two parts (search-index.ts):
 * the tail, jobs above the index's mark, tested one by one in seq order (NOT INDEXED: a walk of
 * the primary key over the tail's rows only, whatever other filter there is), then the
 * index, for the jobs at or below the mark. The mark is read in the listing's transaction, so
 * both parts see the same jobs.
 */
function parts(db: Database, q: ListQuery, fin: boolean, params: Record<string, unknown>): Part[] {
  const where: string[] = [];
  if (q.state) {
    where.push('jobs.state = @state');
    params.state = q.state;
  }
  if (q.queue) {
    where.push('jobs.queue = @queue');
    params.queue = q.queue;
  }
  // A queue's jobs newest first, without a state: the queue's index holds them by state, so its
  // runs, one per state, are merged (SQLite merges a UNION ALL in the order asked, reading each
  // run only as far as the page needs; the outer filters and cursor go into each run).
  const jobs = q.queue && !q.state ? `(${JOB_STATES.map((s) => `SELECT * FROM jobs WHERE state = '${s}'`).join(' UNION ALL ')}) jobs` : 'jobs';
  // The latest finished first: the index by finish time holds finished jobs only (migration 11),
  // and SQLite uses it only where the query says so in the same words (with a queue too, as it
  // chose before: the state's finish order, testing the queue of each job).
  if (fin) where.push(`jobs.state IN (${FINISHED_STATES.map((s) => `'${s}'`).join(', ')})`);
  const contains = 'queuectl_contains(jobs.id, jobs.command, @folded)';
  const merged = jobs !== 'jobs';
  const scan = (): Part[] => [{ from: jobs, where: [...where, contains], seq: 'jobs.seq', merged }];
  if (!q.search) return [{ from: jobs, where, seq: 'jobs.seq', merged }];
  params.folded = foldTerm(q.search);
  if (!isIndexedTerm(q.search)) return scan();
  params.match = phrase(q.search);
  // The index holds exactly the jobs up to the mark (search-index.ts: a batch moves the mark in
  // its own transaction, the triggers touch indexed jobs only), so its part needs no bound of its
  // own: a second bound on the rowid can make FTS5 start its walk there rather than at the cursor.
  params.mark = db.prepare('SELECT seq FROM jobs_search_mark').pluck().get() as number;
  const tail: Part = { from: 'jobs NOT INDEXED', where: [...where, 'jobs.seq > @mark', contains], seq: 'jobs.seq', bounded: true };
  if (!fin) {
    // CROSS JOIN keeps the index as the outer loop: matches come in seq order and the walk stops
    // at the page's end, rather than SQLite choosing to test every job of a state against it.
    const index: Part = {
      from: 'jobs_search CROSS JOIN jobs ON jobs.seq = -jobs_search.rowid',
      where: [...where, 'jobs_search MATCH @match'],
      seq: 'jobs_search.rowid',
      negated: true,
      near: [...where, contains],
    };
    return [tail, index];
  }
  // Every match, from the index and from the tail, to be sorted by finish time.
  const matches = `(SELECT -rowid AS s FROM jobs_search WHERE jobs_search MATCH @match
    UNION ALL SELECT jobs.seq FROM jobs NOT INDEXED WHERE jobs.seq > @mark AND ${contains})`;
  const n = db.prepare(`SELECT COUNT(*) FROM (SELECT s FROM ${matches} LIMIT ${SORTABLE_MATCHES + 1})`).pluck().get(params) as number;
  if (n > SORTABLE_MATCHES) return scan();
  return [{ from: `${matches} m CROSS JOIN jobs ON jobs.seq = m.s`, where, seq: 'jobs.seq' }];
}

/** A listing's page; read in one transaction, so that every statement sees the same jobs. */
export function listPage(db: Database, q: ListQuery, nearRows = NEAR_CURSOR_ROWS): RawPage {
  return db.transaction(() => readPage(db, q, nearRows))();
}

function readPage(db: Database, q: ListQuery, nearRows: number): RawPage {
  const params: Record<string, unknown> = {};
  // The sort key: seq, or (finished_at, seq) for the latest finished first (jobs_state_finished).
  const fin = byFinished(q);
  const srcs = parts(db, q, fin, params);
  const limit = Math.max(1, Math.min(q.limit, 10_000));
  // Per part: its filter, its sort key and how it compares. Over the negated rowid, "older
  // than" is "greater than" and newest first is ascending.
  const shape = (p: Part) => {
    const flip = <T extends string>(a: T, b: T) => (x: T): T => (p.negated ? (x === a ? b : a) : x);
    const dirOf = flip<'DESC' | 'ASC'>('DESC', 'ASC');
    return {
      base: p.where.length ? p.where.join(' AND ') : '1',
      key: fin ? `(jobs.finished_at, ${p.seq})` : p.seq,
      at: fin ? '(@ef, @es)' : '@es',
      cmpOf: flip<'<' | '>'>('<', '>'),
      order: (d: 'DESC' | 'ASC') => {
        const dir = dirOf(d);
        return fin ? `jobs.finished_at ${dir}, ${p.seq} ${dir}` : `${p.seq} ${dir}`;
      },
      bind: (e: Edge) => ({ es: p.negated ? -e.seq : e.seq, ...(fin ? { ef: e.finished } : {}) }),
    };
  };
  /**
   * The first `want` matches of an index part past edge `e` (toward older jobs, or newer), found
   * among the `nearRows` indexed jobs next to it; undefined when fewer are there (the index
   * walk then gives the page). The jobs read are contiguous in seq from the edge, so the matches
   * among them, in order, are the walk's first ones.
   */
  const nearCursor = (p: Part, older: boolean, e: Edge, want: number): Record<string, unknown>[] | undefined => {
    if (!p.near || fin || nearRows <= 0) return undefined;
    const dir = older ? 'DESC' : 'ASC';
    const window = `(SELECT * FROM jobs WHERE seq ${older ? '<' : '>'} @es AND seq <= @mark ORDER BY seq ${dir} LIMIT ${nearRows}) jobs`;
    const rows = db.prepare(`SELECT jobs.* FROM ${window} WHERE ${p.near.join(' AND ')} ORDER BY jobs.seq ${dir} LIMIT ${want}`).all({ ...params, es: e.seq }) as Record<
      string,
      unknown
    >[];
    return rows.length === want ? rows : undefined;
  };
  const probe = (cmp: '<' | '>', e: Edge) =>
    srcs.some((p) => {
      if (nearCursor(p, cmp === '<', e, 1)) return true;
      const s = shape(p);
      return db.prepare(`SELECT 1 FROM ${p.from} WHERE ${s.base} AND ${s.key} ${s.cmpOf(cmp)} ${s.at} LIMIT 1`).pluck().get({ ...params, ...s.bind(e) }) !== undefined;
    });

  // Walking toward older rows (the usual direction) or toward newer ones.
  const olderward = !(q.direction === 'before' || (q.cursor === undefined && q.from === 'last'));
  const edge = q.cursor !== undefined ? decodeEdge(q.cursor, fin) : undefined;
  let skip = edge === undefined && olderward && q.offset !== undefined && q.offset > 0 ? Math.floor(q.offset) : 0;
  let rows: Record<string, unknown>[] = [];
  // The parts in the walk's direction; each gives the rows the page still needs.
  for (const [i, p] of (olderward ? srcs : [...srcs].reverse()).entries()) {
    const want = limit + 1 - rows.length;
    if (want <= 0) break;
    const s = shape(p);
    const cond = edge !== undefined ? ` AND ${s.key} ${s.cmpOf(olderward ? '<' : '>')} ${s.at}` : '';
    const bound = edge !== undefined ? s.bind(edge) : {};
    if (skip > 0 && p.bounded && i < srcs.length - 1) {
      // An offset that passes this whole part skips it; else the offset ends inside it.
      const n = db.prepare(`SELECT COUNT(*) FROM ${p.from} WHERE ${s.base}`).pluck().get(params) as number;
      if (n <= skip) {
        skip -= n;
        continue;
      }
    }
    const near = edge !== undefined ? nearCursor(p, olderward, edge, want) : undefined;
    if (near) {
      rows = rows.concat(near);
      continue;
    }
    const sql = `SELECT jobs.* FROM ${p.from} WHERE ${s.base}${cond} ORDER BY ${s.order(olderward ? 'DESC' : 'ASC')} LIMIT ${want}${skip > 0 ? ` OFFSET ${skip}` : ''}`;
    skip = 0;
    rows = rows.concat(db.prepare(sql).all({ ...params, ...bound }) as Record<string, unknown>[]);
  }
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
  return db.transaction(() => {
    const params: Record<string, unknown> = {};
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
    let total = 0;
    for (const p of parts(db, { search: q.search, queue: q.queue, limit: 1 }, false, params)) {
      const want = bound + 1 - total;
      if (want <= 0) break;
      const newest = `SELECT ${p.merged ? 'jobs.seq, ' : ''}jobs.state FROM ${p.from} WHERE ${p.where.length ? p.where.join(' AND ') : '1'} ORDER BY ${p.seq} ${p.negated ? 'ASC' : 'DESC'} LIMIT ${want}`;
      if (p.merged) {
        // Nested in another query, the runs would be read whole and sorted: counted here instead.
        // (SQLite merges them only when the sort key is among the columns read.)
        for (const r of db.prepare(newest).all(params) as { state: JobState }[]) counts[r.state]++;
        total = JOB_STATES.reduce((n, s) => n + counts[s], 0);
        continue;
      }
      const rows = db.prepare(`SELECT state, COUNT(*) AS n FROM (${newest}) GROUP BY state`).all(params) as { state: JobState; n: number }[];
      for (const r of rows) {
        counts[r.state] += r.n;
        total += r.n;
      }
    }
    return { counts, exact: total <= bound };
  })();
}
