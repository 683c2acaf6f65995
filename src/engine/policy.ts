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
  }
}

/**
 * A job whose lease has expired belongs to a worker that is gone.
 * One still inside its lease is recovered early only when its worker is known dead
 * (a pid on this host that no longer exists).
 */
export function isLost(
  job: Pick<Job, 'state' | 'lease_expires_at'>,
  now: number,
  workerKnownDead: boolean,
): boolean {
  if (job.state !== 'processing') return false;
  if (workerKnownDead) return true;
  return job.lease_expires_at !== null && job.lease_expires_at < now;
}

/** How often a worker renews its lease and heartbeat: a third of the lease, at most 5 s. */
export function heartbeatIntervalMs(leaseSeconds: number): number {
  return Math.max(100, Math.min(5000, (leaseSeconds * 1000) / 3));
}

/** A worker that has not beaten for a whole lease is presumed gone. */
export function isWorkerStale(worker: { heartbeat_at: number }, now: number, leaseSeconds: number): boolean {
  return now - worker.heartbeat_at > leaseSeconds * 1000;
}
