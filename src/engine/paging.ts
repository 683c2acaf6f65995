import { ValidationError } from './errors.js';
import { FINISHED_STATES } from './state-machine.js';
import type { ListQuery } from './types.js';

/**
 * The position of a row in a listing, for keyset paging. Listings run newest first, by creation
 * (`seq`) or, for finished jobs, by when they finished (`finished_at`, then `seq`): the dead letter
 * queue shows the latest deaths first. A cursor is this position, opaque to callers.
 */
export interface Edge {
  seq: number;
  /** Set when the listing is ordered by time of finishing. */
  finished?: number;
}

export function byFinished(q: Pick<ListQuery, 'order' | 'state'>): boolean {
  if (q.order !== 'finished') return false;
  if (!q.state || !FINISHED_STATES.includes(q.state)) {
    throw new ValidationError('ordering by time of finishing needs a state of completed, dead or cancelled');
  }
  return true;
}

export function encodeEdge(e: Edge): string {
  return e.finished === undefined ? e.seq.toString(36) : `${e.finished.toString(36)}.${e.seq.toString(36)}`;
}

function part(text: string, cursor: string): number {
  const n = Number.parseInt(text, 36);
  if (!/^[0-9a-z]+$/.test(text) || !Number.isSafeInteger(n)) throw new ValidationError(`invalid cursor "${cursor}"`);
  return n;
}

export function decodeEdge(cursor: string, finished: boolean): Edge {
  const parts = cursor.split('.');
  if (parts.length !== (finished ? 2 : 1)) throw new ValidationError(`invalid cursor "${cursor}"`);
  return finished ? { finished: part(parts[0], cursor), seq: part(parts[1], cursor) } : { seq: part(parts[0], cursor) };
}

/** The edge of a row (a job row or document with `seq` and `finished_at`). */
export function edgeOf(row: { [k: string]: unknown }, finished: boolean): Edge {
  return finished ? { seq: row.seq as number, finished: (row.finished_at as number | null) ?? 0 } : { seq: row.seq as number };
}
