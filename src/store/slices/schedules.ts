import type { StateCreator } from 'zustand/vanilla';
import type { ScheduleOverview } from '../../engine/schedule-service.js';
import type { DashboardStore } from '../store.js';

/**
 * The schedules screen: opened over the main view (`S` or `:schedules`), like help, so the job
 * tables and their keys stay as they are beneath it.
 */
export interface SchedulesSlice {
  schedules: {
    open: boolean;
    rows: readonly ScheduleOverview[];
    row: number;
    loaded: boolean;
  };
  setSchedulesOpen(open: boolean): void;
  setScheduleRows(rows: readonly ScheduleOverview[]): void;
  setScheduleRow(row: number): void;
}

/** Whether two reads show the same thing: a quiet refresh renders nothing. */
function sameRows(a: readonly ScheduleOverview[], b: readonly ScheduleOverview[]): boolean {
  return a.length === b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
}

export const createSchedulesSlice: StateCreator<DashboardStore, [], [], SchedulesSlice> = (set, get) => ({
  schedules: { open: false, rows: [], row: 0, loaded: false },
  setSchedulesOpen(open) {
    const s = get().schedules;
    if (s.open !== open) set({ schedules: { ...s, open } });
  },
  setScheduleRows(rows) {
    const s = get().schedules;
    if (s.loaded && sameRows(s.rows, rows)) return;
    set({ schedules: { ...s, rows, loaded: true, row: Math.max(0, Math.min(s.row, rows.length - 1)) } });
  },
  setScheduleRow(row) {
    const s = get().schedules;
    const r = Math.max(0, Math.min(row, s.rows.length - 1));
    if (r !== s.row) set({ schedules: { ...s, row: r } });
  },
});
