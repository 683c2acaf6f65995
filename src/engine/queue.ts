import type { Backend, JobPatch, StopRequest, WorkerBeat } from './backend.js';
import { type Config, type ConfigKey, configFromStored, parseConfigValue, resolveConfigKey } from './config.js';
import { IllegalTransitionError, JobNotFoundError, ValidationError } from './errors.js';
import { type JobInput, normalizeJob, pendingJob } from './job-input.js';
import { countsAsAttempt, decideAfterFailure } from './policy.js';
import { TRANSITIONS, type Transition, canTransition } from './state-machine.js';
import type {
  Attempt,
  AttemptResult,
  Job,
  JobPage,
  NewJob,
  JobState,
  ListQuery,
  StateCounts,
  Throughput,
  WorkerRecord,
} from './types.js';

export interface QueueOptions {
  /** The clock; tests may pass their own. */
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

/**
 * The service every face uses: the CLI commands, the workers and the dashboard.
 * It owns the policy (defaults, retries, backoff, legality of moves); the backend owns storage.
 */
export class Queue {
  readonly now: () => number;
  private readonly cwd: string;

  constructor(
    readonly backend: Backend,
    options: QueueOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.cwd = options.cwd ?? process.cwd();
  }

  get location(): string {
    return this.backend.location;
  }

  close(): Promise<void> {
    return this.backend.close();
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

  claim(workerId: string, queue: string | null, leaseMs: number): Promise<Job | null> {
    const now = this.now();
    return this.backend.claimNext({ workerId, queue, now, leaseExpiresAt: now + leaseMs });
  }

  extendLease(job: Job, workerId: string, leaseMs: number, output?: { text: string; bytes: number }): Promise<boolean> {
    return this.backend.extendLease(job.id, workerId, this.now() + leaseMs, output);
  }

  /** Notes the process group running the job, so it can be ended if this worker is killed outright. */
  recordCommandPid(job: Job, workerId: string, pid: number): Promise<boolean> {
    return this.backend.setCommandPid(job.id, workerId, pid);
  }

  /**
   * Records how an attempt ended and moves the job on: completed; failed with a backoff;
   * dead when retries are exhausted; or back to pending, uncounted, when it was interrupted.
   */
  async settle(job: Job, workerId: string, result: AttemptResult, config: Config): Promise<SettleOutcome> {
    const now = this.now();
    let state: SettleOutcome['state'];
    let runAt = job.run_at;
    let attempts = job.attempts;
    if (result.outcome === 'succeeded') {
      state = 'completed';
    } else if (!countsAsAttempt(result.outcome)) {
      state = 'pending';
      attempts = Math.max(0, job.attempts - 1);
      runAt = now;
    } else {
      const d = decideAfterFailure(job, now, { base: config.backoff_base, maxSeconds: config.backoff_max_seconds });
      state = d.state;
      runAt = d.run_at;
    }
    const settled = await this.backend.settle({
      jobId: job.id,
      workerId,
      attempt: job.attempts,
      state: state as 'completed' | 'failed' | 'dead' | 'pending',
      run_at: runAt,
      attempts,
      result,
    });
    return { settled, state, run_at: runAt };
  }

  /**
   * Recovers jobs whose worker is gone: leases that expired, or workers on this host whose
   * process no longer exists. Each counts as a failed attempt (`worker lost`). The command a dead
   * local worker left running is ended first (`killGroup`), so the job never runs twice at once.
   */
  async recoverLost(options: {
    host: string;
    isPidAlive: (pid: number) => boolean;
    killGroup?: (pid: number) => void;
    config?: Config;
  }): Promise<Job[]> {
    const now = this.now();
    const workers = await this.backend.listWorkers();
    const deadHere = workers.filter((w) => w.host === options.host && !options.isPidAlive(w.pid));
    const lost = await this.backend.findLost(now, deadHere.map((w) => w.id));
    if (lost.length === 0) {
      for (const w of deadHere) await this.backend.deregisterWorker(w.id);
      return [];
    }
    const config = options.config ?? (await this.config());
    const recovered: Job[] = [];
    const deadIds = new Set(deadHere.map((w) => w.id));
    for (const job of lost) {
      if (job.command_pid !== null && job.worker_id !== null && deadIds.has(job.worker_id)) options.killGroup?.(job.command_pid);
      const result: AttemptResult = {
        outcome: 'worker_lost',
        exit_code: null,
        signal: null,
        error: `worker ${job.worker_id ?? '?'} was lost while running the job`,
        output: job.output,
        output_bytes: job.output_bytes,
        finished_at: now,
      };
      const r = await this.settle(job, job.worker_id ?? '', result, config);
      if (r.settled) recovered.push({ ...job, state: r.state, run_at: r.run_at });
    }
    for (const w of deadHere) await this.backend.deregisterWorker(w.id);
    return recovered;
  }

  // --- operator actions ------------------------------------------------------------------

  /** Applies a move from the transition table, or explains why it is not allowed. */
  private async move(id: string, action: Transition, verb: string, patch: JobPatch, hint?: (s: JobState) => string | undefined): Promise<Job> {
    const from = TRANSITIONS[action].from;
    const updated = await this.backend.updateIfState(id, from, patch);
    if (updated) return updated;
    const job = await this.get(id);
    if (!canTransition(action, job.state)) throw new IllegalTransitionError(id, job.state, verb, hint?.(job.state));
    // It was legal a moment ago and changed under us: report what it is now.
    throw new IllegalTransitionError(id, job.state, verb);
  }

  /** `retry <id>`: a failed job runs now instead of after its backoff. */
  retry(id: string): Promise<Job> {
    return this.move(id, 'retry', 'retry', { run_at: this.now(), updated_at: this.now() }, (s) =>
      s === 'dead' ? 'use "queuectl dlq retry"' : s === 'pending' ? 'it is already waiting to run' : undefined,
    );
  }

  /** `dlq retry <id>`: a dead job goes back to pending with its attempts reset. */
  revive(id: string): Promise<Job> {
    const now = this.now();
    return this.move(id, 'revive', 'retry from the DLQ', { state: 'pending', attempts: 0, run_at: now, updated_at: now }, (s) =>
      s === 'failed' ? 'use "queuectl retry"' : undefined,
    );
  }

  reviveAll(): Promise<number> {
    return this.backend.reviveAllDead(this.now());
  }

  /** `cancel <id>`: the job stays, in state `cancelled`, and never runs. */
  cancel(id: string): Promise<Job> {
    const now = this.now();
    return this.move(id, 'cancel', 'cancel', { state: 'cancelled', finished_at: now, updated_at: now });
  }

  async purge(states: readonly JobState[], olderThanMs: number): Promise<number> {
    for (const s of states) {
      if (s === 'pending' || s === 'processing' || s === 'failed') {
        throw new ValidationError(`cannot purge ${s} jobs: only completed, dead or cancelled jobs can be purged`);
      }
    }
    return this.backend.purgeJobs(states, this.now() - olderThanMs);
  }

  // --- workers ---------------------------------------------------------------------------

  registerWorker(worker: WorkerRecord): Promise<void> {
    return this.backend.registerWorker(worker);
  }

  heartbeat(id: string, beat: Omit<WorkerBeat, 'heartbeat_at'>): Promise<StopRequest> {
    return this.backend.heartbeatWorker(id, { ...beat, heartbeat_at: this.now() });
  }

  deregisterWorker(id: string): Promise<void> {
    return this.backend.deregisterWorker(id);
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
