import type { StateCreator } from 'zustand/vanilla';
import type { QueueInfo, StateCounts, Throughput } from '../../engine/types.js';
import { sameCounts, sameNumbers, sameThroughput, sameWorkers } from '../equal.js';
import type { DashboardStore } from '../store.js';
import { EMPTY_THROUGHPUT, type HeaderState, type WorkerRow } from '../types.js';

/** How many throughput samples the header keeps (more than the widest sparkline shows). */
export const HISTORY_LENGTH = 120;

/** What the header and the workers view show: counts, recent throughput, and the workers. */
export interface MonitorSlice {
  header: HeaderState;
  workers: readonly WorkerRow[];
  workersRow: number;
  /** Every queue with its counts, as last read (for the queues view, a queue filter's totals, completion). */
  queues: readonly QueueInfo[] | null;
  queuesRow: number;
  setQueues(queues: readonly QueueInfo[]): void;
  setQueuesRow(row: number): void;
  setPaused(names: readonly string[]): void;
  setCounts(counts: StateCounts): void;
  setLastMinute(t: Throughput): void;
  /** Appends one throughput sample (attempts finished per second). */
  pushHistory(perSecond: number): void;
  setWorkers(rows: readonly WorkerRow[]): void;
  setWorkersRow(row: number): void;
}

export const createMonitorSlice: StateCreator<DashboardStore, [], [], MonitorSlice> = (set, get) => ({
  // Starts full of zeros, so a quiet queue's samples leave it (and the screen) unchanged.
  header: { counts: null, lastMinute: EMPTY_THROUGHPUT, history: new Array<number>(HISTORY_LENGTH).fill(0), paused: [] },
  workers: [],
  workersRow: 0,
  queues: null,
  queuesRow: 0,
  setQueues(queues) {
    const s = get();
    if (s.queues !== null && JSON.stringify(s.queues) === JSON.stringify(queues)) return;
    set({ queues, queuesRow: Math.max(0, Math.min(s.queuesRow, queues.length - 1)) });
    s.setPaused(queues.filter((q) => q.paused).map((q) => q.name));
  },
  setQueuesRow(row) {
    const s = get();
    const r = Math.max(0, Math.min(row, (s.queues?.length ?? 0) - 1));
    if (r !== s.queuesRow) set({ queuesRow: r });
  },
  setPaused(names) {
    const h = get().header;
    if (h.paused.length !== names.length || h.paused.some((n, i) => n !== names[i])) set({ header: { ...h, paused: [...names] } });
  },
  setCounts(counts) {
    const h = get().header;
    if (!sameCounts(h.counts, counts)) set({ header: { ...h, counts } });
  },
  setLastMinute(t) {
    const h = get().header;
    if (!sameThroughput(h.lastMinute, t)) set({ header: { ...h, lastMinute: t } });
  },
  pushHistory(perSecond) {
    const h = get().header;
    const history = [...h.history, perSecond].slice(-HISTORY_LENGTH);
    // A quiet queue keeps sampling zeros: a full history of zeros shifted by one is the same picture.
    if (history.length === h.history.length && sameNumbers(history, h.history)) return;
    set({ header: { ...h, history } });
  },
  setWorkers(rows) {
    const s = get();
    if (sameWorkers(s.workers, rows)) return;
    const row = Math.max(0, Math.min(s.workersRow, rows.length - 1));
    set({ workers: rows, workersRow: row });
  },
  setWorkersRow(row) {
    const s = get();
    const r = Math.max(0, Math.min(row, s.workers.length - 1));
    if (r !== s.workersRow) set({ workersRow: r });
  },
});
