import type { AttemptResult, Job, JobState, OutcomeKind } from './types.js';

/** Seconds to wait after the n-th failed attempt: `base ^ n`, capped. */
export function backoffSeconds(failedAttempts: number, base: number, maxSeconds: number): number {
  if (failedAttempts <= 0) return 0;
  const raw = Math.pow(base, failedAttempts);
  if (!Number.isFinite(raw)) return maxSeconds;
  return Math.min(raw, maxSeconds);
}

export interface RetryDecision {
  state: Extract<JobState, 'failed' | 'dead'>;
  /** When the job may run again (unchanged for a dead job). */
  run_at: number;
}

/**
 * What a failed attempt leads to. `attempts` counts the attempt that just failed,
 * so with max_retries 3 the fourth failure is final.
 */
export function decideAfterFailure(
  job: Pick<Job, 'attempts' | 'max_retries' | 'run_at'>,
  now: number,
  backoff: { base: number; maxSeconds: number },
): RetryDecision {
  if (job.attempts > job.max_retries) return { state: 'dead', run_at: job.run_at };
  const delay = backoffSeconds(job.attempts, backoff.base, backoff.maxSeconds);
  return { state: 'failed', run_at: now + Math.round(delay * 1000) };
}

/** Whether an outcome uses up an attempt (a graceful interruption does not). */
export function countsAsAttempt(outcome: OutcomeKind): boolean {
  return outcome !== 'interrupted';
}

/** A short phrase for an outcome, as users and the dashboard see it. */
export function describeOutcome(r: { outcome: OutcomeKind | null; exit_code: number | null; signal: string | null }): string {
  switch (r.outcome) {
    case null:
      return 'running';
    case 'succeeded':
      return 'succeeded';
    case 'exit':
      return `exit ${r.exit_code ?? '?'}`;
    case 'timed_out':
      return 'timed out';
    case 'signal':
      return `killed by signal ${r.signal ?? '?'}`;
    case 'worker_lost':
      return 'worker lost';
    case 'interrupted':
      return 'interrupted';
    case 'error':
      return 'could not start';
    case 'cancelled':
      return 'cancelled';
  }
}

/**
 * What a recovering worker knows of the worker holding a job:
 * - `gone`: a process on this host id that no longer exists (or whose pid was reused);
 * - `stopped`: a process on this host id that is frozen (SIGSTOP, a debugger);
 * - `alive`: a process on this host id that runs;
 * - `remote`: on another host id, where its process cannot be seen.
 */
export type HolderState = 'gone' | 'stopped' | 'alive' | 'remote';

export type RecoveryVerdict = 'keep' | 'watch' | 'recover';

/**
 * Whether to take a job from its worker. A worker proven dead on this host loses its job at once.
 * Otherwise only an expired lease counts, and for a worker that may be alive (running here, or
 * anywhere else) only once the lease has stayed expired, unrenewed, for `graceMs` as seen by this
 * recoverer: after a stall of the whole database (a lock, a full disk, a frozen server) every
 * lease looks expired at once, and the live workers get that long to renew before anyone steals.
 *
 * `expiredForMs`: how long this recoverer has seen this very lease expired (0 on first sight).
 */
export function recoveryVerdict(
  job: Pick<Job, 'state' | 'lease_expires_at'>,
  holder: HolderState,
  now: number,
  expiredForMs: number,
  graceMs: number,
): RecoveryVerdict {
  if (job.state !== 'processing') return 'keep';
  if (holder === 'gone') return 'recover';
  if (job.lease_expires_at === null || job.lease_expires_at >= now) return 'keep';
  if (holder === 'stopped') return 'recover';
  return expiredForMs >= graceMs ? 'recover' : 'watch';
}

/** How long an expired lease must stay unrenewed before a possibly live worker loses its job. */
export function recoveryGraceMs(leaseSeconds: number): number {
  return 2 * heartbeatIntervalMs(leaseSeconds) + 1000;
}

/**
 * How long a worker on a database shared across hosts may go without renewing its lease before it
 * stops its own command: a margin before the lease runs out, so that a copy started elsewhere
 * after recovery never overlaps one whose worker still runs.
 */
export function fenceAfterMs(leaseSeconds: number): number {
  const lease = leaseSeconds * 1000;
  return Math.max(lease / 2, lease - Math.min(5000, lease / 4));
}

/** How often a worker renews its lease and heartbeat: a third of the lease, at most 5 s. */
export function heartbeatIntervalMs(leaseSeconds: number): number {
  return Math.max(100, Math.min(5000, (leaseSeconds * 1000) / 3));
}

/** A worker that has not beaten for a whole lease is presumed gone. */
export function isWorkerStale(worker: { heartbeat_at: number }, now: number, leaseSeconds: number): boolean {
  return now - worker.heartbeat_at > leaseSeconds * 1000;
}
