/** Real worker processes and CLI runs against a MongoDB database of the test's own. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mongoose from 'mongoose';
import { openQueue } from '../../src/engine/open.js';
import type { Queue } from '../../src/engine/queue.js';
import { dropDatabase, uniqueDbName, withDatabase } from './helpers.js';

export const WORKER_MAIN = resolve(import.meta.dirname, '../../dist/worker/main.js');
export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

export function requireBuild(): void {
  for (const f of [WORKER_MAIN, CLI]) if (!existsSync(f)) throw new Error(`${f} is missing: run "npm run build" first (npm test builds)`);
}

export interface LogLine {
  event: string;
  job?: string;
  [k: string]: unknown;
}

export interface WorkerHandle {
  id: string;
  child: ChildProcess;
  lines: LogLine[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What the server can be trusted with; FerretDB's findAndModify is not atomic under contention. */
export interface ServerTraits {
  name: string;
  atomicClaims: boolean;
}

export async function serverTraits(uri: string): Promise<ServerTraits> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    const info = (await conn.db!.admin().command({ buildInfo: 1 })) as Record<string, unknown>;
    if (info.ferretdbVersion !== undefined || (info.ferretdb as unknown) !== undefined) return { name: 'FerretDB', atomicClaims: false };
    return { name: `MongoDB-compatible server ${String(info.version ?? '')}`.trim(), atomicClaims: true };
  } finally {
    await conn.close(true);
  }
}

export class MongoSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'queuectl-mongo-'));
  readonly uri: string;
  readonly env: NodeJS.ProcessEnv;
  queue!: Queue;
  private readonly workers: WorkerHandle[] = [];
  /** Detached workers started through `worker start`, killed at cleanup if still there. */
  readonly detached: number[] = [];

  constructor(serverUri: string) {
    this.uri = withDatabase(serverUri, uniqueDbName('queuectl_proc'));
    this.env = { ...process.env, QUEUECTL_DB: this.uri, XDG_DATA_HOME: join(this.dir, 'xdg'), NO_COLOR: '1' };
    delete this.env.MONGO_URI;
  }

  async open(): Promise<this> {
    this.queue = await openQueue(this.uri, { cwd: this.dir, connectTimeoutMs: 10_000 });
    return this;
  }

  /** `queuectl --db <uri> …`, as a user types it. */
  cli(args: string[], db: string | null = this.uri): CliRun {
    const argv = db === null ? args : ['--db', db, ...args];
    const r = spawnSync(process.execPath, [CLI, ...argv], { cwd: this.dir, env: this.env, input: '', encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  startWorker(id: string, env: NodeJS.ProcessEnv = this.env): WorkerHandle {
    const child = spawn(process.execPath, [WORKER_MAIN, '--id', id], { env, cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: LogLine[] = [];
    let buf = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          lines.push(JSON.parse(line) as LogLine);
        } catch {
          lines.push({ event: 'raw', text: line });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
    const handle = { id, child, lines, stderr: () => err, exited };
    this.workers.push(handle);
    return handle;
  }

  async cleanup(): Promise<void> {
    for (const w of this.workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    for (const pid of this.detached) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.queue) {
      await this.queue.close();
      await dropDatabase(this.uri).catch(() => {});
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
