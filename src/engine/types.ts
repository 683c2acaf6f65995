/**
 * The domain model of queuectl.
 *
 * Glossary
 * - job:     one shell command to run, with its retry policy and its history.
 * - queue:   a named lane of jobs (`default` unless given); a worker may serve one queue or all.
 * - worker:  claims one job at a time, runs it, and settles it (a process runs one worker or several).
 * - attempt: one run of a job by a worker, from claim to settlement, with its outcome.
 * - lease:   the time until which a claimed job belongs to its worker; the worker renews it
 *            while the job runs. An expired lease means the worker died, and the job is recovered.
 * - DLQ:     the dead letter queue: jobs in state `dead`, whose retries are exhausted.
 * - dependency: a job another job waits for (`after`). A waiting job runs once every one of its
 *            dependencies has completed, and is cancelled when one of them ends otherwise.
 * - event:   one line of the append-only log of what happened to jobs and workers, written in
 *            the same write as the change it records, and purged with its job.
 * - host id: who can see whose processes: hostname, boot id and PID namespace. Pids are only
 *            checked or signalled between processes with the same host id.
 *
 * Times inside the engine are epoch milliseconds (numbers) on the database's clock (see
 * `Backend.now`); the faces print ISO-8601 strings. Durations are measured with a monotonic clock.
 */

/** `waiting`: held back until its dependencies complete; never claimable until released to `pending`. */
export const JOB_STATES = ['pending', 'waiting', 'processing', 'completed', 'failed', 'dead', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export type StateCounts = Record<JobState, number>;

/** Jobs matching a text filter (see search.ts), per state. */
export interface MatchCounts {
  counts: StateCounts;
  /**
   * False when counting stopped at the newest `COUNT_BOUND` matches (more exist): each count is
   * then a lower bound, shown as `N+`.
   */
  exact: boolean;
}

export interface MatchQuery {
  /** Case-insensitive substring of id or command (see search.ts). */
  search: string;
  queue?: string;
}

/** A queue: one that holds jobs, or has settings of its own. */
export interface QueueInfo {
  name: string;
  /** Paused queues are not claimed from; jobs already running finish. */
  paused: boolean;
  counts: StateCounts;
  /** The queue's limits on starting jobs (none by default). */
  limits: QueueLimits;
}

/**
 * How fast a queue's jobs may start, across every worker on every host. Both are checked inside
 * the claim itself, so no race between workers can exceed them.
 */
export interface QueueLimits {
  /** At most this many of the queue's jobs processing at once; null: no limit. */
  concurrency: number | null;
  /** At most `limit` starts in each window of `window_ms` (windows aligned on the clock); null: no limit. */
  rate: { limit: number; window_ms: number } | null;
}

/** A change to a queue's limits: a field left undefined keeps its value; null clears it. */
export interface QueueLimitsPatch {
  concurrency?: number | null;
  rate?: { limit: number; window_ms: number } | null;
}

/** How one attempt ended. `interrupted` (graceful shutdown) is not counted as an attempt. */
export const OUTCOME_KINDS = ['succeeded', 'exit', 'timed_out', 'signal', 'worker_lost', 'interrupted', 'error', 'cancelled'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

export interface Job {
  id: string;
  command: string;
  state: JobState;
  /** Attempts started so far (an interrupted attempt is given back). */
  attempts: number;
  /** Retries allowed after the first attempt: max_retries 3 runs at most 4 times. */
  max_retries: number;
  /** Higher runs first. */
  priority: number;
  /** Earliest time the job may be claimed (the backoff of a failed job lands here). */
  run_at: number;
  /** 0 or null: the configured default `job_timeout_seconds` applies. */
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
  /** How the latest finished attempt ended. */
  last_outcome: OutcomeKind | null;
  /** Bounded tail of the current (or latest) attempt's stdout and stderr. */
  output: string;
  /** Bytes the current (or latest) attempt printed in all, including what the tail dropped. */
  output_bytes: number;
  /**
   * The process group of the running command, on its worker's host; null when nothing runs.
   * When a worker is killed outright its command lives on, and recovery ends it by this id
   * before the job runs again.
   */
  command_pid: number | null;
  /** Start time of the command's group leader (kernel ticks since boot), against pid reuse. */
  command_start: number | null;
  /** Host id of the worker running the command: only there can it be checked or ended. */
  command_host: string | null;
  /**
   * An operator cancelled the job while it ran: its worker stops the command and records the
   * attempt as cancelled (or, if its worker is lost, recovery does), and the job ends cancelled.
   */
  cancel_requested: boolean;
  /**
   * A token unique to the current claim. A claim whose reply was lost (the server applied it, the
   * client saw an error) is found again by this token.
   */
  claim_token: string | null;
  /**
   * While the job holds this key, enqueuing another job with it is a no-op that names this one
   * (see `rules.holdsUniqueKey`); null: no key.
   */
  unique_key: string | null;
  /** With a unique key: the key stays held until this time whatever the job's state; null: only while it is active. */
  unique_until: number | null;
  /** Ids of the jobs this one waits for (`enqueue --after`); empty for most jobs. Fixed at enqueue. */
  after: string[];
  /** The schedule whose firing enqueued the job; null for jobs enqueued by hand. */
  schedule: string | null;
}

/** What a caller gives to create a job; everything but `command` has a default. */
export interface NewJob {
  id: string;
  command: string;
  max_retries: number;
  priority: number;
  run_at: number;
  timeout_seconds: number | null;
  queue: string;
  cwd: string;
  created_at: number;
  unique_key?: string | null;
  unique_until?: number | null;
  /** The jobs it waits for (empty: none). */
  after: string[];
  /** `waiting` while a dependency has still to complete (the engine decides, see `dependencies.ts`). */
  state: 'pending' | 'waiting';
}

/** A job not inserted because another held its unique key: its index in the batch, and the holder. */
export interface Deduplicated {
  index: number;
  holder: string;
}

/** A dependency as `show` presents it: its state now, or null when no such job exists (purged). */
export interface Dependency {
  id: string;
  state: JobState | null;
}

export interface Attempt {
  job_id: string;
  /** 1-based attempt number. */
  n: number;
  worker_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: OutcomeKind | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
}

/** The result of running a job's command once, as the worker saw it. */
export interface AttemptResult {
  outcome: OutcomeKind;
  exit_code: number | null;
  signal: string | null;
  /** One line for `last_error`; null on success. */
  error: string | null;
  output: string;
  output_bytes: number;
  finished_at: number;
}

export type WorkerState = 'idle' | 'busy' | 'stopping';

export interface WorkerRecord {
  id: string;
  pid: number;
  /** The host name, for people. */
  host: string;
  /** Hostname + boot id + PID namespace: pids are compared only within the same host id. */
  host_id: string;
  /** Start time of the worker process (kernel ticks since boot), against pid reuse; null if unknown. */
  pid_start: number | null;
  /** How far this worker's own clock is from the database's (ms, positive: ahead). */
  clock_skew_ms: number;
  /** null: serves every queue. */
  queue: string | null;
  state: WorkerState;
  current_job_id: string | null;
  /** When the current job was claimed (null when idle). */
  job_started_at: number | null;
  started_at: number;
  heartbeat_at: number;
  jobs_done: number;
  jobs_failed: number;
  stop_requested: boolean;
}

export interface ListQuery {
  /** Omitted: every state. */
  state?: JobState;
  queue?: string;
  /**
   * Case-insensitive substring of id or command (see search.ts): answered through the trigram
   * index from 3 characters on; shorter terms read jobs newest first until the page is full.
   */
  search?: string;
  limit: number;
  /**
   * An opaque position from a previous page (`next_cursor` / `prev_cursor`).
   * Pages are newest first; a cursor makes any page cost the same as the first.
   */
  cursor?: string;
  /** `after` (default) walks toward older jobs, `before` toward newer ones. */
  direction?: 'after' | 'before';
  /** With no cursor: `last` gives the oldest page (the end of the list) without counting. */
  from?: 'first' | 'last';
  /** Plain offset paging, for scripts; costs grow with the offset. */
  offset?: number;
  /**
   * `created` (default): newest first by creation. `finished`: latest finished first (with a
   * state of completed, dead or cancelled; the DLQ shows the latest deaths first).
   */
  order?: 'created' | 'finished';
}

/** What an event records. */
export const EVENT_TYPES = [
  'enqueued',
  'started',
  'succeeded',
  'failed',
  'dead',
  'cancelled',
  'recovered',
  'interrupted',
  'retried',
  'revived',
  'released',
  'worker_started',
  'worker_stopped',
  'worker_lost',
  'queue_limits',
  'scheduled',
  'schedule_skipped',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface JobEvent {
  /** Opaque and increasing in the order events are listed; a cursor for the next read. */
  id: string;
  at: number;
  type: EventType;
  job_id: string | null;
  queue: string | null;
  worker_id: string | null;
  /** The attempt the event belongs to, when it belongs to one. */
  attempt: number | null;
  /** A few words: the outcome, when a retry is due, who cancelled. */
  detail: string | null;
}

/** An event as the engine writes it; the adapter gives it its id. */
export type NewEvent = Omit<JobEvent, 'id'>;

export interface EventQuery {
  /** Only events after this cursor (an event id). */
  after?: string;
  /** Only events at or after this time. */
  since?: number;
  queue?: string;
  job_id?: string;
  limit: number;
}

export interface JobPage {
  jobs: Job[];
  /** Cursor of the next (older) page, or null at the end. */
  next_cursor: string | null;
  /** Cursor of the previous (newer) page, or null at the start. */
  prev_cursor: string | null;
}

/** Jobs finished in a recent window, for the dashboard header. */
export interface Throughput {
  completed: number;
  failed: number;
}

// --- schedules ------------------------------------------------------------------------------

/** What to do with firings that came due while nothing fired them (no worker ran). */
export const CATCH_UP_POLICIES = ['none', 'last', 'all'] as const;
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

/** Whether a firing may start while the schedule's previous job has not finished. */
export const OVERLAP_POLICIES = ['skip', 'allow'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** When a schedule fires: a cron expression in a time zone, or a fixed interval from an anchor (its first firing). */
export type ScheduleSpec =
  | { kind: 'cron'; cron: string; tz: string }
  | { kind: 'every'; every_ms: number; anchor_at: number };

/** The job every firing enqueues. */
export interface JobTemplate {
  command: string;
  queue: string;
  /** null: the configured default when the firing happens. */
  max_retries: number | null;
  priority: number;
  timeout_seconds: number | null;
  cwd: string;
}

/**
 * - schedule: a named rule that enqueues a job at each of its firing times. The job's id is the
 *   schedule's name and the firing time, so a firing inserted twice is refused by the database:
 *   the insert is the lock, and any worker on any host may fire.
 */
export interface Schedule {
  name: string;
  spec: ScheduleSpec;
  job: JobTemplate;
  catch_up: CatchUpPolicy;
  overlap: OverlapPolicy;
  paused: boolean;
  created_at: number;
  updated_at: number;
  /** The next firing not yet handled (fired or skipped); null when the expression never fires again. */
  next_at: number | null;
  /** The latest firing handled, and the job it enqueued (null when it was skipped). */
  last_fire_at: number | null;
  last_job_id: string | null;
}

/** The fields a schedule's advance or an operator writes. */
export type SchedulePatch = Partial<Pick<Schedule, 'next_at' | 'last_fire_at' | 'last_job_id' | 'paused' | 'updated_at'>>;
