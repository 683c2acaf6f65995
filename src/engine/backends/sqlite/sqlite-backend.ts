import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import BundledDatabase from 'better-sqlite3/lib/database.js';
import type { Backend, ClaimRequest, JobPatch, Move, MoveAndClaim, StopRequest, WorkerBeat } from '../../backend.js';
import { DatabaseReplacedError, DuplicateJobError, StorageError } from '../../errors.js';
import { JOB_STATES, OUTCOME_KINDS } from '../../types.js';
import { classifyOutcome, queueLimitsEvent } from '../../rules.js';
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
} from '../../types.js';
import { type Claimer, makeClaimer } from './claim.js';
import { type EventWriter, listEvents, makeEventWriter } from './events.js';
import { makeInserter } from './insert.js';
import { type SeqCounter, makeSeqCounter } from './seq.js';
import { NEAR_CURSOR_ROWS, countMatches, listPage, registerSearchFunctions } from './list.js';
import { type Mover, makeMover } from './move.js';
import { BUSY_TIMEOUT_MS, type Row, STOP_FORCE, STOP_GRACEFUL, mapError, toJob, toWorker } from './rows.js';
import { migrate } from './schema.js';
import { type ScheduleStore, makeScheduleStore } from './schedules.js';
import { SEARCH_CHUNK_ROWS, SEARCH_TAIL_CAP, SEARCH_TAIL_ROWS, type SearchIndexer, makeSearchIndexer } from './search-index.js';
import { watchFile } from './watch.js';

let driver: { Database: typeof Database; nativeBinding: string | undefined } | undefined;

/**
 * better-sqlite3's constructor and its compiled addon.
 *
 * Its JavaScript (a dozen small CommonJS files) is bundled into the build, and the addon is named
 * directly: loaded from node_modules, resolving and reading those files cost every command about
 * 5 ms of start-up, and left to itself better-sqlite3 searches a list of build directories for
 * its addon through the `bindings` package, about 5 ms more. Where the addon is not in its usual
 * place, the package is loaded as installed, and finds it its own way. (Both are the same
 * version: the dependency is pinned, and the build bundles what is installed.)
 */
function loadDriver(): NonNullable<typeof driver> {
  if (driver) return driver;
  const require = createRequire(import.meta.url);
  let nativeBinding: string | undefined;
  try {
    const file = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    nativeBinding = existsSync(file) ? file : undefined;
  } catch {
    nativeBinding = undefined;
  }
  return (driver = { Database: nativeBinding ? BundledDatabase : (require('better-sqlite3') as typeof Database), nativeBinding });
}

const PAGE_SIZE = 2048;
/** How long a step of search indexing waits for another process's write lock before leaving it for later. */
const SEARCH_LOCK_WAIT_MS = 100;
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

export interface SqliteOpenOptions {
  /** False: a missing file is an error instead of a new, empty database. Default true. */
  create?: boolean;
  /**
   * How long the search index's unindexed tail may grow before an insert indexes it (default
   * SEARCH_TAIL_CAP, search-index.ts). Tests set it low to have jobs on both sides of the mark
   * with few jobs.
   */
  searchTailCap?: number;
  /** The most jobs one step of `indexSearchTail` indexes (default SEARCH_CHUNK_ROWS). */
  searchChunkRows?: number;
  /** How many jobs next to a cursor a search page tests before it walks the index (default NEAR_CURSOR_ROWS, list.ts). */
  searchNearRows?: number;
}

/** The file's identity: a database deleted or replaced under a running process has another (or none). */
function fileIdentity(path: string): string | null {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/** The outcomes the rule book counts as `kind`, as a SQL list. */
const OUTCOMES_OF = (kind: 'completed' | 'failed') =>
  OUTCOME_KINDS.filter((o) => classifyOutcome(o) === kind)
    .map((o) => `'${o}'`)
    .join(', ');

export class SqliteBackend implements Backend {
  readonly kind = 'sqlite' as const;
  readonly multiHost = false;
  readonly eventReorderMs = 0;
  readonly releasesAtomically = true;
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly events: EventWriter;
  /** The numbers jobs and events share (seq.ts). */
  private readonly seq: SeqCounter;
  private claimer: Claimer | undefined;
  private mover: Mover | undefined;
  private moveClaimTx: ((id: string, move: Move, claim: ClaimRequest) => MoveAndClaim) | undefined;
  private inserter: ((jobs: NewJob[]) => Deduplicated[]) | undefined;
  private scheduleStore: ScheduleStore | undefined;
  private indexer: SearchIndexer | undefined;

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
    private readonly identity: string | null,
    private readonly searchTailCap: number,
    private readonly searchChunkRows: number,
    private readonly searchNearRows: number,
  ) {
    this.seq = makeSeqCounter(db);
    this.events = makeEventWriter(db, this.seq);
    registerSearchFunctions(db);
  }

  /**
   * Opens the database file and brings its schema up to date. A new file, and the directories
   * made for it, are private to the user (0600, 0700): they hold every command and its output.
   * SQLite gives the -wal and -shm files the database file's permissions.
   */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteBackend {
    const create = options.create ?? true;
    let db: Database.Database;
    try {
      if (!existsSync(path)) {
        if (!create) throw new StorageError(`no database at ${path} (check the path; "queuectl enqueue" or "queuectl worker start" creates one)`);
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        closeSync(openSync(path, 'a', 0o600));
      }
      const { Database, nativeBinding } = loadDriver();
      db = new Database(path, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
      // Small pages suit a queue: each commit rewrites a handful of rows spread over several
      // indexes, and the write-ahead log copies and checksums whole pages. Only takes effect
      // when the file is created.
      db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma('journal_mode = WAL');
      // Checkpoint less often: the same few pages are rewritten by every claim, and a larger
      // log lets one checkpoint absorb many versions of them.
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      // WAL with synchronous=NORMAL stays consistent after a crash; a power loss may drop the
      // last few commits, the usual trade for a queue that commits on every claim.
      db.pragma('synchronous = NORMAL');
      migrate(db, Date.now());
    } catch (e) {
      if (e instanceof StorageError) throw e;
      const mapped = mapError(e, path);
      if (mapped instanceof StorageError) throw mapped;
      throw new StorageError(`cannot open database ${path}: ${(e as Error).message ?? String(e)}`, { cause: e });
    }
    return new SqliteBackend(db, path, fileIdentity(path), options.searchTailCap ?? SEARCH_TAIL_CAP, options.searchChunkRows ?? SEARCH_CHUNK_ROWS, options.searchNearRows ?? NEAR_CURSOR_ROWS);
  }

  /** The host's clock: every process using this file runs on this host. */
  now(): number {
    return Date.now();
  }

  clockSkewMs(): number {
    return 0;
  }

  checkIdentity(): void {
    const now = fileIdentity(this.location);
    if (now === null) throw new DatabaseReplacedError(`database ${this.location} was deleted while in use`);
    if (now !== this.identity) throw new DatabaseReplacedError(`database ${this.location} was replaced by another file while in use`);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs a synchronous database step, mapping SQLite errors; the port is async for every adapter. */
  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(mapError(e, this.location));
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // --- jobs -------------------------------------------------------------------------------

  insertJobs(jobs: NewJob[]): Promise<Deduplicated[]> {
    return this.run(() => {
      this.inserter ??= makeInserter(this.db, this.theMover().resolveWithin, this.searchIndexer(), this.seq);
      try {
        return this.inserter(jobs);
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new DuplicateJobError(this.firstExisting(jobs));
        throw e;
      }
    });
  }

  private firstExisting(jobs: NewJob[]): string {
    const exists = this.stmt('SELECT 1 FROM jobs WHERE id = ?').pluck();
    return jobs.find((j) => exists.get(j.id) !== undefined)?.id ?? jobs[0].id;
  }

  getJob(id: string): Promise<Job | null> {
    return this.run(() => {
      const r = this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
      return r ? toJob(r) : null;
    });
  }

  listJobs(query: ListQuery): Promise<JobPage> {
    return this.run(() => {
      const page = listPage(this.db, query, this.searchNearRows);
      return {
        jobs: page.rows.map(toJob),
        next_cursor: page.next,
        prev_cursor: page.prev,
      };
    });
  }

  countByState(): Promise<StateCounts> {
    return this.run(() => {
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
      for (const r of this.stmt("SELECT state, n FROM job_counts WHERE state NOT LIKE '#%'").all() as { state: JobState; n: number }[]) {
        counts[r.state] = r.n;
      }
      return counts;
    });
  }

  countMatches(query: MatchQuery, bound: number): Promise<MatchCounts> {
    return this.run(() => countMatches(this.db, query, bound));
  }

  listQueues(): Promise<QueueInfo[]> {
    return this.run(() => {
      const byName = new Map<string, QueueInfo>();
      const get = (name: string) => {
        let q = byName.get(name);
        if (!q) {
          q = { name, paused: false, counts: Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts, limits: { concurrency: null, rate: null } };
          byName.set(name, q);
        }
        return q;
      };
      for (const r of this.stmt('SELECT queue, state, COUNT(*) AS n FROM jobs GROUP BY queue, state').all() as { queue: string; state: JobState; n: number }[]) {
        get(r.queue).counts[r.state] = r.n;
      }
      type SettingsRow = { name: string; paused: number; concurrency: number | null; rate_limit: number | null; rate_window_ms: number | null };
      for (const r of this.stmt('SELECT name, paused, concurrency, rate_limit, rate_window_ms FROM queue_settings').all() as SettingsRow[]) {
        const q = get(r.name);
        q.paused = r.paused === 1;
        q.limits = {
          concurrency: r.concurrency,
          rate: r.rate_limit !== null && r.rate_window_ms !== null ? { limit: r.rate_limit, window_ms: r.rate_window_ms } : null,
        };
      }
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  listPausedQueues(): Promise<string[]> {
    return this.run(() => this.stmt('SELECT name FROM queue_settings WHERE paused = 1 ORDER BY name').pluck().all() as string[]);
  }

  /**
   * A queue's settings row, made if missing with the count of its jobs processing now: the
   * triggers keep `running` from then on. One statement, so no claim falls between count and insert.
   */
  private ensureQueueSettings(name: string): void {
    this.stmt(
      "INSERT INTO queue_settings (name, running) VALUES (?, (SELECT COUNT(*) FROM jobs WHERE state = 'processing' AND queue = ?)) ON CONFLICT (name) DO NOTHING",
    ).run(name, name);
  }

  setQueuePaused(name: string, paused: boolean): Promise<void> {
    return this.run(() => {
      this.db.transaction(() => {
        this.ensureQueueSettings(name);
        this.stmt('UPDATE queue_settings SET paused = ? WHERE name = ?').run(paused ? 1 : 0, name);
      }).immediate();
    });
  }

  setQueueLimits(name: string, patch: QueueLimitsPatch, at: number): Promise<QueueLimits> {
    return this.run(() =>
      this.db.transaction((): QueueLimits => {
        this.ensureQueueSettings(name);
        if (patch.concurrency !== undefined) this.stmt('UPDATE queue_settings SET concurrency = ? WHERE name = ?').run(patch.concurrency, name);
        if (patch.rate !== undefined) {
          this.stmt('UPDATE queue_settings SET rate_limit = ?, rate_window_ms = ? WHERE name = ?').run(patch.rate?.limit ?? null, patch.rate?.window_ms ?? null, name);
        }
        const r = this.stmt('SELECT concurrency, rate_limit, rate_window_ms FROM queue_settings WHERE name = ?').get(name) as {
          concurrency: number | null;
          rate_limit: number | null;
          rate_window_ms: number | null;
        };
        const limits: QueueLimits = {
          concurrency: r.concurrency,
          rate: r.rate_limit !== null && r.rate_window_ms !== null ? { limit: r.rate_limit, window_ms: r.rate_window_ms } : null,
        };
        this.events.add(queueLimitsEvent(name, limits, at));
        return limits;
      }).immediate(),
    );
  }

  throughput(since: number): Promise<Throughput> {
    return this.run(() => {
      // The rule book decides what counts (rules.classifyOutcome): its verdict per outcome, in SQL.
      const r = this.stmt(
        `SELECT COALESCE(SUM(outcome IN (${OUTCOMES_OF('completed')})), 0) AS completed,
                COALESCE(SUM(outcome IN (${OUTCOMES_OF('failed')})), 0) AS failed
         FROM attempts WHERE finished_at >= ? AND finished_at IS NOT NULL`,
      ).get(since) as Throughput;
      return { completed: r.completed, failed: r.failed };
    });
  }

  listAttempts(jobId: string): Promise<Attempt[]> {
    return this.run(
      () =>
        this.stmt(
          'SELECT job_id, n, worker_id, started_at, finished_at, outcome, exit_code, signal, error FROM attempts WHERE job_id = ? ORDER BY seq',
        ).all(jobId) as Attempt[],
    );
  }

  claimNext(request: ClaimRequest): Promise<Job | null> {
    return this.run(() => {
      this.claimer ??= makeClaimer(this.db, this.events);
      return this.claimer.claim(request);
    });
  }

  findClaimed(token: string): Promise<Job | null> {
    return this.run(() => {
      this.claimer ??= makeClaimer(this.db, this.events);
      return this.claimer.findClaimed(token);
    });
  }

  move(id: string, move: Move): Promise<Job | null> {
    return this.run(() => {
      return this.theMover().move(id, move);
    });
  }

  /** The settle and the next claim share one write transaction: one lock, one commit, and the pages both read loaded once. */
  moveAndClaim(id: string, move: Move, claim: ClaimRequest): Promise<MoveAndClaim> {
    return this.run(() => {
      if (!this.moveClaimTx) {
        const mover = this.theMover();
        this.claimer ??= makeClaimer(this.db, this.events);
        const claimer = this.claimer;
        this.moveClaimTx = this.db.transaction((i: string, m: Move, r: ClaimRequest): MoveAndClaim => ({
          moved: mover.moveWithin(i, m),
          claimed: claimer.claimWithin(r),
        })).immediate;
      }
      return this.moveClaimTx(id, move, claim);
    });
  }

  moveAll(states: readonly JobState[], set: JobPatch, event: Omit<NewEvent, 'job_id' | 'queue'>): Promise<number> {
    return this.run(() => {
      return this.theMover().moveAll(states, set, event);
    });
  }

  /** Prepared on the first insert: a command that only reads never needs it. */
  private searchIndexer(): SearchIndexer {
    this.indexer ??= makeSearchIndexer(this.db, this.searchTailCap, this.searchChunkRows);
    return this.indexer;
  }

  /**
   * One step of indexing the jobs enqueues left outside the search index (search-index.ts): at
   * most a chunk, in a write transaction of its own. `busy`: only once the tail is
   * SEARCH_TAIL_ROWS long. The tail is read first without a lock, so a step with nothing to do
   * costs one read; the write lock is waited for briefly (SEARCH_LOCK_WAIT_MS), not the usual
   * BUSY_TIMEOUT_MS: the step is optional, and a worker should not sit blocked behind another
   * writer for it. Returns whether another step would find more to do.
   */
  indexSearchTail(busy: boolean): Promise<boolean> {
    return this.run(() => {
      const indexer = this.searchIndexer();
      const min = busy ? SEARCH_TAIL_ROWS : 1;
      if (indexer.tail() < min) return false;
      this.db.pragma(`busy_timeout = ${SEARCH_LOCK_WAIT_MS}`);
      try {
        // Read again under the lock: another process may have indexed it meanwhile.
        const left = this.db.transaction(() => (indexer.tail() < min ? indexer.tail() : indexer.indexChunk(this.searchChunkRows))).immediate();
        return left >= min;
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        if (code.startsWith('SQLITE_BUSY')) {
          throw new StorageError(`database ${this.location} is locked by another process (search indexing left for later)`, { cause: e, transient: true, locked: true });
        }
        throw e;
      } finally {
        this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
    });
  }

  /**
   * Indexes every job the search index does not hold yet, in the steps a worker takes (see
   * search-index.ts); for tests and benchmarks, which run no worker.
   */
  async catchUpSearchIndex(): Promise<void> {
    while (await this.indexSearchTail(false)) {
      // each step commits on its own, as a worker's do
    }
  }

  private theMover(): Mover {
    this.mover ??= makeMover(this.db, this.events, this.seq);
    return this.mover;
  }

  jobStates(ids: readonly string[]): Promise<Map<string, JobState>> {
    return this.run(() => {
      const get = this.stmt('SELECT state FROM jobs WHERE id = ?').pluck();
      const states = new Map<string, JobState>();
      for (const id of ids) {
        const s = get.get(id) as JobState | undefined;
        if (s !== undefined) states.set(id, s);
      }
      return states;
    });
  }

  resolveWaiting(ids: readonly string[], now: number): Promise<number> {
    return this.run(() => this.theMover().resolveWaiting(ids, now));
  }

  listProcessing(): Promise<Job[]> {
    return this.run(() => (this.stmt("SELECT * FROM jobs WHERE state = 'processing'").all() as Row[]).map(toJob));
  }

  purgeJobs(states: readonly JobState[], finishedBefore: number): Promise<number> {
    return this.run(() => {
      if (states.length === 0) return 0;
      const list = states.map(() => '?').join(', ');
      const match = `state IN (${list}) AND COALESCE(finished_at, updated_at) < ?`;
      return this.db.transaction(() => {
        this.db.prepare(`DELETE FROM attempts WHERE job_id IN (SELECT id FROM jobs WHERE ${match})`).run(...states, finishedBefore);
        this.db.prepare(`DELETE FROM events WHERE job_id IN (SELECT id FROM jobs WHERE ${match})`).run(...states, finishedBefore);
        return this.db.prepare(`DELETE FROM jobs WHERE ${match}`).run(...states, finishedBefore).changes;
      }).immediate();
    });
  }

  deleteJobs(ids: readonly string[], states: readonly JobState[]): Promise<string[]> {
    return this.run(() => {
      if (ids.length === 0 || states.length === 0) return [];
      const st = states.map(() => '?').join(', ');
      return this.db.transaction(() => {
        const deleted: string[] = [];
        // Bound parameters per statement stay well under SQLite's limit.
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500);
          const match = `id IN (${chunk.map(() => '?').join(', ')}) AND state IN (${st})`;
          const found = this.db.prepare(`SELECT id FROM jobs WHERE ${match}`).pluck().all(...chunk, ...states) as string[];
          if (found.length === 0) continue;
          const list = found.map(() => '?').join(', ');
          this.db.prepare(`DELETE FROM attempts WHERE job_id IN (${list})`).run(...found);
          this.db.prepare(`DELETE FROM events WHERE job_id IN (${list})`).run(...found);
          this.db.prepare(`DELETE FROM jobs WHERE id IN (${list})`).run(...found);
          deleted.push(...found);
        }
        return deleted;
      }).immediate();
    });
  }

  // --- events -----------------------------------------------------------------------------

  listEvents(query: EventQuery): Promise<{ events: JobEvent[]; next: string | null }> {
    return this.run(() => listEvents(this.db, query));
  }

  addEvent(event: NewEvent): Promise<void> {
    return this.run(() => this.events.add(event));
  }

  // --- workers ----------------------------------------------------------------------------

  registerWorker(w: WorkerRecord): Promise<void> {
    return this.run(() => {
      this.stmt(
        `INSERT OR REPLACE INTO workers (id, pid, host, host_id, pid_start, clock_skew_ms, queue, state, current_job_id, job_started_at,
           started_at, heartbeat_at, jobs_done, jobs_failed, stop_requested)
         VALUES (@id, @pid, @host, @host_id, @pid_start, @clock_skew_ms, @queue, @state, @current_job_id, @job_started_at,
           @started_at, @heartbeat_at, @jobs_done, @jobs_failed, @stop)`,
      ).run({ ...w, stop: w.stop_requested ? 1 : 0 });
    });
  }

  heartbeatWorker(id: string, beat: WorkerBeat): Promise<StopRequest & { registered: boolean }> {
    return this.run(() => {
      const stop = this.stmt(
        `UPDATE workers SET state = @state, current_job_id = @current_job_id, job_started_at = @job_started_at,
           jobs_done = @jobs_done, jobs_failed = @jobs_failed, heartbeat_at = @heartbeat_at, clock_skew_ms = @clock_skew_ms
         WHERE id = @id RETURNING stop_requested`,
      )
        .pluck()
        .get({ ...beat, id }) as number | undefined;
      return { registered: stop !== undefined, stopRequested: stop === STOP_GRACEFUL || stop === STOP_FORCE, force: stop === STOP_FORCE };
    });
  }

  deregisterWorker(id: string): Promise<void> {
    return this.run(() => {
      this.stmt('DELETE FROM workers WHERE id = ?').run(id);
    });
  }

  listWorkers(): Promise<WorkerRecord[]> {
    return this.run(() => (this.stmt('SELECT * FROM workers ORDER BY started_at, id').all() as Row[]).map(toWorker));
  }

  requestStop(ids?: string[], force = false): Promise<number> {
    return this.run(() => {
      // A forced request is never weakened by a later graceful one.
      const level = force ? STOP_FORCE : STOP_GRACEFUL;
      if (!ids) return this.stmt('UPDATE workers SET stop_requested = MAX(stop_requested, ?)').run(level).changes;
      const one = this.stmt('UPDATE workers SET stop_requested = MAX(stop_requested, ?) WHERE id = ?');
      return this.db.transaction(() => ids.reduce((n, id) => n + one.run(level, id).changes, 0))();
    });
  }

  // --- schedules --------------------------------------------------------------------------

  private get schedules(): ScheduleStore {
    this.scheduleStore ??= makeScheduleStore(this.db, this.events, this.searchIndexer(), this.seq);
    return this.scheduleStore;
  }

  addSchedule(schedule: Schedule): Promise<void> {
    return this.run(() => this.schedules.add(schedule));
  }

  getSchedule(name: string): Promise<Schedule | null> {
    return this.run(() => this.schedules.get(name));
  }

  listSchedules(): Promise<Schedule[]> {
    return this.run(() => this.schedules.list());
  }

  removeSchedule(name: string): Promise<boolean> {
    return this.run(() => this.schedules.remove(name));
  }

  updateSchedule(name: string, set: SchedulePatch, guard?: { next_at: number | null }): Promise<boolean> {
    return this.run(() => this.schedules.update(name, set, guard));
  }

  nextScheduleDue(): Promise<number | null> {
    return this.run(() => this.schedules.nextDue());
  }

  listDueSchedules(now: number, limit: number): Promise<Schedule[]> {
    return this.run(() => this.schedules.listDue(now, limit));
  }

  insertScheduledJob(job: NewJob, schedule: string, event: NewEvent): Promise<void> {
    return this.run(() => this.schedules.insertJob(job, schedule, event));
  }

  hasUnfinishedScheduledJob(schedule: string): Promise<boolean> {
    return this.run(() => this.schedules.hasUnfinished(schedule));
  }

  listScheduledJobs(schedule: string, limit: number): Promise<Job[]> {
    return this.run(() => this.schedules.listJobs(schedule, limit));
  }

  // --- config -----------------------------------------------------------------------------

  getConfigValues(): Promise<Record<string, string>> {
    return this.run(() => {
      const rows = this.stmt('SELECT key, value FROM config').all() as { key: string; value: string }[];
      return Object.fromEntries(rows.map((r) => [r.key, r.value]));
    });
  }

  setConfigValue(key: string, value: string): Promise<void> {
    return this.run(() => {
      this.stmt('INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    });
  }

  watch(onChange: () => void): () => void {
    return watchFile(this.location, onChange);
  }
}
