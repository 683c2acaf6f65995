import type { Queue } from '../engine/queue.js';
import { type Controllers, type WorkerControl, createControllers } from './controllers/index.js';
import { Poller, type PollerOptions } from './poller.js';
import { createDashboardStore, type DashboardStoreApi } from './store.js';

export interface Dashboard {
  store: DashboardStoreApi;
  poller: Poller;
  controllers: Controllers;
}

export interface DashboardOptions extends PollerOptions {
  /** The --db the dashboard was started with, repeated in the commands it shows. */
  db?: string;
  workers?: WorkerControl | null;
}

/** The store, its poller and the controllers over one open queue; the UI renders from `store`. */
export function createDashboard(queue: Queue, options: DashboardOptions = {}): Dashboard {
  const store = createDashboardStore({ db: queue.location, now: queue.now() });
  const poller = new Poller(queue, store, options);
  const controllers = createControllers(queue, store, poller, options.workers ?? null, { ...(options.db !== undefined ? { db: options.db } : {}) });
  return { store, poller, controllers };
}
