import { createStore, type StoreApi } from 'zustand/vanilla';
import { createListsSlice, type ListsSlice } from './slices/lists.js';
import { createMonitorSlice, type MonitorSlice } from './slices/monitor.js';
import { createSchedulesSlice, type SchedulesSlice } from './slices/schedules.js';
import { createScreenSlice, type ScreenSlice } from './slices/screen.js';

/** The whole store: state and the plain setters that replace it. IO lives in the poller and actions. */
export type DashboardStore = ListsSlice & MonitorSlice & ScreenSlice & SchedulesSlice;
export type DashboardStoreApi = StoreApi<DashboardStore>;

export function createDashboardStore(options: { db: string; now?: number }): DashboardStoreApi {
  return createStore<DashboardStore>()((...a) => ({
    ...createListsSlice(...a),
    ...createMonitorSlice(...a),
    ...createScreenSlice(options.db, options.now ?? Date.now())(...a),
    ...createSchedulesSlice(...a),
  }));
}
