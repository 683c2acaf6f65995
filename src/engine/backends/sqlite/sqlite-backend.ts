import { existsSync, mkdirSync, watch as fsWatch } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Backend, ClaimRequest, JobPatch, OutputTail, Settlement, StopRequest, WorkerBeat } from '../../backend.js';
import { DuplicateJobError, StorageError } from '../../errors.js';
import { JOB_STATES } from '../../types.js';
import type {
  Attempt,
  Job,
  JobPage,
  JobState,
  ListQuery,
  NewJob,
  StateCounts,
  Throughput,
  WorkerRecord,
} from '../../types.js';
import { type Claimer, makeClaimer } from './claim.js';
import { makeInserter } from './insert.js';
import { makeSettler } from './settle.js';
import { encodeCursor, listPage } from './list.js';
import { migrate } from './migrations.js';

/** How long a statement waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 5000;
/** workers.stop_requested: 0 none, 1 after the running job, 2 at once. */
const STOP_GRACEFUL = 1;
const STOP_FORCE = 2;

/**
 * The compiled addon, named directly: left to itself, better-sqlite3 searches a list of build
 * directories for it through the `bindings` package, which costs every command ~5 ms of start-up.
 * Undefined (the default search) when the addon is somewhere else.
 */
const NATIVE_BINDING = ((): string | undefined => {
  try {
    const file = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
})();
const PAGE_SIZE = 2048;
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

type Row = Record<string, unknown>;

function toJob(r: Row): Job {
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
  };
}

function toWorker(r: Row): WorkerRecord {
  return {
    id: r.id as string,
    pid: r.pid as number,
    host: r.host as string,
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

/** Turns SQLite's errors into the engine's: a lock held too long or a broken file is a StorageError. */
function mapError(e: unknown, path: string): unknown {
  const err = e as { code?: string; message?: string };
  if (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED') {
    return new StorageError(`database ${path} is locked by another process (waited ${BUSY_TIMEOUT_MS / 1000}s)`, { cause: e, transient: true });
  }
  if (typeof err.code === 'string' && err.code.startsWith('SQLITE_')) {
    return new StorageError(`database ${path}: ${err.message ?? err.code}`, { cause: e });
  }
  return e;
}

const PATCHABLE = new Set(['state', 'attempts', 'run_at', 'finished_at', 'last_error', 'max_retries', 'priority', 'updated_at']);

export class SqliteBackend implements Backend {
  readonly kind = 'sqlite' as const;
  private readonly stmts = new Map<string, Database.Statement>();
  private claimer: Claimer | undefined;
  private inserter: ((jobs: NewJob[]) => void) | undefined;
  private settler: ((params: Record<string, unknown>) => boolean) | undefined;

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {}

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(path: string): SqliteBackend {
    let db: Database.Database;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: BUSY_TIMEOUT_MS, ...(NATIVE_BINDING ? { nativeBinding: NATIVE_BINDING } : {}) });
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
      const mapped = mapError(e, path);
      if (mapped instanceof StorageError) throw mapped;
      throw new StorageError(`cannot open database ${path}: ${(e as Error).message ?? String(e)}`, { cause: e });
    }
    return new SqliteBackend(db, path);
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

  insertJobs(jobs: NewJob[]): Promise<void> {
    return this.run(() => {
      this.inserter ??= makeInserter(this.db);
      try {
        this.inserter(jobs);
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
      const page = listPage(this.db, query);
      return {
        jobs: page.rows.map(toJob),
        next_cursor: page.next === null ? null : encodeCursor(page.next),
        prev_cursor: page.prev === null ? null : encodeCursor(page.prev),
      };
    });
  }

  countByState(): Promise<StateCounts> {
    return this.run(() => {
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
      for (const r of this.stmt('SELECT state, n FROM job_counts').all() as { state: JobState; n: number }[]) {
        counts[r.state] = r.n;
      }
      return counts;
    });
  }

  throughput(since: number): Promise<Throughput> {
    return this.run(() => {
      const r = this.stmt(
        `SELECT COALESCE(SUM(outcome = 'succeeded'), 0) AS completed,
                COALESCE(SUM(outcome NOT IN ('succeeded', 'interrupted')), 0) AS failed
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
      this.claimer ??= makeClaimer(this.db);
      const row = this.claimer.claim(request);
      return row ? toJob(row) : null;
    });
  }

  extendLease(jobId: string, workerId: string, leaseExpiresAt: number, output?: OutputTail): Promise<boolean> {
    return this.run(() => {
      const r = output
        ? this.stmt(
            `UPDATE jobs SET lease_expires_at = ?, output = ?, output_bytes = ?
             WHERE id = ? AND state = 'processing' AND worker_id = ?`,
          ).run(leaseExpiresAt, output.text, output.bytes, jobId, workerId)
        : this.stmt("UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND state = 'processing' AND worker_id = ?").run(
            leaseExpiresAt,
            jobId,
            workerId,
          );
      return r.changes > 0;
    });
  }

  setCommandPid(jobId: string, workerId: string, pid: number): Promise<boolean> {
    return this.run(
      () => this.stmt("UPDATE jobs SET command_pid = ? WHERE id = ? AND state = 'processing' AND worker_id = ?").run(pid, jobId, workerId).changes > 0,
    );
  }

  settle(s: Settlement): Promise<boolean> {
    return this.run(() => {
      this.settler ??= makeSettler(this.db);
      const r = s.result;
      return this.settler({
        state: s.state,
        run_at: s.run_at,
        attempts: s.attempts,
        finished_at: s.state === 'pending' ? null : r.finished_at,
        exit_code: r.exit_code,
        error: r.error,
        outcome: r.outcome,
        signal: r.signal,
        output: r.output,
        output_bytes: r.output_bytes,
        now: r.finished_at,
        jobId: s.jobId,
        workerId: s.workerId,
        attempt: s.attempt,
        started_at: null,
      });
    });
  }

  findLost(now: number, deadWorkerIds: string[]): Promise<Job[]> {
    return this.run(() => {
      const rows = this.stmt(
        "SELECT * FROM jobs WHERE state = 'processing' AND lease_expires_at < ?",
      ).all(now) as Row[];
      const seen = new Set(rows.map((r) => r.id));
      const byWorker = this.stmt("SELECT * FROM jobs WHERE state = 'processing' AND worker_id = ?");
      for (const w of deadWorkerIds) {
        for (const r of byWorker.all(w) as Row[]) if (!seen.has(r.id)) rows.push(r);
      }
      return rows.map(toJob);
    });
  }

  updateIfState(id: string, from: readonly JobState[], patch: JobPatch): Promise<Job | null> {
    return this.run(() => {
      const keys = Object.keys(patch).filter((k) => PATCHABLE.has(k));
      const set = keys.map((k) => `${k} = @${k}`).join(', ');
      const states = from.map((_, i) => `@from${i}`).join(', ');
      const params: Record<string, unknown> = { ...patch, id };
      from.forEach((s, i) => (params[`from${i}`] = s));
      const r = this.stmt(`UPDATE jobs SET ${set} WHERE id = @id AND state IN (${states}) RETURNING *`).get(params) as Row | undefined;
      return r ? toJob(r) : null;
    });
  }

  reviveAllDead(now: number): Promise<number> {
    return this.run(
      () =>
        this.stmt("UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, updated_at = ? WHERE state = 'dead'").run(now, now)
          .changes,
    );
  }

  purgeJobs(states: readonly JobState[], finishedBefore: number): Promise<number> {
    return this.run(() => {
      if (states.length === 0) return 0;
      const list = states.map(() => '?').join(', ');
      const match = `state IN (${list}) AND COALESCE(finished_at, updated_at) < ?`;
      return this.db.transaction(() => {
        this.db.prepare(`DELETE FROM attempts WHERE job_id IN (SELECT id FROM jobs WHERE ${match})`).run(...states, finishedBefore);
        return this.db.prepare(`DELETE FROM jobs WHERE ${match}`).run(...states, finishedBefore).changes;
      }).immediate();
    });
  }

  // --- workers ----------------------------------------------------------------------------

  registerWorker(w: WorkerRecord): Promise<void> {
    return this.run(() => {
      this.stmt(
        `INSERT OR REPLACE INTO workers (id, pid, host, queue, state, current_job_id, job_started_at, started_at, heartbeat_at, jobs_done, jobs_failed, stop_requested)
         VALUES (@id, @pid, @host, @queue, @state, @current_job_id, @job_started_at, @started_at, @heartbeat_at, @jobs_done, @jobs_failed, @stop)`,
      ).run({ ...w, stop: w.stop_requested ? 1 : 0 });
    });
  }

  heartbeatWorker(id: string, beat: WorkerBeat): Promise<StopRequest> {
    return this.run(() => {
      const stop = this.stmt(
        `UPDATE workers SET state = @state, current_job_id = @current_job_id, job_started_at = @job_started_at,
           jobs_done = @jobs_done, jobs_failed = @jobs_failed, heartbeat_at = @heartbeat_at
         WHERE id = @id RETURNING stop_requested`,
      )
        .pluck()
        .get({ ...beat, id }) as number | undefined;
      return { stopRequested: stop === STOP_GRACEFUL || stop === STOP_FORCE, force: stop === STOP_FORCE };
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

  // --- change notification ----------------------------------------------------------------

  /**
   * Every commit from any process appends to the write-ahead log, so watching the database's
   * directory for writes to `<db>-wal` (or the file itself, after a checkpoint) tells idle
   * workers and the dashboard that something changed, without polling the database.
   */
  watch(onChange: () => void): () => void {
    const name = basename(this.location);
    const names = new Set([name, `${name}-wal`]);
    let watcher: ReturnType<typeof fsWatch> | undefined;
    try {
      watcher = fsWatch(dirname(this.location), { persistent: false }, (_event, file) => {
        if (file === null || names.has(file.toString())) onChange();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // no inotify (or a network filesystem): callers fall back to polling
    }
    return () => watcher?.close();
  }
}
