import { type Connection, type Model, Schema } from 'mongoose';
import type { CatchUpPolicy, EventType, JobState, JobTemplate, OutcomeKind, OverlapPolicy, WorkerState } from '../../types.js';

/**
 * The stored shapes. A job's id is its `_id`, so the primary key is the unique id index.
 * `seq` is a global insertion number handed out by the counters document: the listings' order,
 * the claim's tie-break (oldest first) and the cursor, as `seq` is in the SQLite schema.
 *
 * A job's finished attempts (`history`) and its events (`events`) live inside it, so every move
 * of a job, with the attempt it ends and the event it records, is a single-document write:
 * atomic on every server, with or without transactions. Events of workers, which belong to no
 * job, have a collection of their own (`worker_events`).
 */
export interface AttemptDoc {
  /**
   * The attempt number. Databases written before schema version 2 may hold an open entry (no
   * `finished_at`) for a running attempt; readers skip those.
   */
  n: number | null;
  worker_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: OutcomeKind | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
}

/** One event of a job, kept in the job. `k` is unique across processes (see `eventKey`). */
export interface EventDoc {
  k: string;
  at: number;
  type: EventType;
  worker_id: string | null;
  /**
   * The attempt the event belongs to. A claim's `started` event is stored without it (a plain
   * update cannot copy the incremented `attempts` into the pushed event); readers fill it in.
   */
  attempt: number | null;
  detail: string | null;
}

/**
 * An event that belongs to no job (a worker started, stopped or was found lost; a queue's limits
 * changed); `_id` is its key.
 */
export interface WorkerEventDoc {
  _id: string;
  at: number;
  type: EventType;
  worker_id: string | null;
  detail: string | null;
  /** The queue a queue's event is about. */
  queue?: string | null;
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
  command_start: number | null;
  command_host: string | null;
  claim_token: string | null;
  cancel_requested?: boolean;
  unique_key?: string | null;
  unique_until?: number | null;
  /** The ids the job waits for; absent when none. */
  after?: string[];
  /** The schedule whose firing enqueued the job (absent on jobs enqueued by hand). */
  schedule?: string | null;
  history: AttemptDoc[];
  events: EventDoc[];
  /** The distinct trigrams of the id and the command, lower case (see list.ts). */
  search_grams?: string[];
  /** The command in lower case: the substring test of a text filter. */
  command_lc?: string;
}

export interface WorkerDoc {
  _id: string;
  pid: number;
  host: string;
  host_id: string;
  pid_start: number | null;
  clock_skew_ms: number;
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

export const COUNTER_ID = 'jobs';

/**
 * One document (`_id: 'jobs'`) holding the last `seq` handed out and the schema version.
 * (Before schema version 2 it also held counts per state; those fields are removed on upgrade.)
 */
export interface CounterDoc {
  _id: string;
  seq: number;
  schema: number;
}

const opts = { versionKey: false, strict: true } as const;
const num = { type: Number, default: null };
const str = { type: String, default: null };

const attemptSchema = new Schema<AttemptDoc>(
  { n: num, worker_id: String, started_at: Number, finished_at: num, outcome: str, exit_code: num, signal: str, error: str },
  { ...opts, _id: false },
);

const eventSchema = new Schema<EventDoc>(
  { k: String, at: Number, type: String, worker_id: str, attempt: num, detail: str },
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
    command_start: num,
    command_host: str,
    claim_token: str,
    cancel_requested: { type: Boolean, default: false },
    unique_key: str,
    unique_until: num,
    after: { type: [String], default: undefined },
    schedule: str,
    history: { type: [attemptSchema], default: [] },
    events: { type: [eventSchema], default: [] },
    search_grams: { type: [String], default: undefined },
    command_lc: { type: String, default: undefined },
  },
  { ...opts, collection: 'jobs' },
);
// The claim: equality on state (two values, merged in order by the server), then the order it
// takes jobs in; run_at bounds the scan. The queue variant serves workers bound to one queue.
jobSchema.index({ state: 1, priority: -1, run_at: 1, seq: 1 }, { name: 'claim' });
jobSchema.index({ state: 1, queue: 1, priority: -1, run_at: 1, seq: 1 }, { name: 'claim_queue' });
// Listings newest first, all states or one, with keyset paging on seq; counts per state.
jobSchema.index({ seq: -1 }, { name: 'seq', unique: true });
jobSchema.index({ state: 1, seq: -1 }, { name: 'state_seq' });
jobSchema.index({ state: 1, finished_at: -1, seq: -1 }, { name: 'state_finished' });
// A text filter: the jobs holding one of a term's trigrams, newest first (list.ts).
jobSchema.index({ search_grams: 1, seq: -1 }, { name: 'search' });
// Pages of one queue (the dashboard's queue filter, list --queue), with or without a state.
jobSchema.index({ queue: 1, seq: -1 }, { name: 'queue_seq' });
jobSchema.index({ queue: 1, state: 1, seq: -1 }, { name: 'queue_state_seq' });
// Lease recovery looks only at running jobs.
jobSchema.index({ state: 1, lease_expires_at: 1 }, { name: 'leases' });
// Throughput over recently finished attempts.
jobSchema.index({ 'history.finished_at': 1 }, { name: 'attempts_finished', sparse: true });
// A claim whose reply was lost is found again by its token; only running jobs carry one.
jobSchema.index({ claim_token: 1 }, { name: 'claim_token', partialFilterExpression: { claim_token: { $type: 'string' } } });
// The waiting jobs that depend on a job, found when it finishes: only waiting jobs are in it, so it
// stays as small as the set of waiting jobs (claims, whose filter names claimable states, never
// look at waiting jobs through the claim indexes either).
jobSchema.index({ after: 1 }, { name: 'dependents', partialFilterExpression: { state: 'waiting' } });
// Reading the event log from a time on: the jobs holding an event at or after it.
jobSchema.index({ 'events.at': 1 }, { name: 'events_at' });

// A schedule's unfinished job (the overlap check, by state) and its newest jobs (by seq, so a
// schedule with millions of jobs is never sorted in memory); only scheduled jobs are in them.
const SCHEDULED_ONLY = { partialFilterExpression: { schedule: { $type: 'string' } } };
export const JOB_SCHEDULE_INDEXES = [
  { keys: { schedule: 1, state: 1 }, options: { name: 'schedule_state', ...SCHEDULED_ONLY } },
  { keys: { schedule: 1, seq: -1 }, options: { name: 'schedule_seq', ...SCHEDULED_ONLY } },
] as const;
for (const i of JOB_SCHEDULE_INDEXES) jobSchema.index(i.keys, i.options);

const workerSchema = new Schema<WorkerDoc>(
  {
    _id: String,
    pid: Number,
    host: String,
    host_id: { type: String, default: '' },
    pid_start: num,
    clock_skew_ms: { type: Number, default: 0 },
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

const workerEventSchema = new Schema<WorkerEventDoc>(
  { _id: String, at: Number, type: String, worker_id: str, detail: str, queue: str },
  { ...opts, collection: 'worker_events' },
);
workerEventSchema.index({ at: 1, _id: 1 }, { name: 'at' });

const configSchema = new Schema<ConfigDoc>({ _id: String, value: String }, { ...opts, collection: 'config' });

export interface QueueSettingsDoc {
  _id: string;
  paused: boolean;
  /** At most this many of the queue's jobs processing at once (held slots, see `QueueSlotDoc`); null: no limit. */
  concurrency?: number | null;
  /** At most `rate_limit` starts per window of `rate_window_ms`; null: no limit. */
  rate_limit?: number | null;
  rate_window_ms?: number | null;
  /** The current rate window (aligned on the clock) and the starts counted in it. */
  rate_window_start?: number | null;
  rate_count?: number;
}

const queueSettingsSchema = new Schema<QueueSettingsDoc>(
  { _id: String, paused: Boolean, concurrency: num, rate_limit: num, rate_window_ms: num, rate_window_start: num, rate_count: Number },
  { ...opts, collection: 'queue_settings' },
);

/**
 * One of the `concurrency` places of a limited queue (`_id`: queue/i). A claim first takes a free
 * slot (or one whose holder's lease has run out) with one conditional write, and only then a job;
 * the slot carries the claim's token and the job's lease, is renewed with the lease and given back
 * when the job leaves processing. A worker killed while holding one loses it when its lease ends.
 */
export interface QueueSlotDoc {
  _id: string;
  queue: string;
  i: number;
  /** The claim token of the holder; null: free. */
  token: string | null;
  /** Free again from this time on (the holder's lease). */
  expires_at: number;
}

const queueSlotSchema = new Schema<QueueSlotDoc>(
  { _id: String, queue: String, i: Number, token: str, expires_at: Number },
  { ...opts, collection: 'queue_slots' },
);
queueSlotSchema.index({ queue: 1, i: 1 }, { name: 'queue_i' });
queueSlotSchema.index({ token: 1 }, { name: 'token', partialFilterExpression: { token: { $type: 'string' } } });

/**
 * The holder of a unique key (`_id`: the key): the job that last took it, until when its window
 * holds it (null: only while the job is active), and when it was taken. `_id` being the key, one
 * insert decides between enqueuers racing for a free key; a key whose holder is done is taken over
 * by a conditional update on the holder seen, so only one enqueuer wins that too.
 */
export interface UniqueLockDoc {
  _id: string;
  job_id: string;
  until: number | null;
  at: number;
}

const uniqueLockSchema = new Schema<UniqueLockDoc>({ _id: String, job_id: String, until: num, at: Number }, { ...opts, collection: 'unique_locks' });

const counterSchema = new Schema<CounterDoc>({ _id: String, seq: Number, schema: Number }, { ...opts, collection: 'counters' });

/** A schedule; its name is its `_id`. The job it enqueues is kept as a template. */
export interface ScheduleDoc {
  _id: string;
  kind: 'cron' | 'every';
  cron: string | null;
  tz: string | null;
  every_ms: number | null;
  anchor_at: number | null;
  job: JobTemplate;
  catch_up: CatchUpPolicy;
  overlap: OverlapPolicy;
  paused: boolean;
  created_at: number;
  updated_at: number;
  next_at: number | null;
  last_fire_at: number | null;
  last_job_id: string | null;
}

const scheduleSchema = new Schema<ScheduleDoc>(
  {
    _id: String,
    kind: String,
    cron: str,
    tz: str,
    every_ms: num,
    anchor_at: num,
    job: {
      command: String,
      queue: String,
      max_retries: num,
      priority: Number,
      timeout_seconds: num,
      cwd: String,
    },
    catch_up: String,
    overlap: String,
    paused: { type: Boolean, default: false },
    created_at: Number,
    updated_at: Number,
    next_at: num,
    last_fire_at: num,
    last_job_id: str,
  },
  { ...opts, collection: 'schedules' },
);
// Workers read the earliest next firing every second: one step into this index.
scheduleSchema.index({ next_at: 1 }, { name: 'due', partialFilterExpression: { paused: false, next_at: { $type: 'number' } } });

export interface Models {
  Job: Model<JobDoc>;
  Worker: Model<WorkerDoc>;
  WorkerEvent: Model<WorkerEventDoc>;
  Config: Model<ConfigDoc>;
  Counter: Model<CounterDoc>;
  QueueSettings: Model<QueueSettingsDoc>;
  QueueSlot: Model<QueueSlotDoc>;
  UniqueLock: Model<UniqueLockDoc>;
  Schedule: Model<ScheduleDoc>;
}

export function defineModels(conn: Connection): Models {
  return {
    Job: conn.model<JobDoc>('Job', jobSchema),
    Worker: conn.model<WorkerDoc>('Worker', workerSchema),
    WorkerEvent: conn.model<WorkerEventDoc>('WorkerEvent', workerEventSchema),
    Config: conn.model<ConfigDoc>('Config', configSchema),
    Counter: conn.model<CounterDoc>('Counter', counterSchema),
    QueueSettings: conn.model<QueueSettingsDoc>('QueueSettings', queueSettingsSchema),
    QueueSlot: conn.model<QueueSlotDoc>('QueueSlot', queueSlotSchema),
    UniqueLock: conn.model<UniqueLockDoc>('UniqueLock', uniqueLockSchema),
    Schedule: conn.model<ScheduleDoc>('Schedule', scheduleSchema),
  };
}
