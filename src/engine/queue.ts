import { statSync } from 'node:fs';
import type { Backend, ClaimRequest, Move, StopRequest, WorkerBeat } from './backend.js';
import { type Config, type ConfigKey, configFromStored, parseConfigValue, resolveConfigKey } from './config.js';
import { DuplicateJobError, IllegalTransitionError, JobNotFoundError, StorageError, ValidationError } from './errors.js';
import { ID_COUNTER_RANGE, type JobInput, QUEUE_RE, normalizeJob, pendingJob } from './job-input.js';
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
  type SettleDecision,
} from './rules.js';
import { type Transition, canTransition, isFinished } from './state-machine.js';
import { describeDependencies, planDependencies } from './dependencies.js';
import { COUNT_BOUND } from './search.js';
import { ScheduleService } from './schedule-service.js';
import type {
  Attempt,
  AttemptResult,
  Dependency,
  EventQuery,
  Job,
  JobEvent,
  JobPage,
  JobState,
  ListQuery,
  MatchCounts,
  MatchQuery,
  NewEvent,
  NewJob,
  Deduplicated,
  QueueInfo,
  QueueLimits,
  QueueLimitsPatch,
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

/** What became of one input of an enqueue. */
export type Submitted =
  | { deduplicated: false; id: string; job: Job }
  /**
   * Another job held the input's unique key: nothing was inserted. `job` is the holder as read
   * just after (null in the moment a holder on MongoDB is still being inserted by its enqueuer).
   */
  | { deduplicated: true; id: string; unique_key: string; job: Job | null };

/** The largest concurrency and rate limits a queue may be given. */
export const MAX_CONCURRENCY = 10_000;
export const MAX_RATE = 1_000_000;

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

/** The sweep of waiting jobs leaves younger ones to the process inserting them. */
const SWEEP_MIN_AGE_MS = 30_000;

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

  /**
   * Validates every input first, then inserts all of them in one transaction; returns the jobs.
   * An input whose unique key another job holds is not inserted: its place holds that job.
   * `label`: how an error names the i-th job (default: "(job i+1)" in a batch).
   */
  async enqueue(inputs: JobInput[], config?: Config, label?: (i: number) => string): Promise<Job[]> {
    return (await this.submit(inputs, config, label)).flatMap((s) => (s.job ? [s.job] : []));
  }

  /** `enqueue`, telling for each input whether a job was made or another job held its unique key. */
  async submit(inputs: JobInput[], config?: Config, label?: (i: number) => string): Promise<Submitted[]> {
    const { rows, deduplicated } = await this.insert(inputs, config, label);
    const holders = new Map(deduplicated.map((d) => [d.index, d.holder]));
    const out: Submitted[] = [];
    for (const [i, r] of rows.entries()) {
      const holder = holders.get(i);
      if (holder === undefined) out.push({ deduplicated: false, id: r.id, job: pendingJob(r) });
      else out.push({ deduplicated: true, id: holder, unique_key: r.unique_key!, job: await this.backend.getJob(holder) });
    }
    return out;
  }

  /** The same as `enqueue` for large batches: returns the ids only (a holder's for a deduplicated input), building no job objects. */
  async enqueueBulk(inputs: JobInput[], config?: Config, label?: (i: number) => string): Promise<string[]> {
    const { rows, deduplicated } = await this.insert(inputs, config, label);
    const ids = rows.map((r) => r.id);
    for (const d of deduplicated) ids[d.index] = d.holder;
    return ids;
  }

  /** `label`: how an error names the i-th job (default: "(job i+1)" in a batch). */
  private async insert(inputs: JobInput[], config?: Config, label?: (i: number) => string): Promise<{ rows: NewJob[]; deduplicated: Deduplicated[] }> {
    if (inputs.length === 0) throw new ValidationError('no jobs to enqueue');
    const cfg = config ?? (await this.config());
    const now = this.now();
    const many = inputs.length > 1;
    const where = label ?? ((i: number) => (many ? ` (job ${i + 1})` : ''));
    const rows = inputs.map((input, i) => normalizeJob(input, cfg, now, this.cwd, where(i)));
    // Ids made here are distinct within a batch smaller than the id counter's range; the ids
    // given are checked against each other and against those.
    if (many && (inputs.some((input) => input.id !== undefined) || inputs.length >= ID_COUNTER_RANGE)) {
      const seen = new Set<string>();
      for (const r of rows) {
        if (seen.has(r.id)) throw new ValidationError(`job id "${r.id}" appears twice in the input`);
        seen.add(r.id);
      }
    }
    await this.planDependencies(rows, where);
    if (!this.backend.multiHost) {
      // One host: a working directory that does not exist here would fail every attempt; say so now.
      for (const [i, r] of rows.entries()) {
        if (!isDirectory(r.cwd)) throw new ValidationError(`invalid job${many ? ` (job ${i + 1})` : ''}: working directory ${r.cwd} does not exist`);
      }
    }
    const deduplicated = await this.backend.insertJobs(rows);
    return { rows, deduplicated };
  }

  /**
   * Decides which new jobs start waiting, refusing unknown dependencies, dependencies that can
   * never complete, and cycles (see `dependencies.planDependencies`). Nothing is read for a batch
   * without dependencies.
   */
  private async planDependencies(rows: NewJob[], where: (i: number) => string): Promise<void> {
    if (!rows.some((r) => r.after.length > 0)) return;
    const ids = new Set(rows.map((r) => r.id));
    const outside = [...new Set(rows.flatMap((r) => r.after))].filter((id) => !ids.has(id));
    const states = outside.length > 0 ? await this.backend.jobStates(outside) : new Map<string, JobState>();
    const waiting = planDependencies(rows, states, where);
    rows.forEach((r, i) => (r.state = waiting[i] ? 'waiting' : 'pending'));
  }

  /** The jobs a job waits for, each with its state now (null: no longer exists). */
  async dependencies(job: Pick<Job, 'after'>): Promise<Dependency[]> {
    if (job.after.length === 0) return [];
    return describeDependencies(job.after, await this.backend.jobStates(job.after));
  }

  /**
   * Re-checks a page of waiting jobs (newest first, from `cursor`) and releases or cancels those
   * whose dependencies have settled. Needed only where a lost process can leave a dependent
   * behind (see `Backend.releasesAtomically`); the recovery pass walks the waiting jobs a page at
   * a time with it. Returns the cursor of the next page (null: start again from the newest).
   */
  async sweepWaiting(cursor: string | null, limit = 200): Promise<{ moved: number; next: string | null }> {
    const page = await this.backend.listJobs({ state: 'waiting', limit, ...(cursor !== null ? { cursor } : {}) });
    // Jobs still being inserted are their inserter's to check (a batch written without a
    // transaction may not all be visible yet, and its dependencies would look missing).
    const settledBefore = this.now() - SWEEP_MIN_AGE_MS;
    const ids = page.jobs.filter((j) => j.created_at < settledBefore).map((j) => j.id);
    const moved = ids.length > 0 ? await this.backend.resolveWaiting(ids, this.now()) : 0;
    return { moved, next: page.next_cursor };
  }

  async get(id: string): Promise<Job> {
    const job = await this.backend.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  /** A job with its attempt history, the running attempt last, and its dependencies' states. */
  async show(id: string): Promise<{ job: Job; attempts: Attempt[]; dependencies: Dependency[] }> {
    const job = await this.get(id);
    const [attempts, dependencies] = await Promise.all([this.backend.listAttempts(id), this.dependencies(job)]);
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
    return { job, attempts, dependencies };
  }

  list(query: ListQuery): Promise<JobPage> {
    return this.backend.listJobs(query);
  }

  counts(): Promise<StateCounts> {
    return this.backend.countByState();
  }

  /** Counts per state of the jobs a text filter matches; lower bounds past `COUNT_BOUND` matches. */
  countMatches(query: MatchQuery, bound = COUNT_BOUND): Promise<MatchCounts> {
    return this.backend.countMatches(query, Math.max(1, Math.floor(bound)));
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
    const request = this.claimRequest(workerId, queue, leaseMs);
    try {
      return await this.backend.claimNext(request);
    } catch (e) {
      if (!(e instanceof StorageError && e.unknownOutcome)) throw e;
      return this.readBackClaim(request);
    }
  }

  private claimRequest(workerId: string, queue: string | null, leaseMs: number): ClaimRequest {
    const now = this.now();
    return { workerId, queue, now, set: claimSet(workerId, now, leaseMs, newClaimToken(now)) };
  }

  /** The job a claim whose reply was lost took, found by its token (null: the claim was not applied). */
  private async readBackClaim(request: ClaimRequest): Promise<Job | null> {
    const token = request.set.claim_token!;
    for (let i = 1; ; i++) {
      try {
        return await this.backend.findClaimed(token);
      } catch (again) {
        if (i >= CLAIM_READBACK_TRIES) throw again;
        await new Promise((r) => setTimeout(r, CLAIM_READBACK_MS * i));
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
    const { move, decision } = await this.settlement(job, workerId, result, config);
    const moved = await this.backend.move(job.id, move);
    return this.settled(moved, job, workerId, result, decision);
  }

  /**
   * `settle`, then `claim` of the worker's next job, in one call to the database (one transaction
   * on SQLite): what a busy worker does between two jobs. The claim is made whether or not the
   * settle's guard matched, and never when this throws (then the settle may or may not be
   * applied: `settle` again finds out, as after any error). Once the claim is made nothing is
   * thrown: a claim that failed is in `claimError`, and a settle whose outcome could not be
   * checked (the guard missed and the attempts could not be read) has `settle` null and
   * `settleError` (`settle` again to learn it).
   */
  async settleAndClaim(
    job: Job,
    workerId: string,
    result: AttemptResult,
    config: Config,
    next: { queue: string | null; leaseMs: number },
  ): Promise<{ settle: SettleOutcome | null; settleError?: unknown; next: Job | null; claimError?: unknown }> {
    const { move, decision } = await this.settlement(job, workerId, result, config);
    const request = this.claimRequest(workerId, next.queue, next.leaseMs);
    const r = await this.backend.moveAndClaim(job.id, move, request);
    let claimed = r.claimed;
    let claimError = r.claimError;
    if (claimError instanceof StorageError && claimError.unknownOutcome) {
      try {
        claimed = await this.readBackClaim(request);
        claimError = undefined;
      } catch (e) {
        claimError = e;
      }
    }
    try {
      const settle = await this.settled(r.moved, job, workerId, result, decision);
      return { settle, next: claimed, ...(claimError === undefined ? {} : { claimError }) };
    } catch (e) {
      return { settle: null, settleError: e, next: claimed, ...(claimError === undefined ? {} : { claimError }) };
    }
  }

  /** The move that settles an attempt, and where it takes the job. */
  private async settlement(job: Job, workerId: string, result: AttemptResult, config: Config): Promise<{ move: Move; decision: SettleDecision }> {
    if (result.outcome !== 'succeeded' && !job.cancel_requested) {
      // A cancel may have arrived while the attempt ended: it decides where the job goes.
      const current = await this.backend.getJob(job.id);
      if (current?.cancel_requested && current.worker_id === workerId && current.attempts === job.attempts) job = { ...job, cancel_requested: true };
    }
    const now = this.now();
    const decision = decideSettlement(job, result.outcome, config, now);
    return { move: settleMove(job, workerId, result, decision, now), decision };
  }

  /** The outcome of a settle's move (`moved` null: its guard missed). */
  private async settled(moved: Job | null, job: Job, workerId: string, result: AttemptResult, decision: SettleDecision): Promise<SettleOutcome> {
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
      s === 'dead'
        ? 'use "queuectl dlq retry"'
        : s === 'pending'
          ? 'it is already waiting to run'
          : s === 'waiting'
            ? 'it runs once its dependencies complete'
            : undefined,
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
      if (!isFinished(s)) {
        throw new ValidationError(`cannot purge ${s} jobs: only completed, dead or cancelled jobs can be purged`);
      }
    }
    if (!this.backend.releasesAtomically) {
      // A dependent left behind by a lost process is resolved while its dependency still says how
      // it ended: once purged, a dependency is no longer known to have completed.
      let cursor: string | null = null;
      do cursor = (await this.sweepWaiting(cursor, 1000)).next;
      while (cursor !== null);
    }
    return this.backend.purgeJobs(states, this.now() - olderThanMs);
  }

  /**
   * `dlq delete <id…>`: deletes those of the jobs still dead, with their attempts and events (a job
   * revived meanwhile is kept). Returns the ids deleted; the caller reports the others.
   */
  deleteDead(ids: readonly string[]): Promise<string[]> {
    return this.backend.deleteJobs([...new Set(ids)], ['dead']);
  }

  /**
   * `dlq delete --all`: every dead job matching the filter, a thousand at a time (the newest page,
   * again and again, as the deleted ones leave it). Returns how many were deleted.
   */
  async deleteAllDead(filter: { search?: string; queue?: string } = {}): Promise<number> {
    let n = 0;
    for (;;) {
      const page = await this.backend.listJobs({ state: 'dead', limit: 1000, ...filter });
      if (page.jobs.length === 0) return n;
      const deleted = await this.backend.deleteJobs(
        page.jobs.map((j) => j.id),
        ['dead'],
      );
      n += deleted.length;
      // None of a full page deleted: they all moved on under us; what is dead now is another read.
      if (deleted.length === 0 && page.next_cursor === null) return n;
    }
  }

  /**
   * `rerun <id>`: a completed job runs again as a copy, a new job `<id>.rerun-N` (the first N free;
   * a copy of a copy counts on from the original's id) with the same command, queue, priority,
   * retries, timeout and working directory, and fresh attempts. The original is left as it is.
   */
  async rerun(id: string): Promise<Job> {
    const source = await this.get(id);
    if (source.state !== 'completed') {
      const hint = source.state === 'dead' ? 'use "queuectl dlq retry"' : source.state === 'failed' ? 'use "queuectl retry"' : undefined;
      throw new IllegalTransitionError(id, source.state, 're-run', hint);
    }
    const base = rerunBase(source.id);
    const cfg = await this.config();
    for (let n = 1; n <= 1000; n++) {
      const copy = `${base}.rerun-${n}`;
      if (await this.backend.getJob(copy)) continue;
      try {
        const [job] = await this.enqueue(
          [{ id: copy, command: source.command, queue: source.queue, priority: source.priority, max_retries: source.max_retries, timeout_seconds: source.timeout_seconds, cwd: source.cwd }],
          cfg,
        );
        return job;
      } catch (e) {
        // Another re-run took this number a moment ago: try the next.
        if (!(e instanceof DuplicateJobError)) throw e;
      }
    }
    throw new ValidationError(`job "${id}" has been re-run 1000 times; enqueue a new job instead`);
  }

  // --- queues ----------------------------------------------------------------------------

  queues(): Promise<QueueInfo[]> {
    return this.backend.listQueues();
  }

  pausedQueues(): Promise<string[]> {
    return this.backend.listPausedQueues();
  }

  /** `queue pause|resume <name>`: workers stop (or resume) taking the queue's jobs. */
  async setQueuePaused(name: string, paused: boolean): Promise<void> {
    if (!QUEUE_RE.test(name)) throw new ValidationError(`invalid queue name "${name}": 1-64 letters, digits or ._:-`);
    await this.backend.setQueuePaused(name, paused);
  }

  /**
   * `queue limit <name>`: how many of the queue's jobs may process at once, and start per window,
   * across every worker. Null clears a limit; an omitted one is kept. Returns the limits now.
   */
  async setQueueLimits(name: string, patch: QueueLimitsPatch): Promise<QueueLimits> {
    if (!QUEUE_RE.test(name)) throw new ValidationError(`invalid queue name "${name}": 1-64 letters, digits or ._:-`);
    const c = patch.concurrency;
    if (c !== undefined && c !== null && (!Number.isInteger(c) || c < 1 || c > MAX_CONCURRENCY)) {
      throw new ValidationError(`invalid concurrency ${c}: a whole number in 1..${MAX_CONCURRENCY} (0 or --clear for none)`);
    }
    const r = patch.rate;
    if (r !== undefined && r !== null) {
      if (!Number.isInteger(r.limit) || r.limit < 1 || r.limit > MAX_RATE) throw new ValidationError(`invalid rate: the count must be a whole number in 1..${MAX_RATE}`);
      if (!Number.isInteger(r.window_ms) || r.window_ms < 1 || r.window_ms > 86_400_000) throw new ValidationError('invalid rate: the window must be 1ms..1d');
    }
    return this.backend.setQueueLimits(name, patch, this.now());
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

/** The id re-runs are numbered from: the original's, so `a.rerun-1` re-run gives `a.rerun-2`. */
export function rerunBase(id: string): string {
  return id.replace(/\.rerun-\d+$/, '');
}
