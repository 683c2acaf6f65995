import type {
  Attempt,
  EventQuery,
  Job,
  JobEvent,
  JobPage,
  JobState,
  ListQuery,
  MatchCounts,
  MatchQuery,
  NewEvent,
  NewJob,
  Deduplicated,
  QueueInfo,
  QueueLimits,
  QueueLimitsPatch,
  Schedule,
  SchedulePatch,
  StateCounts,
  Throughput,
  WorkerRecord,
  WorkerState,
} from './types.js';

/**
 * The storage port. Every rule about jobs lives above it, in the engine (`rules.ts`): which
 * states a move starts from, what it writes, what it records. An adapter translates one intent
 * into one conditional write or one query, and nothing more, so a change of semantics is one edit
 * and both backends follow. No connection, statement or transaction type crosses this boundary.
 */
export interface Backend {
  readonly kind: 'sqlite' | 'mongo';
  /** Where the data lives, safe to print (credentials masked). */
  readonly location: string;
  /** True when workers on several hosts may share this database (leases then fence commands). */
  readonly multiHost: boolean;

  /**
   * The database's clock, in epoch milliseconds. Every lease, heartbeat, `run_at` and recorded
   * time is taken from it, so processes whose own clocks disagree still agree on these.
   */
  now(): number;
  /** How far this process's clock is from the database's, as last measured (ms; positive: ahead). */
  clockSkewMs(): number;

  close(): Promise<void>;

  /**
   * Throws a StorageError when the database this process opened is no longer the one at its
   * location (a SQLite file deleted or replaced under it). Cheap; callers check it periodically.
   */
  checkIdentity?(): void;

  // --- jobs -------------------------------------------------------------------------------

  /**
   * Inserts all jobs in one transaction, or none, each with its `enqueued` event
   * (`rules.enqueuedEvent`): throws DuplicateJobError naming the first clash.
   *
   * A job with a `unique_key` is inserted only if no job holds that key (`rules.holdsUniqueKey`),
   * and then takes it; otherwise it is left out and reported with the holder's id. The check and
   * the taking are one atomic step, so of any number of concurrent inserts with one key, from any
   * processes, exactly one inserts a job.
   *
   * A job inserted `waiting` has its dependencies checked again after it is written (inside the
   * transaction on SQLite, right after the write on MongoDB) and is resolved as `resolveWaiting`
   * does, so a dependency that finished while the job was being inserted never leaves it waiting.
   */
  insertJobs(jobs: NewJob[]): Promise<Deduplicated[]>;
  /** The states of these jobs; ids with no job are absent. */
  jobStates(ids: readonly string[]): Promise<Map<string, JobState>>;
  /**
   * Checks these waiting jobs' dependencies and applies `dependencies.dependencyVerdict`: releases
   * those whose dependencies all completed, cancels those with one dead, cancelled or gone, and
   * on down the chain their own waiting dependents, each move recorded at `now`. Returns how
   * many jobs moved. (A move that finishes a job records its dependents' moves at its own time.)
   */
  resolveWaiting(ids: readonly string[], now: number): Promise<number>;
  /**
   * True when a move that finishes a job resolves its waiting dependents in the same
   * transaction (SQLite). False when it does so right after its write (MongoDB: no
   * multi-document transactions), where a process lost in between leaves dependents for the
   * recovery pass's sweep (`Queue.sweepWaiting`).
   */
  readonly releasesAtomically: boolean;
  getJob(id: string): Promise<Job | null>;
  listJobs(query: ListQuery): Promise<JobPage>;
  /** Counts per state, exact. */
  countByState(): Promise<StateCounts>;
  /**
   * Counts per state of the jobs matching a text filter, through the same index as a filtered
   * listing: the newest `bound` matches at most (`exact` false when more exist).
   */
  countMatches(query: MatchQuery, bound: number): Promise<MatchCounts>;
  /** Attempts that finished at or after `since`, by result. */
  throughput(since: number): Promise<Throughput>;
  /** Finished attempts, oldest first (a running attempt is read from the job). */
  listAttempts(jobId: string): Promise<Attempt[]>;

  /**
   * Atomically takes the best eligible job (a claimable state, run_at <= now, in the queue if
   * given; highest priority, then earliest run_at, then oldest), applies `set`, adds one to its
   * attempts and records the `started` event. Null when nothing is eligible.
   */
  claimNext(request: ClaimRequest): Promise<Job | null>;

  /**
   * `move`, then `claimNext`, for a worker that settles one job and takes its next: what each does
   * is exactly what the two calls do, and the claim is made whether or not the move's guard matched.
   * SQLite does both in one transaction (all or nothing). MongoDB has no transactions across
   * documents: it moves, then claims, and a claim that fails after the move is applied is reported
   * in `claimError` with the move's result, never thrown (the move must not be repeated blindly).
   * A throw means the move may or may not be applied and nothing was claimed.
   */
  moveAndClaim(id: string, move: Move, claim: ClaimRequest): Promise<MoveAndClaim>;

  /** The job a claim carrying this token took, if the claim was applied (its reply may have been lost). */
  findClaimed(token: string): Promise<Job | null>;

  /**
   * Applies a move in one conditional write: `set` (and the attempt and event, if given) only if
   * the job matches `guard`. Returns the job as it is afterwards, or null when the guard did not
   * match (the job is missing or has moved on). A move that finishes a job (completed, dead,
   * cancelled) also resolves the waiting jobs that depend on it, found through an index of
   * dependents (see `resolveWaiting` and `releasesAtomically`).
   */
  move(id: string, move: Move): Promise<Job | null>;

  /** Applies `set` to every job in `states`, with an event for each; returns how many moved. */
  moveAll(states: readonly JobState[], set: JobPatch, event: Omit<NewEvent, 'job_id' | 'queue'>): Promise<number>;

  /** Jobs in `processing`: the candidates for lease recovery. */
  listProcessing(): Promise<Job[]>;

  /** Deletes jobs in `states` that finished before `finishedBefore`, with their attempts and events. */
  purgeJobs(states: readonly JobState[], finishedBefore: number): Promise<number>;

  /**
   * Deletes those of `ids` that are still in one of `states`, with their attempts and events; a
   * job that moved on meanwhile (revived from the DLQ, say) is left alone. Returns the ids deleted.
   */
  deleteJobs(ids: readonly string[], states: readonly JobState[]): Promise<string[]>;

  // --- events -----------------------------------------------------------------------------

  /** Events oldest first, after the cursor (or from `since`); `next` is the cursor to read on from. */
  listEvents(query: EventQuery): Promise<{ events: JobEvent[]; next: string | null }>;
  /** Records an event that is not part of a job's move (a worker started or stopped). */
  addEvent(event: NewEvent): Promise<void>;
  /**
   * Events may become visible slightly out of order (several writers, no single sequence): a
   * follower re-reads this far back and drops what it has seen. 0 where ids are one sequence.
   */
  readonly eventReorderMs: number;

  // --- workers ----------------------------------------------------------------------------

  registerWorker(worker: WorkerRecord): Promise<void>;
  /**
   * Records liveness and what the worker is doing; tells whether a stop was requested, and how.
   * `registered: false` when the record is gone (the caller registers again).
   */
  heartbeatWorker(id: string, beat: WorkerBeat): Promise<StopRequest & { registered: boolean }>;
  deregisterWorker(id: string): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
  /**
   * Asks workers (all when `ids` is omitted) to stop through the database; returns how many.
   * `force`: stop at once, interrupting the running job (it goes back to the queue).
   */
  requestStop(ids?: string[], force?: boolean): Promise<number>;

  // --- queues -----------------------------------------------------------------------------

  /** Every queue that holds jobs or has settings, by name, with its counts per state. */
  listQueues(): Promise<QueueInfo[]>;
  /**
   * Pauses or resumes a queue. A claim never takes a job of a queue paused before it began
   * (SQLite: checked inside the claim's statement; MongoDB: within a second of the pause).
   */
  setQueuePaused(name: string, paused: boolean): Promise<void>;
  /**
   * Changes a queue's limits (`QueueInfo.limits`). Claims enforce them atomically: never more than
   * `concurrency` of the queue's jobs processing, never more than `rate.limit` starts in one window
   * (SQLite: inside the claim's transaction, from the moment this returns; MongoDB: through slot and
   * window documents taken with conditional writes, read within a second of the change).
   * Records the `queue_limits` event (`rules.queueLimitsEvent`) at `at`; returns the limits now.
   */
  setQueueLimits(name: string, patch: QueueLimitsPatch, at: number): Promise<QueueLimits>;
  /** Names of the paused queues: a read of the settings alone, cheap at any number of jobs. */
  listPausedQueues(): Promise<string[]>;

  // --- schedules --------------------------------------------------------------------------

  /** Stores a new schedule; throws DuplicateScheduleError when the name is taken. */
  addSchedule(schedule: Schedule): Promise<void>;
  getSchedule(name: string): Promise<Schedule | null>;
  /** Every schedule, by name. */
  listSchedules(): Promise<Schedule[]>;
  /** False when there was no such schedule. Its jobs stay. */
  removeSchedule(name: string): Promise<boolean>;
  /**
   * Applies `set` in one conditional write: only if the schedule's `next_at` is still `guard`
   * when one is given (the advance past a firing, so two workers never both advance it).
   * False when the schedule is gone or the guard missed.
   */
  updateSchedule(name: string, set: SchedulePatch, guard?: { next_at: number | null }): Promise<boolean>;
  /** The earliest `next_at` of the schedules not paused (one indexed read); null when none. */
  nextScheduleDue(): Promise<number | null>;
  /** Schedules not paused whose `next_at` has come, earliest first. */
  listDueSchedules(now: number, limit: number): Promise<Schedule[]>;
  /**
   * Inserts the job of a firing, marked as the schedule's, with its `enqueued` event and `event`
   * (its `scheduled` event), all or nothing. Throws DuplicateJobError when the job exists: that
   * firing was enqueued already, by this process or another.
   */
  insertScheduledJob(job: NewJob, schedule: string, event: NewEvent): Promise<void>;
  /** Whether a job of the schedule is still to finish (pending, failed awaiting a retry, processing). */
  hasUnfinishedScheduledJob(schedule: string): Promise<boolean>;
  /** The schedule's newest jobs, newest first. */
  listScheduledJobs(schedule: string, limit: number): Promise<Job[]>;

  // --- config -----------------------------------------------------------------------------

  getConfigValues(): Promise<Record<string, string>>;
  setConfigValue(key: string, value: string): Promise<void>;

  // --- change notification ----------------------------------------------------------------

  /**
   * Calls `onChange` soon after another process may have made work available or asked workers to
   * stop (for idle workers, waiters and the dashboard). Optional: where it is missing, callers
   * poll. Returns an unsubscribe.
   */
  watch?(onChange: () => void): () => void;

  // --- upkeep ------------------------------------------------------------------------------

  /**
   * One bounded step of indexing for search the jobs enqueues left unindexed (SQLite: the tail
   * above the index's mark, `sqlite/search-index.ts`), for a process with time to spare: a worker
   * that finds nothing to claim, or one between two jobs (`busy`: only once the tail is long
   * enough to slow searches). Searches are exact either way; this keeps them fast. Returns
   * whether another step would find more to do. May fail like any write (a lock held elsewhere,
   * a full disk): callers treat that as "later". Missing where every write keeps its own index
   * (MongoDB).
   */
  indexSearchTail?(busy: boolean): Promise<boolean>;
}

export interface ClaimRequest {
  workerId: string;
  /** null: any queue. */
  queue: string | null;
  now: number;
  /** What the claim writes, besides adding one to `attempts` (see `rules.claimSet`). */
  set: JobPatch;
}

export interface MoveAndClaim {
  /** The moved job, or null when the move's guard did not match (see `move`). */
  moved: Job | null;
  /** The job claimed, or null when nothing was eligible (or the claim failed: `claimError`). */
  claimed: Job | null;
  /** Why the claim failed after the move was applied (MongoDB only; SQLite rolls both back and throws). */
  claimError?: unknown;
}

/** Which job a move applies to: every given field must match. */
export interface Guard {
  states: readonly JobState[];
  worker_id?: string;
  attempts?: number;
  /** The lease as the mover last saw it: a renewal since then makes the move miss. */
  lease_expires_at?: number | null;
  claim_token?: string | null;
}

export interface Move {
  guard: Guard;
  set: JobPatch;
  /** A finished attempt to record with the move. */
  attempt?: Omit<Attempt, 'job_id'>;
  /** The event recording the move; its job id and queue are the moved job's. */
  event?: Omit<NewEvent, 'job_id' | 'queue'>;
}

export const PATCHABLE_FIELDS = [
  'state',
  'attempts',
  'run_at',
  'worker_id',
  'lease_expires_at',
  'started_at',
  'finished_at',
  'exit_code',
  'last_error',
  'last_outcome',
  'output',
  'output_bytes',
  'updated_at',
  'command_pid',
  'command_start',
  'command_host',
  'claim_token',
  'cancel_requested',
  'max_retries',
  'priority',
] as const satisfies readonly (keyof Job)[];

export type PatchableField = (typeof PATCHABLE_FIELDS)[number];
export type JobPatch = Partial<Pick<Job, PatchableField>>;

export interface StopRequest {
  stopRequested: boolean;
  /** Stop at once rather than after the running job. */
  force: boolean;
}

export interface WorkerBeat {
  state: WorkerState;
  current_job_id: string | null;
  job_started_at: number | null;
  jobs_done: number;
  jobs_failed: number;
  heartbeat_at: number;
  clock_skew_ms: number;
}

export interface OutputTail {
  text: string;
  bytes: number;
}
