import type { Queue } from '../engine/queue.js';
import { DashboardActions, type WorkerControl } from './actions.js';
import { Poller, type PollerOptions } from './poller.js';
import { createDashboardStore, type DashboardStoreApi } from './store.js';

export interface Dashboard {
  store: DashboardStoreApi;
  poller: Poller;
  actions: DashboardActions;
}

export interface DashboardOptions extends PollerOptions {
  /** The --db the dashboard was started with, repeated in the commands it shows. */
  db?: string;
  workers?: WorkerControl | null;
}

/** The store, its poller and the actions over one open queue; the UI renders from `store`. */
export function createDashboard(queue: Queue, options: DashboardOptions = {}): Dashboard {
  const store = createDashboardStore({ db: queue.location, now: queue.now() });
  const poller = new Poller(queue, store, options);
  const actions = new DashboardActions(queue, store, poller, options.workers ?? null, { ...(options.db !== undefined ? { db: options.db } : {}) });
  return { store, poller, actions };
}
