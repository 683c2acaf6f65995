import { oneLine } from '../engine/errors.js';
import { hostId, processState } from '../os/host.js';
import { isWorkerStale } from '../engine/policy.js';
import type { Queue } from '../engine/queue.js';
import type { WorkerRecord } from '../engine/types.js';
import { isIndexedTerm } from '../engine/search.js';
import { fetchPage, pageAround } from './pages.js';
import type { DashboardStore, DashboardStoreApi } from './store.js';
import type { ListId, WorkerHealth, WorkerRow } from './types.js';

/**
 * How often a page filtered by a 1-2 character term is re-read by the periodic refresh (typing
 * re-reads it at once): such a term has no trigram, so its page may cost a scan. Longer terms go
 * through the search index and refresh on every tick, like an unfiltered page.
 */
export const SHORT_SEARCH_REFRESH_MS = 5000;

export interface PollerOptions {
  /** Refresh period; default 1000 ms. */
  refreshMs?: number;
  /** Shortest gap between refreshes woken by database changes; default 200 ms. */
  minGapMs?: number;
  /** How often the config (lease length, for stale workers) is re-read; default 30 s. */
  configEveryMs?: number;
}

/**
 * How finely the clock must advance for the screen to stay true: every second while something
 * shown counts seconds (a running job, a backoff countdown, heartbeat ages), else every minute.
 */
export function clockStep(s: DashboardStore): number {
  const live = (j: { state: string; run_at: number }) =>
    j.state === 'processing' || ((j.state === 'pending' || j.state === 'failed') && j.run_at > s.now);
  // Details show times to the second ("5s ago"), whatever the job's state.
  if (s.detail) return 1000;
  // The schedules screen counts down to the next firings.
  if (s.schedules.open) return 1000;
  if (s.view === 'workers') return s.workers.length > 0 ? 1000 : 60_000;
  if (s.view === 'queues') return 60_000;
  return s.lists[s.view].jobs.some(live) ? 1000 : 60_000;
}

/**
 * Feeds the store from the engine, outside React. One tick reads only what the screen shows:
 * the counts (kept by the engine, not scanned), recent throughput, the workers, and the visible
 * page (one keyset seek), or the open job. Each result is compared before it replaces state, so a
 * quiet queue causes no render at all.
 */
export class Poller {
  private readonly refreshMs: number;
  private readonly minGapMs: number;
  private readonly configEveryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private lastTickAt = 0;
  private lastSampleAt = 0;
  private leaseSeconds = 30;
  private searchLoadedAt = 0;
  private configAt = -Infinity;
  private queuesAt = -Infinity;
  /** How long the last read of every queue's counts took (a scan of the jobs, on either backend). */
  private queuesCostMs = 0;
  private readonly hostId = hostId();
  /** Called when a tick fails (the database went away); the status line shows it. */
  onError: (message: string) => void;

  constructor(
    private readonly queue: Queue,
    private readonly store: DashboardStoreApi,
    options: PollerOptions = {},
  ) {
    this.refreshMs = Math.max(50, options.refreshMs ?? 1000);
    this.minGapMs = options.minGapMs ?? 200;
    this.configEveryMs = options.configEveryMs ?? 30_000;
    this.onError = (message) => store.getState().setStatus({ text: message, tone: 'error' });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const w = this.queue.watch(() => this.wake());
    this.unwatch = typeof w === 'function' ? w : undefined;
    void this.loop();
    this.scheduleClock();
  }

  /**
   * Moves the screen clock on each second, apart from the refreshes (which can be slower, or late
   * behind a slow query): no database read, and no render unless a shown time changes.
   */
  private scheduleClock(): void {
    if (this.stopped) return;
    this.clockTimer = setTimeout(() => {
      this.advanceClock();
      this.scheduleClock();
    }, 1000 - (Date.now() % 1000) + 5);
    this.clockTimer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.clockTimer) clearTimeout(this.clockTimer);
    this.timer = this.wakeTimer = this.clockTimer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /** Waits for any tick in flight (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Refreshes now; a request during a tick runs one more tick right after it. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.tick();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    await this.refresh();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), this.refreshMs);
    this.timer.unref?.();
  }

  /** A change from another process: refresh soon, but not more often than `minGapMs`. */
  private wake(): void {
    if (this.stopped || this.wakeTimer) return;
    const wait = Math.max(0, this.lastTickAt + this.minGapMs - Date.now());
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      if (!this.stopped) void this.refresh();
    }, wait);
  }

  /** One refresh of everything on screen. */
  async tick(): Promise<void> {
    const started = Date.now();
    this.lastTickAt = started;
    const s = this.store.getState();
    try {
      if (started - this.configAt >= this.configEveryMs) {
        this.leaseSeconds = (await this.queue.config()).lease_seconds;
        this.configAt = started;
      }
      const [counts, lastMinute, workers, paused] = await Promise.all([
        this.queue.counts(),
        this.queue.throughput(60_000),
        this.queue.workers(),
        this.queue.pausedQueues(),
      ]);
      s.setCounts(counts);
      s.setPaused(paused);
      if (this.queuesDue(s, started)) await this.loadQueues();
      s.setLastMinute(lastMinute);
      s.setWorkers(this.workerRows(workers, this.queue.now()));
      await this.sample(started);
      const fresh = this.store.getState();
      if (fresh.schedules.open) s.setScheduleRows(await this.queue.schedules.overview());
      if (fresh.detail) await this.loadDetail(fresh.detail.id);
      else if ((fresh.view === 'jobs' || fresh.view === 'dlq') && this.listDue(fresh.lists[fresh.view], started)) await this.loadList(fresh.view);
      this.advanceClock();
    } catch (e) {
      this.onError(oneLine(e));
    }
  }

  /**
   * A filter of 3 or more characters is answered through the search index, as cheaply as an
   * unfiltered page. A shorter one may cost a scan of a large history: refreshed every few
   * seconds instead of every tick.
   */
  private listDue(list: { search: string; loaded: boolean }, now: number): boolean {
    if (list.search === '' || !list.loaded || isIndexedTerm(list.search)) return true;
    if (now - this.searchLoadedAt < SHORT_SEARCH_REFRESH_MS) return false;
    this.searchLoadedAt = now;
    return true;
  }

  /**
   * Every queue's counts cost a scan of the jobs: they are read while the queues view shows them or
   * a queue filter needs its totals, and never more often than ten times what the last read took.
   */
  private queuesDue(s: DashboardStore, now: number): boolean {
    const needed = s.view === 'queues' || s.lists.jobs.queue !== null || s.lists.dlq.queue !== null;
    return needed && now - this.queuesAt >= Math.max(this.refreshMs * 0.9, this.queuesCostMs * 10);
  }

  /** Reads every queue with its counts now (the queues view, and names for Tab completion). */
  async loadQueues(): Promise<void> {
    const t0 = Date.now();
    const queues = await this.queue.queues();
    this.queuesAt = Date.now();
    this.queuesCostMs = this.queuesAt - t0;
    this.store.getState().setQueues(queues);
  }

  /** Re-reads one table's current page (navigation and query changes call this too), and the filter's counts. */
  async loadList(id: ListId): Promise<void> {
    const list = this.store.getState().lists[id];
    const [{ anchor, page }] = await Promise.all([fetchPage(this.queue, id, list, list.anchor), this.loadMatchCounts(id, list.search, list.queue)]);
    // The selection is a job, not a row: when rows moved it off the page (new jobs above it, a
    // shorter window), the page moves to keep it in sight, on the row it had if possible. A job
    // that left the list leaves the cursor where it was, on the job that took its place.
    const selected = list.loaded ? list.jobs[list.row]?.id : undefined;
    if (selected !== undefined && !page.jobs.some((j) => j.id === selected)) {
      const around = await pageAround(this.queue, id, list, selected, list.row);
      if (around) {
        this.store.getState().setPage(id, list.version, around.anchor, around.page, { jobId: selected });
        return;
      }
    }
    this.store.getState().setPage(id, list.version, anchor, page);
  }

  /** The tabs of a filtered list count what the filter matches, per state (bounded: see search.ts). */
  private async loadMatchCounts(id: ListId, search: string, queue: string | null): Promise<void> {
    if (search === '') return;
    const counts = await this.queue.countMatches({ search, ...(queue !== null ? { queue } : {}) });
    this.store.getState().setMatchCounts(id, search, counts);
  }

  async loadDetail(id: string): Promise<void> {
    try {
      const { job, attempts, dependencies } = await this.queue.show(id);
      this.store.getState().setDetailData(id, job, attempts, null, dependencies);
    } catch (e) {
      this.store.getState().setDetailData(id, null, [], oneLine(e));
    }
  }

  /** One sparkline sample per refresh period: attempts finished since the previous sample. */
  private async sample(now: number): Promise<void> {
    if (this.lastSampleAt === 0) {
      this.lastSampleAt = now;
      return;
    }
    const elapsed = now - this.lastSampleAt;
    if (elapsed < this.refreshMs * 0.9) return;
    const t = await this.queue.throughput(elapsed);
    this.lastSampleAt = now;
    const perSecond = (t.completed + t.failed) / (elapsed / 1000);
    this.store.getState().pushHistory(Math.round(perSecond * 10) / 10);
  }

  /** Moves the screen clock on when a shown time would change (also after navigation). */
  advanceClock(): void {
    const s = this.store.getState();
    const now = this.queue.now();
    const step = clockStep(s);
    if (Math.floor(now / step) !== Math.floor(s.now / step)) s.setNow(now);
  }

  private workerRows(workers: WorkerRecord[], now: number): WorkerRow[] {
    return workers.map((w) => {
      let health: WorkerHealth = 'ok';
      if (w.host_id === this.hostId && processState(w.pid, w.pid_start) === 'gone') health = 'dead';
      else if (isWorkerStale(w, now, this.leaseSeconds)) health = 'stale';
      return { ...w, health };
    });
  }
}
