import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test builds first)`);
}

export interface Sandbox {
  dir: string;
  db: string;
  /** Environment for the CLI: no inherited database selection, data dir inside the sandbox. */
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'queuectl-cli-'));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: join(dir, 'xdg'), NO_COLOR: '1' };
  delete env.QUEUECTL_DB;
  delete env.MONGO_URI;
  delete env.QUEUECTL_DEBUG;
  const db = join(dir, 'queue.db');
  createDb(db);
  return { dir, db, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Creates an empty database at `path` (commands that only read do not create a named one). */
export function createDb(path: string): void {
  void SqliteBackend.open(path).close();
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Prepended as `--db <path>` unless null. */
  db?: string | null;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
}

export function cli(sb: Sandbox, args: string[], opts: RunOptions = {}): Run {
  const db = opts.db === undefined ? sb.db : opts.db;
  const argv = db === null ? args : ['--db', db, ...args];
  const r = spawnSync(process.execPath, [CLI, ...argv], {
    cwd: opts.cwd ?? sb.dir,
    env: opts.env ?? sb.env,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command that must succeed and returns its parsed `--json` output. */
export function cliJson<T = any>(sb: Sandbox, args: string[], opts: RunOptions = {}): T {
  // `--json` must come before a `--`, after which everything is the job's command.
  const dd = args.indexOf('--');
  const withJson = dd < 0 ? [...args, '--json'] : [...args.slice(0, dd), '--json', ...args.slice(dd)];
  const r = cli(sb, withJson, opts);
  if (r.code !== 0) throw new Error(`queuectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function spawnCli(sb: Sandbox, args: string[], opts: RunOptions = {}): ChildProcess {
  const db = opts.db === undefined ? sb.db : opts.db;
  const argv = db === null ? args : ['--db', db, ...args];
  return spawn(process.execPath, [CLI, ...argv], { cwd: opts.cwd ?? sb.dir, env: opts.env ?? sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Opens the same database in the test process, to put jobs into states a worker would. */
export async function withEngine<T>(db: string, fn: (q: Queue) => Promise<T>): Promise<T> {
  const q = new Queue(SqliteBackend.open(db));
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The database as scripts see it: every job, and the config. */
export function snapshot(sb: Sandbox, db = sb.db): { jobs: unknown; config: unknown } {
  return {
    jobs: cliJson(sb, ['list', '--limit', '10000'], { db }),
    config: cliJson(sb, ['config', 'list'], { db }),
  };
}
