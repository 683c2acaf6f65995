import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, cli, cliJson, createDb, requireBuild, sandbox } from './helpers.js';

/** Where the data lives: --db, QUEUECTL_DB (also from .env), or the user's data directory. */

let sb: Sandbox;
beforeAll(requireBuild);
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

describe('where data lives', () => {
  it('defaults to $XDG_DATA_HOME/queuectl/queue.db, created on first use', () => {
    const expected = join(sb.dir, 'xdg', 'queuectl', 'queue.db');
    expect(existsSync(expected)).toBe(false);
    expect(cli(sb, ['enqueue', '{"id":"here","command":"true"}'], { db: null }).code).toBe(0);
    expect(existsSync(expected)).toBe(true);
    const status = cliJson(sb, ['status'], { db: null });
    expect(status.db).toBe(expected);
    expect(status.counts.pending).toBe(1);
    expect(cli(sb, ['status'], { db: null }).stdout).toMatch(new RegExp(`^database\\s+${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(sqlite\\)$`, 'm'));
  });

  it('falls back to ~/.local/share/queuectl/queue.db without XDG_DATA_HOME', () => {
    const home = join(sb.dir, 'home');
    mkdirSync(home);
    const env = { ...sb.env, HOME: home };
    delete env.XDG_DATA_HOME;
    const status = cliJson(sb, ['status'], { db: null, env });
    expect(status.db).toBe(join(home, '.local', 'share', 'queuectl', 'queue.db'));
    expect(existsSync(status.db)).toBe(true);
  });

  it('honours QUEUECTL_DB from the environment, and --db over it', () => {
    const fromEnv = join(sb.dir, 'env.db');
    createDb(fromEnv);
    const env = { ...sb.env, QUEUECTL_DB: fromEnv };
    expect(cliJson(sb, ['status'], { db: null, env }).db).toBe(fromEnv);
    const flag = join(sb.dir, 'flag.db');
    createDb(flag);
    expect(cliJson(sb, ['status'], { db: flag, env }).db).toBe(flag);
  });

  it('reads QUEUECTL_DB from a .env file in the working directory', () => {
    const project = join(sb.dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, '.env'), '# settings for this project\nQUEUECTL_DB=./jobs/queue.db\n');
    const expected = join(project, 'jobs', 'queue.db');
    expect(cli(sb, ['enqueue', '{"id":"via-dotenv","command":"true"}'], { db: null, cwd: project }).code).toBe(0);
    expect(existsSync(expected)).toBe(true);
    const status = cliJson(sb, ['status'], { db: null, cwd: project });
    expect(status).toMatchObject({ db: expected, counts: { pending: 1 } });
    // The commander path (list) reads it too, and the environment wins over the file.
    expect(cliJson<Array<{ id: string }>>(sb, ['list'], { db: null, cwd: project }).map((j) => j.id)).toEqual(['via-dotenv']);
    const other = join(sb.dir, 'other.db');
    createDb(other);
    expect(cliJson(sb, ['status'], { db: null, cwd: project, env: { ...sb.env, QUEUECTL_DB: other } }).db).toBe(other);
  });

  it('resolves a relative --db against the working directory', () => {
    expect(cli(sb, ['enqueue', '--', 'true'], { db: 'rel/q.db' }).code).toBe(0);
    expect(cliJson(sb, ['status'], { db: 'rel/q.db' }).db).toBe(join(sb.dir, 'rel', 'q.db'));
  });

  it('accepts --db after the command and as --db=', () => {
    const a = join(sb.dir, 'after.db');
    createDb(a);
    expect(cliJson(sb, ['status', '--db', a], { db: null }).db).toBe(a);
    expect(cliJson(sb, ['list', `--db=${a}`], { db: null })).toEqual([]);
    expect(cliJson(sb, [`--db=${a}`, 'config', 'list'], { db: null }).max_retries).toBe(3);
  });
});
