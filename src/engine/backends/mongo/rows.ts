import { Error as MongooseError, mongo } from 'mongoose';
import { AuthenticationError, QueueError, StorageError, oneLine } from '../../errors.js';
import { pendingJob } from '../../job-input.js';
import { enqueuedEvent } from '../../rules.js';
import type { Job, JobEvent, JobState, NewEvent, NewJob, WorkerRecord } from '../../types.js';
import { searchFields } from './list.js';
import type { EventDoc, JobDoc, WorkerDoc } from './schema.js';
import type { Scrubber } from './uri.js';

/** Stored documents to engine records and back, and what the driver's errors mean. */

/** A document must stay under MongoDB's 16 MB, whatever `output_limit_bytes` allows. */
const MAX_STORED_OUTPUT_BYTES = 4 * 1024 * 1024;

export function toJob(d: Partial<JobDoc>): Job {
  return {
    id: d._id as string,
    command: d.command as string,
    state: d.state as JobState,
    attempts: d.attempts ?? 0,
    max_retries: d.max_retries ?? 0,
    priority: d.priority ?? 0,
    run_at: d.run_at as number,
    timeout_seconds: d.timeout_seconds ?? null,
    queue: d.queue as string,
    cwd: d.cwd as string,
    created_at: d.created_at as number,
    updated_at: d.updated_at as number,
    started_at: d.started_at ?? null,
    finished_at: d.finished_at ?? null,
    worker_id: d.worker_id ?? null,
    lease_expires_at: d.lease_expires_at ?? null,
    exit_code: d.exit_code ?? null,
    last_error: d.last_error ?? null,
    last_outcome: d.last_outcome ?? null,
    output: d.output ?? '',
    output_bytes: d.output_bytes ?? 0,
    command_pid: d.command_pid ?? null,
    command_start: d.command_start ?? null,
    command_host: d.command_host ?? null,
    claim_token: d.claim_token ?? null,
    cancel_requested: d.cancel_requested === true,
    unique_key: d.unique_key ?? null,
    unique_until: d.unique_until ?? null,
    after: d.after ?? [],
    schedule: d.schedule ?? null,
  };
}

export function toWorker(d: WorkerDoc): WorkerRecord {
  return {
    id: d._id,
    pid: d.pid,
    host: d.host,
    host_id: d.host_id ?? '',
    pid_start: d.pid_start ?? null,
    clock_skew_ms: d.clock_skew_ms ?? 0,
    queue: d.queue ?? null,
    state: d.state,
    current_job_id: d.current_job_id ?? null,
    job_started_at: d.job_started_at ?? null,
    started_at: d.started_at,
    heartbeat_at: d.heartbeat_at,
    jobs_done: d.jobs_done ?? 0,
    jobs_failed: d.jobs_failed ?? 0,
    stop_requested: d.stop_requested === true,
  };
}

/** The stored output: the tail of what fits in a document. */
export function tail(text: string): string {
  if (text.length <= MAX_STORED_OUTPUT_BYTES / 4) return text;
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= MAX_STORED_OUTPUT_BYTES ? text : buf.subarray(buf.length - MAX_STORED_OUTPUT_BYTES).toString('utf8');
}

// --- events -----------------------------------------------------------------------------

/**
 * Event keys: a random tag per process and a counter, fixed width, so keys are unique across
 * processes and, within one process, sort in the order its events were written.
 */
const KEY_TAG = Math.floor(Math.random() * 36 ** 8)
  .toString(36)
  .padStart(8, '0');
let keyCounter = 0;
export function eventKey(): string {
  keyCounter = (keyCounter + 1) % 36 ** 10;
  return KEY_TAG + keyCounter.toString(36).padStart(10, '0');
}

/** An event as kept inside its job: the job's id and queue are the job's own. */
export function eventDoc(e: Omit<NewEvent, 'job_id' | 'queue'>): EventDoc {
  return { k: eventKey(), at: e.at, type: e.type, worker_id: e.worker_id, attempt: e.attempt, detail: e.detail };
}

/** An event's id and cursor: its time and key, in the order events are listed. */
export function encodeEventId(at: number, k: string): string {
  return `${at.toString(36)}.${k}`;
}

export function toEvent(e: EventDoc, jobId: string | null, queue: string | null): JobEvent {
  return {
    id: encodeEventId(e.at, e.k),
    at: e.at,
    type: e.type,
    job_id: jobId,
    queue,
    worker_id: e.worker_id ?? null,
    attempt: e.attempt ?? null,
    detail: e.detail ?? null,
  };
}

/** A new job as stored: pending (or waiting), with its place in the insertion order and its `enqueued` event. */
export function newJobDoc(j: NewJob, seq: number): JobDoc {
  const { id, after, ...job } = pendingJob(j);
  const { job_id: _j, queue: _q, ...event } = enqueuedEvent(j);
  return { _id: id, seq, ...job, ...(after.length > 0 ? { after } : {}), history: [], events: [eventDoc(event)], ...searchFields(id, job.command) };
}

// --- errors -----------------------------------------------------------------------------

export function isMongoError(e: unknown): boolean {
  return e instanceof mongo.MongoError || e instanceof MongooseError;
}

export function errorCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** The server cannot do change streams (a standalone mongod, or a server without them). */
export function changeStreamsUnsupported(e: unknown): boolean {
  const code = errorCode(e);
  return code === 40573 || code === 115 || code === 40324 || /replica set|not supported|not implemented|unrecognized pipeline stage/i.test(oneLine(e));
}

/** The server cannot run multi-document transactions (a standalone server). */
export function transactionsUnsupported(e: unknown): boolean {
  return errorCode(e) === 20 || /does not support sessions|transaction numbers are only allowed|not supported|unknown field "autocommit"/i.test(oneLine(e));
}

/** The error and what it wraps (the driver nests the reason of a failed connection). */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let cur = e; cur && out.length < 5 && !out.includes(cur); cur = (cur as { cause?: unknown }).cause) out.push(cur);
  // A server selection that failed keeps each server's last error in its topology description.
  const servers = (e as { reason?: { servers?: Map<string, { error?: unknown }> } } | null)?.reason?.servers;
  if (servers instanceof Map) for (const s of servers.values()) if (s?.error) out.push(s.error);
  return out;
}

/** The server refused the credentials (code 18, AuthenticationFailed). */
export function isAuthenticationFailure(e: unknown): boolean {
  return chain(e).some((x) => {
    const err = x as { code?: unknown; codeName?: unknown; message?: unknown };
    return err.code === 18 || err.codeName === 'AuthenticationFailed' || /authentication failed/i.test(String(err.message ?? ''));
  });
}

/** Server error codes meaning the operation was cut off (shutdown, step-down, interruption). */
const INTERRUPTED_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11601, 11602, 13435, 13436]);

/**
 * The connection broke, timed out or the server stepped down while an operation was under way:
 * it may have been applied although the driver reports failure.
 */
export function isUnknownOutcome(e: unknown): boolean {
  return chain(e).some((x) => {
    if (x instanceof mongo.MongoNetworkError || x instanceof mongo.MongoServerSelectionError) return true;
    if (x instanceof mongo.MongoTopologyClosedError || x instanceof mongo.MongoServerClosedError || x instanceof mongo.MongoOperationTimeoutError) return true;
    if (x instanceof MongooseError.MongooseServerSelectionError) return true;
    if (x instanceof mongo.MongoError) {
      if (['RetryableWriteError', 'TransientTransactionError', 'UnknownTransactionCommitResult', 'ResetPool', 'PoolRequstedRetry', 'InterruptInUseConnections'].some((l) => x.hasErrorLabel(l))) return true;
      if (INTERRUPTED_CODES.has(errorCode(x) ?? -1)) return true;
      if (/interrupted/i.test(x.message)) return true;
    }
    return false;
  });
}

/**
 * Driver errors as the engine's, in one line that never carries the password: refused
 * credentials are an AuthenticationError (retrying will not help); a broken or timed-out
 * connection is transient with an unknown outcome (the caller reads back); anything else the
 * server said is a transient StorageError.
 */
/** Socket errors Node raises itself when the server goes away mid-operation (not wrapped by the driver). */
const SOCKET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED']);

export function isSocketError(e: unknown): boolean {
  return chain(e).some((x) => {
    const err = x as { code?: unknown; message?: unknown };
    return (typeof err.code === 'string' && SOCKET_CODES.has(err.code)) || /socket has been ended by the other party/i.test(String(err.message ?? ''));
  });
}

export function mapMongoError(e: unknown, location: string, scrub: Scrubber): unknown {
  if (e instanceof QueueError) return e;
  if (!isMongoError(e)) {
    // The connection broke under an operation: it may have been applied.
    if (isSocketError(e)) return new StorageError(`MongoDB at ${location}: ${scrub(oneLine(e))}`, { transient: true, unknownOutcome: true });
    return e;
  }
  if (isAuthenticationFailure(e)) return authenticationError(location);
  if (isUnknownOutcome(e)) {
    return new StorageError(`MongoDB at ${location}: ${scrub(oneLine(e))}`, { transient: true, unknownOutcome: true });
  }
  return new StorageError(`MongoDB at ${location}: ${scrub(oneLine(e))}`, { transient: true });
}

export function authenticationError(location: string): AuthenticationError {
  return new AuthenticationError(`MongoDB at ${location} refused the credentials (authentication failed): check the user name, password and authSource`);
}
