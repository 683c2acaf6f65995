import type {
  Attempt,
  AttemptResult,
  Job,
  JobPage,
  JobState,
  ListQuery,
  NewJob,
  StateCounts,
  Throughput,
  WorkerRecord,
  WorkerState,
} from './types.js';

/**
 * The storage port. Every method names an intent; each one that changes a job is a single
 * conditional write (or one transaction), so two processes can never both win the same move.
 * No connection, statement or transaction type crosses this boundary.
 */
export interface Backend {
  readonly kind: 'sqlite' | 'mongo';
  /** Where the data lives, safe to print (credentials masked). */
  readonly location: string;

  close(): Promise<void>;

  // --- jobs -------------------------------------------------------------------------------

  /** Inserts all jobs in one transaction, or none: throws DuplicateJobError naming the first clash. */
  insertJobs(jobs: NewJob[]): Promise<void>;
  getJob(id: string): Promise<Job | null>;
  listJobs(query: ListQuery): Promise<JobPage>;
  /** Counts per state, served without scanning the jobs. */
  countByState(): Promise<StateCounts>;
  /** Attempts that finished at or after `since`, by result. */
  throughput(since: number): Promise<Throughput>;
  /** Finished attempts, oldest first (a running attempt is read from the job). */
  listAttempts(jobId: string): Promise<Attempt[]>;

  /**
   * Atomically takes the best eligible job (state pending or failed, run_at <= now; highest
   * priority, then earliest run_at, then oldest), marks it processing for this worker with a
   * lease and counts the attempt. Null when nothing is eligible.
   */
  claimNext(request: ClaimRequest): Promise<Job | null>;

  /**
   * Renews the lease of a job this worker holds, and saves its output tail if given.
   * False when the worker no longer holds the job (it was recovered as lost).
   */
  extendLease(jobId: string, workerId: string, leaseExpiresAt: number, output?: OutputTail): Promise<boolean>;

  /** Records the process group of the command this worker runs for the job; false if it lost the job. */
  setCommandPid(jobId: string, workerId: string, pid: number): Promise<boolean>;

  /**
   * Ends an attempt: moves the job from processing to the settlement's state and records the
   * finished attempt (started when the job was claimed), only if `workerId` still holds attempt
   * `attempt` of the job.
   */
  settle(settlement: Settlement): Promise<boolean>;

  /** Processing jobs whose lease expired before `now`, or whose worker is one of `deadWorkerIds`. */
  findLost(now: number, deadWorkerIds: string[]): Promise<Job[]>;

  /**
   * Applies `patch` if the job is in one of `from` states. Returns the updated job, or null when
   * the job is missing or in another state (the caller re-reads to say which).
   */
  updateIfState(id: string, from: readonly JobState[], patch: JobPatch): Promise<Job | null>;

  /** Every dead job back to pending with attempts reset; returns how many. */
  reviveAllDead(now: number): Promise<number>;

  /** Deletes jobs in `states` that finished before `finishedBefore` (and their attempts). */
  purgeJobs(states: readonly JobState[], finishedBefore: number): Promise<number>;

  // --- workers ----------------------------------------------------------------------------

  registerWorker(worker: WorkerRecord): Promise<void>;
  /** Records liveness and what the worker is doing; tells whether a stop was requested, and how. */
  heartbeatWorker(id: string, beat: WorkerBeat): Promise<StopRequest>;
  deregisterWorker(id: string): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
  /**
   * Asks workers (all when `ids` is omitted) to stop through the database; returns how many.
   * `force`: stop at once, interrupting the running job (it goes back to the queue).
   */
  requestStop(ids?: string[], force?: boolean): Promise<number>;

  // --- config -----------------------------------------------------------------------------

  getConfigValues(): Promise<Record<string, string>>;
  setConfigValue(key: string, value: string): Promise<void>;

  // --- change notification ----------------------------------------------------------------

  /**
   * Calls `onChange` soon after another process may have changed the data (for idle workers
   * and the dashboard). Optional: where it is missing, callers poll. Returns an unsubscribe.
   */
  watch?(onChange: () => void): () => void;
}

export interface ClaimRequest {
  workerId: string;
  /** null: any queue. */
  queue: string | null;
  now: number;
  leaseExpiresAt: number;
}

export interface OutputTail {
  text: string;
  bytes: number;
}

export interface Settlement {
  jobId: string;
  workerId: string;
  /** The attempt number the worker was running (the job's `attempts` at claim). */
  attempt: number;
  state: Extract<JobState, 'completed' | 'failed' | 'dead' | 'pending'>;
  run_at: number;
  /** The job's attempt count afterwards (one less when the attempt is given back). */
  attempts: number;
  result: AttemptResult;
}

export type JobPatch = Partial<
  Pick<Job, 'state' | 'attempts' | 'run_at' | 'finished_at' | 'last_error' | 'max_retries' | 'priority'>
> & { updated_at: number };

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
}
