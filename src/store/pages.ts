import type { Queue } from '../engine/queue.js';
import type { JobPage, ListQuery } from '../engine/types.js';
import type { FetchedPage } from './slices/lists.js';
import type { JobList, ListId, PageAnchor } from './types.js';

/** The engine query behind a table: its state tab, its filter, and one screenful of rows. */
export function baseQuery(id: ListId, list: JobList): ListQuery {
  const q: ListQuery = { limit: list.pageSize };
  if (id === 'dlq') q.state = 'dead';
  else if (list.tab !== 'all') q.state = list.tab;
  if (list.search !== '') q.search = list.search;
  return q;
}

function withAnchor(q: ListQuery, anchor: PageAnchor): ListQuery {
  if (anchor.cursor !== undefined) return { ...q, cursor: anchor.cursor, direction: anchor.direction ?? 'after' };
  if (anchor.from === 'last') return { ...q, from: 'last' };
  return q;
}

function toFetched(p: JobPage): FetchedPage {
  return { jobs: p.jobs, next: p.next_cursor, prev: p.prev_cursor };
}

export interface PageResult {
  /** The anchor actually shown, after settling at either end of the list. */
  anchor: PageAnchor;
  page: FetchedPage;
  /** The page as first fetched, before settling (navigation picks its target row from it). */
  raw: FetchedPage;
}

/**
 * Fetches one page by its anchor: a keyset seek, so any page costs the same as the first.
 * A page that walked off either end settles on that end: newer than everything means the newest
 * page (which then shows arrivals), older than everything the oldest page, in full.
 */
export async function fetchPage(queue: Queue, id: ListId, list: JobList, anchor: PageAnchor): Promise<PageResult> {
  const q = baseQuery(id, list);
  const raw = toFetched(await queue.list(withAnchor(q, anchor)));
  if (anchor.cursor === undefined) return { anchor, page: raw, raw };
  let settled: PageAnchor | null = null;
  if (anchor.direction === 'before') {
    if (raw.prev === null) settled = {};
  } else if (raw.next === null && raw.jobs.length < q.limit) {
    settled = raw.jobs.length === 0 && raw.prev === null ? {} : { from: 'last' };
  }
  if (settled === null) return { anchor, page: raw, raw };
  return { anchor: settled, page: toFetched(await queue.list(withAnchor(q, settled))), raw };
}
