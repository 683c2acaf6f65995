import type { Database } from 'better-sqlite3';
import { type Edge, byFinished, decodeEdge, edgeOf, encodeEdge } from '../../paging.js';
import type { ListQuery } from '../../types.js';

/**
 * Listing jobs newest first with keyset paging.
 *
 * A cursor is the sort key of a page's edge row (`seq`, or `finished_at` and `seq`: see
 * paging.ts), so every page, the first or the millionth, is an index seek plus `limit` rows
 * (`jobs_state_seq` or `jobs_state_finished` with a state, the primary key without). OFFSET
 * is kept for scripts but costs grow with it. Each page asks one extra row to know whether more
 * lie beyond it, and probes the other side with a one-row seek.
 */
export interface RawPage {
  rows: Record<string, unknown>[];
  next: string | null;
  prev: string | null;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function listPage(db: Database, q: ListQuery): RawPage {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (q.state) {
    where.push('state = @state');
    params.state = q.state;
  }
  if (q.queue) {
    where.push('queue = @queue');
    params.queue = q.queue;
  }
  if (q.search) {
    where.push("(id LIKE @search ESCAPE '\\' OR command LIKE @search ESCAPE '\\')");
    params.search = `%${escapeLike(q.search)}%`;
  }
  const limit = Math.max(1, Math.min(q.limit, 10_000));
  const base = where.length ? where.join(' AND ') : '1';
  // The sort key: seq, or (finished_at, seq) for the latest finished first (jobs_state_finished).
  const fin = byFinished(q);
  const key = fin ? '(finished_at, seq)' : 'seq';
  const at = fin ? '(@ef, @es)' : '@es';
  const order = (dir: 'DESC' | 'ASC') => (fin ? `finished_at ${dir}, seq ${dir}` : `seq ${dir}`);
  const bind = (e: Edge) => ({ es: e.seq, ...(fin ? { ef: e.finished } : {}) });
  const probe = (cmp: '<' | '>', e: Edge) =>
    db.prepare(`SELECT 1 FROM jobs WHERE ${base} AND ${key} ${cmp} ${at} LIMIT 1`).pluck().get({ ...params, ...bind(e) }) !== undefined;

  // Walking toward older rows (the usual direction) or toward newer ones.
  const olderward = !(q.direction === 'before' || (q.cursor === undefined && q.from === 'last'));
  let sql: string;
  if (q.cursor !== undefined) {
    Object.assign(params, bind(decodeEdge(q.cursor, fin)));
    sql = `SELECT * FROM jobs WHERE ${base} AND ${key} ${olderward ? '<' : '>'} ${at} ORDER BY ${order(olderward ? 'DESC' : 'ASC')} LIMIT ${limit + 1}`;
  } else if (q.offset !== undefined && q.offset > 0 && olderward) {
    sql = `SELECT * FROM jobs WHERE ${base} ORDER BY ${order('DESC')} LIMIT ${limit + 1} OFFSET ${Math.floor(q.offset)}`;
  } else {
    sql = `SELECT * FROM jobs WHERE ${base} ORDER BY ${order(olderward ? 'DESC' : 'ASC')} LIMIT ${limit + 1}`;
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
