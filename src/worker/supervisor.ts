import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { QueueError, UserError } from '../engine/errors.js';
import { defaultDbPath, isMongoUri, openQueue } from '../engine/open.js';
import { isWorkerStale } from '../engine/policy.js';
import type { Queue } from '../engine/queue.js';
import type { WorkerRecord } from '../engine/types.js';
import { RECHECK_SIGNAL, newWorkerId, runWorkerProcess } from './lifecycle.js';
import { hostId, processState } from '../os/host.js';
import { packageRoot } from '../package-root.js';

export interface StartedWorker {
  id: string;
  /** The worker's process; workers started together with `perProcess` > 1 share one. */
  pid: number;
  log: string;
}

export interface StopReport {
  requested: string[];
  stopped: string[];
  stillRunning: string[];
}

/** How long a started worker has to register in the database (MongoDB may take a while to connect). */
const REGISTER_TIMEOUT_MS = 20_000;
const POLL_MS = 50;

/** Some workers exited before registering; the others (`started`) are running. */
export class WorkerStartError extends QueueError {
  constructor(
    message: string,
    readonly started: StartedWorker[],
  ) {
    super(message);
  }
}

/** The built worker program, which runs from the package's compiled modules, never the CLI bundle. */
function workerEntry(): string {
  const path = join(packageRoot(), 'dist', 'worker', 'main.js');
  if (existsSync(path)) return path;
  throw new QueueError('the worker program (dist/worker/main.js) is missing: run "npm run build"');
}

/**
 * Node options a worker runs with. A worker forks one process per job, and fork's cost grows with
 * the size of the process that forks (its page tables are copied, and every page it writes until
 * the child has exec'd is faulted): a worker left to V8's default heap sizing grows from about
 * 55 MB idle to 95 MB over a few thousand jobs of garbage the collector is in no hurry to return,
 * and spawns slower as it grows. Sized for memory, it stays near 65 MB.
 *
 * `--no-opt`: no optimising compiler (TurboFan). A worker's own JavaScript is a small part of its
 * cost per job (fork, the database and the kernel are most of it), yet TurboFan kept compiling and
 * recompiling its hot paths on a second thread through thousands of jobs; without it a worker
 * used about 10% less CPU and took about 7% fewer page faults per job (bench/worker-cpu.mjs,
 * 4 workers, 2,000 jobs of `true`). Ignition and Sparkplug still run the code.
 */
export const WORKER_NODE_OPTIONS: readonly string[] = ['--optimize-for-size', '--no-opt'];

export function defaultLogDir(db: string): string {
  return join(dirname(isMongoUri(db) ? defaultDbPath() : db), 'logs');
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface StartOptions {
  db: string;
  count: number;
  /** Workers run by each process (default 1): the last process takes what is left. */
  perProcess?: number;
  queue: string | null;
  logDir?: string;
}

/**
 * Starts `count` detached workers on database `db` (an absolute SQLite path or a mongodb URI,
 * handed over in the environment so no password shows in `ps`), `perProcess` to a process. Each
 * process's output is appended to `<logDir>/<id>.log`, named after its first worker; every line
 * names the worker it is about. Resolves once every worker has registered.
 */
export async function startWorkers(opts: StartOptions): Promise<StartedWorker[]> {
  const entry = workerEntry();
  const logDir = opts.logDir ?? defaultLogDir(opts.db);
  // A database this process cannot open would fail every worker: say so once, start none.
  const queue = await openQueue(opts.db);
  try {
    // Logs hold every command and its errors: private to the user, like the database.
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    const launched = launch(entry, logDir, opts);
    return await awaitRegistration(queue, launched);
  } finally {
    await queue.close();
  }
}

/** One worker started, with what its process is doing (shared by the workers of that process). */
type Launched = StartedWorker & { proc: { exit: string | null }; kill: () => void };

function launch(entry: string, logDir: string, opts: StartOptions): Launched[] {
  const launched: Launched[] = [];
  const perProcess = opts.perProcess ?? 1;
  for (let first = 0; first < opts.count; first += perProcess) {
    const ids = Array.from({ length: Math.min(perProcess, opts.count - first) }, newWorkerId);
    const log = join(logDir, `${ids[0]}.log`);
    const fd = openSync(log, 'a', 0o600);
    try {
      const args = [...WORKER_NODE_OPTIONS, entry, ...ids.flatMap((id) => ['--id', id]), ...(opts.queue !== null ? ['--queue', opts.queue] : [])];
      const child = spawn(process.execPath, args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, QUEUECTL_DB: opts.db },
      });
      if (child.pid === undefined) throw new QueueError(`could not start a worker: ${process.execPath} did not spawn`);
      const proc: Launched['proc'] = { exit: null };
      child.on('exit', (code, signal) => (proc.exit = signal ? `killed by ${signal}` : `exit code ${code}`));
      child.on('error', (e) => (proc.exit = e.message));
      child.unref();
      for (const id of ids) launched.push({ id, pid: child.pid, log, proc, kill: () => child.kill('SIGKILL') });
    } finally {
      closeSync(fd);
    }
  }
  return launched;
}

async function awaitRegistration(queue: Queue, launched: Launched[]): Promise<StartedWorker[]> {
  const deadline = Date.now() + REGISTER_TIMEOUT_MS;
  let registered = new Set<string>();
  for (;;) {
    registered = new Set((await queue.workers()).map((w) => w.id));
    const waiting = launched.filter((w) => !registered.has(w.id) && w.proc.exit === null);
    if (waiting.length === 0 || Date.now() > deadline) break;
    await delay(POLL_MS);
  }
  const failed = launched.filter((w) => !registered.has(w.id));
  // A worker that did not register in time is not left running unseen: its process is ended
  // here, with the other workers it runs.
  const ended = new Set(failed.filter((w) => w.proc.exit === null).map((w) => w.pid));
  for (const w of failed) if (w.proc.exit === null) w.kill();
  const started = launched.filter((w) => registered.has(w.id) && !ended.has(w.pid)).map(({ id, pid, log }) => ({ id, pid, log }));
  if (failed.length > 0) {
    const w = failed[0];
    const why = w.proc.exit === null ? `did not register within ${REGISTER_TIMEOUT_MS / 1000}s` : `exited (${w.proc.exit})`;
    const more = failed.length > 1 ? ` (${failed.length} of ${launched.length} workers failed)` : '';
    const running = started.length > 0 ? `; ${started.length} started and running` : '';
    throw new WorkerStartError(`worker ${w.id} ${why}: ${lastWords(w.log)}${more}${running}`, started);
  }
  return started;
}

/** The most telling line of a worker's log: the last error it logged, else its last line. */
function lastWords(logPath: string): string {
  let lines: string[];
  try {
    const text = readFileSync(logPath, 'utf8');
    lines = text.slice(-8192).split('\n').filter((l) => l.trim() !== '');
  } catch {
    return `see ${logPath}`;
  }
  const reversed = lines.slice().reverse();
  for (const line of reversed) {
    try {
      const o = JSON.parse(line) as { level?: string; error?: string };
      if (o.level === 'error' && o.error) return o.error;
    } catch {
      // not one of the worker's own lines
    }
  }
  // Node's own crash report: its error line says more than the version banner that ends it.
  const crash = reversed.find((l) => /^\w*Error\b/.test(l.trim()));
  const last = crash ?? reversed[0];
  return last ? `${last.trim()} (see ${logPath})` : `no output (see ${logPath})`;
}

/**
 * Stops workers (all, or `ids`): asks through the database, which reaches workers on every host,
 * and signals the ones on this host. Each finishes its running job first; with `force` the job is
 * stopped at once and handed back to the queue (for workers on other hosts, force is not
 * available through the database: they stop gracefully). Waits up to `timeoutMs` for them to go.
 */
export async function stopWorkers(
  queue: Queue,
  opts: { ids?: string[]; timeoutMs: number; force: boolean; onProgress?: (left: number) => void },
): Promise<StopReport> {
  const all = await queue.workers();
  let targets: WorkerRecord[];
  if (opts.ids) {
    const unknown = opts.ids.filter((id) => !all.some((w) => w.id === id));
    if (unknown.length > 0) throw new UserError(`no worker with id "${unknown[0]}" (see "queuectl worker list")`);
    targets = all.filter((w) => opts.ids!.includes(w.id));
  } else {
    targets = all;
  }
  const requested = targets.map((w) => w.id);
  if (requested.length === 0) return { requested, stopped: [], stillRunning: [] };

  await queue.requestStop(requested, opts.force);
  // Signals reach only workers this process can see (same host id), and only while their pid
  // still belongs to the process that registered (same start time). A process all of whose
  // workers are to stop is sent a stop signal; one that runs others too is told to read its stop
  // requests now, and the others run on.
  const here = hostId();
  const isLocal = (w: WorkerRecord) => w.host_id === here && w.pid !== process.pid;
  const alive = (w: WorkerRecord) => processState(w.pid, w.pid_start) !== 'gone';
  const processOf = (w: WorkerRecord) => `${w.pid}:${w.pid_start ?? ''}`;
  const targeted = new Set(requested);
  const spared = new Set(all.filter((w) => isLocal(w) && !targeted.has(w.id)).map(processOf));
  const processes = new Map(targets.filter((w) => isLocal(w) && alive(w)).map((w) => [processOf(w), w]));
  for (const [p, w] of processes) signal(w.pid, spared.has(p) ? RECHECK_SIGNAL : 'SIGTERM');
  if (opts.force) {
    // A second signal means "stop now"; sent apart so the two are not merged into one delivery.
    await delay(150);
    for (const [p, w] of processes) if (!spared.has(p) && alive(w)) signal(w.pid, 'SIGTERM');
  }

  const config = await queue.config();
  const deadline = Date.now() + opts.timeoutMs;
  let left = -1;
  for (;;) {
    const now = queue.now();
    const current = new Map((await queue.workers()).map((w) => [w.id, w]));
    const running = targets.filter((t) => {
      const w = current.get(t.id);
      if (!w) return false;
      // Gone without deregistering (killed): its job is recovered by the remaining workers.
      if (isLocal(w)) return alive(w);
      return !isWorkerStale(w, now, config.lease_seconds);
    });
    if (running.length !== left) {
      left = running.length;
      opts.onProgress?.(left);
    }
    if (running.length === 0 || Date.now() >= deadline) {
      const still = new Set(running.map((w) => w.id));
      return { requested, stopped: requested.filter((id) => !still.has(id)), stillRunning: [...still] };
    }
    await delay(Math.min(100, Math.max(1, deadline - Date.now())));
  }
}

/** Stops one worker gracefully (for the dashboard): asks, signals, and waits up to `timeoutMs` (default: not at all). */
export function stopOneWorker(queue: Queue, id: string, opts: { timeoutMs?: number; force?: boolean } = {}): Promise<StopReport> {
  return stopWorkers(queue, { ids: [id], timeoutMs: opts.timeoutMs ?? 0, force: opts.force ?? false });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Runs `count` workers (default 1) in this process, logging JSON lines to stdout, until they are stopped; returns the exit code. */
export function runForeground(opts: { db: string; queue: string | null; count?: number; id?: string }): Promise<number> {
  const ids = opts.id !== undefined ? [opts.id] : Array.from({ length: opts.count ?? 1 }, newWorkerId);
  return runWorkerProcess({ db: opts.db, ids, queueName: opts.queue });
}
