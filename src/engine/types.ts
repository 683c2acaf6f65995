/**
 * The domain model of queuectl.
 *
 * Glossary
 * - job:     one shell command to run, with its retry policy and its history.
 * - queue:   a named lane of jobs (`default` unless given); a worker may serve one queue or all.
 * - worker:  a process that claims one job at a time, runs it, and settles it.
 * - attempt: one run of a job by a worker, from claim to settlement, with its outcome.
 * - lease:   the time until which a claimed job belongs to its worker; the worker renews it
 *            while the job runs. An expired lease means the worker died, and the job is recovered.
 * - DLQ:     the dead letter queue: jobs in state `dead`, whose retries are exhausted.
 *
 * Times inside the engine are epoch milliseconds (numbers); the faces print ISO-8601 strings.
 */

export const JOB_STATES = ['pending', 'processing', 'completed', 'failed', 'dead', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export type StateCounts = Record<JobState, number>;

/** How one attempt ended. `interrupted` (graceful shutdown) is not counted as an attempt. */
export const OUTCOME_KINDS = ['succeeded', 'exit', 'timed_out', 'signal', 'worker_lost', 'interrupted', 'error'] as const;
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
  host: string;
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
  /** Case-insensitive substring of id or command. */
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
