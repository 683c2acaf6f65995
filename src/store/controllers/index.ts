import type { Queue } from '../../engine/queue.js';
import { Navigation } from './navigation.js';
import type { Poller } from '../poller.js';
import type { DashboardStoreApi } from '../store.js';
import { ConfirmController } from './confirm.js';
import { JobActions } from './job-actions.js';
import { PromptController } from './prompt.js';
import { Scope } from './scope.js';
import { type WorkerControl, WorkerActions } from './worker-actions.js';
import { ScheduleActions } from '../schedule-actions.js';

export type { WorkerControl } from './worker-actions.js';

/**
 * The dashboard's controllers, each small and about one thing, composed over one scope: moving
 * around, the prompt, what is done to jobs and queues, workers, and answering a confirmation.
 * The key layer (src/ui/input.ts) maps each binding to one of their methods.
 */
export interface Controllers {
  nav: Navigation;
  prompt: PromptController;
  jobs: JobActions;
  workers: WorkerActions;
  confirm: ConfirmController;
  /** The schedules screen. */
  schedules: ScheduleActions;
}

export function createControllers(queue: Queue, store: DashboardStoreApi, poller: Poller, workers: WorkerControl | null, options: { db?: string } = {}): Controllers {
  const scope = new Scope(queue, store, poller, options);
  const nav = new Navigation(scope);
  const jobs = new JobActions(scope);
  const workerActions = new WorkerActions(scope, workers);
  return { nav, prompt: new PromptController(scope, nav), jobs, workers: workerActions, confirm: new ConfirmController(scope, jobs, workerActions), schedules: new ScheduleActions(queue, store, poller, scope.cli) };
}
