import type { Attempt, Job, StateCounts, Throughput } from '../engine/types.js';
import type { WorkerRow } from './types.js';

/**
 * Cheap comparisons of fresh query results with what the store holds, so a refresh that finds
 * nothing new leaves the state (and so the screen) untouched.
 */

export function sameJob(a: Job, b: Job): boolean {
  return (
    a.id === b.id &&
    a.updated_at === b.updated_at &&
    a.state === b.state &&
    a.attempts === b.attempts &&
    a.run_at === b.run_at &&
    a.priority === b.priority &&
    a.worker_id === b.worker_id &&
    a.started_at === b.started_at &&
    a.finished_at === b.finished_at &&
    a.last_outcome === b.last_outcome &&
    a.exit_code === b.exit_code &&
    a.output_bytes === b.output_bytes &&
    a.output.length === b.output.length &&
    a.lease_expires_at === b.lease_expires_at &&
    a.last_error === b.last_error
  );
}

export function sameJobs(a: readonly Job[], b: readonly Job[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameJob(a[i], b[i])) return false;
  return true;
}

export function sameAttempts(a: readonly Attempt[], b: readonly Attempt[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.n !== y.n || x.finished_at !== y.finished_at || x.outcome !== y.outcome || x.worker_id !== y.worker_id) return false;
  }
  return true;
}

export function sameWorkers(a: readonly WorkerRow[], b: readonly WorkerRow[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (
      x.id !== y.id ||
      x.heartbeat_at !== y.heartbeat_at ||
      x.state !== y.state ||
      x.current_job_id !== y.current_job_id ||
      x.job_started_at !== y.job_started_at ||
      x.jobs_done !== y.jobs_done ||
      x.jobs_failed !== y.jobs_failed ||
      x.stop_requested !== y.stop_requested ||
      x.health !== y.health ||
      x.pid !== y.pid
    ) {
      return false;
    }
  }
  return true;
}

export function sameCounts(a: StateCounts | null, b: StateCounts | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  for (const k of Object.keys(a) as Array<keyof StateCounts>) if (a[k] !== b[k]) return false;
  return true;
}

export function sameThroughput(a: Throughput, b: Throughput): boolean {
  return a.completed === b.completed && a.failed === b.failed;
}

export function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
