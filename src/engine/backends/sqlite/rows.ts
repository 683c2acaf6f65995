import { DatabaseReplacedError, StorageError } from '../../errors.js';
import type { Job, JobEvent, JobState, WorkerRecord } from '../../types.js';

/** Rows as SQLite returns them, to engine records; and SQLite's errors, to the engine's. */

export type Row = Record<string, unknown>;

/** How long a statement waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;
/** workers.stop_requested: 0 none, 1 after the running job, 2 at once. */
export const STOP_GRACEFUL = 1;
export const STOP_FORCE = 2;

export function toJob(r: Row): Job {
  return {
    id: r.id as string,
    command: r.command as string,
    state: r.state as JobState,
    attempts: r.attempts as number,
    max_retries: r.max_retries as number,
    priority: r.priority as number,
    run_at: r.run_at as number,
    timeout_seconds: (r.timeout_seconds as number | null) ?? null,
    queue: r.queue as string,
    cwd: r.cwd as string,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
    started_at: (r.started_at as number | null) ?? null,
    finished_at: (r.finished_at as number | null) ?? null,
    worker_id: (r.worker_id as string | null) ?? null,
    lease_expires_at: (r.lease_expires_at as number | null) ?? null,
    exit_code: (r.exit_code as number | null) ?? null,
    last_error: (r.last_error as string | null) ?? null,
    last_outcome: (r.last_outcome as Job['last_outcome']) ?? null,
    output: (r.output as string) ?? '',
    output_bytes: (r.output_bytes as number) ?? 0,
    command_pid: (r.command_pid as number | null) ?? null,
    command_start: (r.command_start as number | null) ?? null,
    command_host: (r.command_host as string | null) ?? null,
    claim_token: (r.claim_token as string | null) ?? null,
    cancel_requested: r.cancel_requested === 1,
    unique_key: (r.unique_key as string | null) ?? null,
    unique_until: (r.unique_until as number | null) ?? null,
    after: typeof r.after_ids === 'string' ? (JSON.parse(r.after_ids) as string[]) : [],
    schedule: (r.schedule as string | null) ?? null,
  };
}

export function toWorker(r: Row): WorkerRecord {
  return {
    id: r.id as string,
    pid: r.pid as number,
    host: r.host as string,
    host_id: (r.host_id as string) ?? '',
    pid_start: (r.pid_start as number | null) ?? null,
    clock_skew_ms: (r.clock_skew_ms as number) ?? 0,
    queue: (r.queue as string | null) ?? null,
    state: r.state as WorkerRecord['state'],
    current_job_id: (r.current_job_id as string | null) ?? null,
    job_started_at: (r.job_started_at as number | null) ?? null,
    started_at: r.started_at as number,
    heartbeat_at: r.heartbeat_at as number,
    jobs_done: r.jobs_done as number,
    jobs_failed: r.jobs_failed as number,
    stop_requested: r.stop_requested === STOP_GRACEFUL || r.stop_requested === STOP_FORCE,
  };
}

export function encodeSeq(seq: number): string {
  return seq.toString(36);
}

export function toEvent(r: Row): JobEvent {
  return {
    id: encodeSeq(r.seq as number),
    at: r.at as number,
    type: r.type as JobEvent['type'],
    job_id: (r.job_id as string | null) ?? null,
    queue: (r.queue as string | null) ?? null,
    worker_id: (r.worker_id as string | null) ?? null,
    attempt: (r.attempt as number | null) ?? null,
    detail: (r.detail as string | null) ?? null,
  };
}

/** SQLite's errors as the engine's: a lock held too long, a full disk or a read-only file are transient. */
export function mapError(e: unknown, path: string): unknown {
  if (e instanceof StorageError) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new StorageError(`database ${path} is locked by another process (waited ${BUSY_TIMEOUT_MS / 1000}s)`, { cause: e, transient: true, locked: true });
  }
  if (code === 'SQLITE_FULL') return new StorageError(`database ${path}: the disk is full`, { cause: e, transient: true });
  if (code.startsWith('SQLITE_READONLY')) {
    if (code === 'SQLITE_READONLY_DBMOVED') return new DatabaseReplacedError(`database ${path} was moved or deleted while in use`, { cause: e });
    return new StorageError(`database ${path} is read-only: ${err.message ?? code}`, { cause: e, transient: true });
  }
  if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PROTOCOL') {
    return new StorageError(`database ${path}: ${err.message ?? code}`, { cause: e, transient: true });
  }
  if (code.startsWith('SQLITE_')) return new StorageError(`database ${path}: ${err.message ?? code}`, { cause: e });
  return e;
}

/** A value as SQLite stores it: booleans as 1 and 0. */
export function sqlValue(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}
