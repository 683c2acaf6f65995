import type { Database } from 'better-sqlite3';

/**
 * Numbered schema migrations. Each runs once, in order, inside one immediate transaction, and is
 * recorded in `schema_migrations`; `PRAGMA user_version` mirrors the latest so an up-to-date
 * database is recognised with a single read.
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE jobs (
        seq              INTEGER PRIMARY KEY,
        id               TEXT NOT NULL UNIQUE,
        command          TEXT NOT NULL,
        state            TEXT NOT NULL,
        attempts         INTEGER NOT NULL DEFAULT 0,
        max_retries      INTEGER NOT NULL,
        priority         INTEGER NOT NULL DEFAULT 0,
        run_at           INTEGER NOT NULL,
        timeout_seconds  REAL,
        queue            TEXT NOT NULL,
        cwd              TEXT NOT NULL,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        started_at       INTEGER,
        finished_at      INTEGER,
        worker_id        TEXT,
        lease_expires_at INTEGER,
        exit_code        INTEGER,
        last_error       TEXT,
        last_outcome     TEXT,
        output           TEXT NOT NULL DEFAULT '',
        output_bytes     INTEGER NOT NULL DEFAULT 0
      );

      -- The claim walks one of these in order and stops at the first job whose run_at has come;
      -- they hold only claimable rows, so finished history does not slow the claim down.
      CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, seq) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_ready_queue ON jobs (queue, priority DESC, run_at, seq) WHERE state IN ('pending', 'failed');
      -- Listing a state newest first, and keyset paging within it.
      CREATE INDEX jobs_state_seq ON jobs (state, seq);
      -- Lease recovery needs no index of its own: it reads the few processing rows through jobs_state_seq.

      -- Counts per state, kept current so status never scans the jobs table. Inserts are counted
      -- by the adapter (one update per batch); state changes and deletes by these triggers.
      CREATE TABLE job_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO job_counts (state, n) VALUES
        ('pending', 0), ('processing', 0), ('completed', 0), ('failed', 0), ('dead', 0), ('cancelled', 0);
      CREATE TRIGGER jobs_count_update AFTER UPDATE OF state ON jobs WHEN OLD.state <> NEW.state BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
        UPDATE job_counts SET n = n + 1 WHERE state = NEW.state;
      END;
      CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
      END;

      -- One row per finished attempt, written once when the attempt ends; the running attempt is
      -- read from the job itself, so a claim writes nothing here.
      CREATE TABLE attempts (
        seq         INTEGER PRIMARY KEY,
        job_id      TEXT NOT NULL,
        n           INTEGER NOT NULL,
        worker_id   TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        outcome     TEXT,
        exit_code   INTEGER,
        signal      TEXT,
        error       TEXT
      );
      CREATE INDEX attempts_job ON attempts (job_id, n);
      CREATE INDEX attempts_finished ON attempts (finished_at) WHERE finished_at IS NOT NULL;

      CREATE TABLE workers (
        id             TEXT PRIMARY KEY,
        pid            INTEGER NOT NULL,
        host           TEXT NOT NULL,
        queue          TEXT,
        state          TEXT NOT NULL,
        current_job_id TEXT,
        job_started_at INTEGER,
        started_at     INTEGER NOT NULL,
        heartbeat_at   INTEGER NOT NULL,
        jobs_done      INTEGER NOT NULL DEFAULT 0,
        jobs_failed    INTEGER NOT NULL DEFAULT 0,
        stop_requested INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'process group of the running command',
    sql: 'ALTER TABLE jobs ADD COLUMN command_pid INTEGER;',
  },
  {
    version: 3,
    name: 'host identity, claim tokens and the event log',
    sql: `
      ALTER TABLE jobs ADD COLUMN command_start INTEGER;
      ALTER TABLE jobs ADD COLUMN command_host TEXT;
      ALTER TABLE jobs ADD COLUMN claim_token TEXT;
      -- A claim whose reply was lost is found again by its token; only running jobs carry one.
      CREATE INDEX jobs_claim_token ON jobs (claim_token) WHERE claim_token IS NOT NULL;

      ALTER TABLE workers ADD COLUMN host_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE workers ADD COLUMN pid_start INTEGER;
      ALTER TABLE workers ADD COLUMN clock_skew_ms INTEGER NOT NULL DEFAULT 0;

      -- Append-only: one row per transition, written in the transaction that makes it, deleted
      -- with its job. seq is the order of commits and never reused (AUTOINCREMENT), so a
      -- reader's cursor never skips a row.
      CREATE TABLE events (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        at        INTEGER NOT NULL,
        type      TEXT NOT NULL,
        job_id    TEXT,
        queue     TEXT,
        worker_id TEXT,
        attempt   INTEGER,
        detail    TEXT
      );
      CREATE INDEX events_job ON events (job_id) WHERE job_id IS NOT NULL;
      CREATE INDEX events_at ON events (at);
    `,
  },
  {
    version: 4,
    name: 'cancelling running jobs, the DLQ by time of death, pausing queues',
    sql: `
      ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX jobs_state_finished ON jobs (state, finished_at, seq);
      -- Settings per queue; a paused queue's jobs are not claimed.
      CREATE TABLE queue_settings (name TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'recurring schedules',
    sql: `
      -- The schedule whose firing enqueued a job. Overlap checks look for a schedule's unfinished
      -- job (by state), listings for its newest (by seq); the indexes hold scheduled jobs only.
      ALTER TABLE jobs ADD COLUMN schedule TEXT;
      CREATE INDEX jobs_schedule_state ON jobs (schedule, state) WHERE schedule IS NOT NULL;
      CREATE INDEX jobs_schedule_seq ON jobs (schedule, seq) WHERE schedule IS NOT NULL;

      CREATE TABLE schedules (
        name            TEXT PRIMARY KEY,
        kind            TEXT NOT NULL,
        cron            TEXT,
        tz              TEXT,
        every_ms        INTEGER,
        anchor_at       INTEGER,
        command         TEXT NOT NULL,
        queue           TEXT NOT NULL,
        max_retries     INTEGER,
        priority        INTEGER NOT NULL,
        timeout_seconds REAL,
        cwd             TEXT NOT NULL,
        catch_up        TEXT NOT NULL,
        overlap         TEXT NOT NULL,
        paused          INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        next_at         INTEGER,
        last_fire_at    INTEGER,
        last_job_id     TEXT
      ) WITHOUT ROWID;
      -- Workers read the earliest next firing every second: one step into this index.
      CREATE INDEX schedules_due ON schedules (next_at) WHERE paused = 0 AND next_at IS NOT NULL;
    `,
  },
];

/**
 * The migrations applied, as a bit per version. Versions are numbered on separate branches and
 * may arrive out of order (7 before 5): a bare "latest version" would call a database that has
 * 7 but lacks 5 up to date, so the marker names the whole set. Bits from 1 up are always >= 30,
 * above any plain version number stored by earlier releases, which thus take the full path.
 */
export const SCHEMA_MARK = MIGRATIONS.reduce((mark, m) => mark | (1 << m.version), 0);

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function migrate(db: Database, now: number): void {
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_MARK) return;
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    // Another process may have migrated between the check above and taking the write lock.
    const done = new Set((db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]));
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, now);
    }
    db.pragma(`user_version = ${SCHEMA_MARK}`);
  }).immediate();
}
