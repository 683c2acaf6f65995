import { type Connection, type Model, Schema } from 'mongoose';
import type { JobState, OutcomeKind, WorkerState } from '../../types.js';

/**
 * The stored shapes. A job's id is its `_id`, so the primary key is the unique id index.
 * `seq` is a global insertion number handed out by the counters document: the listings' order,
 * the claim's tie-break (oldest first) and the cursor, as `seq` is in the SQLite schema.
 *
 * A job's attempts live inside it (`history`), so a claim that starts an attempt and a
 * settlement that ends one are each a single-document write: atomic on every server, with or
 * without transactions.
 */
export interface AttemptDoc {
  /** Set when the attempt ends (while it runs, the job's `attempts` is its number). */
  n: number | null;
  worker_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: OutcomeKind | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
}

export interface JobDoc {
  _id: string;
  seq: number;
  command: string;
  state: JobState;
  attempts: number;
  max_retries: number;
  priority: number;
  run_at: number;
  timeout_seconds: number | null;
  queue: string;
  cwd: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  worker_id: string | null;
  lease_expires_at: number | null;
  exit_code: number | null;
  last_error: string | null;
  last_outcome: OutcomeKind | null;
  output: string;
  output_bytes: number;
  command_pid: number | null;
  history: AttemptDoc[];
}

export interface WorkerDoc {
  _id: string;
  pid: number;
  host: string;
  queue: string | null;
  state: WorkerState;
  current_job_id: string | null;
  job_started_at: number | null;
  started_at: number;
  heartbeat_at: number;
  jobs_done: number;
  jobs_failed: number;
  stop_requested: boolean;
  /** With stop_requested: stop at once, interrupting the running job. */
  stop_force?: boolean;
}

export interface ConfigDoc {
  _id: string;
  value: string;
}

/** One document (`_id: 'jobs'`) holding the next `seq`, the count of each state and the schema version. */
export type CounterDoc = { _id: string; seq: number; schema: number } & Partial<Record<JobState, number>>;

const opts = { versionKey: false, strict: true } as const;
const num = { type: Number, default: null };
const str = { type: String, default: null };

const attemptSchema = new Schema<AttemptDoc>(
  { n: num, worker_id: String, started_at: Number, finished_at: num, outcome: str, exit_code: num, signal: str, error: str },
  { ...opts, _id: false },
);

const jobSchema = new Schema<JobDoc>(
  {
    _id: String,
    seq: { type: Number, required: true },
    command: { type: String, required: true },
    state: { type: String, required: true },
    attempts: { type: Number, default: 0 },
    max_retries: Number,
    priority: { type: Number, default: 0 },
    run_at: Number,
    timeout_seconds: num,
    queue: String,
    cwd: String,
    created_at: Number,
    updated_at: Number,
    started_at: num,
    finished_at: num,
    worker_id: str,
    lease_expires_at: num,
    exit_code: num,
    last_error: str,
    last_outcome: str,
    output: { type: String, default: '' },
    output_bytes: { type: Number, default: 0 },
    command_pid: num,
    history: { type: [attemptSchema], default: [] },
  },
  { ...opts, collection: 'jobs' },
);
// The claim: equality on state (two values, merged in order by the server), then the order it
// takes jobs in; run_at bounds the scan. The queue variant serves workers bound to one queue.
jobSchema.index({ state: 1, priority: -1, run_at: 1, seq: 1 }, { name: 'claim' });
jobSchema.index({ state: 1, queue: 1, priority: -1, run_at: 1, seq: 1 }, { name: 'claim_queue' });
// Listings newest first, all states or one, with keyset paging on seq.
jobSchema.index({ seq: -1 }, { name: 'seq', unique: true });
jobSchema.index({ state: 1, seq: -1 }, { name: 'state_seq' });
// Lease recovery looks only at running jobs whose lease has passed.
jobSchema.index({ state: 1, lease_expires_at: 1 }, { name: 'leases' });
// Throughput over recently finished attempts.
jobSchema.index({ 'history.finished_at': 1 }, { name: 'attempts_finished', sparse: true });

const workerSchema = new Schema<WorkerDoc>(
  {
    _id: String,
    pid: Number,
    host: String,
    queue: str,
    state: String,
    current_job_id: str,
    job_started_at: num,
    started_at: Number,
    heartbeat_at: Number,
    jobs_done: { type: Number, default: 0 },
    jobs_failed: { type: Number, default: 0 },
    stop_requested: { type: Boolean, default: false },
    stop_force: { type: Boolean, default: false },
  },
  { ...opts, collection: 'workers' },
);
workerSchema.index({ started_at: 1, _id: 1 }, { name: 'started' });

const configSchema = new Schema<ConfigDoc>({ _id: String, value: String }, { ...opts, collection: 'config' });

const counterSchema = new Schema<CounterDoc>(
  {
    _id: String,
    seq: Number,
    schema: Number,
    pending: Number,
    processing: Number,
    completed: Number,
    failed: Number,
    dead: Number,
    cancelled: Number,
  },
  { ...opts, collection: 'counters' },
);

export interface Models {
  Job: Model<JobDoc>;
  Worker: Model<WorkerDoc>;
  Config: Model<ConfigDoc>;
  Counter: Model<CounterDoc>;
}

export function defineModels(conn: Connection): Models {
  return {
    Job: conn.model<JobDoc>('Job', jobSchema),
    Worker: conn.model<WorkerDoc>('Worker', workerSchema),
    Config: conn.model<ConfigDoc>('Config', configSchema),
    Counter: conn.model<CounterDoc>('Counter', counterSchema),
  };
}
