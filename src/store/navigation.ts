import { oneLine } from '../engine/errors.js';
import type { Queue } from '../engine/queue.js';
import type { Job, QueueInfo } from '../engine/types.js';
import { CliEquivalent } from './cli-equivalent.js';
import { ScheduleActions } from './schedule-actions.js';
import { baseQuery, fetchPage } from './pages.js';
import { PROMPT_COMMANDS, PROMPT_COMMAND_LIST, complete } from './commands.js';
import type { Poller } from './poller.js';
import { listStart, sortable } from './slices/lists.js';
import type { DashboardStore, DashboardStoreApi } from './store.js';
import { JOB_TABS, type JobList, type JobTab, type ListId, MAIN_VIEWS, type MainView, type PageAnchor, type StatusLine } from './types.js';

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

/** The pause in typing after which a filter is applied. */
const FILTER_PAUSE_MS = 120;

/**
 * Moving around the dashboard: views, state tabs, pages, the cursor, marks, details, help, the
 * filter and command prompts. Pages are fetched by keyset cursor, one screenful at a time.
 */
export class Navigation {
  protected readonly cli: CliEquivalent;
  /** The schedules screen's actions (opened from here by `:schedules`). */
  readonly schedules: ScheduleActions;
  /** Navigation is serialised: each move starts from where the previous one landed. */
  private nav: Promise<void> = Promise.resolve();
  private filterTimer: NodeJS.Timeout | undefined;
  private filterWaiters: Array<() => void> = [];

  constructor(
    protected readonly queue: Queue,
    protected readonly store: DashboardStoreApi,
    protected readonly poller: Poller,
    options: { db?: string } = {},
  ) {
    this.cli = new CliEquivalent(options.db);
    this.schedules = new ScheduleActions(queue, store, poller, this.cli);
  }

  protected get s() {
    return this.store.getState();
  }

  protected status(status: StatusLine): void {
    this.s.setStatus(status);
  }

  protected fail(e: unknown, command?: string): void {
    this.status({ text: oneLine(e), tone: 'error', ...(command ? { command } : {}) });
  }

  /** The table the current screen acts on, if it shows jobs. */
  protected listId(): ListId | null {
    const v = this.s.view;
    return v === 'jobs' || v === 'dlq' ? v : null;
  }

  refresh(): Promise<void> {
    return this.poller.refresh();
  }

  quit(): void {
    this.s.requestQuit();
  }

  // --- views -------------------------------------------------------------------------------

  setView(view: MainView): Promise<void> {
    const s = this.s;
    s.closeDetail();
    s.setHelp(false);
    s.setView(view);
    if (view === 'queues') return this.poller.loadQueues().then(() => this.refresh());
    return this.refresh();
  }

  /**
   * `:queue NAME`: both tables show only that queue's jobs (the title says so); `:queue` alone, or
   * Esc once marks and the text filter are gone, shows every queue again.
   */
  async setQueueFilter(name: string | null): Promise<void> {
    if (name !== null && this.s.queues !== null && !this.s.queues.some((q) => q.name === name)) {
      this.status({ text: `no queue named "${name}" (yet): the tables will show its jobs when it has some`, tone: 'info' });
    }
    this.s.setQueueFilter(name);
    const id = this.listId() ?? 'jobs';
    if (name !== null) {
      const l = this.s.lists[id];
      const state = id === 'dlq' ? 'dead' : l.tab === 'all' ? null : l.tab;
      this.status({ text: `queue: ${name}`, tone: 'info', command: this.cli.list(state, l.search, name) });
      void this.poller.loadQueues().catch(() => undefined);
    } else {
      this.status({ text: 'every queue', tone: 'info' });
    }
    if (this.s.view !== 'jobs' && this.s.view !== 'dlq') this.s.setView('jobs');
    await Promise.all([this.reload('jobs'), this.reload('dlq')]);
  }

  /** `o`: the next order the table can be paged in cheaply; `O`: the other way round. */
  cycleSort(reverse: boolean): Promise<void> {
    const id = this.listId();
    if (id === null) return Promise.resolve();
    const l = this.s.lists[id];
    const keys = sortable(id === 'dlq' ? 'dead' : l.tab);
    const sort = reverse ? l.sort : keys[(keys.indexOf(l.sort) + 1) % keys.length];
    const rev = reverse ? !l.reverse : l.reverse;
    this.s.setSort(id, sort, rev);
    const only = keys.length === 1 && !reverse ? ` (the only order here; by finish time on the done, dead and cancelled tabs)` : '';
    this.status({ text: `sorted by ${sortLabel(sort, rev)}${only}`, tone: 'info' });
    return this.reload(id);
  }

  cycleView(delta: 1 | -1): Promise<void> {
    const i = MAIN_VIEWS.indexOf(this.s.view);
    return this.setView(MAIN_VIEWS[(i + delta + MAIN_VIEWS.length) % MAIN_VIEWS.length]);
  }

  setTab(tab: JobTab): Promise<void> {
    this.s.setTab(tab);
    return this.reload('jobs');
  }

  cycleTab(delta: 1 | -1): Promise<void> {
    const i = JOB_TABS.indexOf(this.s.lists.jobs.tab);
    return this.setTab(JOB_TABS[(i + delta + JOB_TABS.length) % JOB_TABS.length]);
  }

  setPageSize(id: ListId, size: number): Promise<void> {
    const before = this.s.lists[id].pageSize;
    this.s.setPageSize(id, size);
    return this.s.lists[id].pageSize === before ? Promise.resolve() : this.reload(id);
  }

  /** Re-reads a table after its query changed. */
  protected reload(id: ListId): Promise<void> {
    return this.serial(async () => {
      await this.poller.loadList(id);
      this.poller.advanceClock();
    });
  }

  protected serial(step: () => Promise<void>): Promise<void> {
    this.nav = this.nav.then(step).catch((e) => this.fail(e));
    return this.nav;
  }

  // --- moving through a table --------------------------------------------------------------

  /** ↑/↓: within the page, or onto the neighbouring page at either edge. */
  move(delta: 1 | -1): Promise<void> {
    if (this.s.view === 'workers') {
      this.s.setWorkersRow(this.s.workersRow + delta);
      return Promise.resolve();
    }
    if (this.s.view === 'queues') {
      this.s.setQueuesRow(this.s.queuesRow + delta);
      return Promise.resolve();
    }
    const id = this.s.view;
    return this.serial(async () => {
      const l = this.s.lists[id];
      const row = l.row + delta;
      if (row >= 0 && row < l.jobs.length) {
        this.s.setRow(id, row);
      } else if (row >= l.jobs.length && l.next !== null) {
        await this.go(id, { cursor: l.next, direction: 'after' }, (raw) => ({ jobId: raw[0]?.id, row: 0 }));
      } else if (row < 0 && l.prev !== null) {
        await this.go(id, { cursor: l.prev, direction: 'before' }, (raw) => ({ jobId: raw[raw.length - 1]?.id, row: l.pageSize - 1 }));
      }
    });
  }

  /** PgUp/PgDn: the neighbouring page, keeping the cursor's row; at an end, the end row. */
  page(delta: 1 | -1): Promise<void> {
    if (this.s.view === 'workers') {
      this.s.setWorkersRow(delta > 0 ? this.s.workers.length - 1 : 0);
      return Promise.resolve();
    }
    if (this.s.view === 'queues') {
      this.s.setQueuesRow(delta > 0 ? Number.MAX_SAFE_INTEGER : 0);
      return Promise.resolve();
    }
    const id = this.s.view;
    return this.serial(async () => {
      const l = this.s.lists[id];
      const cursor = delta > 0 ? l.next : l.prev;
      if (cursor === null) {
        this.s.setRow(id, delta > 0 ? l.jobs.length - 1 : 0);
        return;
      }
      await this.go(id, { cursor, direction: delta > 0 ? 'after' : 'before' }, () => ({ row: l.row }));
    });
  }

  /** g / G: the newest or the oldest page of the whole history. */
  edge(which: 'first' | 'last'): Promise<void> {
    if (this.s.view === 'workers') {
      this.s.setWorkersRow(which === 'first' ? 0 : this.s.workers.length - 1);
      return Promise.resolve();
    }
    if (this.s.view === 'queues') {
      this.s.setQueuesRow(which === 'first' ? 0 : Number.MAX_SAFE_INTEGER);
      return Promise.resolve();
    }
    const id = this.s.view;
    return this.serial(() =>
      this.go(id, which === 'first' ? {} : { from: 'last' }, (raw) => ({ row: which === 'first' ? 0 : raw.length - 1 })),
    );
  }

  private async go(id: ListId, anchor: PageAnchor, target: (raw: readonly Job[]) => { jobId?: string; row?: number }): Promise<void> {
    const list = this.s.lists[id];
    const r = await fetchPage(this.queue, id, list, anchor);
    const t = target(r.raw.jobs);
    // The new page's place, counted from the page it was reached from.
    const start = listStart(list, listTotal(this.s, id, list));
    if (r.anchor.cursor !== undefined && start !== null) {
      const offset = r.anchor.direction === 'before' ? Math.max(0, start - r.page.jobs.length) : start + list.jobs.length;
      r.page = { ...r.page, offset };
    }
    // A page that settled on an end is a different set of rows: find the target by id, else by row.
    this.s.setPage(id, list.version, r.anchor, r.page, {
      ...(t.jobId !== undefined ? { jobId: t.jobId } : {}),
      ...(t.row !== undefined ? { row: t.row } : {}),
    });
    this.poller.advanceClock();
  }

  toggleMark(): void {
    const id = this.listId();
    if (id === null) return;
    const l = this.s.lists[id];
    const job = l.jobs[l.row];
    if (!job) return;
    // The cursor stays: Space marks the row it is on, and j moves on.
    this.s.toggleMark(id, job.id, job.state);
  }

  /**
   * `*`: marks every job the table's tab and filter match, up to MARK_ALL_LIMIT, read page by page
   * through the engine, and says how many.
   */
  async markAll(): Promise<void> {
    const id = this.listId();
    if (id === null) return;
    const list = this.s.lists[id];
    const q = baseQuery(id, list);
    const found: Array<{ id: string; state: Job['state'] }> = [];
    let cursor: string | undefined;
    let more = true;
    while (more && found.length < MARK_ALL_LIMIT) {
      const page = await this.queue.list({ ...q, limit: Math.min(1000, MARK_ALL_LIMIT - found.length), ...(cursor ? { cursor, direction: 'after' as const } : {}) });
      for (const j of page.jobs) found.push({ id: j.id, state: j.state });
      cursor = page.next_cursor ?? undefined;
      more = cursor !== undefined && page.jobs.length > 0;
    }
    this.s.markMany(id, found);
    const scope = [id === 'dlq' ? 'in the DLQ' : list.tab === 'all' ? '' : `in the ${list.tab} tab`, list.search ? `matching "${list.search}"` : ''];
    const where = scope.filter(Boolean).map((w) => ` ${w}`).join('');
    const n = this.s.lists[id].marks.length;
    const capped = more ? ` (the first ${MARK_ALL_LIMIT.toLocaleString('en-US')}; there are more)` : '';
    this.status({ text: `marked ${found.length.toLocaleString('en-US')} jobs${where}${capped}; ${n.toLocaleString('en-US')} marked in all · Esc clears`, tone: 'info' });
  }

  /** The selected job in the current table (or the open job), if any. */
  selectedJob(): Job | null {
    const s = this.s;
    if (s.detail) {
      // Until the details have loaded, the row they were opened from stands for the job.
      if (s.detail.job) return s.detail.job;
      const open = s.detail.id;
      return [...s.lists.jobs.jobs, ...s.lists.dlq.jobs].find((j) => j.id === open) ?? null;
    }
    const id = this.listId();
    if (id === null) return null;
    const l = s.lists[id];
    // Rows of the previous query, still shown while the new page loads, are not selectable.
    return l.loaded ? (l.jobs[l.row] ?? null) : null;
  }

  // --- details, help, prompts -------------------------------------------------------------

  openDetail(): Promise<void> {
    const job = this.selectedJob();
    if (!job) return Promise.resolve();
    this.s.openDetail(job.id);
    return this.refresh();
  }

  /** Enter in the workers view: the details of the job the selected worker runs; Esc comes back here. */
  openWorkerJob(): Promise<void> {
    const w = this.s.workers[this.s.workersRow];
    if (!w) return Promise.resolve();
    if (!w.current_job_id) {
      this.status({ text: `worker ${w.id} runs no job`, tone: 'info' });
      return Promise.resolve();
    }
    this.s.openDetail(w.current_job_id);
    return this.refresh();
  }

  closeDetail(): Promise<void> {
    this.s.closeDetail();
    return this.refresh();
  }

  /**
   * Scrolls the output `delta` rows up (negative: down), within `[0, max]` where `max` is how far
   * it can scroll on this screen: from any position, each key moves it at once.
   */
  scrollDetail(delta: number, max: number): void {
    const d = this.s.detail;
    if (!d) return;
    const from = Math.min(d.scroll, max);
    this.s.scrollDetail(Math.max(0, Math.min(max, from + delta)));
  }

  /** `w`: long output lines wrap, or are cut (and scroll sideways). */
  toggleWrap(): void {
    const d = this.s.detail;
    if (d) this.s.setDetailView({ wrap: !d.wrap, x: 0 });
  }

  /** ←/→ when lines are cut: the first column shown, within the longest line. */
  scrollSideways(delta: number, widest: number, width: number): void {
    const d = this.s.detail;
    if (!d || d.wrap) return;
    this.s.setDetailView({ x: Math.max(0, Math.min(Math.max(0, widest - width), d.x + delta)) });
  }

  followDetail(): void {
    this.s.scrollDetail(0);
  }

  toggleHelp(): void {
    this.s.setHelp(!this.s.help);
  }

  /** j/k in the help screen, which has `max` as its last first line. */
  scrollHelp(delta: number, max: number): void {
    this.s.setHelpTop(Math.max(0, Math.min(max, this.s.helpTop + delta)));
  }

  startPrompt(kind: 'filter' | 'command'): void {
    const id = this.listId();
    this.s.setPrompt({ kind, text: kind === 'filter' && id !== null ? this.s.lists[id].search : '' });
    // Queue names for Tab completion of `:queue NAME`.
    if (kind === 'command' && this.s.queues === null) void this.poller.loadQueues().catch(() => undefined);
  }

  /**
   * Typing in the prompt; a filter applies as it is typed, once typing pauses for a moment (on a
   * large history each filtered page is a scan). Resolves when the filtered page is shown.
   */
  editPrompt(text: string, cursor?: number): Promise<void> {
    const p = this.s.prompt;
    if (!p) return Promise.resolve();
    if (p.text === text && p.cursor === cursor) return Promise.resolve();
    this.s.setPrompt({ ...p, text, ...(cursor !== undefined ? { cursor } : {}) });
    // Moving the cursor changes no filter.
    if (p.kind !== 'filter' || p.text === text) return Promise.resolve();
    if (this.filterTimer) clearTimeout(this.filterTimer);
    return new Promise((resolve) => {
      this.filterWaiters.push(resolve);
      this.filterTimer = setTimeout(() => {
        this.filterTimer = undefined;
        const waiters = this.filterWaiters;
        this.filterWaiters = [];
        void this.applyFilter(text).finally(() => waiters.forEach((w) => w()));
      }, FILTER_PAUSE_MS);
    });
  }

  private applyFilter(text: string): Promise<void> {
    const id = this.listId();
    if (id === null) return Promise.resolve();
    this.s.setSearch(id, text);
    return this.reload(id);
  }

  private dropPendingFilter(): void {
    if (this.filterTimer) clearTimeout(this.filterTimer);
    this.filterTimer = undefined;
    const waiters = this.filterWaiters;
    this.filterWaiters = [];
    waiters.forEach((w) => w());
  }

  cancelPrompt(): Promise<void> {
    this.dropPendingFilter();
    const p = this.s.prompt;
    this.s.setPrompt(null);
    return p?.kind === 'filter' ? this.clearFilter() : Promise.resolve();
  }

  async submitPrompt(): Promise<void> {
    this.dropPendingFilter();
    const p = this.s.prompt;
    if (!p) return;
    this.s.setPrompt(null);
    if (p.kind === 'filter') {
      const id = this.listId();
      if (id !== null && p.text !== '') {
        const state = id === 'dlq' ? 'dead' : this.s.lists.jobs.tab === 'all' ? null : this.s.lists.jobs.tab;
        this.status({ text: `filter: ${p.text}`, tone: 'info', command: this.cli.list(state, p.text) });
      }
      return this.applyFilter(p.text.trim());
    }
    return this.runCommand(p.text);
  }

  /** Esc in a table: the marks go first (saying how many), then the filter, then the queue filter. */
  back(): Promise<void> {
    const id = this.listId();
    if (id === null) return Promise.resolve();
    const n = this.s.lists[id].marks.length;
    if (n === 0 && this.s.lists[id].search === '' && this.s.lists[id].queue !== null) return this.setQueueFilter(null);
    if (n === 0) return this.clearFilter();
    this.s.clearMarks(id);
    this.status({ text: `cleared ${n} mark${n === 1 ? '' : 's'}`, tone: 'info' });
    return Promise.resolve();
  }

  clearFilter(): Promise<void> {
    const id = this.listId();
    if (id === null || this.s.lists[id].search === '') return Promise.resolve();
    return this.applyFilter('');
  }

  /** Tab in the `:` prompt: completes a command name as far as it is unambiguous. */
  completePrompt(): void {
    const p = this.s.prompt;
    if (!p || p.kind !== 'command') return;
    const arg = /^\s*:?queue\s+(\S*)$/i.exec(p.text);
    if (arg) {
      // `:queue NAME`: the queue's name, from the queues as last read.
      const names = (this.s.queues ?? []).map((q) => q.name);
      const done = complete(arg[1], names, false);
      if (done.text !== arg[1]) {
        const text = `queue ${done.text}`;
        this.s.setPrompt({ ...p, text, cursor: [...text].length });
      } else if (done.matches.length > 1) {
        this.status({ text: `queues: ${done.matches.join(' ')}`, tone: 'info' });
      }
      return;
    }
    const done = complete(p.text, PROMPT_COMMANDS.map((c) => c.name));
    if (done.text !== p.text) this.s.setPrompt({ ...p, text: done.text, cursor: [...done.text].length });
  }

  /** `:` commands. */
  runCommand(text: string): Promise<void> {
    const [word = '', ...rest] = text.trim().replace(/^:/, '').split(/\s+/);
    const typed = word.toLowerCase();
    const cmd = PROMPT_COMMANDS.find((c) => c.name === typed || c.aliases?.includes(typed))?.name ?? typed;
    if (cmd === 'queue') return this.setQueueFilter(rest[0] ?? null);
    switch (cmd) {
      case 'quit':
        this.quit();
        return Promise.resolve();
      case 'jobs':
      case 'workers':
      case 'dlq':
      case 'queues':
        this.s.setSchedulesOpen(false);
        return this.setView(cmd);
      case 'schedules':
        return this.schedules.open();
      case 'help':
        this.s.setHelp(true);
        return Promise.resolve();
      case '':
        return Promise.resolve();
      default:
        this.status({ text: `unknown command :${cmd} (try ${PROMPT_COMMAND_LIST}; Tab completes)`, tone: 'error' });
        return Promise.resolve();
    }
  }
}

/** How an order reads in the status line and the table's title. */
export function sortLabel(sort: 'created' | 'finished', reverse: boolean): string {
  if (sort === 'finished') return reverse ? 'finished, earliest first' : 'finished, latest first';
  return reverse ? 'created, oldest first' : 'created, newest first';
}
