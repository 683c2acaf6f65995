import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_MARK } from '../../src/engine/backends/sqlite/schema.js';
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
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_MARK);
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it('applies a migration numbered below one the database already has (versions made apart arrive out of order)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'gap.db');
    // Versions 1-4 applied, and a user_version above 7, as a release with a later migration but not 7 leaves it.
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    old.pragma('user_version = 8');
    old.close();

    const backend = SqliteBackend.open(path);
    expect(await backend.listSchedules()).toEqual([]);
    await backend.close();
    const db = new Database(path, { readonly: true });
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
});
