import { resolveDbTarget } from '../engine/open.js';
import type { Queue } from '../engine/queue.js';
import type { WorkerControl } from '../store/actions.js';

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
