import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Backend } from './backend.js';
import { SqliteBackend } from './backends/sqlite/sqlite-backend.js';
import { Queue, type QueueOptions } from './queue.js';

/** `named`: the path was given (`--db`, QUEUECTL_DB), rather than the default file. */
export type DbTarget = { kind: 'sqlite'; path: string; named: boolean } | { kind: 'mongo'; uri: string };

/** Reads `.env` from the working directory once, without overriding variables already set. */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return;
  try {
    process.loadEnvFile(file);
  } catch {
    // an unreadable .env must not stop the command; the variables simply stay unset
  }
}

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.length > 0 ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'queuectl', 'queue.db');
}

export function isMongoUri(s: string): boolean {
  return /^mongodb(\+srv)?:\/\//i.test(s);
}

/**
 * Where the data lives: `--db`, else QUEUECTL_DB, else MONGO_URI, else the SQLite file under
 * the user's data directory. A mongodb:// URI selects MongoDB; anything else is a SQLite path.
 */
export function resolveDbTarget(db: string | undefined, env: NodeJS.ProcessEnv = process.env): DbTarget {
  const chosen = db ?? (env.QUEUECTL_DB || undefined) ?? (env.MONGO_URI || undefined);
  if (chosen && isMongoUri(chosen)) return { kind: 'mongo', uri: chosen };
  return { kind: 'sqlite', path: resolve(chosen ?? defaultDbPath(env)), named: chosen !== undefined };
}

export interface OpenOptions extends QueueOptions {
  /** For MongoDB: how long to wait for the server before giving up. */
  connectTimeoutMs?: number;
  /**
   * Whether a SQLite file that does not exist is created (default: yes). Commands that only read
   * or act on existing jobs pass false: a mistyped path then fails with one line instead of
   * showing a new, empty queue. The default file is always created, so a first command works.
   */
  create?: boolean;
}

/**
 * Opens the backend for a target. The MongoDB adapter (and mongoose) load only when used; the
 * SQLite adapter is small and loads its driver itself on the first open.
 */
export async function openBackend(target: DbTarget, options: OpenOptions = {}): Promise<Backend> {
  if (target.kind === 'sqlite') {
    return SqliteBackend.open(target.path, { create: options.create !== false || !target.named });
  }
  const { openMongoBackend } = await import('./backends/mongo/mongo-backend.js');
  return openMongoBackend(target.uri, { connectTimeoutMs: options.connectTimeoutMs });
}

export async function openQueue(db: string | undefined, options: OpenOptions = {}): Promise<Queue> {
  const backend = await openBackend(resolveDbTarget(db), options);
  return new Queue(backend, options);
}
