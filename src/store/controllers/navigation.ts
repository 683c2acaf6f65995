import type { Job, QueueInfo } from '../../engine/types.js';
import { baseQuery, fetchPage } from '../pages.js';
import type { Scope } from './scope.js';
import { listStart, sortable } from '../slices/lists.js';
import type { DashboardStore } from '../store.js';
import { JOB_TABS, type JobList, type JobTab, type ListId, MAIN_VIEWS, type MainView, type PageAnchor, type StatusLine } from '../types.js';

/**
 * How many jobs a table holds, from the counts the header already has (per state, or per queue
 * when a queue filter is on); null when a text filter is on (counting it would be a scan).
 */
export function listTotal(s: Pick<DashboardStore, 'header' | 'queues'>, id: ListId, list: JobList): number | null {
  if (list.search !== '') return null;
  let counts = s.header.counts;
  if (list.queue !== null) counts = s.queues?.find((q: QueueInfo) => q.name === list.queue)?.counts ?? null;
  if (counts === null) return null;
  const state = id === 'dlq' ? 'dead' : list.tab;
  return state === 'all' ? Object.values(counts).reduce((a, b) => a + b, 0) : counts[state];
}

/** The most jobs `*` marks at once. */
export const MARK_ALL_LIMIT = 5000;


/**
 * Moving around the dashboard: views, the queue filter and order, state tabs, pages, the cursor,
 * marks, details and help. Pages are fetched by keyset cursor, one screenful at a time.
 */
export class Navigation {
  constructor(private readonly x: Scope) {}

  refresh(): Promise<void> {
    return this.x.refresh();
  }

  /** Every way out (q, `:q`, Ctrl-C) comes here: the screen's runner ends the drawing. */
  quit(): void {
    this.x.s.requestQuit();
  }

  /** The selected job in the current table (or the open job), if any. */
  selectedJob(): Job | null {
    return this.x.selectedJob();
  }

  // --- views -------------------------------------------------------------------------------

  setView(view: MainView): Promise<void> {
    const s = this.x.s;
    s.closeDetail();
    s.setHelp(false);
    s.setSchedulesOpen(false);
    s.setView(view);
    if (view === 'queues') return this.x.poller.loadQueues().then(() => this.x.refresh());
    return this.x.refresh();
  }

  /**
   * `:queue NAME`: both tables show only that queue's jobs (the title says so); `:queue` alone, or
   * Esc once marks and the text filter are gone, shows every queue again.
   */
  async setQueueFilter(name: string | null): Promise<void> {
    if (name !== null && this.x.s.queues !== null && !this.x.s.queues.some((q) => q.name === name)) {
      this.x.status({ text: `no queue named "${name}" (yet): the tables will show its jobs when it has some`, tone: 'info' });
    }
    this.x.s.setQueueFilter(name);
    const id = this.x.listId() ?? 'jobs';
    if (name !== null) {
      const l = this.x.s.lists[id];
      const state = id === 'dlq' ? 'dead' : l.tab === 'all' ? null : l.tab;
      this.x.status({ text: `queue: ${name}`, tone: 'info', command: this.x.cli.list(state, l.search, name) });
      void this.x.poller.loadQueues().catch(() => undefined);
    } else {
      this.x.status({ text: 'every queue', tone: 'info' });
    }
    if (this.x.s.view !== 'jobs' && this.x.s.view !== 'dlq') this.x.s.setView('jobs');
    await Promise.all([this.x.reload('jobs'), this.x.reload('dlq')]);
  }

  /** Enter in the queues view: the jobs of the selected queue. */
  openQueue(): Promise<void> {
    const q = this.x.s.queues?.[this.x.s.queuesRow];
    return q ? this.setQueueFilter(q.name) : Promise.resolve();
  }

  /** `o`: the next order the table can be paged in cheaply; `O`: the other way round. */
  cycleSort(reverse: boolean): Promise<void> {
    const id = this.x.listId();
    if (id === null) return Promise.resolve();
    const l = this.x.s.lists[id];
    const keys = sortable(id === 'dlq' ? 'dead' : l.tab);
    const sort = reverse ? l.sort : keys[(keys.indexOf(l.sort) + 1) % keys.length];
    const rev = reverse ? !l.reverse : l.reverse;
    this.x.s.setSort(id, sort, rev);
    const only = keys.length === 1 && !reverse ? ` (the only order here; by finish time on the done, dead and cancelled tabs)` : '';
    this.x.status({ text: `sorted by ${sortLabel(sort, rev)}${only}`, tone: 'info' });
    return this.x.reload(id);
  }

  cycleView(delta: 1 | -1): Promise<void> {
    const i = MAIN_VIEWS.indexOf(this.x.s.view);
    return this.setView(MAIN_VIEWS[(i + delta + MAIN_VIEWS.length) % MAIN_VIEWS.length]);
  }

  setTab(tab: JobTab): Promise<void> {
    this.x.s.setTab(tab);
    return this.x.reload('jobs');
  }

  cycleTab(delta: 1 | -1): Promise<void> {
    const i = JOB_TABS.indexOf(this.x.s.lists.jobs.tab);
    return this.setTab(JOB_TABS[(i + delta + JOB_TABS.length) % JOB_TABS.length]);
  }

  setPageSize(id: ListId, size: number): Promise<void> {
    const before = this.x.s.lists[id].pageSize;
    this.x.s.setPageSize(id, size);
    return this.x.s.lists[id].pageSize === before ? Promise.resolve() : this.x.reload(id);
  }

  // --- moving through a table --------------------------------------------------------------

  /** ↑/↓: within the page, or onto the neighbouring page at either edge. */
  move(delta: 1 | -1): Promise<void> {
    if (this.x.s.view === 'workers') {
      this.x.s.setWorkersRow(this.x.s.workersRow + delta);
      return Promise.resolve();
    }
    if (this.x.s.view === 'queues') {
      this.x.s.setQueuesRow(this.x.s.queuesRow + delta);
      return Promise.resolve();
    }
    const id = this.x.s.view;
    return this.x.serial(async () => {
      const l = this.x.s.lists[id];
      const row = l.row + delta;
      if (row >= 0 && row < l.jobs.length) {
        this.x.s.setRow(id, row);
      } else if (row >= l.jobs.length && l.next !== null) {
        await this.go(id, { cursor: l.next, direction: 'after' }, (raw) => ({ jobId: raw[0]?.id, row: 0 }));
      } else if (row < 0 && l.prev !== null) {
        await this.go(id, { cursor: l.prev, direction: 'before' }, (raw) => ({ jobId: raw[raw.length - 1]?.id, row: l.pageSize - 1 }));
      }
    });
  }

  /** PgUp/PgDn: the neighbouring page, keeping the cursor's row; at an end, the end row. */
  page(delta: 1 | -1): Promise<void> {
    if (this.x.s.view === 'workers') {
      this.x.s.setWorkersRow(delta > 0 ? this.x.s.workers.length - 1 : 0);
      return Promise.resolve();
    }
    if (this.x.s.view === 'queues') {
      this.x.s.setQueuesRow(delta > 0 ? Number.MAX_SAFE_INTEGER : 0);
      return Promise.resolve();
    }
    const id = this.x.s.view;
    return this.x.serial(async () => {
      const l = this.x.s.lists[id];
      const cursor = delta > 0 ? l.next : l.prev;
      if (cursor === null) {
        this.x.s.setRow(id, delta > 0 ? l.jobs.length - 1 : 0);
        return;
      }
      await this.go(id, { cursor, direction: delta > 0 ? 'after' : 'before' }, () => ({ row: l.row }));
    });
  }

  /** g / G: the newest or the oldest page of the whole history. */
  edge(which: 'first' | 'last'): Promise<void> {
    if (this.x.s.view === 'workers') {
      this.x.s.setWorkersRow(which === 'first' ? 0 : this.x.s.workers.length - 1);
      return Promise.resolve();
    }
    if (this.x.s.view === 'queues') {
      this.x.s.setQueuesRow(which === 'first' ? 0 : Number.MAX_SAFE_INTEGER);
      return Promise.resolve();
    }
    const id = this.x.s.view;
    return this.x.serial(() =>
      this.go(id, which === 'first' ? {} : { from: 'last' }, (raw) => ({ row: which === 'first' ? 0 : raw.length - 1 })),
    );
  }

  private async go(id: ListId, anchor: PageAnchor, target: (raw: readonly Job[]) => { jobId?: string; row?: number }): Promise<void> {
    const list = this.x.s.lists[id];
    const r = await fetchPage(this.x.queue, id, list, anchor);
    const t = target(r.raw.jobs);
    // The new page's place, counted from the page it was reached from.
    const start = listStart(list, listTotal(this.x.s, id, list));
    if (r.anchor.cursor !== undefined && start !== null) {
      const offset = r.anchor.direction === 'before' ? Math.max(0, start - r.page.jobs.length) : start + list.jobs.length;
      r.page = { ...r.page, offset };
    }
    // A page that settled on an end is a different set of rows: find the target by id, else by row.
    this.x.s.setPage(id, list.version, r.anchor, r.page, {
      ...(t.jobId !== undefined ? { jobId: t.jobId } : {}),
      ...(t.row !== undefined ? { row: t.row } : {}),
    });
    this.x.poller.advanceClock();
  }

  toggleMark(): void {
    const id = this.x.listId();
    if (id === null) return;
    const l = this.x.s.lists[id];
    const job = l.jobs[l.row];
    if (!job) return;
    // The cursor stays: Space marks the row it is on, and j moves on.
    this.x.s.toggleMark(id, job.id, job.state);
  }

  /**
   * `*`: marks every job the table's tab and filter match, up to MARK_ALL_LIMIT, read page by page
   * through the engine, and says how many, and which key clears them (`clearKey`, as the screen
   * names it).
   */
  async markAll(clearKey: string): Promise<void> {
    const id = this.x.listId();
    if (id === null) return;
    const list = this.x.s.lists[id];
    const q = baseQuery(id, list);
    const found: Array<{ id: string; state: Job['state'] }> = [];
    let cursor: string | undefined;
    let more = true;
    while (more && found.length < MARK_ALL_LIMIT) {
      const page = await this.x.queue.list({ ...q, limit: Math.min(1000, MARK_ALL_LIMIT - found.length), ...(cursor ? { cursor, direction: 'after' as const } : {}) });
      for (const j of page.jobs) found.push({ id: j.id, state: j.state });
      cursor = page.next_cursor ?? undefined;
      more = cursor !== undefined && page.jobs.length > 0;
    }
    this.x.s.markMany(id, found);
    const scope = [id === 'dlq' ? 'in the DLQ' : list.tab === 'all' ? '' : `in the ${list.tab} tab`, list.search ? `matching "${list.search}"` : ''];
    const where = scope.filter(Boolean).map((w) => ` ${w}`).join('');
    const n = this.x.s.lists[id].marks.length;
    const capped = more ? ` (the first ${MARK_ALL_LIMIT.toLocaleString('en-US')}; there are more)` : '';
    this.x.status({ text: `marked ${found.length.toLocaleString('en-US')} jobs${where}${capped}; ${n.toLocaleString('en-US')} marked in all · ${clearKey} clears`, tone: 'info' });
  }

  // --- details, help, prompts -------------------------------------------------------------

  openDetail(): Promise<void> {
    const job = this.x.selectedJob();
    if (!job) return Promise.resolve();
    this.x.s.openDetail(job.id);
    return this.x.refresh();
  }

  /** Enter in the workers view: the details of the job the selected worker runs; Esc comes back here. */
  openWorkerJob(): Promise<void> {
    const w = this.x.s.workers[this.x.s.workersRow];
    if (!w) return Promise.resolve();
    if (!w.current_job_id) {
      this.x.status({ text: `worker ${w.id} runs no job`, tone: 'info' });
      return Promise.resolve();
    }
    this.x.s.openDetail(w.current_job_id);
    return this.x.refresh();
  }

  closeDetail(): Promise<void> {
    this.x.s.closeDetail();
    return this.x.refresh();
  }

  /**
   * Scrolls the output `delta` rows up (negative: down), within `[0, max]` where `max` is how far
   * it can scroll on this screen: from any position, each key moves it at once.
   */
  scrollDetail(delta: number, max: number): void {
    const d = this.x.s.detail;
    if (!d) return;
    const from = Math.min(d.scroll, max);
    this.x.s.scrollDetail(Math.max(0, Math.min(max, from + delta)));
  }

  /** `w`: long output lines wrap, or are cut (and scroll sideways). */
  toggleWrap(): void {
    const d = this.x.s.detail;
    if (d) this.x.s.setDetailView({ wrap: !d.wrap, x: 0 });
  }

  /** ←/→ when lines are cut: the first column shown, within the longest line. */
  scrollSideways(delta: number, widest: number, width: number): void {
    const d = this.x.s.detail;
    if (!d || d.wrap) return;
    this.x.s.setDetailView({ x: Math.max(0, Math.min(Math.max(0, widest - width), d.x + delta)) });
  }

  followDetail(): void {
    this.x.s.scrollDetail(0);
  }

  toggleHelp(): void {
    this.x.s.setHelp(!this.x.s.help);
  }

  /** j/k in the help screen, which has `max` as its last first line. */
  scrollHelp(delta: number, max: number): void {
    this.x.s.setHelpTop(Math.max(0, Math.min(max, this.x.s.helpTop + delta)));
  }

  /** Esc in a table: the marks go first (saying how many), then the filter, then the queue filter. */
  back(): Promise<void> {
    const id = this.x.listId();
    if (id === null) return Promise.resolve();
    const n = this.x.s.lists[id].marks.length;
    if (n === 0 && this.x.s.lists[id].search === '' && this.x.s.lists[id].queue !== null) return this.setQueueFilter(null);
    if (n === 0) return this.clearFilter();
    this.x.s.clearMarks(id);
    this.x.status({ text: `cleared ${n} mark${n === 1 ? '' : 's'}`, tone: 'info' });
    return Promise.resolve();
  }

  clearFilter(): Promise<void> {
    const id = this.x.listId();
    if (id === null || this.x.s.lists[id].search === '') return Promise.resolve();
    return this.setSearch('');
  }

  /** The text filter of the current table, applied now (the prompt applies it as it is typed). */
  setSearch(text: string): Promise<void> {
    const id = this.x.listId();
    if (id === null) return Promise.resolve();
    this.x.s.setSearch(id, text);
    return this.x.reload(id);
  }
}

/** How an order reads in the status line and the table's title. */
export function sortLabel(sort: 'created' | 'finished', reverse: boolean): string {
  if (sort === 'finished') return reverse ? 'finished, earliest first' : 'finished, latest first';
  return reverse ? 'created, oldest first' : 'created, newest first';
}
