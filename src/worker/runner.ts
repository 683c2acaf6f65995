import { hostname } from 'node:os';
import type { OutputTail } from '../engine/backend.js';
import type { Config } from '../engine/config.js';
import { StorageError, oneLine } from '../engine/errors.js';
import { describeOutcome, fenceAfterMs, heartbeatIntervalMs } from '../engine/policy.js';
import type { Queue, SettleOutcome } from '../engine/queue.js';
import { type HostProbe, Recovery } from '../engine/recovery.js';
import type { AttemptResult, Job, WorkerRecord, WorkerState } from '../engine/types.js';
import { localProbe, processStart } from '../os/host.js';
import { baseJobEnv } from './job-env.js';
import { attemptEnv } from '../engine/attempt-env.js';
import { type RunningCommand, startCommand } from './exec.js';
import type { Launcher } from './launcher.js';
import type { Logger } from './log.js';
import { ScheduleTicker } from './schedule-ticker.js';
import { Waker } from './wake.js';

export interface RunnerOptions {
  queue: Queue;
  id: string;
  /** null: every queue. */
  queueName: string | null;
  log: Logger;
  host?: string;
  pid?: number;
  /** How processes on this host are seen and ended (tests may give their own). */
  probe?: HostProbe;
  /** How often settings are re-read from the database. */
  configRefreshMs?: number;
  /** How often jobs of dead workers are looked for while this one is free. */
  recoverIntervalMs?: number;
  killGraceMs?: number;
  /** How often a running job's output is saved. */
  flushIntervalMs?: number;
  /** Retry delays after a database error: doubling from the first, capped by the second. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** After a change of state (idle, busy, stopping), how soon it is reported; changes in between coalesce. */
  stateBeatDelayMs?: number;
  /** How often a running job is checked for an operator's cancel. */
  cancelCheckMs?: number;
  /** Whether this worker fires due schedules (default: yes; every worker may, see `schedule-ticker.ts`). */
  fireSchedules?: boolean;
  /** Starts commands through this launcher while it is alive (null or absent: with Node's spawn). */
  launcher?: Launcher | null;
}

type StopMode = 'none' | 'graceful' | 'now';

/** After a step of search indexing failed, how long before the next is tried. */
const SEARCH_RETRY_MS = 5000;
/** After a step of search indexing, a pause this many times as long as the step. */
const SEARCH_PAUSE_RATIO = 3;

/**
 * How long after its start a command's pid is recorded: a command over by then (most short jobs)
 * is not recorded at all. That saves a write transaction per short job, and with it a turn at the
 * database's write lock, which the workers of every process on the file take one at a time. A
 * worker lost within this time leaves a command that recovery finds by its environment instead
 * (recovery.ts).
 */
const RECORD_COMMAND_AFTER_MS = 20;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One worker: claims a job, runs it, settles it, again, until stopped. It renews its job's lease
 * and its own heartbeat, recovers jobs of dead workers, and survives database trouble by
 * retrying (a finished result is kept until it is recorded).
 */
export class Runner {
  private readonly queue: Queue;
  private readonly log: Logger;
  private readonly host: string;
  private readonly pid: number;
  private config!: Config;
  private configAt = 0;
  private recoverAt = 0;
  private stopMode: StopMode = 'none';
  private current: { job: Job; run: RunningCommand; startedAt: number } | null = null;
  /**
   * The attempt this worker holds, from its claim until its result is recorded: its lease is
   * renewed all that time, also while a settle waits out database trouble.
   */
  private holding: { job: Job; startedAt: number } | null = null;
  /** When the held lease was last renewed (monotonic ms). */
  private renewedAt = 0;
  /** Whether workers on other hosts share the database: then a worker that cannot renew its lease stops its command. */
  private fencing = false;
  private readonly probe: HostProbe;
  private readonly recovery: Recovery;
  private jobsDone = 0;
  private jobsFailed = 0;
  private readonly waker = new Waker();
  /** Ends the watch for changes while one is open (see `watchOnlyIdle`). */
  private unwatch: (() => void) | undefined;
  private readonly baseEnv = baseJobEnv(process.env);
  /** Fires due schedules while the worker runs; a stopping worker fires no more. */
  private ticker: ScheduleTicker | null = null;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatEvery = 0;
  private beating = false;
  /** A recheck asked for while a beat was under way: one more beat follows it. */
  private beatAgain = false;
  /** Registered and not yet deregistering: heartbeats are this worker's to send. */
  private live = false;
  private stateBeat: NodeJS.Timeout | undefined;
  private shutdownTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private pendingTail: OutputTail | null = null;
  private dbErrors = 0;
  private startedAt = 0;
  private fenced: Job | null = null;
  /** Until when no step of search indexing is tried (Date.now() ms): a pause after each step, longer after one failed. */
  private searchNextAt = 0;
  /** Set when the worker stops because of a fault (its exit code is then non-zero). */
  failed = false;
  /** Called when a stop that kills the running job begins (the process arms its forced exit). */
  onHardStop: (() => void) | undefined;

  constructor(private readonly opts: RunnerOptions) {
    this.queue = opts.queue;
    this.log = opts.log;
    this.host = opts.host ?? hostname();
    this.pid = opts.pid ?? process.pid;
    this.probe = opts.probe ?? localProbe();
    this.recovery = new Recovery(this.queue, this.probe, opts.id);
    this.fencing = this.queue.backend.multiHost;
  }

  get id(): string {
    return this.opts.id;
  }

  private get state(): WorkerState {
    if (this.stopMode !== 'none') return 'stopping';
    return this.holding ? 'busy' : 'idle';
  }

  private record(now: number): WorkerRecord {
    return {
      id: this.id,
      pid: this.pid,
      host: this.host,
      host_id: this.probe.hostId,
      pid_start: this.pid === process.pid ? processStart(this.pid) : null,
      clock_skew_ms: this.queue.backend.clockSkewMs(),
      queue: this.opts.queueName,
      state: this.state,
      current_job_id: this.holding?.job.id ?? null,
      job_started_at: this.holding?.startedAt ?? null,
      started_at: now,
      heartbeat_at: now,
      jobs_done: this.jobsDone,
      jobs_failed: this.jobsFailed,
      stop_requested: false,
    };
  }

  /** Runs until stopped; the worker is registered on entry and deregistered on return. */
  async run(): Promise<void> {
    const now = this.queue.now();
    try {
      this.config = await this.retrying('read config', () => this.queue.config(), { whileRunning: true });
      this.configAt = Date.now();
      await this.retrying('register', () => this.queue.registerWorker(this.record(now)), { whileRunning: true });
    } catch (e) {
      if (this.stopMode !== 'none') return; // stopped before it could start: nothing to undo
      throw e;
    }
    this.startedAt = now;
    this.live = true;
    this.log('info', 'worker_started', { pid: this.pid, host: this.host, host_id: this.probe.hostId, queue: this.opts.queueName, db: this.queue.location });
    this.startWatching();
    this.resetHeartbeat();
    if (this.opts.fireSchedules !== false) {
      this.ticker = new ScheduleTicker({ queue: this.queue, workerId: this.id, log: this.log, onFired: () => this.wake(), onError: (op, e) => this.dbError(op, e) });
      this.ticker.start();
    }
    try {
      while (this.stopMode === 'none') {
        await this.housekeeping();
        if (this.stopMode !== 'none') break;
        // A wake that arrives while the claim runs is kept, so the next idle wait is skipped.
        this.waker.clear();
        const job = await this.claim();
        if (job) {
          if (this.watchOnlyIdle) this.stopWatching();
          // While jobs keep coming, each settle claims the next in the same call to the database;
          // between two jobs, a search tail grown long is indexed a chunk at a time.
          for (let next: Job | null = job; next; ) {
            next = await this.runJob(next);
            if (next) await this.indexSearchTail(true);
          }
        } else if (this.stopMode === 'none') {
          // Watching again after a run of jobs: a change made between that claim and the watch
          // was not seen, so look once more before waiting.
          if (this.unwatch === undefined && this.startWatching()) continue;
          // Nothing to claim: time to index what enqueues left for search, a chunk per turn,
          // looking for work again between chunks, after a pause that leaves the write lock free
          // for other processes three times as long as the chunk held it.
          if (await this.indexSearchTail(false)) {
            await delay(Math.max(0, this.searchNextAt - Date.now()));
            continue;
          }
          await this.waker.idle(this.idleDelay());
        }
      }
    } finally {
      this.live = false;
      this.ticker?.stop();
      this.stopWatching();
      clearInterval(this.heartbeatTimer);
      clearTimeout(this.stateBeat);
      clearTimeout(this.shutdownTimer);
      try {
        await this.retrying('deregister', () => this.queue.deregisterWorker(this.id), { limit: 5 });
      } catch {
        // logged; the record goes when another worker on this host finds the pid gone
      }
      this.log('info', 'worker_stopped', { jobs_done: this.jobsDone, jobs_failed: this.jobsFailed });
    }
  }

  /**
   * `graceful`: claim nothing more and let the running job finish within
   * `shutdown_timeout_seconds`, then stop it. `now`: stop the running job at once.
   * Either way a stopped job goes back to the queue without counting the attempt.
   */
  stop(mode: 'graceful' | 'now', reason: string): void {
    if (this.stopMode === 'now' || (mode === 'graceful' && this.stopMode === 'graceful')) return;
    this.stopMode = mode;
    this.ticker?.stop();
    this.log('info', 'worker_stopping', { mode, reason, job: this.current?.job.id ?? null });
    this.scheduleStateBeat();
    this.wake();
    if (mode === 'now') this.interruptJob();
    else if (this.current) this.armShutdownTimer();
  }

  /**
   * Reads this worker's stop request now instead of at the next heartbeat (`RECHECK_SIGNAL`: a
   * stop asked for one worker of a process that runs several).
   */
  recheck(): void {
    if (!this.live) return;
    if (this.beating) this.beatAgain = true;
    else void this.beat();
  }

  /** Ends an idle wait at once (a job may have arrived), or makes the next one return at once. */
  wake(): void {
    this.waker.wake();
  }

  // --- the loop ---------------------------------------------------------------------------

  /**
   * Change notifications matter only to a worker waiting for work. A database file's watch fires
   * on every commit, this worker's own and every other worker's (several per job), and each one
   * wakes the process; starting it again costs one inotify watch. So on a file the worker stops
   * watching while it runs jobs and watches again when it finds none. A server's change stream
   * costs a round trip to open and nothing while quiet: it stays open.
   */
  private get watchOnlyIdle(): boolean {
    return !this.queue.backend.multiHost;
  }

  /** Whether a watch was started (false: already watching, or the backend cannot watch). */
  private startWatching(): boolean {
    if (this.unwatch !== undefined) return false;
    const unwatch = this.queue.watch(() => this.wake());
    if (!unwatch) return false;
    this.unwatch = unwatch;
    return true;
  }

  private stopWatching(): void {
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    unwatch?.();
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    try {
      this.queue.backend.checkIdentity?.();
    } catch (e) {
      // The database was deleted or replaced under this worker: what it would record, nobody would see.
      this.log('error', 'database_replaced', { error: oneLine(e) });
      this.failed = true;
      this.stop('graceful', 'the database is no longer the one this worker opened');
      return;
    }
    if (now - this.configAt >= (this.opts.configRefreshMs ?? 5000)) {
      this.configAt = now;
      try {
        this.config = await this.queue.config();
        if (heartbeatIntervalMs(this.config.lease_seconds) !== this.heartbeatEvery) this.resetHeartbeat();
      } catch (e) {
        this.dbError('read config', e);
      }
    }
    if (now - this.recoverAt >= (this.opts.recoverIntervalMs ?? 1000)) {
      this.recoverAt = now;
      await this.recover();
    }
  }

  private idleDelay(): number {
    const now = Date.now();
    const untilRecover = this.recoverAt + (this.opts.recoverIntervalMs ?? 1000) - now;
    const untilConfig = this.configAt + (this.opts.configRefreshMs ?? 5000) - now;
    return Math.max(0, Math.min(this.config.poll_interval_ms, untilRecover, untilConfig));
  }

  private async claim(): Promise<Job | null> {
    try {
      const job = await this.queue.claim(this.id, this.opts.queueName, this.config.lease_seconds * 1000);
      this.dbErrors = 0;
      return job;
    } catch (e) {
      this.dbError('claim', e);
      await this.waker.sleep(this.retryDelay());
      return null;
    }
  }

  /**
   * One step of the search index's upkeep (`Backend.indexSearchTail`): `busy`, between two jobs,
   * only once the tail is long. A step is followed by a pause SEARCH_PAUSE_RATIO times as long as
   * it took (the next one waits until `searchNextAt`): this worker holds the write lock for
   * indexing a quarter of the time at most, and enqueues waiting for it get their turn soon (a
   * writer waiting for SQLite's lock retries after 1, 2, 5, 10… ms: it needs free spells, not a
   * fair share). Optional work: a failure (a lock held elsewhere, a full disk) never touches the
   * job or the worker, is logged (debug for a lock, else warn) and leaves the work for later;
   * after one, no step is tried for SEARCH_RETRY_MS. Returns whether more is left.
   */
  private async indexSearchTail(busy: boolean): Promise<boolean> {
    const backend = this.queue.backend;
    if (!backend.indexSearchTail || Date.now() < this.searchNextAt) return false;
    const started = Date.now();
    try {
      const more = await backend.indexSearchTail(busy);
      this.searchNextAt = Date.now() + (SEARCH_PAUSE_RATIO * (Date.now() - started));
      return more;
    } catch (e) {
      this.searchNextAt = Date.now() + SEARCH_RETRY_MS;
      const locked = e instanceof StorageError && e.locked;
      this.log(locked ? 'debug' : 'warn', 'search_index_deferred', { error: oneLine(e), busy, retry_in_ms: SEARCH_RETRY_MS });
      return false;
    }
  }

  private async recover(): Promise<void> {
    try {
      const recovered = await this.recovery.run(this.config);
      for (const r of recovered) {
        this.log('warn', 'job_recovered', { job: r.job.id, lost_worker: r.job.worker_id, state: r.state, attempts: r.job.attempts, why: r.why });
      }
      // Workers of another host id (a container sharing the file) cannot be seen from here: with any
      // such peer, leases fence commands as they do on a database shared across hosts.
      if (!this.fencing) this.fencing = this.recovery.sawOtherHost;
    } catch (e) {
      this.dbError('recover lost jobs', e);
    }
  }

  /** Runs a claimed job and records its result; returns the next job, claimed with that record (null: none, or stopping). */
  private async runJob(job: Job): Promise<Job | null> {
    const config = this.config;
    const seconds = job.timeout_seconds && job.timeout_seconds > 0 ? job.timeout_seconds : config.job_timeout_seconds;
    const startedAt = Date.now();
    this.holding = { job, startedAt };
    this.renewedAt = performance.now();
    let run: RunningCommand;
    try {
      run = startCommand({
        command: job.command,
        cwd: job.cwd,
        // Rounded up: a timeout below a millisecond is one millisecond, never "no timeout".
        timeoutMs: Math.ceil(seconds * 1000),
        outputLimitBytes: config.output_limit_bytes,
        killGraceMs: this.opts.killGraceMs,
        flushIntervalMs: this.opts.flushIntervalMs,
        onOutput: (tail) => this.flushOutput(job, tail),
        env: this.baseEnv,
        envAdd: attemptEnv(job),
        launcher: this.opts.launcher,
      });
    } catch (e) {
      // Not expected (startCommand reports spawn failures in its result); the attempt fails like one.
      const result: AttemptResult = {
        outcome: 'error',
        exit_code: null,
        signal: null,
        error: `could not start: ${oneLine(e)}`,
        output: '',
        output_bytes: 0,
        finished_at: Date.now(),
      };
      const next = await this.finish(job, result, startedAt);
      this.holding = null;
      return next;
    }
    this.current = { job, run, startedAt };
    // The pid leads the job's process group: what to kill by hand if this worker is ever killed
    // outright. (Known once the command started: at once with Node's spawn, a frame later through
    // the launcher; always before the result.)
    void run.started.then((leader) => {
      this.log('info', 'job_started', { job: job.id, attempt: job.attempts, command: boundedCommand(job.command), pid: leader?.pid ?? null });
      if (leader) this.recordCommand(job, leader.pid, leader.start);
    });
    this.scheduleStateBeat();
    // A stop may have arrived while the job was being claimed.
    if (this.stopMode === 'now') this.interruptJob();
    else if (this.stopMode === 'graceful') this.armShutdownTimer();

    // An operator's cancel is seen within a second: the command is stopped and the attempt recorded as cancelled.
    const cancelWatch = setInterval(() => void this.checkCancel(job), this.opts.cancelCheckMs ?? 1000);
    const result = await run.result;
    clearInterval(cancelWatch);
    this.current = null;
    this.pendingTail = null;
    clearTimeout(this.shutdownTimer);
    this.shutdownTimer = undefined;
    const next = await this.finish(job, result, startedAt);
    this.holding = null;
    this.scheduleStateBeat();
    return next;
  }

  /**
   * Between two jobs: the loop's housekeeping (done before every claim), then the result recorded
   * and, unless the worker is stopping, the next job claimed with it.
   */
  private async finish(job: Job, result: AttemptResult, startedAt: number): Promise<Job | null> {
    await this.housekeeping();
    return this.settle(job, result, Date.now() - startedAt, this.stopMode === 'none');
  }

  private checkingCancel = false;

  private async checkCancel(job: Job): Promise<void> {
    if (this.checkingCancel) return;
    this.checkingCancel = true;
    try {
      const now = await this.queue.backend.getJob(job.id);
      if (now?.cancel_requested && this.current?.job === job) {
        this.log('info', 'job_cancelling', { job: job.id, message: 'cancelled by an operator; stopping the command' });
        this.current.run.abort('cancelled');
      }
    } catch (e) {
      this.dbError('check for a cancel', e, { job: job.id });
    } finally {
      this.checkingCancel = false;
    }
  }

  /**
   * Stores the command's process group beside the job, so that if this worker is killed outright
   * the worker that recovers the job ends the command first. The job runs either way. Written
   * RECORD_COMMAND_AFTER_MS after the start, and only while the command is still this worker's
   * (its shell running, or output still coming from what it left in its group). The leader's
   * start time was read as it started, while it was sure to be there (exec.ts).
   */
  private recordCommand(job: Job, pid: number, start: number | null): void {
    setTimeout(() => void this.writeCommandRecord(job, pid, start), RECORD_COMMAND_AFTER_MS);
  }

  private async writeCommandRecord(job: Job, pid: number, start: number | null): Promise<void> {
    // Retried while the command runs: if this worker dies (killed, or by SIGBUS on database files
    // made immutable under it), the command lives on in its own process group, and the worker that
    // recovers the job can end it before the next copy starts only if its pid is recorded.
    while (this.current?.job === job) {
      try {
        await this.queue.recordCommand(job, this.id, pid, start, this.probe.hostId);
        return;
      } catch (e) {
        this.dbError('record the command pid', e, { job: job.id });
      }
      await delay(this.retryDelay());
    }
  }

  /**
   * Records the result, retrying through database trouble: a finished job is never dropped. With
   * `claimNext`, the first try also claims the worker's next job (`Queue.settleAndClaim`), which
   * is returned; a claim that failed is logged like any failed claim, and the loop claims again.
   */
  private async settle(job: Job, result: AttemptResult, durationMs: number, claimNext = false): Promise<Job | null> {
    let r: SettleOutcome | null = null;
    let next: Job | null = null;
    if (claimNext) {
      try {
        // As before a claim: a wake that arrives from here on is kept for the next idle wait.
        this.waker.clear();
        const both = await this.queue.settleAndClaim(job, this.id, result, this.config, {
          queue: this.opts.queueName,
          leaseMs: this.config.lease_seconds * 1000,
        });
        r = both.settle;
        next = both.next;
        if (both.settleError !== undefined) this.dbError('settle', both.settleError, { job: job.id });
        if (both.claimError !== undefined) {
          this.dbError('claim', both.claimError);
          await this.waker.sleep(this.retryDelay());
        } else if (both.settleError === undefined) {
          this.dbErrors = 0;
        }
      } catch (e) {
        // Nothing was claimed; the settle may or may not be applied, which the plain settle learns.
        this.dbError('settle', e, { job: job.id });
        await delay(this.retryDelay());
      }
    }
    r ??= await this.settleRetrying(job, result);
    if (!r.settled) {
      this.log('warn', 'job_lost', {
        job: job.id,
        outcome: result.outcome,
        message: 'the job was recovered from this worker (its lease had expired) before its result could be recorded',
      });
      return next;
    }
    if (result.outcome === 'succeeded') this.jobsDone++;
    else if (result.outcome !== 'interrupted' && result.outcome !== 'cancelled') this.jobsFailed++;
    this.log(result.outcome === 'succeeded' ? 'info' : 'warn', 'job_finished', {
      job: job.id,
      attempt: job.attempts,
      outcome: describeOutcome(result),
      exit_code: result.exit_code,
      signal: result.signal,
      error: result.error,
      state: r.state,
      ...(r.state === 'failed' ? { retry_at: new Date(r.run_at).toISOString() } : {}),
      duration_ms: durationMs,
    });
    return next;
  }

  private async settleRetrying(job: Job, result: AttemptResult): Promise<SettleOutcome> {
    for (;;) {
      try {
        const r = await this.queue.settle(job, this.id, result, this.config);
        this.dbErrors = 0;
        return r;
      } catch (e) {
        this.dbError('settle', e, { job: job.id });
        await delay(this.retryDelay());
      }
    }
  }

  // --- leases, heartbeats and output ------------------------------------------------------

  private resetHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatEvery = heartbeatIntervalMs(this.config.lease_seconds);
    this.heartbeatTimer = setInterval(() => void this.beat(), this.heartbeatEvery);
  }

  private scheduleStateBeat(): void {
    if (this.stateBeat) return;
    this.stateBeat = setTimeout(() => {
      this.stateBeat = undefined;
      void this.beat();
    }, this.opts.stateBeatDelayMs ?? 250);
  }

  /** Renews the running job's lease and this worker's heartbeat; learns of stop requests. */
  private async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      this.fence();
      if (this.holding) await this.renew(this.holding.job);
      const held = this.holding;
      const { stopRequested, force, registered } = await this.queue.heartbeat(this.id, {
        state: this.state,
        current_job_id: held?.job.id ?? null,
        job_started_at: held ? held.startedAt : null,
        jobs_done: this.jobsDone,
        jobs_failed: this.jobsFailed,
        clock_skew_ms: this.queue.backend.clockSkewMs(),
      });
      if (!registered) {
        // The record is gone (the database lost it, or someone removed it): stay visible and stoppable.
        this.log('warn', 'worker_reregistered', { message: 'this worker\'s record was missing from the database' });
        await this.queue.registerWorker({ ...this.record(this.startedAt), heartbeat_at: this.queue.now() });
      }
      if (force) this.stop('now', 'forced stop requested through the database');
      else if (stopRequested) this.stop('graceful', 'stop requested through the database');
    } catch (e) {
      this.dbError('heartbeat', e);
    } finally {
      this.beating = false;
      if (this.beatAgain && this.live) {
        this.beatAgain = false;
        void this.beat();
      }
    }
  }

  /** Saves output as it comes, one write at a time; a newer tail replaces one not yet written. */
  private flushOutput(job: Job, tail: OutputTail): void {
    this.pendingTail = tail;
    if (this.flushing) return;
    this.flushing = true;
    void (async () => {
      while (this.pendingTail && this.current?.job === job) {
        const t = this.pendingTail;
        this.pendingTail = null;
        await this.renew(job, t);
      }
      this.flushing = false;
    })();
  }

  private async renew(job: Job, tail?: OutputTail): Promise<void> {
    const asked = performance.now();
    try {
      const held = await this.queue.extendLease(job, this.id, this.config.lease_seconds * 1000, tail);
      if (held) {
        if (this.holding?.job === job) this.renewedAt = Math.max(this.renewedAt, asked);
      } else if (this.current?.job === job) {
        // Another worker recovered the job (this one looked dead): it will run again there.
        this.log('warn', 'lease_lost', { job: job.id });
        this.current.run.abort();
      }
    } catch (e) {
      this.dbError('renew lease', e, { job: job.id });
    }
  }

  /**
   * Where workers this one cannot see share the database, a command whose lease has gone
   * unrenewed for `fenceAfterMs` is stopped before the lease can run out: another worker may
   * take the job after that, and the two copies must never overlap.
   */
  private fence(): void {
    if (!this.fencing || !this.current || this.fenced === this.current.job) return;
    const since = performance.now() - this.renewedAt;
    if (since < fenceAfterMs(this.config.lease_seconds)) return;
    this.fenced = this.current.job;
    this.log('warn', 'lease_fenced', { job: this.current.job.id, unrenewed_ms: Math.round(since), message: 'the lease could not be renewed; the command was stopped before it could run out' });
    this.current.run.abort();
  }

  // --- stopping ----------------------------------------------------------------------------

  private armShutdownTimer(): void {
    if (this.shutdownTimer || !this.current) return;
    const ms = this.config.shutdown_timeout_seconds * 1000;
    this.shutdownTimer = setTimeout(() => {
      this.log('warn', 'shutdown_timeout', { job: this.current?.job.id ?? null, waited_ms: ms });
      this.interruptJob();
    }, ms);
  }

  private interruptJob(): void {
    this.onHardStop?.();
    this.current?.run.abort();
  }

  // --- database trouble -------------------------------------------------------------------

  private retryDelay(): number {
    const min = this.opts.retryMinMs ?? 100;
    const max = this.opts.retryMaxMs ?? 5000;
    return Math.min(max, min * 2 ** Math.min(20, Math.max(0, this.dbErrors - 1)));
  }

  private dbError(op: string, e: unknown, fields?: Record<string, unknown>): void {
    this.dbErrors++;
    this.log('error', 'db_error', { op, error: oneLine(e), retry_in_ms: this.retryDelay(), ...fields });
  }

  /**
   * Retries `fn` through database errors: `limit` times (default: until it works), giving up
   * when a stop begins if `whileRunning`.
   */
  private async retrying<T>(op: string, fn: () => Promise<T>, opts: { limit?: number; whileRunning?: boolean } = {}): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        const v = await fn();
        this.dbErrors = 0;
        return v;
      } catch (e) {
        this.dbError(op, e);
        if (i >= (opts.limit ?? Infinity) || (opts.whileRunning && this.stopMode !== 'none')) throw e;
        await delay(this.retryDelay());
      }
    }
  }
}

/** A command as the log shows it: whole when short, else its start and its length. */
export function boundedCommand(command: string, max = 1000): string {
  return command.length <= max ? command : `${command.slice(0, max)}… (${command.length} characters)`;
}
