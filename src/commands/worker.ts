import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import { resolveDbTarget } from '../engine/open.js';
import { isWorkerStale } from '../engine/policy.js';
import { workerToJson } from '../engine/serialize.js';
import { type Column, paint, plural, relative, renderTable, shortSpan } from './format.js';
import { type GlobalOptions, err, out, parseWhole, printJson, withQueue } from './shared.js';
import { isTerminal, writeFd } from './stdio.js';

// Loaded only by `worker start` and `worker stop`, so the supervisor (and the worker code it
// pulls in) never slows the other commands.
const loadSupervisor = () => import('../worker/supervisor.js');

/** The database as a worker process is told it: an absolute SQLite path or a MongoDB URI. */
function targetString(db: string | undefined): string {
  const t = resolveDbTarget(db);
  return t.kind === 'sqlite' ? t.path : t.uri;
}

export interface WorkerStartOptions extends GlobalOptions {
  count?: string;
  perProcess?: string;
  queue?: string;
  foreground?: boolean;
  id?: string;
  json?: boolean;
}

export async function runWorkerStart(o: WorkerStartOptions): Promise<number> {
  const count = parseWhole(o.count, '--count', 1, 256) ?? 1;
  const perProcess = parseWhole(o.perProcess, '--per-process', 1, 256);
  const queue = o.queue ?? null;
  if (o.foreground) {
    if (perProcess !== undefined) throw new ValidationError('--foreground runs every worker in this one process; drop --per-process');
    if (o.id !== undefined && count !== 1) throw new ValidationError('--id names one worker; drop it or --count');
    const sup = await loadSupervisor();
    return sup.runForeground({ db: targetString(o.db), queue, count, ...(o.id !== undefined ? { id: o.id } : {}) });
  }
  if (o.id !== undefined) throw new ValidationError('--id applies to --foreground only');
  const sup = await loadSupervisor();
  const started = await sup.startWorkers({ db: targetString(o.db), count, perProcess, queue });
  if (o.json) {
    printJson(started);
    return 0;
  }
  for (const w of started) out(`started worker ${w.id} (pid ${w.pid}), log: ${w.log}`);
  return 0;
}

export interface WorkerStopOptions extends GlobalOptions {
  timeout?: string;
  force?: boolean;
  json?: boolean;
}

export async function runWorkerStop(ids: string[], o: WorkerStopOptions): Promise<number> {
  const explicitTimeout = o.timeout === undefined ? undefined : parseDuration(o.timeout, '--timeout');
  const sup = await loadSupervisor();
  const showProgress = isTerminal(2) && !o.json;
  const report = await withQueue(o.db, async (queue) => {
    // By default wait as long as a worker may take to finish its job, and a little more.
    const timeoutMs = explicitTimeout ?? ((await queue.config()).shutdown_timeout_seconds + 5) * 1000;
    const r = await sup.stopWorkers(queue, {
      ...(ids.length > 0 ? { ids } : {}),
      timeoutMs,
      force: Boolean(o.force),
      onProgress: showProgress ? (left) => void writeFd(2, `\rwaiting for ${plural(left, 'worker')} to stop… \x1b[K`) : undefined,
    });
    if (showProgress) writeFd(2, '\r\x1b[K');
    return { ...r, timeoutMs };
  });
  if (o.json) {
    printJson({ requested: report.requested, stopped: report.stopped, still_running: report.stillRunning });
  } else if (report.requested.length === 0) {
    out('no workers running');
  } else if (report.stopped.length > 0) {
    out(`stopped ${plural(report.stopped.length, 'worker')}${o.force ? ' (running jobs returned to the queue)' : ''}`);
  }
  if (report.stillRunning.length > 0) {
    const hint = o.force ? '' : ' (use --force to kill them; their jobs go back to the queue)';
    err(`queuectl: ${plural(report.stillRunning.length, 'worker')} still running after ${shortSpan(report.timeoutMs)}: ${report.stillRunning.join(', ')}${hint}`);
    return 1;
  }
  return 0;
}

export interface WorkerListOptions extends GlobalOptions {
  json?: boolean;
}

export async function runWorkerList(o: WorkerListOptions): Promise<number> {
  const { workers, lease, now } = await withQueue(o.db, async (queue) => {
    const [workers, config] = await Promise.all([queue.workers(), queue.config()]);
    return { workers, lease: config.lease_seconds, now: queue.now() };
  });
  if (o.json) {
    printJson(workers.map((w) => ({ ...workerToJson(w, now), stale: isWorkerStale(w, now, lease) })));
    return 0;
  }
  if (workers.length === 0) {
    err('no workers running (start some with: queuectl worker start --count 2)');
    return 0;
  }
  const cols: Column[] = [
    { header: 'ID' },
    { header: 'PID', align: 'right' },
    { header: 'HOST' },
    { header: 'QUEUE' },
    { header: 'STATE' },
    { header: 'JOB', shrink: true, min: 12 },
    { header: 'DONE', align: 'right' },
    { header: 'FAILED', align: 'right' },
    { header: 'HEARTBEAT' },
    { header: 'SKEW', align: 'right' },
  ];
  const rows = workers.map((w) => {
    const stale = isWorkerStale(w, now, lease);
    const state = stale
      ? paint(`${w.state} (stale)`, 'red')
      : paint(w.stop_requested && w.state !== 'stopping' ? `${w.state}, stopping` : w.state, w.state === 'busy' ? 'blue' : w.state === 'stopping' ? 'yellow' : 'gray');
    const job = w.current_job_id === null ? '-' : `${w.current_job_id}${w.job_started_at === null ? '' : ` (${shortSpan(now - w.job_started_at)})`}`;
    return [w.id, String(w.pid), w.host, w.queue ?? '*', state, job, String(w.jobs_done), String(w.jobs_failed), relative(w.heartbeat_at, now), skew(w.clock_skew_ms)];
  });
  out(renderTable(cols, rows));
  return 0;
}

/** A worker's clock against the database's, as it last measured it: `-` when within a second. */
function skew(ms: number): string {
  if (Math.abs(ms) < 1000) return '-';
  return `${ms > 0 ? '+' : '-'}${shortSpan(Math.abs(ms))}`;
}
