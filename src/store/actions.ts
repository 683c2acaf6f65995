import { oneLine } from '../engine/errors.js';
import type { Queue } from '../engine/queue.js';
import type { Job } from '../engine/types.js';
import { CliEquivalent } from './cli-equivalent.js';
import { type EnqueueFormValues, formToInput } from './enqueue-form.js';
import { fetchPage } from './pages.js';
import type { Poller } from './poller.js';
import type { DashboardStoreApi } from './store.js';
import { JOB_TABS, type JobTab, type ListId, MAIN_VIEWS, type MainView, type PageAnchor, type StatusLine } from './types.js';

/** Starting and stopping worker processes: the supervisor, as the dashboard uses it. */
export interface WorkerControl {
  /** Starts `count` detached workers; resolves with their ids and pids once they are launched. */
  start(count: number): Promise<Array<{ id: string; pid: number }>>;
  /** Asks workers (all when `ids` is omitted) to stop gracefully and waits for them. */
  stop(ids: readonly string[] | undefined, onProgress: (left: number) => void): Promise<{ stopped: string[]; stillRunning: string[] }>;
}

/** The pause in typing after which a filter is applied. */
const FILTER_PAUSE_MS = 120;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Everything the keys can make happen. Each operator action goes through the engine's Queue (or
 * the worker supervisor) exactly as the matching CLI command does, and reports on the status line
 * what was done together with that command.
 */
export class DashboardActions {
  private readonly cli: CliEquivalent;
  /** Navigation is serialised: each move starts from where the previous one landed. */
  private nav: Promise<void> = Promise.resolve();
  private filterTimer: NodeJS.Timeout | undefined;
  private filterWaiters: Array<() => void> = [];

  constructor(
    private readonly queue: Queue,
    private readonly store: DashboardStoreApi,
    private readonly poller: Poller,
    private readonly workers: WorkerControl | null,
    options: { db?: string } = {},
  ) {
    this.cli = new CliEquivalent(options.db);
  }

  private get s() {
    return this.store.getState();
  }

  private status(status: StatusLine): void {
    this.s.setStatus(status);
  }

  private fail(e: unknown, command?: string): void {
    this.status({ text: oneLine(e), tone: 'error', ...(command ? { command } : {}) });
  }

  /** The table the current screen acts on, if it shows jobs. */
  private listId(): ListId | null {
    const v = this.s.view;
    return v === 'workers' ? null : v;
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
    return this.refresh();
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
  private reload(id: ListId): Promise<void> {
    return this.serial(async () => {
      await this.poller.loadList(id);
      this.poller.advanceClock();
    });
  }

  private serial(step: () => Promise<void>): Promise<void> {
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
    const id = this.s.view;
    return this.serial(() =>
      this.go(id, which === 'first' ? {} : { from: 'last' }, (raw) => ({ row: which === 'first' ? 0 : raw.length - 1 })),
    );
  }

  private async go(id: ListId, anchor: PageAnchor, target: (raw: readonly Job[]) => { jobId?: string; row?: number }): Promise<void> {
    const list = this.s.lists[id];
    const r = await fetchPage(this.queue, id, list, anchor);
    const t = target(r.raw.jobs);
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
    this.s.toggleMark(id, job.id);
    const after = this.s.lists[id];
    if (after.row < after.jobs.length - 1) this.s.setRow(id, after.row + 1);
  }

  /** The selected job in the current table (or the open job), if any. */
  selectedJob(): Job | null {
    const s = this.s;
    if (s.detail) return s.detail.job;
    const id = this.listId();
    if (id === null) return null;
    const l = s.lists[id];
    return l.jobs[l.row] ?? null;
  }

  /** The jobs an action applies to: the marked ones, else the selected one. */
  private targets(): { ids: string[]; states: Map<string, Job['state']> } {
    const s = this.s;
    const id = this.listId();
    const states = new Map<string, Job['state']>();
    if (!s.detail && id !== null && s.lists[id].marks.length > 0) {
      for (const j of s.lists[id].jobs) states.set(j.id, j.state);
      return { ids: [...s.lists[id].marks], states };
    }
    const job = this.selectedJob();
    if (!job) return { ids: [], states };
    states.set(job.id, job.state);
    return { ids: [job.id], states };
  }

  // --- details, help, prompts -------------------------------------------------------------

  openDetail(): Promise<void> {
    const job = this.selectedJob();
    if (!job) return Promise.resolve();
    this.s.openDetail(job.id);
    return this.refresh();
  }

  closeDetail(): Promise<void> {
    this.s.closeDetail();
    return this.refresh();
  }

  scrollDetail(delta: number): void {
    const d = this.s.detail;
    if (d) this.s.scrollDetail(d.scroll + delta);
  }

  followDetail(): void {
    this.s.scrollDetail(0);
  }

  toggleHelp(): void {
    this.s.setHelp(!this.s.help);
  }

  startPrompt(kind: 'filter' | 'command'): void {
    const id = this.listId();
    this.s.setPrompt({ kind, text: kind === 'filter' && id !== null ? this.s.lists[id].search : '' });
  }

  /**
   * Typing in the prompt; a filter applies as it is typed, once typing pauses for a moment (on a
   * large history each filtered page is a scan). Resolves when the filtered page is shown.
   */
  editPrompt(text: string): Promise<void> {
    const p = this.s.prompt;
    if (!p) return Promise.resolve();
    this.s.setPrompt({ ...p, text });
    if (p.kind !== 'filter') return Promise.resolve();
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

  clearFilter(): Promise<void> {
    const id = this.listId();
    if (id === null || this.s.lists[id].search === '') return Promise.resolve();
    return this.applyFilter('');
  }

  /** `:` commands. */
  runCommand(text: string): Promise<void> {
    const cmd = text.trim().replace(/^:/, '').toLowerCase();
    switch (cmd) {
      case 'q':
      case 'q!':
      case 'quit':
        this.quit();
        return Promise.resolve();
      case 'jobs':
      case 'workers':
      case 'dlq':
        return this.setView(cmd);
      case 'help':
        this.s.setHelp(true);
        return Promise.resolve();
      case '':
        return Promise.resolve();
      default:
        this.status({ text: `unknown command :${cmd} (try :jobs, :workers, :dlq, :help or :q)`, tone: 'error' });
        return Promise.resolve();
    }
  }

  // --- operator actions -------------------------------------------------------------------

  openEnqueue(): void {
    this.s.setModal({ kind: 'enqueue', error: null, busy: false });
  }

  closeModal(): void {
    this.s.setModal(null);
  }

  /** Validates as `queuectl enqueue` does; on a bad field the form stays open with the message. */
  async submitEnqueue(values: EnqueueFormValues): Promise<boolean> {
    this.s.setModal({ kind: 'enqueue', error: null, busy: true });
    try {
      const { input, flags } = formToInput(values);
      const [job] = await this.queue.enqueue([input]);
      this.s.setModal(null);
      this.status({ text: `enqueued ${job.id}`, tone: 'ok', command: this.cli.enqueue(flags, job.command) });
      await this.refresh();
      return true;
    } catch (e) {
      this.s.setModal({ kind: 'enqueue', error: oneLine(e), busy: false });
      return false;
    }
  }

  /** `r`: a failed job runs now (`queuectl retry`); a dead one goes back to pending (`queuectl dlq retry`). */
  async retry(): Promise<void> {
    const { ids, states } = this.targets();
    if (ids.length === 0) return;
    const done: string[] = [];
    const commands: string[] = [];
    for (const id of ids) {
      const dead = states.get(id) === 'dead';
      const command = dead ? this.cli.dlqRetry(id) : this.cli.retry(id);
      try {
        if (dead) await this.queue.revive(id);
        else await this.queue.retry(id);
        done.push(id);
        commands.push(command);
      } catch (e) {
        this.fail(e, command);
        await this.afterAction();
        return;
      }
    }
    const text = done.length === 1 ? `retried ${done[0]}` : `retried ${plural(done.length, 'job')}`;
    this.status({ text, tone: 'ok', command: commands.join(' && ') });
    await this.afterAction();
  }

  /** `c`: asks first, then cancels the selected or marked jobs. */
  askCancel(): void {
    const { ids } = this.targets();
    if (ids.length === 0) return;
    const what = ids.length === 1 ? `job ${ids[0]}` : plural(ids.length, 'marked job');
    this.s.setModal({ kind: 'confirm', message: `Cancel ${what}? It will never run.`, action: { kind: 'cancel', ids } });
  }

  askRetryAll(): void {
    const dead = this.s.header.counts?.dead ?? 0;
    this.s.setModal({
      kind: 'confirm',
      message: `Retry every job in the DLQ (${plural(dead, 'dead job')})? Each goes back to pending with its attempts reset.`,
      action: { kind: 'retry-all' },
    });
  }

  askStopAll(): void {
    const n = this.s.workers.length;
    this.s.setModal({
      kind: 'confirm',
      message: `Stop all workers (${n} running)? Each finishes its current job, then exits.`,
      action: { kind: 'stop-all' },
    });
  }

  async confirm(yes: boolean): Promise<void> {
    const m = this.s.modal;
    this.s.setModal(null);
    if (!m || m.kind !== 'confirm') return;
    if (!yes) {
      this.status({ text: 'nothing done', tone: 'info' });
      return;
    }
    const a = m.action;
    if (a.kind === 'cancel') return this.cancel(a.ids);
    if (a.kind === 'retry-all') return this.retryAll();
    return this.stopWorkers(undefined);
  }

  private async cancel(ids: readonly string[]): Promise<void> {
    const commands: string[] = [];
    for (const id of ids) {
      const command = this.cli.cancel(id);
      try {
        await this.queue.cancel(id);
        commands.push(command);
      } catch (e) {
        this.fail(e, command);
        await this.afterAction();
        return;
      }
    }
    const text = ids.length === 1 ? `cancelled ${ids[0]}` : `cancelled ${plural(ids.length, 'job')}`;
    this.status({ text, tone: 'ok', command: commands.join(' && ') });
    await this.afterAction();
  }

  private async retryAll(): Promise<void> {
    const command = this.cli.dlqRetryAll();
    try {
      const n = await this.queue.reviveAll();
      this.status({ text: n === 0 ? 'the DLQ is empty' : `moved ${plural(n, 'dead job')} back to pending`, tone: 'ok', command });
    } catch (e) {
      this.fail(e, command);
    }
    await this.afterAction();
  }

  /** After acting on jobs: the marks are spent, and the screen shows the result at once. */
  private async afterAction(): Promise<void> {
    const id = this.listId();
    if (id !== null) this.s.clearMarks(id);
    await this.refresh();
  }

  /** `+`: one more detached worker, as `queuectl worker start --count 1`. */
  async workerUp(): Promise<void> {
    const command = this.cli.workerStart(1);
    if (!this.workers) return this.fail(new Error('starting workers is not available here'), command);
    this.status({ text: 'starting a worker…', tone: 'info', command });
    try {
      const [w] = await this.workers.start(1);
      this.status({ text: `started worker ${w.id} (pid ${w.pid})`, tone: 'ok', command });
    } catch (e) {
      this.fail(e, command);
    }
    await this.refresh();
  }

  /** `-`: stops one worker gracefully: the selected one in the workers view, else an idle one if any. */
  workerDown(): Promise<void> {
    const s = this.s;
    const live = s.workers.filter((w) => w.health !== 'dead' && !w.stop_requested);
    const pick =
      s.view === 'workers' && s.workers[s.workersRow] && !s.workers[s.workersRow].stop_requested
        ? s.workers[s.workersRow]
        : (live.find((w) => w.state === 'idle') ?? live[live.length - 1]);
    if (!pick) {
      this.status({ text: 'no running worker to stop', tone: 'error' });
      return Promise.resolve();
    }
    return this.stopWorkers([pick.id]);
  }

  /** Graceful stop through the supervisor, as `queuectl worker stop [ids]`; progress shows as it happens. */
  private async stopWorkers(ids: readonly string[] | undefined): Promise<void> {
    const command = this.cli.workerStop(ids);
    if (!this.workers) return this.fail(new Error('stopping workers is not available here'), command);
    const what = ids?.length === 1 ? `worker ${ids[0]}` : 'all workers';
    this.status({ text: `stopping ${what}…`, tone: 'info', command });
    void this.refresh();
    try {
      const r = await this.workers.stop(ids, (left) =>
        this.status({ text: `stopping ${what}: waiting for ${plural(left, 'worker')} to finish…`, tone: 'info', command }),
      );
      if (r.stillRunning.length > 0) {
        this.status({ text: `${plural(r.stillRunning.length, 'worker')} still running: ${r.stillRunning.join(', ')}`, tone: 'error', command });
      } else if (r.stopped.length === 0) {
        this.status({ text: 'no workers running', tone: 'info', command });
      } else {
        this.status({ text: r.stopped.length === 1 ? `stopped worker ${r.stopped[0]}` : `stopped ${plural(r.stopped.length, 'worker')}`, tone: 'ok', command });
      }
    } catch (e) {
      this.fail(e, command);
    }
    await this.refresh();
  }
}
