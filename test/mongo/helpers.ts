/**
 * Shared by the MongoDB test files: where the server is, a fresh database per fixture, and a
 * private test server that a test may stop and start again.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';

export const MONGO_URI = process.env.MONGO_URI || undefined;
export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const START_SH = join(REPO, 'scripts', 'mongo-test-server', 'start.sh');

let warned = false;
/** Says once per file, out loud, that the MongoDB cases did not run and how to run them. */
export function warnSkipped(what: string): void {
  if (warned) return;
  warned = true;
  console.warn(
    `MongoDB ${what} SKIPPED: MONGO_URI is not set. To run it, start a server ` +
      `(eval "$(scripts/mongo-test-server/start.sh 27018)" starts a local test server) and run ` +
      `MONGO_URI=mongodb://127.0.0.1:27018/queuectl_test npm test`,
  );
}

/** The same server with another database name (the URI's options kept). */
export function withDatabase(uri: string, db: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(\/[^?]*)?(\?.*)?$/i.exec(uri);
  if (!m) throw new Error(`not a MongoDB URI: ${uri}`);
  return `${m[1]}/${db}${m[3] ?? ''}`;
}

let n = 0;
/** A database name no other test (or test run) uses. */
export function uniqueDbName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${n++}`;
}

export async function dropDatabase(uri: string): Promise<void> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    await conn.dropDatabase();
  } finally {
    await conn.close(true);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it is truthy or `ms` pass; returns the last value. */
export async function until<T>(check: () => Promise<T> | T, ms: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    let v: T | undefined;
    try {
      v = await check();
    } catch {
      v = undefined;
    }
    if (v) return v;
    if (Date.now() > deadline) return v as T;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Whether a Java runtime and Maven are here to build and run the test server. */
export function canRunTestServer(): boolean {
  try {
    execFileSync('bash', [START_SH, '--build-only'], { stdio: 'ignore', timeout: 300_000 });
    return true;
  } catch {
    return false;
  }
}

/** A test server of this test's own, on its own port, that the test can stop and start again. */
export class PrivateServer {
  private proc: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/queuectl_private`;
  }

  async start(): Promise<void> {
    const proc = spawn('bash', [START_SH, '--foreground', String(this.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('test server did not start within 60 s')), 60_000);
      proc.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`test server exited with ${code}`));
      });
    });
  }

  /** Signals the server process (`SIGSTOP` freezes it, as a stalled server; `SIGCONT` thaws it). */
  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
}
