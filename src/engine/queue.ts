import { statSync } from 'node:fs';
import type { Backend, Move, StopRequest, WorkerBeat } from './backend.js';
import { type Config, type ConfigKey, configFromStored, parseConfigValue, resolveConfigKey } from './config.js';
import { IllegalTransitionError, JobNotFoundError, StorageError, ValidationError } from './errors.js';
import { type JobInput, QUEUE_RE, normalizeJob, pendingJob } from './job-input.js';
import {
  cancelMove,
  cancelRunningMove,
  claimSet,
  commandMove,
  decideSettlement,
  renewMove,
  retryMove,
  reviveMove,
  reviveSet,
  settleMove,
} from './rules.js';
import { ScheduleService } from './schedule-service.js';
import { type Transition, canTransition } from './state-machine.js';
import type {
  Attempt,
  AttemptResult,
  EventQuery,
  Job,
  JobEvent,
  JobPage,
  JobState,
  ListQuery,
  NewEvent,
  NewJob,
  QueueInfo,
  StateCounts,
  Throughput,
  WorkerRecord,
} from './types.js';

export interface QueueOptions {
  /** The clock; tests may pass their own. Default: the database's (`Backend.now`). */
  now?: () => number;
  /** Working directory recorded for jobs that give none. */
  cwd?: string;
}

export interface SettleOutcome {
  /** False when the worker had lost the job before it could settle it. */
  settled: boolean;
  state: Job['state'];
  run_at: number;
}

const dirs = new Map<string, true>();
/** Whether a path is a directory (found ones are remembered: a batch names the same few). */
function isDirectory(path: string): boolean {
  if (dirs.has(path)) return true;
  let v = false;
  try {
    v = statSync(path).isDirectory();
  } catch {
    // missing or unreadable
  }
  if (v) {
    if (dirs.size > 1000) dirs.clear();
    dirs.set(path, true);
  }
  return v;
}

/** How often, and for how long, a claim whose reply was lost is looked up again by its token. */
const CLAIM_READBACK_TRIES = 5;
const CLAIM_READBACK_MS = 200;

let tokenCounter = 0;
const TOKEN_TAG = Math.floor(Math.random() * 0x1_0000_0000).toString(36);
/** A claim token: unique per claim across processes (a per-process random tag, a time, a counter). */
function newClaimToken(now: number): string {
  tokenCounter = (tokenCounter + 1) % 0x1_0000_0000;
  return `${TOKEN_TAG}.${now.toString(36)}.${tokenCounter.toString(36)}`;
}

/**
 * The service every face uses: the CLI commands, the workers and the dashboard. It applies the
 * rule book (`rules.ts`) through the storage port; the backend owns storage and the clock.
 */
export class Queue {
  readonly now: () => number;
  private readonly cwd: string;
  private scheduleService: ScheduleService | undefined;

  constructor(
    readonly backend: Backend,
    options: QueueOptions = {},
  ) {
    this.now = options.now ?? (() => backend.now());
    this.cwd = options.cwd ?? process.cwd();
  }

  get location(): string {
    return this.backend.location;
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  /** Recurring schedules: adding and steering them, and firing the due ones (see `schedule-service.ts`). */
  get schedules(): ScheduleService {
    this.scheduleService ??= new ScheduleService(this.backend, { now: this.now, cwd: this.cwd, config: () => this.config() });
    return this.scheduleService;
  }

  // --- config ----------------------------------------------------------------------------

  async config(): Promise<Config> {
    return configFromStored(await this.backend.getConfigValues());
  }

  async setConfig(key: string, value: string): Promise<{ key: ConfigKey; value: number }> {
    const k = resolveConfigKey(key);
    const v = parseConfigValue(k, value);
    await this.backend.setConfigValue(k, String(v));
    return { key: k, value: v };
  }

  // --- jobs ------------------------------------------------------------------------------

  /** Validates every input first, then inserts all of them in one transaction; returns the jobs. */
  async enqueue(inputs: JobInput[], config?: Config): Promise<Job[]> {
    const rows = await this.insert(inputs, config);
    return rows.map(pendingJob);
  }

  /** The same as `enqueue` for large batches: returns the ids only, building no job objects. */
  async enqueueBulk(inputs: JobInput[], config?: Config): Promise<string[]> {
    return (await this.insert(inputs, config)).map((r) => r.id);
  }

  private async insert(inputs: JobInput[], config?: Config): Promise<NewJob[]> {
    if (inputs.length === 0) throw new ValidationError('no jobs to enqueue');
    const cfg = config ?? (await this.config());
    const now = this.now();
    const many = inputs.length > 1;
    const rows = inputs.map((input, i) => normalizeJob(input, cfg, now, this.cwd, many ? ` (job ${i + 1})` : ''));
    if (many) {
      const seen = new Set<string>();
      for (const r of rows) {
        if (seen.has(r.id)) throw new ValidationError(`job id "${r.id}" appears twice in the input`);
        seen.add(r.id);
      }
    }
    if (!this.backend.multiHost) {
      // One host: a working directory that does not exist here would fail every attempt; say so now.
      for (const [i, r] of rows.entries()) {
        if (!isDirectory(r.cwd)) throw new ValidationError(`invalid job${many ? ` (job ${i + 1})` : ''}: working directory ${r.cwd} does not exist`);
      }
    }
    await this.backend.insertJobs(rows);
    return rows;
  }

  async get(id: string): Promise<Job> {
    const job = await this.backend.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  /** A job with its attempt history, the running attempt last. */
  async show(id: string): Promise<{ job: Job; attempts: Attempt[] }> {
    const job = await this.get(id);
    const attempts = await this.backend.listAttempts(id);
    if (job.state === 'processing' && job.worker_id !== null && job.started_at !== null) {
      attempts.push({
        job_id: id,
        n: job.attempts,
        worker_id: job.worker_id,
        started_at: job.started_at,
        finished_at: null,
        outcome: null,
        exit_code: null,
        signal: null,
        error: null,
      });
    }
    return { job, attempts };
  }

  list(query: ListQuery): Promise<JobPage> {
    return this.backend.listJobs(query);
  }

  counts(): Promise<StateCounts> {
    return this.backend.countByState();
  }

  throughput(windowMs: number): Promise<Throughput> {
    return this.backend.throughput(this.now() - windowMs);
  }

  // --- the worker's side -----------------------------------------------------------------

  /**
   * Takes the best eligible job for this worker, or null. A claim whose reply was lost (the
   * database applied it but the connection broke) is found again by its token, so a job is never
   * left claimed by a worker that does not know it holds it.
   */
  async claim(workerId: string, queue: string | null, leaseMs: number): Promise<Job | null> {
    const now = this.now();
    const token = newClaimToken(now);
    try {
      return await this.backend.claimNext({ workerId, queue, now, set: claimSet(workerId, now, leaseMs, token) });
    } catch (e) {
      if (!(e instanceof StorageError && e.unknownOutcome)) throw e;
      for (let i = 1; ; i++) {
        try {
          return await this.backend.findClaimed(token);
        } catch (again) {
          if (i >= CLAIM_READBACK_TRIES) throw again;
          await new Promise((r) => setTimeout(r, CLAIM_READBACK_MS * i));
        }
      }
    }
  }

  /** Renews the lease of an attempt this worker holds; false when it no longer holds it. */
  async extendLease(job: Job, workerId: string, leaseMs: number, output?: { text: string; bytes: number }): Promise<boolean> {
    return (await this.backend.move(job.id, renewMove(job, workerId, this.now() + leaseMs, output))) !== null;
  }

  /** Notes the process group running the job (with its start time and host), so it can be ended if this worker is lost. */
  async recordCommand(job: Job, workerId: string, pid: number, start: number | null, hostId: string): Promise<boolean> {
    return (await this.backend.move(job.id, commandMove(job, workerId, pid, start, hostId))) !== null;
  }

  /**
   * Records how an attempt ended and moves the job on (see `rules.decideSettlement`). Safe to
   * repeat after an error: a settlement already applied is recognised by its recorded attempt.
   */
  async settle(job: Job, workerId: string, result: AttemptResult, config: Config): Promise<SettleOutcome> {
    if (result.outcome !== 'succeeded' && !job.cancel_requested) {
      // A cancel may have arrived while the attempt ended: it decides where the job goes.
      const current = await this.backend.getJob(job.id);
      if (current?.cancel_requested && current.worker_id === workerId && current.attempts === job.attempts) job = { ...job, cancel_requested: true };
    }
    const now = this.now();
    const decision = decideSettlement(job, result.outcome, config, now);
    const moved = await this.backend.move(job.id, settleMove(job, workerId, result, decision, now));
    if (moved) return { settled: true, state: decision.state, run_at: decision.run_at };
    // The guard missed: either the job was recovered from this worker, or this very settlement
    // was applied by an earlier try whose reply was lost.
    const recorded = (await this.backend.listAttempts(job.id)).some(
      (a) => a.n === job.attempts && a.worker_id === workerId && a.outcome === result.outcome && a.started_at === job.started_at,
    );
    return { settled: recorded, state: decision.state, run_at: decision.run_at };
  }

  /** Jobs that are running: what recovery looks at (see `Recovery`). */
  processing(): Promise<Job[]> {
    return this.backend.listProcessing();
  }

  /** Applies a prepared move (recovery uses this); the job afterwards, or null when the guard missed. */
  applyMove(id: string, move: Move): Promise<Job | null> {
    return this.backend.move(id, move);
  }

  // --- operator actions ------------------------------------------------------------------

  /** Applies an operator's move, or explains why it is not allowed. */
  private async operate(id: string, action: Transition, verb: string, move: Move, hint?: (s: JobState) => string | undefined): Promise<Job> {
    const updated = await this.backend.move(id, move);
    if (updated) return updated;
    const job = await this.get(id);
    if (!canTransition(action, job.state)) throw new IllegalTransitionError(id, job.state, verb, hint?.(job.state));
    // It was legal a moment ago and changed under us: report what it is now.
    throw new IllegalTransitionError(id, job.state, verb);
  }

  /** `retry <id>`: a failed job runs now instead of after its backoff. */
  retry(id: string): Promise<Job> {
    return this.operate(id, 'retry', 'retry', retryMove(this.now()), (s) =>
      s === 'dead' ? 'use "queuectl dlq retry"' : s === 'pending' ? 'it is already waiting to run' : undefined,
    );
  }

  /** `dlq retry <id>`: a dead job goes back to pending with its attempts reset. */
  revive(id: string): Promise<Job> {
    return this.operate(id, 'revive', 'retry from the DLQ', reviveMove(this.now()), (s) => (s === 'failed' ? 'use "queuectl retry"' : undefined));
  }

  reviveAll(): Promise<number> {
    const now = this.now();
    const { event } = reviveMove(now);
    return this.backend.moveAll(['dead'], reviveSet(now), event!);
  }

  /**
   * `cancel <id>`: a waiting job becomes `cancelled` at once and never runs; a running one is
   * marked, and its worker stops the command (the job is `cancelled` once the attempt is recorded).
   */
  async cancel(id: string): Promise<Job> {
    const now = this.now();
    const done = await this.backend.move(id, cancelMove(now));
    if (done) return done;
    const marked = await this.backend.move(id, cancelRunningMove(now));
    if (marked) return marked;
    const job = await this.get(id);
    throw new IllegalTransitionError(id, job.state, 'cancel');
  }

  async purge(states: readonly JobState[], olderThanMs: number): Promise<number> {
    for (const s of states) {
      if (s === 'pending' || s === 'processing' || s === 'failed') {
        throw new ValidationError(`cannot purge ${s} jobs: only completed, dead or cancelled jobs can be purged`);
      }
    }
    return this.backend.purgeJobs(states, this.now() - olderThanMs);
  }

  // --- queues ----------------------------------------------------------------------------

  queues(): Promise<QueueInfo[]> {
    return this.backend.listQueues();
  }

  /** `queue pause|resume <name>`: workers stop (or resume) taking the queue's jobs. */
  async setQueuePaused(name: string, paused: boolean): Promise<void> {
    if (!QUEUE_RE.test(name)) throw new ValidationError(`invalid queue name "${name}": 1-64 letters, digits or ._:-`);
    await this.backend.setQueuePaused(name, paused);
  }

  // --- events ----------------------------------------------------------------------------

  events(query: EventQuery): Promise<{ events: JobEvent[]; next: string | null }> {
    return this.backend.listEvents(query);
  }

  // --- workers ---------------------------------------------------------------------------

  async registerWorker(worker: WorkerRecord, event = true): Promise<void> {
    await this.backend.registerWorker(worker);
    if (event) await this.workerEvent('worker_started', worker.id, `pid ${worker.pid} on ${worker.host}${worker.queue ? `, queue ${worker.queue}` : ''}`);
  }

  heartbeat(id: string, beat: Omit<WorkerBeat, 'heartbeat_at'>): Promise<StopRequest & { registered: boolean }> {
    return this.backend.heartbeatWorker(id, { ...beat, heartbeat_at: this.now() });
  }

  /** Removes a worker's record; `lost`: another process found it dead. */
  async deregisterWorker(id: string, detail: string | null = null, lost = false): Promise<void> {
    await this.backend.deregisterWorker(id);
    await this.workerEvent(lost ? 'worker_lost' : 'worker_stopped', id, detail);
  }

  private workerEvent(type: 'worker_started' | 'worker_stopped' | 'worker_lost', id: string, detail: string | null): Promise<void> {
    const e: NewEvent = { at: this.now(), type, job_id: null, queue: null, worker_id: id, attempt: null, detail };
    return this.backend.addEvent(e);
  }

  workers(): Promise<WorkerRecord[]> {
    return this.backend.listWorkers();
  }

  requestStop(ids?: string[], force = false): Promise<number> {
    return this.backend.requestStop(ids, force);
  }

  /** Subscribes to changes made by other processes, where the backend can tell; else undefined. */
  watch(onChange: () => void): (() => void) | undefined {
    return this.backend.watch?.(onChange);
  }
}
