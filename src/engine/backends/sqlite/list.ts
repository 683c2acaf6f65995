import type { Database } from 'better-sqlite3';
import { ValidationError } from '../../errors.js';
import type { ListQuery } from '../../types.js';

/**
 * Listing jobs newest first with keyset paging.
 *
 * A cursor is the `seq` of a page's edge row, so every page, the first or the millionth, is an
 * index seek plus `limit` rows (`jobs_state_seq` with a state, the primary key without). OFFSET
 * is kept for scripts but costs grow with it. Each page asks one extra row to know whether more
 * lie beyond it, and probes the other side with a one-row seek.
 */
export interface RawPage {
  rows: Record<string, unknown>[];
  next: number | null;
  prev: number | null;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function decodeCursor(cursor: string): number {
  const n = Number.parseInt(cursor, 36);
  if (!/^[0-9a-z]+$/.test(cursor) || !Number.isSafeInteger(n)) throw new ValidationError(`invalid cursor "${cursor}"`);
  return n;
}

export function encodeCursor(seq: number): string {
  return seq.toString(36);
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
  const probe = (cmp: '<' | '>', seq: number) =>
    db.prepare(`SELECT 1 FROM jobs WHERE ${base} AND seq ${cmp} @edge LIMIT 1`).pluck().get({ ...params, edge: seq }) !== undefined;

  // Walking toward older rows (the usual direction) or toward newer ones.
  const olderward = !(q.direction === 'before' || (q.cursor === undefined && q.from === 'last'));
  let sql: string;
  if (q.cursor !== undefined) {
    params.edge = decodeCursor(q.cursor);
    sql = `SELECT * FROM jobs WHERE ${base} AND seq ${olderward ? '<' : '>'} @edge ORDER BY seq ${olderward ? 'DESC' : 'ASC'} LIMIT ${limit + 1}`;
  } else if (q.offset !== undefined && q.offset > 0 && olderward) {
    sql = `SELECT * FROM jobs WHERE ${base} ORDER BY seq DESC LIMIT ${limit + 1} OFFSET ${Math.floor(q.offset)}`;
  } else {
    sql = `SELECT * FROM jobs WHERE ${base} ORDER BY seq ${olderward ? 'DESC' : 'ASC'} LIMIT ${limit + 1}`;
  }
  let rows = db.prepare(sql).all(params) as Record<string, unknown>[];
  const more = rows.length > limit;
  if (more) rows = rows.slice(0, limit);
  if (!olderward) rows.reverse();
  if (rows.length === 0) {
    return { rows, next: null, prev: null };
  }
  const newest = rows[0].seq as number;
  const oldest = rows[rows.length - 1].seq as number;
  const next = olderward ? (more ? oldest : null) : probe('<', oldest) ? oldest : null;
  const prev = olderward ? (q.cursor !== undefined || (q.offset ?? 0) > 0 ? (probe('>', newest) ? newest : null) : null) : more ? newest : null;
  return { rows, next, prev };
}
