import type { Config } from './config.js';
import { type HolderState, recoveryGraceMs, recoveryVerdict } from './policy.js';
import type { Queue } from './queue.js';
import { recoverMove } from './rules.js';
import type { Job, WorkerRecord } from './types.js';

/**
 * What recovery may know and do about processes. Only processes with this process's host id are
 * looked at or signalled; every check and signal is guarded by the process start time, against a
 * pid reused by an unrelated process.
 */
export interface HostProbe {
  hostId: string;
  /** A worker process on this host id: running, frozen, or gone (a reused pid counts as gone). */
  workerState(pid: number, start: number | null): Exclude<HolderState, 'remote'>;
  /** Ends a command's process group on this host id (guarded by its leader's start time); resolves once it is gone. */
  endCommand(pgid: number, start: number | null): Promise<void>;
  /**
   * Ends, on this host id, the process groups of the processes that carry this attempt of the job
   * in their environment: the command of a worker lost before it recorded the command's pid.
   */
  endJobCommand?(jobId: string, attempt: number): Promise<void>;
}

export interface RecoveredJob {
  job: Job;
  state: Job['state'];
  why: string;
}

/**
 * Lease recovery, run by every worker now and then. It keeps, between runs, when it first saw
 * each lease expired: a worker that may still be alive is given `recoveryGraceMs` to renew before
 * its job is taken (see `policy.recoveryVerdict`). Before a job runs again, the command its lost
 * worker left running on this host is ended, so the command never runs twice at once here.
 */
/** How often a recoverer re-checks a page of waiting jobs, where a lost process can leave one behind. */
const SWEEP_EVERY_MS = 5000;

export class Recovery {
  private readonly seen = new Map<string, { lease: number | null; since: number }>();
  /** Where the sweep of waiting jobs goes on from, and when it last ran (monotonic). */
  private sweepCursor: string | null = null;
  private sweptAt = -Infinity;

  constructor(
    private readonly queue: Queue,
    private readonly probe: HostProbe,
    /** This worker: its own jobs are renewed by itself, never recovered. */
    private readonly selfId: string | null = null,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** Whether the last run saw a worker of another host id (one whose processes cannot be seen from here). */
  sawOtherHost = false;

  async run(config: Config): Promise<RecoveredJob[]> {
    const [workers, running] = await Promise.all([this.queue.workers(), this.queue.processing()]);
    this.sawOtherHost = workers.some((w) => w.host_id !== this.probe.hostId);
    const now = this.queue.now();
    const byId = new Map(workers.map((w) => [w.id, w]));
    const deadHere = new Set<string>();
    for (const w of workers) {
      if (w.id !== this.selfId && w.host_id === this.probe.hostId && this.probe.workerState(w.pid, w.pid_start) === 'gone') deadHere.add(w.id);
    }
    const grace = recoveryGraceMs(config.lease_seconds);
    const recovered: RecoveredJob[] = [];
    const present = new Set<string>();
    for (const job of running) {
      if (job.worker_id === this.selfId && this.selfId !== null) continue;
      present.add(job.id);
      const holder = this.holderState(job, byId.get(job.worker_id ?? ''), deadHere);
      const expiredFor = this.expiredFor(job, now);
      const verdict = recoveryVerdict(job, holder, now, expiredFor, grace);
      if (verdict !== 'recover') continue;
      const why = this.why(job, holder);
      if (job.command_pid !== null) {
        if (job.command_host === this.probe.hostId) await this.probe.endCommand(job.command_pid, job.command_start);
      } else if (holder !== 'remote' && this.probe.endJobCommand) {
        // A worker of this host id lost before it recorded the pid (it writes it shortly after the
        // start, see runner.ts, or the write failed): its command, if one started, is found by its
        // environment.
        await this.probe.endJobCommand(job.id, job.attempts);
      }
      const { move, decision } = recoverMove(job, why, config, now);
      const moved = await this.queue.applyMove(job.id, move);
      this.seen.delete(job.id);
      if (moved) recovered.push({ job, state: decision.state, why });
    }
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    // A dead worker's record goes once it holds nothing (its jobs were just recovered above).
    const stillHeld = new Set((recovered.length > 0 ? await this.queue.processing() : running).map((j) => j.worker_id));
    for (const id of deadHere) {
      if (!stillHeld.has(id)) await this.queue.deregisterWorker(id, 'its process is gone', true);
    }
    await this.sweepWaiting();
    return recovered;
  }

  /**
   * Where dependents are resolved after the write that finished their dependency rather than in
   * it (MongoDB), a process lost in between leaves them waiting: each pass re-checks one page of
   * waiting jobs, walking all of them in turn, so none waits forever.
   */
  private async sweepWaiting(): Promise<void> {
    if (this.queue.backend.releasesAtomically) return;
    const t = this.monotonic();
    if (t - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = t;
    this.sweepCursor = (await this.queue.sweepWaiting(this.sweepCursor)).next;
  }

  private holderState(job: Job, worker: WorkerRecord | undefined, deadHere: Set<string>): HolderState {
    if (worker === undefined) return 'remote';
    if (deadHere.has(worker.id)) return 'gone';
    if (worker.host_id !== this.probe.hostId) return 'remote';
    return this.probe.workerState(worker.pid, worker.pid_start);
  }

  /** How long this recoverer has seen this job's current lease expired. */
  private expiredFor(job: Job, now: number): number {
    const t = this.monotonic();
    if (job.lease_expires_at === null || job.lease_expires_at >= now) {
      this.seen.delete(job.id);
      return 0;
    }
    const s = this.seen.get(job.id);
    if (!s || s.lease !== job.lease_expires_at) {
      this.seen.set(job.id, { lease: job.lease_expires_at, since: t });
      return 0;
    }
    return t - s.since;
  }

  private why(job: Job, holder: HolderState): string {
    const w = job.worker_id ?? '?';
    switch (holder) {
      case 'gone':
        return `worker ${w} was lost while running the job (its process is gone)`;
      case 'stopped':
        return `worker ${w} was lost while running the job (its process is frozen and its lease expired)`;
      case 'alive':
        return `worker ${w} stopped renewing its lease (hung)`;
      case 'remote':
        return `worker ${w} was lost while running the job (its lease expired)`;
    }
  }
}
