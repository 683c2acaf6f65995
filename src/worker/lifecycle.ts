import { randomBytes } from 'node:crypto';
import { StorageError, oneLine } from '../engine/errors.js';
import { openQueue } from '../engine/open.js';
import { type Logger, jsonLogger } from './log.js';
import { Runner, type RunnerOptions } from './runner.js';

/** The signals that stop a worker: the first gracefully, a second at once. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** After a stop that kills the running job, the process exits by itself this long after at the latest. */
const FORCED_EXIT_MS = 10_000;

/** Retry delays while the database cannot be opened: doubling from the first, capped by the second. */
const OPEN_RETRY_MIN_MS = 500;
const OPEN_RETRY_MAX_MS = 30_000;

/** A stop signal received once the worker has stopped. */
const ignoreLateSignal = () => undefined;

export function newWorkerId(): string {
  return `w-${randomBytes(4).toString('hex')}`;
}

export interface WorkerProcessOptions {
  /** The database; undefined: QUEUECTL_DB, MONGO_URI or the default file. */
  db: string | undefined;
  id: string;
  queueName: string | null;
  log?: Logger;
  /** Passed to the runner (tests shorten the cadences). */
  tuning?: Partial<Omit<RunnerOptions, 'queue' | 'id' | 'queueName' | 'log'>>;
}

/**
 * Runs one worker in this process until it is stopped, handling the stop signals; returns the
 * exit code. Cleanups are registered as resources are acquired and run in reverse order.
 */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<number> {
  const log = options.log ?? jsonLogger(options.id);
  const cleanups: Array<() => unknown> = [];
  let forcedExit: NodeJS.Timeout | undefined;
  const armForcedExit = () => {
    if (forcedExit) return;
    // Unref'd: it only fires if the stop itself hangs (a database that no longer answers).
    forcedExit = setTimeout(() => {
      log('error', 'forced_exit', { message: `the worker did not stop within ${FORCED_EXIT_MS / 1000}s` });
      process.exit(1);
    }, FORCED_EXIT_MS);
    forcedExit.unref();
  };

  let runner: Runner | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (!runner) {
      // Still opening the database: nothing to hand back yet.
      process.exit(signals > 1 ? 1 : 0);
    }
    if (signals === 1) runner.stop('graceful', signal);
    else runner.stop('now', `${signal} (second signal)`);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  cleanups.push(() => {
    // A stop signal can still arrive as the worker winds down: `worker stop` writes its request to
    // the database and then signals, and a worker that saw the request first may already be here.
    // It changes nothing now; with no listener left, its default action would end the process as
    // "killed by SIGTERM" instead of with its exit code.
    for (const s of STOP_SIGNALS) process.on(s, ignoreLateSignal).off(s, onSignal);
  });

  try {
    let queue;
    // A database that cannot be reached yet (a MongoDB server still starting, a file locked) is
    // waited for, as a running worker waits out an outage; a bad address or path is not.
    for (let wait = OPEN_RETRY_MIN_MS; ; wait = Math.min(wait * 2, OPEN_RETRY_MAX_MS)) {
      try {
        queue = await openQueue(options.db);
        break;
      } catch (e) {
        if (!(e instanceof StorageError && e.transient)) {
          log('error', 'worker_failed', { stage: 'open database', error: oneLine(e) });
          return 1;
        }
        log('warn', 'database_unavailable', { stage: 'open database', error: oneLine(e), retry_in_ms: wait });
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    cleanups.push(() => queue.close());
    runner = new Runner({ ...options.tuning, queue, id: options.id, queueName: options.queueName, log });
    runner.onHardStop = armForcedExit;
    await runner.run();
    return runner.failed ? 1 : 0;
  } catch (e) {
    log('error', 'worker_failed', { error: oneLine(e) });
    return 1;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // the process is ending; a failed close changes nothing
      }
    }
  }
}
