import type { StateCreator } from 'zustand/vanilla';
import type { Job, JobState, MatchCounts } from '../../engine/types.js';
import { sameJobs } from '../equal.js';
import type { DashboardStore } from '../store.js';
import type { JobList, JobTab, ListId, PageAnchor, SortKey } from '../types.js';

/** The two paged job tables (jobs view, DLQ): page, tab, filter, cursor row and marks. */
export interface ListsSlice {
  lists: Readonly<Record<ListId, JobList>>;
  /**
   * Shows a freshly fetched page. Dropped when the list's query changed since the fetch began.
   * `target` picks the row: a job id, else a row index; without it the selected job keeps its
   * place when it is still on the page.
   */
  setPage(id: ListId, version: number, anchor: PageAnchor, page: FetchedPage, target?: RowTarget): void;
  setRow(id: ListId, row: number): void;
  setTab(tab: JobTab): void;
  setSearch(id: ListId, search: string): void;
  /** Both tables show only this queue's jobs (null: every queue). */
  setQueueFilter(queue: string | null): void;
  setSort(id: ListId, sort: SortKey, reverse: boolean): void;
  /** Shows the counts per state of a filter's matches; dropped when the filter changed meanwhile. */
  setMatchCounts(id: ListId, search: string, counts: MatchCounts): void;
  setPageSize(id: ListId, size: number): void;
  toggleMark(id: ListId, jobId: string, state?: JobState): void;
  /** Adds these jobs to the marks (those already marked stay as they are). */
  markMany(id: ListId, jobs: ReadonlyArray<{ id: string; state: JobState }>): void;
  clearMarks(id: ListId): void;
  /** Removes these jobs from the marks (those an action is done with). */
  unmark(id: ListId, jobIds: readonly string[]): void;
}

export interface FetchedPage {
  jobs: readonly Job[];
  next: string | null;
  prev: string | null;
  /** Rows before this page, when the fetch knows (see JobList.offset); else the list's stays. */
  offset?: number;
}

export interface RowTarget {
  jobId?: string;
  row?: number;
}

export function emptyList(tab: JobTab, pageSize = 10, sort: SortKey = 'created'): JobList {
  return { tab, search: '', matches: null, queue: null, sort, reverse: false, offset: 0, anchor: {}, jobs: [], next: null, prev: null, row: 0, pageSize, marks: [], markStates: {}, version: 0, loaded: false };
}

function clamp(n: number, length: number): number {
  return Math.max(0, Math.min(n, length - 1));
}

function sameAnchor(a: PageAnchor, b: PageAnchor): boolean {
  return a.cursor === b.cursor && a.direction === b.direction && a.from === b.from;
}

/** The list after a page arrives; the same object when nothing visible changed. */
export function withPage(list: JobList, anchor: PageAnchor, page: FetchedPage, target?: RowTarget): JobList {
  let row: number;
  if (target?.jobId !== undefined && page.jobs.some((j) => j.id === target.jobId)) {
    row = page.jobs.findIndex((j) => j.id === target.jobId);
  } else if (target?.row !== undefined) {
    row = clamp(target.row, page.jobs.length);
  } else {
    // Rows kept on screen while a new query loads are not a selection.
    const selected = list.loaded ? list.jobs[list.row]?.id : undefined;
    const kept = selected === undefined ? -1 : page.jobs.findIndex((j) => j.id === selected);
    row = kept >= 0 ? kept : clamp(list.row, page.jobs.length);
  }
  const jobs = sameJobs(list.jobs, page.jobs) ? list.jobs : page.jobs;
  const offset = anchor.cursor === undefined && anchor.from === undefined ? 0 : (page.offset ?? list.offset);
  if (
    offset === list.offset &&
    jobs === list.jobs &&
    row === list.row &&
    list.loaded &&
    page.next === list.next &&
    page.prev === list.prev &&
    sameAnchor(anchor, list.anchor)
  ) {
    return list;
  }
  return { ...list, anchor, jobs, next: page.next, prev: page.prev, row, offset, loaded: true, markStates: seenStates(list, jobs) };
}

/** The marked jobs' states as this page shows them. */
function seenStates(list: JobList, jobs: readonly Job[]): JobList['markStates'] {
  if (list.marks.length === 0) return list.markStates;
  let next = list.markStates;
  for (const j of jobs) {
    if (next[j.id] !== undefined && next[j.id] !== j.state) next = { ...next, [j.id]: j.state };
  }
  return next;
}

/** The orders a tab can be paged in cheaply (see SORT_KEYS). */
export function sortable(tab: JobTab): SortKey[] {
  return tab === 'completed' || tab === 'dead' || tab === 'cancelled' ? ['created', 'finished'] : ['created'];
}

/** How many marked jobs were last seen in another state than the tab shows. */
export function marksElsewhere(list: JobList): number {
  if (list.tab === 'all') return 0;
  return list.marks.filter((m) => list.markStates[m] !== undefined && list.markStates[m] !== list.tab).length;
}

export const createListsSlice: StateCreator<DashboardStore, [], [], ListsSlice> = (set, get) => {
  const update = (id: ListId, fn: (l: JobList) => JobList) => {
    const lists = get().lists;
    const next = fn(lists[id]);
    if (next !== lists[id]) set({ lists: { ...lists, [id]: next } });
  };
  /**
   * A new query: back to the newest page, and bump the version so late pages are dropped. The old
   * rows stay (`loaded: false`, drawn dimmed) until the new page arrives, so the table never
   * flashes empty.
   */
  const requery = (l: JobList, change: Partial<JobList>): JobList => ({
    ...l,
    ...change,
    anchor: {},
    next: null,
    prev: null,
    row: 0,
    offset: 0,
    loaded: false,
    version: l.version + 1,
  });
  return {
    // The DLQ shows the latest deaths first.
    lists: { jobs: emptyList('all'), dlq: emptyList('dead', 10, 'finished') },
    setPage(id, version, anchor, page, target) {
      update(id, (l) => {
        if (l.version !== version) return l;
        const next = withPage(l, anchor, page, target);
        // Moving to another page is a new query too: a refresh still holding the old page must not win.
        return next !== l && !sameAnchor(anchor, l.anchor) ? { ...next, version: l.version + 1 } : next;
      });
    },
    setRow(id, row) {
      update(id, (l) => {
        const r = clamp(row, l.jobs.length);
        return r === l.row ? l : { ...l, row: r };
      });
    },
    setTab(tab) {
      // Ordering by time of finishing applies to finished states only; another tab goes back to creation.
      update('jobs', (l) => (l.tab === tab ? l : requery(l, { tab, ...(l.sort === 'finished' && !sortable(tab).includes('finished') ? { sort: 'created' as const } : {}) })));
    },
    setSearch(id, search) {
      update(id, (l) => (l.search === search ? l : requery(l, { search })));
    },
    setQueueFilter(queue) {
      for (const id of ['jobs', 'dlq'] as const) update(id, (l) => (l.queue === queue ? l : requery(l, { queue })));
    },
    setSort(id, sort, reverse) {
      update(id, (l) => (l.sort === sort && l.reverse === reverse ? l : requery(l, { sort, reverse })));
    },
    setMatchCounts(id, search, counts) {
      update(id, (l) => {
        if (l.search !== search) return l;
        const old = l.matches;
        if (old?.search === search && old.counts.exact === counts.exact && JSON.stringify(old.counts.counts) === JSON.stringify(counts.counts)) return l;
        return { ...l, matches: { search, counts } };
      });
    },
    setPageSize(id, size) {
      const n = Math.max(1, Math.floor(size));
      update(id, (l) => (l.pageSize === n ? l : { ...l, pageSize: n }));
    },
    toggleMark(id, jobId, state) {
      update(id, (l) => {
        if (l.marks.includes(jobId)) {
          const { [jobId]: _, ...markStates } = l.markStates;
          return { ...l, marks: l.marks.filter((m) => m !== jobId), markStates };
        }
        return { ...l, marks: [...l.marks, jobId], markStates: state === undefined ? l.markStates : { ...l.markStates, [jobId]: state } };
      });
    },
    markMany(id, jobs) {
      update(id, (l) => {
        const have = new Set(l.marks);
        const added = jobs.filter((j) => !have.has(j.id));
        if (added.length === 0) return l;
        const markStates = { ...l.markStates };
        for (const j of added) markStates[j.id] = j.state;
        return { ...l, marks: [...l.marks, ...added.map((j) => j.id)], markStates };
      });
    },
    clearMarks(id) {
      update(id, (l) => (l.marks.length === 0 ? l : { ...l, marks: [], markStates: {} }));
    },
    unmark(id, jobIds) {
      update(id, (l) => {
        const marks = l.marks.filter((m) => !jobIds.includes(m));
        if (marks.length === l.marks.length) return l;
        const markStates = Object.fromEntries(Object.entries(l.markStates).filter(([k]) => marks.includes(k)));
        return { ...l, marks, markStates };
      });
    },
  };
};

/**
 * Where the page sits in the table: the first row's place (0-based), or null when unknown (the
 * oldest page of a table whose size is unknown). Exact for the first and last pages.
 */
export function listStart(list: JobList, total: number | null): number | null {
  if (list.anchor.cursor === undefined && list.anchor.from === undefined) return 0;
  if (list.anchor.from === 'last') return total === null ? null : Math.max(0, total - list.jobs.length);
  return list.offset;
}
