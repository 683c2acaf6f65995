import { randomBytes } from 'node:crypto';
import { StorageError, oneLine } from '../engine/errors.js';
import { openQueue } from '../engine/open.js';
import { Launcher } from './launcher.js';
import { type Logger, jsonLogger } from './log.js';
import { Runner, type RunnerOptions } from './runner.js';

/** The signals that stop a worker: the first gracefully, a second at once. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * The signal that makes a worker process read its workers' stop requests now rather than at
 * their next heartbeat: how `worker stop` reaches one worker of a process that runs several
 * without stopping the others.
 */
export const RECHECK_SIGNAL: NodeJS.Signals = 'SIGUSR2';

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
  /**
   * The workers this process runs, one per id, each with its own job at a time, lease and
   * record. They share the process, its database connection and its memory.
   */
  ids: readonly string[];
  queueName: string | null;
  log?: Logger;
  /** Passed to the runners (tests shorten the cadences). */
  tuning?: Partial<Omit<RunnerOptions, 'queue' | 'id' | 'queueName' | 'log'>>;
}

/**
 * Runs the workers of this process until they are stopped, handling the stop signals; returns
 * the exit code (non-zero when any worker stopped because of a fault). A stop signal stops every
 * worker of the process; a stop requested for some of them through the database stops those
 * alone. Cleanups are registered as resources are acquired and run in reverse order.
 */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<number> {
  if (options.ids.length === 0 || new Set(options.ids).size !== options.ids.length) throw new Error('a worker process needs distinct worker ids');
  const logOf = (id: string) => options.log ?? jsonLogger(id);
  const log = logOf(options.ids[0]);
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

  let runners: Runner[] | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (!runners) {
      // Still opening the database: nothing to hand back yet.
      process.exit(signals > 1 ? 1 : 0);
    }
    for (const runner of runners) {
      if (signals === 1) runner.stop('graceful', signal);
      else runner.stop('now', `${signal} (second signal)`);
    }
  };
  const onRecheck = () => {
    for (const runner of runners ?? []) runner.recheck();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  process.on(RECHECK_SIGNAL, onRecheck);
  cleanups.push(() => {
    // A stop signal can still arrive as the worker winds down: `worker stop` writes its request to
    // the database and then signals, and a worker that saw the request first may already be here.
    // It changes nothing now; with no listener left, its default action would end the process as
    // "killed by SIGTERM" instead of with its exit code.
    for (const s of [...STOP_SIGNALS, RECHECK_SIGNAL]) process.on(s, ignoreLateSignal).off(s, onSignal).off(s, onRecheck);
  });

  // Commands are started through the launcher (launcher.ts), or by Node when there is none.
  const launching: Promise<Launcher | string> =
    process.env.QUEUECTL_LAUNCHER === 'off'
      ? Promise.resolve('QUEUECTL_LAUNCHER=off')
      : Launcher.open((why) => log('warn', 'launcher_lost', { why, message: 'commands are spawned by Node from now on' }));
  cleanups.push(async () => {
    const l = await launching;
    if (typeof l !== 'string') l.close();
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
    // The process's forced exit is armed once every worker still running is being stopped at
    // once: a forced stop of one worker must not end the others' jobs.
    const over = new Set<Runner>();
    const hard = new Set<Runner>();
    const armIfAllHard = () => {
      if (runners!.every((r) => over.has(r) || hard.has(r))) armForcedExit();
    };
    const launcher = await launching;
    if (typeof launcher === 'string') log('info', 'launcher_unavailable', { why: launcher, message: 'commands are spawned by Node' });
    runners = options.ids.map((id, i) => {
      // Schedules are fired by one worker of a process: the others would find them fired already.
      const fireSchedules = i === 0 ? options.tuning?.fireSchedules : false;
      const runner = new Runner({
        ...options.tuning,
        fireSchedules,
        queue,
        id,
        queueName: options.queueName,
        log: logOf(id),
        launcher: typeof launcher === 'string' ? null : launcher,
      });
      runner.onHardStop = () => {
        hard.add(runner);
        armIfAllHard();
      };
      return runner;
    });
    // A worker that fails stops alone; its siblings run on until they are stopped.
    await Promise.all(runners.map(async (r) => {
      try {
        await r.run();
      } catch (e) {
        r.failed = true;
        logOf(r.id)('error', 'worker_failed', { error: oneLine(e) });
      }
      over.add(r);
      if (hard.size > 0) armIfAllHard();
    }));
    return runners.some((r) => r.failed) ? 1 : 0;
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
