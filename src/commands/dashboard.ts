import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import { openQueue, resolveDbTarget } from '../engine/open.js';
import type { Queue } from '../engine/queue.js';
import type { WorkerControl } from '../store/controllers/index.js';
import type { GlobalOptions } from './shared.js';

export interface DashboardOptions extends GlobalOptions {
  refresh?: string;
}

export const DEFAULT_REFRESH = '1s';

/**
 * Workers started and stopped as `queuectl worker start` and `queuectl worker stop` do, through
 * the supervisor. It is loaded on first use, so opening the dashboard does not pay for it.
 */
export function supervisorControl(queue: Queue, db: string | undefined): WorkerControl {
  const t = resolveDbTarget(db);
  const target = t.kind === 'sqlite' ? t.path : t.uri;
  const load = () => import('../worker/supervisor.js');
  return {
    async start(count) {
      return (await load()).startWorkers({ db: target, count, queue: null });
    },
    async stop(ids, onProgress) {
      const sup = await load();
      // As long as a worker may take to finish its job, and a little more (the CLI's default).
      const timeoutMs = ((await queue.config()).shutdown_timeout_seconds + 5) * 1000;
      return sup.stopWorkers(queue, { ...(ids ? { ids: [...ids] } : {}), timeoutMs, force: false, onProgress });
    },
  };
}

/**
 * The dashboard's composition: this command opens the queue and gives the screen the worker
 * supervisor; the screen (src/ui) and its state (src/store) only use what they are handed.
 */
export async function runDashboardCommand(o: DashboardOptions): Promise<number> {
  const refreshMs = parseDuration(o.refresh ?? DEFAULT_REFRESH, '--refresh');
  if (refreshMs < 100) throw new ValidationError(`invalid value "${o.refresh}" for --refresh: at least 100ms`);
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ValidationError('the dashboard needs an interactive terminal; for scripts use queuectl status, list or worker list');
  }
  // Ink and React cost about half a second to load: only the dashboard pays for them.
  const ui = await import('../ui/main.js');
  return ui.runDashboard({
    ...(o.db !== undefined ? { db: o.db } : {}),
    refreshMs,
    open: async () => {
      const queue = await openQueue(o.db);
      return { queue, workers: supervisorControl(queue, o.db) };
    },
  });
}
