import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, MIGRATION_COUNT, migrate } from '../../src/engine/backends/sqlite/schema.js';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';

describe('SQLite migrations', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('brings a database made by an older version up to date, keeping its jobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'old.db');
    // A database as the first schema left it, with one job in it.
    const old = new Database(path);
    old.exec(MIGRATIONS[0].sql);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    old.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0].name);
    old.pragma('user_version = 1');
    old.prepare(
      "INSERT INTO jobs (id, command, state, max_retries, run_at, queue, cwd, created_at, updated_at) VALUES ('kept', 'true', 'pending', 3, 0, 'default', '/', 0, 0)",
    ).run();
    old.prepare("UPDATE job_counts SET n = 1 WHERE state = 'pending'").run();
    old.close();

    const backend = SqliteBackend.open(path);
    const q = new Queue(backend);
    expect(await q.get('kept')).toMatchObject({ state: 'pending', command_pid: null });
    expect((await q.counts()).pending).toBe(1);
    await backend.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATION_COUNT);
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it('opens an up-to-date database without migrating again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'q.db');
    await SqliteBackend.open(path).close();
    await SqliteBackend.open(path).close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    db.close();
  });

  it('applies a migration numbered below ones already applied (versions may land out of order)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-migrate-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'gap.db'));
    // This database has every migration and one numbered two above the last; a later build knows
    // one numbered between them.
    const top = Math.max(...MIGRATIONS.map((m) => m.version));
    const first = [...MIGRATIONS, { version: top + 2, name: 'landed first', sql: 'CREATE TABLE landed_first (x INTEGER);' }];
    migrate(db, 0, first);
    expect(db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(first.length);
    const later = [...first, { version: top + 1, name: 'arrived later', sql: 'CREATE TABLE arrived_later (x INTEGER);' }];
    migrate(db, 0, later);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'arrived_later'").pluck().get()).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(later.length);
    // And it is not applied twice.
    migrate(db, 0, later);
    db.close();
  });

  it('keeps the running count of a queue with settings through claims and settles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'q.db');
    const backend = SqliteBackend.open(path);
    const q = new Queue(backend);
    await q.enqueue([{ id: 'a', command: 'true', queue: 'x' }, { id: 'b', command: 'true', queue: 'x' }]);
    const a = (await q.claim('w', 'x', 30_000))!;
    // Settings made while a job runs start from the jobs already processing.
    await q.setQueueLimits('x', { concurrency: 1 });
    expect(await q.claim('w', 'x', 30_000)).toBeNull();
    await q.settle(a, 'w', { outcome: 'succeeded', exit_code: 0, signal: null, error: null, output: '', output_bytes: 0, finished_at: Date.now() }, await q.config());
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare("SELECT running FROM queue_settings WHERE name = 'x'").pluck().get()).toBe(0);
    raw.close();
    expect((await q.claim('w', 'x', 30_000))?.id).toBe('b');
    await backend.close();
  });

  it('rebuilds the indexes every new job enters without a second copy of seq, keeping their order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'before-keys.db');
    const old = new Database(path);
    migrate(old, 0, MIGRATIONS.filter((m) => m.version < 13), () => {});
    // Jobs whose keys are equal but for seq, inserted out of seq order, in two queues.
    old.exec(`
      INSERT INTO jobs (seq, id, command, state, max_retries, priority, run_at, queue, cwd, created_at, updated_at) VALUES
        (5, 'e', 'true', 'pending', 3, 0, 0, 'a', '/', 0, 0), (2, 'b', 'true', 'pending', 3, 0, 0, 'b', '/', 0, 0),
        (4, 'd', 'true', 'pending', 3, 1, 0, 'a', '/', 0, 0), (1, 'a', 'true', 'pending', 3, 0, 0, 'a', '/', 0, 0),
        (3, 'c', 'true', 'pending', 3, 0, 0, 'b', '/', 0, 0), (6, 'f', 'true', 'pending', 3, 1, 0, 'b', '/', 0, 0);
      UPDATE job_counts SET n = 6 WHERE state = 'pending';
      UPDATE job_counts SET n = 6 WHERE state = '#seq';
    `);
    old.close();

    const db = new Database(path);
    const notes: string[] = [];
    migrate(db, 0, MIGRATIONS, (t) => notes.push(t));
    expect(notes).toEqual([]);
    const keys = db.prepare("SELECT name, sql FROM sqlite_master WHERE name IN ('jobs_ready', 'jobs_ready_queue', 'jobs_state_seq', 'jobs_queue_state_seq')").all() as Array<{ name: string; sql: string }>;
    expect(keys.map((k) => k.name).sort()).toEqual(['jobs_queue_state_seq', 'jobs_ready', 'jobs_ready_queue', 'jobs_state_seq']);
    for (const k of keys) expect(k.sql).not.toMatch(/\bseq\b\s*\)/);
    // Each still serves its reads in order, without sorting.
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan("SELECT seq FROM jobs WHERE state = 'pending' AND seq < 5 ORDER BY seq DESC LIMIT 2")).toMatch(/INDEX jobs_state_seq \(state=\? AND rowid<\?\)/);
    expect(plan("SELECT seq FROM jobs WHERE queue = 'a' AND state = 'pending' ORDER BY seq DESC LIMIT 2")).toMatch(/INDEX jobs_queue_state_seq \(queue=\? AND state=\?\)/);
    for (const sql of [
      "SELECT seq FROM jobs WHERE state = 'pending' AND seq < 5 ORDER BY seq DESC LIMIT 2",
      "SELECT seq FROM jobs WHERE queue = 'a' AND state = 'pending' ORDER BY seq DESC LIMIT 2",
      "SELECT seq FROM jobs INDEXED BY jobs_ready WHERE state IN ('pending', 'failed') ORDER BY priority DESC, run_at, seq LIMIT 1",
      "SELECT seq FROM jobs INDEXED BY jobs_ready_queue WHERE state IN ('pending', 'failed') AND queue = 'b' ORDER BY priority DESC, run_at, seq LIMIT 1",
    ]) expect(plan(sql)).not.toMatch(/TEMP B-TREE/);
    db.close();

    // A database this large is told why its first open takes a moment.
    const slow = MIGRATIONS.find((m) => m.version === 13)?.slow;
    const big = new Database(':memory:');
    big.exec('CREATE TABLE jobs (seq INTEGER PRIMARY KEY); INSERT INTO jobs (seq) VALUES (600000);');
    expect(slow?.(big)).toMatch(/rebuilding four indexes over about 600,000 jobs/);
    big.close();

    const backend = SqliteBackend.open(path);
    const q = new Queue(backend);
    expect((await q.list({ limit: 10, state: 'pending' })).jobs.map((j) => j.id)).toEqual(['f', 'e', 'd', 'c', 'b', 'a']);
    expect((await q.list({ limit: 10, queue: 'a', state: 'pending' })).jobs.map((j) => j.id)).toEqual(['e', 'd', 'a']);
    const claimed: string[] = [];
    for (let job = await q.claim('w', 'a', 30_000); job; job = await q.claim('w', 'a', 30_000)) claimed.push(job.id);
    for (let job = await q.claim('w', null, 30_000); job; job = await q.claim('w', null, 30_000)) claimed.push(job.id);
    // Queue a by priority then age, then the rest by priority then age.
    expect(claimed).toEqual(['d', 'a', 'e', 'f', 'b', 'c']);
    await backend.close();
  });

  it('builds the search index over the jobs of an older database, says so when there are many, and keeps it in step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'before-search.db');
    // A database as the build before the search index left it: the migrations before that one.
    const old = new Database(path);
    const before = MIGRATIONS.filter((m) => m.version < 8);
    migrate(old, 0, before, () => {});
    // Enough jobs for the build to be announced, made in one statement.
    const n = 120_000;
    old.exec(`
      WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n})
      INSERT INTO jobs (id, command, state, max_retries, run_at, queue, cwd, created_at, updated_at)
      SELECT 'old-' || i, 'echo Report ' || i, CASE WHEN i % 10 = 0 THEN 'dead' ELSE 'completed' END, 3, 0, 'default', '/', i, i FROM k;
    `);
    old.close();

    const db = new Database(path);
    const notes: string[] = [];
    migrate(db, 0, MIGRATIONS, (t) => notes.push(t));
    expect(notes).toEqual([expect.stringMatching(/building the search index over about 120,000 jobs/)]);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATION_COUNT);
    db.close();

    const backend = SqliteBackend.open(path);
    const q = new Queue(backend);
    expect((await q.list({ limit: 5, search: 'report 11999' })).jobs.map((j) => j.id)).toEqual(['old-119999', 'old-119998', 'old-119997', 'old-119996', 'old-119995']);
    expect((await q.list({ limit: 5, search: 'OLD-7', state: 'dead' })).jobs.map((j) => j.id)).toEqual(['old-79990', 'old-79980', 'old-79970', 'old-79960', 'old-79950']);
    expect(await q.countMatches({ search: 'report 1199' })).toEqual({ exact: true, counts: expect.objectContaining({ completed: 100, dead: 11 }) });
    // Every job then was indexed: the mark is the newest. New jobs are found in the tail above
    // it until a batch indexes them; purged ones leave the index.
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT seq FROM jobs_search_mark').pluck().get()).toBe(n);
    raw.close();
    await q.enqueue([{ id: 'fresh', command: 'report 11999 again' }]);
    expect((await q.list({ limit: 1, search: 'report 11999' })).jobs.map((j) => j.id)).toEqual(['fresh']);
    expect(await q.purge(['dead'], 0)).toBe(n / 10);
    expect((await q.countMatches({ search: 'report 1199' })).counts).toMatchObject({ completed: 100, dead: 0, pending: 1 });
    await backend.close();
  });
});
