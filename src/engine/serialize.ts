import { describeOutcome } from './policy.js';
import type { Attempt, Dependency, Job, Schedule, WorkerRecord } from './types.js';

/** Epoch milliseconds to ISO-8601, keeping null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A job as `--json` prints it: the stored field names, times as ISO-8601 strings. */
export function jobToJson(job: Job) {
  return {
    id: job.id,
    command: job.command,
    state: job.state,
    attempts: job.attempts,
    max_retries: job.max_retries,
    priority: job.priority,
    run_at: iso(job.run_at),
    timeout_seconds: job.timeout_seconds,
    queue: job.queue,
    cwd: job.cwd,
    created_at: iso(job.created_at),
    updated_at: iso(job.updated_at),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    worker_id: job.worker_id,
    lease_expires_at: iso(job.lease_expires_at),
    exit_code: job.exit_code,
    last_error: job.last_error,
    last_outcome: job.last_outcome,
    output: job.output,
    output_bytes: job.output_bytes,
    command_pid: job.command_pid,
    cancel_requested: job.cancel_requested,
    unique_key: job.unique_key,
    unique_until: iso(job.unique_until),
    after: job.after,
    schedule: job.schedule,
  };
}

/** A job's dependencies as `show --json` prints them: each with its state (null: purged), and those still open. */
export function dependenciesToJson(deps: Dependency[]) {
  return {
    dependencies: deps.map((d) => ({ id: d.id, state: d.state })),
    waiting_for: deps.filter((d) => d.state !== 'completed').map((d) => d.id),
  };
}

export function attemptToJson(a: Attempt) {
  return {
    n: a.n,
    worker_id: a.worker_id,
    started_at: iso(a.started_at),
    finished_at: iso(a.finished_at),
    duration_ms: a.finished_at === null ? null : a.finished_at - a.started_at,
    outcome: a.outcome,
    result: describeOutcome(a),
    exit_code: a.exit_code,
    signal: a.signal,
    error: a.error,
  };
}

export function workerToJson(w: WorkerRecord, now: number) {
  return {
    id: w.id,
    pid: w.pid,
    host: w.host,
    host_id: w.host_id,
    queue: w.queue,
    state: w.state,
    current_job_id: w.current_job_id,
    job_started_at: iso(w.job_started_at),
    started_at: iso(w.started_at),
    heartbeat_at: iso(w.heartbeat_at),
    heartbeat_age_ms: now - w.heartbeat_at,
    jobs_done: w.jobs_done,
    jobs_failed: w.jobs_failed,
    stop_requested: w.stop_requested,
    clock_skew_ms: w.clock_skew_ms,
  };
}

/**
 * A schedule as `--json` prints it: its spec, the job it enqueues, its policies, its next
 * firings, and its newest job (the last run) as far as it has got.
 */
export function scheduleToJson(s: Schedule, nextFirings: number[], lastJob: Job | null) {
  return {
    name: s.name,
    kind: s.spec.kind,
    cron: s.spec.kind === 'cron' ? s.spec.cron : null,
    tz: s.spec.kind === 'cron' ? s.spec.tz : null,
    every_ms: s.spec.kind === 'every' ? s.spec.every_ms : null,
    command: s.job.command,
    queue: s.job.queue,
    max_retries: s.job.max_retries,
    priority: s.job.priority,
    timeout_seconds: s.job.timeout_seconds,
    cwd: s.job.cwd,
    catch_up: s.catch_up,
    overlap: s.overlap,
    paused: s.paused,
    created_at: iso(s.created_at),
    next_firings: nextFirings.map((t) => new Date(t).toISOString()),
    last_fire_at: iso(s.last_fire_at),
    last_run: lastJob === null ? null : { id: lastJob.id, state: lastJob.state, last_outcome: lastJob.last_outcome, exit_code: lastJob.exit_code, finished_at: iso(lastJob.finished_at) },
  };
}
