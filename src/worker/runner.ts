import { hostname } from 'node:os';
import type { OutputTail } from '../engine/backend.js';
import type { Config } from '../engine/config.js';
import { oneLine } from '../engine/errors.js';
import { describeOutcome, heartbeatIntervalMs } from '../engine/policy.js';
import type { Queue } from '../engine/queue.js';
import type { AttemptResult, Job, WorkerState } from '../engine/types.js';
import { type RunningCommand, startCommand } from './exec.js';
import type { Logger } from './log.js';
import { isPidAlive, killProcessGroup } from '../engine/liveness.js';
import { Waker } from './wake.js';

export interface RunnerOptions {
  queue: Queue;
  id: string;
  /** null: every queue. */
  queueName: string | null;
  log: Logger;
  host?: string;
  pid?: number;
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
}

type StopMode = 'none' | 'graceful' | 'now';

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
  private jobsDone = 0;
  private jobsFailed = 0;
  private readonly waker = new Waker();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatEvery = 0;
  private beating = false;
  private stateBeat: NodeJS.Timeout | undefined;
  private shutdownTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private pendingTail: OutputTail | null = null;
  private dbErrors = 0;
  /** Called when a stop that kills the running job begins (the process arms its forced exit). */
  onHardStop: (() => void) | undefined;

  constructor(private readonly opts: RunnerOptions) {
    this.queue = opts.queue;
    this.log = opts.log;
    this.host = opts.host ?? hostname();
    this.pid = opts.pid ?? process.pid;
  }

  get id(): string {
    return this.opts.id;
  }

  private get state(): WorkerState {
    if (this.stopMode !== 'none') return 'stopping';
    return this.current ? 'busy' : 'idle';
  }

  /** Runs until stopped; the worker is registered on entry and deregistered on return. */
  async run(): Promise<void> {
    const now = this.queue.now();
    try {
      this.config = await this.retrying('read config', () => this.queue.config(), { whileRunning: true });
      this.configAt = Date.now();
      await this.retrying(
        'register',
        () =>
          this.queue.registerWorker({
            id: this.id,
            pid: this.pid,
            host: this.host,
            queue: this.opts.queueName,
            state: 'idle',
            current_job_id: null,
            job_started_at: null,
            started_at: now,
            heartbeat_at: now,
            jobs_done: 0,
            jobs_failed: 0,
            stop_requested: false,
          }),
        { whileRunning: true },
      );
    } catch (e) {
      if (this.stopMode !== 'none') return; // stopped before it could start: nothing to undo
      throw e;
    }
    this.log('info', 'worker_started', { pid: this.pid, host: this.host, queue: this.opts.queueName, db: this.queue.location });
    const unwatch = this.queue.watch(() => this.wake());
    this.resetHeartbeat();
    try {
      while (this.stopMode === 'none') {
        await this.housekeeping();
        if (this.stopMode !== 'none') break;
        // A wake that arrives while the claim runs is kept, so the next idle wait is skipped.
        this.waker.clear();
        const job = await this.claim();
        if (job) await this.runJob(job);
        else if (this.stopMode === 'none') await this.waker.idle(this.idleDelay());
      }
    } finally {
      unwatch?.();
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
    this.log('info', 'worker_stopping', { mode, reason, job: this.current?.job.id ?? null });
    this.scheduleStateBeat();
    this.wake();
    if (mode === 'now') this.interruptJob();
    else if (this.current) this.armShutdownTimer();
  }

  /** Ends an idle wait at once (a job may have arrived), or makes the next one return at once. */
  wake(): void {
    this.waker.wake();
  }

  // --- the loop ---------------------------------------------------------------------------

  private async housekeeping(): Promise<void> {
    const now = Date.now();
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

  private async recover(): Promise<void> {
    try {
      const recovered = await this.queue.recoverLost({ host: this.host, isPidAlive, killGroup: killProcessGroup, config: this.config });
      for (const job of recovered) {
        this.log('warn', 'job_recovered', { job: job.id, lost_worker: job.worker_id, state: job.state, attempts: job.attempts });
      }
    } catch (e) {
      this.dbError('recover lost jobs', e);
    }
  }

  private async runJob(job: Job): Promise<void> {
    const config = this.config;
    const seconds = job.timeout_seconds && job.timeout_seconds > 0 ? job.timeout_seconds : config.job_timeout_seconds;
    const startedAt = Date.now();
    let run: RunningCommand;
    try {
      run = startCommand({
        command: job.command,
        cwd: job.cwd,
        timeoutMs: Math.round(seconds * 1000),
        outputLimitBytes: config.output_limit_bytes,
        killGraceMs: this.opts.killGraceMs,
        flushIntervalMs: this.opts.flushIntervalMs,
        onOutput: (tail) => this.flushOutput(job, tail),
      });
    } catch (e) {
      // Options execa rejects before spawning (a malformed cwd): the attempt fails like a spawn error.
      const result: AttemptResult = {
        outcome: 'error',
        exit_code: null,
        signal: null,
        error: `could not start: ${oneLine(e)}`,
        output: '',
        output_bytes: 0,
        finished_at: Date.now(),
      };
      await this.settle(job, result, Date.now() - startedAt);
      return;
    }
    this.current = { job, run, startedAt };
    // The pid leads the job's process group: what to kill by hand if this worker is ever killed outright.
    this.log('info', 'job_started', { job: job.id, attempt: job.attempts, command: job.command, pid: run.pid ?? null });
    if (run.pid !== undefined) this.recordPid(job, run.pid);
    this.scheduleStateBeat();
    // A stop may have arrived while the job was being claimed.
    if (this.stopMode === 'now') this.interruptJob();
    else if (this.stopMode === 'graceful') this.armShutdownTimer();

    const result = await run.result;
    this.current = null;
    this.pendingTail = null;
    clearTimeout(this.shutdownTimer);
    this.shutdownTimer = undefined;
    await this.settle(job, result, Date.now() - startedAt);
    this.scheduleStateBeat();
  }

  /**
   * Stores the command's process group beside the job, so that if this worker is killed outright
   * the worker that recovers the job ends the command first. Best effort: the job runs either way.
   */
  private recordPid(job: Job, pid: number): void {
    this.queue.recordCommandPid(job, this.id, pid).catch((e: unknown) => this.dbError('record the command pid', e));
  }

  /** Records the result, retrying through database trouble: a finished job is never dropped. */
  private async settle(job: Job, result: AttemptResult, durationMs: number): Promise<void> {
    for (;;) {
      try {
        const r = await this.queue.settle(job, this.id, result, this.config);
        this.dbErrors = 0;
        if (!r.settled) {
          this.log('warn', 'job_lost', {
            job: job.id,
            outcome: result.outcome,
            message: 'the job was recovered from this worker (its lease had expired) before its result could be recorded',
          });
          return;
        }
        if (result.outcome === 'succeeded') this.jobsDone++;
        else if (result.outcome !== 'interrupted') this.jobsFailed++;
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
        return;
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
      if (this.current) await this.renew(this.current.job);
      const cur = this.current;
      const { stopRequested, force } = await this.queue.heartbeat(this.id, {
        state: this.state,
        current_job_id: cur?.job.id ?? null,
        job_started_at: cur ? cur.startedAt : null,
        jobs_done: this.jobsDone,
        jobs_failed: this.jobsFailed,
      });
      if (force) this.stop('now', 'forced stop requested through the database');
      else if (stopRequested) this.stop('graceful', 'stop requested through the database');
    } catch (e) {
      this.dbError('heartbeat', e);
    } finally {
      this.beating = false;
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
    try {
      const held = await this.queue.extendLease(job, this.id, this.config.lease_seconds * 1000, tail);
      if (!held && this.current?.job === job) {
        // Another worker recovered the job (this one looked dead): it will run again there.
        this.log('warn', 'lease_lost', { job: job.id });
        this.current.run.abort();
      }
    } catch (e) {
      this.dbError('renew lease', e, { job: job.id });
    }
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
