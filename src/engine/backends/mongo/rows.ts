import mongoose from 'mongoose';
import { oneLine } from '../../errors.js';
import { pendingJob } from '../../job-input.js';
import type { Job, JobState, NewJob, WorkerRecord } from '../../types.js';
import type { JobDoc, WorkerDoc } from './models.js';

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
  };
}

export function toWorker(d: WorkerDoc): WorkerRecord {
  const { _id, stop_force: _force, ...rest } = d;
  return { id: _id, ...rest, queue: rest.queue ?? null, current_job_id: rest.current_job_id ?? null, job_started_at: rest.job_started_at ?? null, stop_requested: rest.stop_requested === true };
}

export function tail(text: string): string {
  if (text.length <= MAX_STORED_OUTPUT_BYTES / 4) return text;
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= MAX_STORED_OUTPUT_BYTES ? text : buf.subarray(buf.length - MAX_STORED_OUTPUT_BYTES).toString('utf8');
}

export function isMongoError(e: unknown): boolean {
  return e instanceof mongoose.mongo.MongoError || e instanceof mongoose.Error;
}

export function errorCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown }).code;
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

/** A new job as stored: pending, with its place in the insertion order. */
export function newJobDoc(j: NewJob, seq: number): JobDoc {
  const { id, ...job } = pendingJob(j);
  return { _id: id, seq, ...job, history: [] };
}
