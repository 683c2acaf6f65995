import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A note to show before a migration that takes a while on this database, or null. */
  slow?: (db: Database) => string | null;
}

/** Above this many jobs, building the search index is announced (it takes seconds per million). */
const SLOW_INDEX_JOBS = 100_000;

/**
 * Numbered schema migrations. Each runs once, in order, inside one immediate transaction, and is
 * recorded in `schema_migrations`; `PRAGMA user_version` holds how many are applied, so an up-to-date
 * database is recognised with a single read.
 */
export const MIGRATIONS: Migration[] = [
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
    version: 5,
    name: 'job dependencies',
    sql: `
      -- The ids a job waits for, as a JSON array (NULL: none), as it was enqueued.
      ALTER TABLE jobs ADD COLUMN after_ids TEXT;
      INSERT OR IGNORE INTO job_counts (state, n) VALUES ('waiting', 0);
      -- Who waits for whom: one row per dependency of a job still waiting, keyed by the
      -- dependency, so finishing a job finds its dependents without reading any other job. Rows
      -- go when their job leaves waiting, so the table stays as small as the set of waiting jobs.
      -- (A waiting job is in no jobs_ready index: claims never see it.)
      CREATE TABLE job_deps (depends_on TEXT NOT NULL, job_id TEXT NOT NULL, PRIMARY KEY (depends_on, job_id)) WITHOUT ROWID;
      CREATE TRIGGER jobs_deps_leave AFTER UPDATE OF state ON jobs WHEN OLD.state = 'waiting' AND NEW.state <> 'waiting' BEGIN
        DELETE FROM job_deps WHERE job_id = OLD.id AND depends_on IN (SELECT value FROM json_each(OLD.after_ids));
      END;
      CREATE TRIGGER jobs_deps_delete AFTER DELETE ON jobs WHEN OLD.state = 'waiting' BEGIN
        DELETE FROM job_deps WHERE job_id = OLD.id AND depends_on IN (SELECT value FROM json_each(OLD.after_ids));
      END;
    `,
  },
  {
    version: 6,
    name: 'unique jobs and queue limits',
    sql: `
      ALTER TABLE jobs ADD COLUMN unique_key TEXT;
      ALTER TABLE jobs ADD COLUMN unique_until INTEGER;
      -- Who took each unique key last; the insert transaction reads and takes it (rules.holdsUniqueKey).
      -- A row outlives its job: once the job is finished (or purged) and its window has passed, the
      -- next job with the key takes the row over.
      CREATE TABLE unique_locks (key TEXT PRIMARY KEY, job_id TEXT NOT NULL, until INTEGER) WITHOUT ROWID;

      -- Limits per queue (NULL: none), the queue's jobs processing now, and the current rate
      -- window (its start, aligned on the clock, and the starts counted in it).
      ALTER TABLE queue_settings ADD COLUMN concurrency INTEGER;
      ALTER TABLE queue_settings ADD COLUMN rate_limit INTEGER;
      ALTER TABLE queue_settings ADD COLUMN rate_window_ms INTEGER;
      ALTER TABLE queue_settings ADD COLUMN running INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE queue_settings ADD COLUMN rate_window_start INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE queue_settings ADD COLUMN rate_count INTEGER NOT NULL DEFAULT 0;
      UPDATE queue_settings SET running = (SELECT COUNT(*) FROM jobs WHERE state = 'processing' AND queue = queue_settings.name);
      -- Kept by triggers, so the claim reads one small row per queue instead of counting jobs. Only
      -- queues with settings have a row (the row is made with the current count); for any other
      -- the update matches nothing. Entering processing is always a claim (state-machine.ts), so
      -- the same write counts the start in the rate window, at the claim's own time.
      CREATE TRIGGER jobs_running_start AFTER UPDATE OF state ON jobs
      WHEN NEW.state = 'processing' AND OLD.state <> 'processing' BEGIN
        UPDATE queue_settings SET
          running = running + 1,
          rate_count = CASE
            WHEN rate_window_ms IS NULL THEN 0
            WHEN rate_window_start = NEW.started_at - NEW.started_at % rate_window_ms THEN rate_count + 1
            ELSE 1 END,
          rate_window_start = CASE
            WHEN rate_window_ms IS NULL THEN 0
            ELSE NEW.started_at - NEW.started_at % rate_window_ms END
        WHERE name = NEW.queue;
      END;
      CREATE TRIGGER jobs_running_end AFTER UPDATE OF state ON jobs
      WHEN OLD.state = 'processing' AND NEW.state <> 'processing' BEGIN
        UPDATE queue_settings SET running = running - 1 WHERE name = OLD.queue;
      END;
      CREATE TRIGGER jobs_running_delete AFTER DELETE ON jobs WHEN OLD.state = 'processing' BEGIN
        UPDATE queue_settings SET running = running - 1 WHERE name = OLD.queue;
      END;
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
  {
    version: 8,
    name: 'search index',
    sql: `
      -- Every trigram (three characters, case folded) of each job's id and command, pointing to
      -- the job: a filter of 3 or more characters becomes a phrase query of its trigrams, which
      -- finds substrings anywhere without reading the jobs that don't match (see list.ts).
      -- Contentless: it stores only the index, not a second copy of the text; contentless_delete
      -- lets a deleted job leave it by rowid alone. The rowid is the job's seq negated: listings
      -- run newest first, and FTS5 walks its lists in ascending rowid order several times faster
      -- than in descending order (which loads whole lists of common trigrams first).
      CREATE VIRTUAL TABLE jobs_search USING fts5(id, command, content='', contentless_delete=1, tokenize='trigram');
      -- Kept in step by the transaction that changes the job. id and command are never updated
      -- (neither is a patchable field); the update trigger keeps it true if that ever changes.
      CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO jobs_search (rowid, id, command) VALUES (-NEW.seq, NEW.id, NEW.command);
      END;
      CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs BEGIN
        DELETE FROM jobs_search WHERE rowid = -OLD.seq;
      END;
      CREATE TRIGGER jobs_search_update AFTER UPDATE OF id, command ON jobs BEGIN
        DELETE FROM jobs_search WHERE rowid = -OLD.seq;
        INSERT INTO jobs_search (rowid, id, command) VALUES (-NEW.seq, NEW.id, NEW.command);
      END;
      -- The jobs already there (about 30 s per million, once).
      INSERT INTO jobs_search (rowid, id, command) SELECT -seq, id, command FROM jobs;
    `,
    slow: (db) => {
      const n = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM jobs').pluck().get() as number;
      return n > SLOW_INDEX_JOBS ? `building the search index over about ${n.toLocaleString('en-US')} jobs (once, after an upgrade; writers wait meanwhile)…` : null;
    },
  },
  {
    version: 9,
    name: 'pages of one queue',
    sql: `
      -- A table filtered by queue (the dashboard's :queue, list --queue) pages by seq within the
      -- queue, with or without a state: without these, a rare queue's page scanned the whole
      -- state (or all jobs) to find its rows. Sorting a queue's finished jobs by finish time reads
      -- them through the second index and sorts them; the per-state finish index serves it when
      -- the queue is most of the jobs.
      CREATE INDEX jobs_queue_seq ON jobs (queue, seq);
      CREATE INDEX jobs_queue_state_seq ON jobs (queue, state, seq);
    `,
  },
  {
    version: 10,
    name: 'search index caught up in batches',
    sql: `
      -- An FTS5 insert in a transaction of its own writes a new segment: about 60 µs, as much as
      -- the rest of an enqueue. New jobs now enter the index in batches instead (search-index.ts):
      -- every job with seq <= jobs_search_mark.seq is in jobs_search; the newer ones are the
      -- tail, which a search reads from jobs itself (list.ts). Whoever indexes part of the tail
      -- moves the mark (at first the insert that found it SEARCH_TAIL_ROWS long; now workers, in
      -- chunks, and an insert only past SEARCH_TAIL_CAP: see search-index.ts).
      DROP TRIGGER jobs_search_insert;
      DROP TRIGGER jobs_search_delete;
      DROP TRIGGER jobs_search_update;
      -- One row. Every job so far is indexed (migration 8 and its insert trigger).
      CREATE TABLE jobs_search_mark (seq INTEGER NOT NULL);
      INSERT INTO jobs_search_mark (seq) SELECT COALESCE(MAX(seq), 0) FROM jobs;
      -- A job in the tail was never indexed: it has nothing to leave. Deleting the job at the
      -- mark moves the mark down to the newest job below it, so the mark is always a job's seq
      -- (or 0): new jobs take seqs above the largest one (insert.ts, or SQLite's own rowid
      -- choice), never one at or below the mark, where a search would not look for them outside
      -- the index.
      CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs WHEN OLD.seq <= (SELECT seq FROM jobs_search_mark) BEGIN
        DELETE FROM jobs_search WHERE rowid = -OLD.seq;
        UPDATE jobs_search_mark SET seq = (SELECT COALESCE(MAX(seq), 0) FROM jobs WHERE seq < OLD.seq) WHERE seq = OLD.seq;
      END;
      -- id and command are never updated (neither is a patchable field), nor is seq; this keeps
      -- the index true if that ever changes. A job in the tail is indexed as it is when its batch comes.
      CREATE TRIGGER jobs_search_update AFTER UPDATE OF id, command ON jobs WHEN OLD.seq <= (SELECT seq FROM jobs_search_mark) BEGIN
        DELETE FROM jobs_search WHERE rowid = -OLD.seq;
        INSERT INTO jobs_search (rowid, id, command) VALUES (-NEW.seq, NEW.id, NEW.command);
      END;
    `,
  },
  {
    version: 11,
    name: 'fewer index pages per enqueue',
    sql: `
      -- An enqueue writes one page of every index its row enters, and each page written to the
      -- log costs about as much again in the checkpoint: two of them are not needed.
      -- A queue's jobs newest first, without a state, are read from jobs_queue_state_seq instead:
      -- its runs, one per state, merged in seq order (list.ts).
      DROP INDEX jobs_queue_seq;
      -- Ordering by time of finishing is for finished jobs only (paging.byFinished): unfinished ones
      -- (every new job, and every claim's move) stay out of this index.
      DROP INDEX jobs_state_finished;
      CREATE INDEX jobs_state_finished ON jobs (state, finished_at, seq) WHERE state IN ('completed', 'dead', 'cancelled');
    `,
    // About 1 s per million jobs.
    slow: (db) => {
      const n = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM jobs').pluck().get() as number;
      return n > 10 * SLOW_INDEX_JOBS ? `rebuilding an index over about ${n.toLocaleString('en-US')} jobs (once, after an upgrade)…` : null;
    },
  },
  {
    version: 12,
    name: 'enqueued events read from the jobs',
    sql: `
      -- An enqueue wrote its job's \`enqueued\` event as a row: four more pages per commit (the row,
      -- its two indexes and AUTOINCREMENT's counter), about a third of an enqueue. Jobs and events
      -- now share one sequence (seq.ts): a job's seq is its \`enqueued\` event's place, and the
      -- event is read from the job (events.ts). The sequence's last number is a row of job_counts,
      -- whose page every enqueue and every move writes anyway; it starts above every job and every
      -- event there ever was (AUTOINCREMENT's counter included), so no number comes back.
      INSERT INTO job_counts (state, n) VALUES ('#seq', MAX(
        COALESCE((SELECT MAX(seq) FROM jobs), 0),
        COALESCE((SELECT MAX(seq) FROM events), 0),
        COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)));
      -- The jobs made before this have their \`enqueued\` events stored, numbered apart from them.
      INSERT INTO job_counts (state, n) SELECT '#stored_enqueued_through', n FROM job_counts WHERE state = '#seq';
    `,
  },
  {
    version: 13,
    name: 'index keys without a second copy of seq',
    sql: `
      -- Every index entry ends with its row's rowid, and seq is the rowid: the four indexes every
      -- new job enters held it twice. Without the copy they keep the same order (rows with equal
      -- keys in seq order) and serve the same seeks (SQLite reads the trailing rowid for ORDER BY
      -- seq and for a range on seq), with smaller entries: more of them to a page, fewer pages
      -- written per enqueue.
      DROP INDEX jobs_ready;
      DROP INDEX jobs_ready_queue;
      DROP INDEX jobs_state_seq;
      DROP INDEX jobs_queue_state_seq;
      CREATE INDEX jobs_ready ON jobs (priority DESC, run_at) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_ready_queue ON jobs (queue, priority DESC, run_at) WHERE state IN ('pending', 'failed');
      CREATE INDEX jobs_state_seq ON jobs (state);
      CREATE INDEX jobs_queue_state_seq ON jobs (queue, state);
    `,
    // Two of the four hold every job: about 2 s per million jobs.
    slow: (db) => {
      const n = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM jobs').pluck().get() as number;
      return n > 5 * SLOW_INDEX_JOBS ? `rebuilding four indexes over about ${n.toLocaleString('en-US')} jobs (once, after an upgrade)…` : null;
    },
  },
];

export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * `PRAGMA user_version` holds how many migrations are applied, not the highest version: versions
 * are numbered as they are planned and may land out of order (6 before 5), so a database with
 * 1-4 and 6 must still be given 5 once this build knows it. Up to date means all of them applied.
 * (Databases from before this rule hold 1-4 and user_version 4: the same count.)
 */
export const MIGRATION_COUNT = MIGRATIONS.length;

/** Where notes about slow migrations go: a person at a terminal; never a pipe or a worker's log. */
function noteToTerminal(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`queuectl: ${text}\n`);
}

export function migrate(db: Database, now: number, migrations = MIGRATIONS, note: (text: string) => void = noteToTerminal): void {
  if ((db.pragma('user_version', { simple: true }) as number) >= migrations.length) return;
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    // Another process may have migrated between the check above and taking the write lock.
    const done = new Set((db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]));
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      const slow = m.slow?.(db);
      if (slow) note(slow);
      db.exec(m.sql);
      record.run(m.version, m.name, now);
      done.add(m.version);
    }
    db.pragma(`user_version = ${done.size}`);
  }).immediate();
}
