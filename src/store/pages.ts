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
  if (list.queue !== null) q.queue = list.queue;
  if (list.sort === 'finished' && q.state !== undefined) q.order = 'finished';
  return q;
}

function withAnchor(q: ListQuery, anchor: PageAnchor): ListQuery {
  if (anchor.cursor !== undefined) return { ...q, cursor: anchor.cursor, direction: anchor.direction ?? 'after' };
  if (anchor.from === 'last') return { ...q, from: 'last' };
  return q;
}

/**
 * One page of a table in its own order. The engine pages newest first; a reversed table (oldest
 * first) is the same keyset walked the other way: its first page is the engine's last, its next
 * page the engine's previous, with the rows turned over. Same cursors, same index seeks.
 */
async function listAt(queue: Queue, q: ListQuery, anchor: PageAnchor, reverse: boolean): Promise<JobPage> {
  if (!reverse) return queue.list(withAnchor(q, anchor));
  const flipped: PageAnchor =
    anchor.cursor !== undefined
      ? { cursor: anchor.cursor, direction: (anchor.direction ?? 'after') === 'after' ? 'before' : 'after' }
      : anchor.from === 'last'
        ? {}
        : { from: 'last' };
  const p = await queue.list(withAnchor(q, flipped));
  return { jobs: [...p.jobs].reverse(), next_cursor: p.prev_cursor, prev_cursor: p.next_cursor };
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
  const raw = toFetched(await listAt(queue, q, anchor, list.reverse));
  if (anchor.cursor === undefined) return { anchor, page: raw, raw };
  let settled: PageAnchor | null = null;
  if (anchor.direction === 'before') {
    if (raw.prev === null) settled = {};
  } else if (raw.next === null && raw.jobs.length < q.limit) {
    settled = raw.jobs.length === 0 && raw.prev === null ? {} : { from: 'last' };
  }
  if (settled === null) return { anchor, page: raw, raw };
  return { anchor: settled, page: toFetched(await listAt(queue, q, settled, list.reverse)), raw };
}

/** How far past the page a selected job is looked for when rows moved it off the page. */
export const FOLLOW_REACH = 500;

/**
 * An anchor whose page starts at the first row of `list`'s page (an `after` cursor, or the newest
 * page). Pages anchored otherwise (`before`, or the oldest page) are turned into one through the
 * cursors the engine gave: the row just newer than the page, then the page after that row.
 */
async function topAnchor(queue: Queue, q: ListQuery, list: JobList): Promise<PageAnchor> {
  const a = list.anchor;
  if (a.cursor === undefined && a.from !== 'last') return {};
  if (a.cursor !== undefined && (a.direction ?? 'after') === 'after') return a;
  if (list.prev === null) return {};
  const above = await listAt(queue, { ...q, limit: 1 }, { cursor: list.prev, direction: 'before' }, list.reverse);
  return above.next_cursor === null ? {} : { cursor: above.next_cursor, direction: 'after' };
}

/**
 * The page that shows job `jobId` at `row` (or as near as the list allows), found from where the
 * list's page starts: for a selection that rows pushed off the page (new jobs above it on the newest
 * page, a window grown shorter). Null when the job is not within FOLLOW_REACH rows below, which
 * means it left the list (another state, cancelled, purged) or was pushed too far.
 */
export async function pageAround(queue: Queue, id: ListId, list: JobList, jobId: string, row: number, reach = FOLLOW_REACH): Promise<PageResult | null> {
  const q = baseQuery(id, list);
  const top = await topAnchor(queue, q, list);
  const window = await listAt(queue, { ...q, limit: list.pageSize + reach }, top, list.reverse);
  const i = window.jobs.findIndex((j) => j.id === jobId);
  if (i < 0) return null;
  const skip = Math.max(0, i - Math.max(0, Math.min(row, list.pageSize - 1)));
  if (skip === 0) return fetchPage(queue, id, list, top);
  // The cursor of the row just above the wanted page: the end of a page of `skip` rows.
  const cut = await listAt(queue, { ...q, limit: skip }, top, list.reverse);
  if (cut.next_cursor === null) return null;
  const r = await fetchPage(queue, id, list, { cursor: cut.next_cursor, direction: 'after' });
  // The page starts `skip` rows below where the list's page started.
  const start = top.cursor === undefined ? 0 : list.offset;
  return { ...r, page: { ...r.page, offset: start + skip } };
}
