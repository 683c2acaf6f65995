import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openQueue } from '../../src/engine/open.js';
import type { Queue } from '../../src/engine/queue.js';
import { afterEach, beforeAll } from 'vitest';
import { killQuietly, waitFor } from './helpers.js';

export const WORKER_MAIN = resolve(import.meta.dirname, '../../dist/worker/main.js');

export function requireBuild(): void {
  if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: run "npx tsc -p tsconfig.json" first`);
}

/**
 * For a file of tests that each open a sandbox and start processes of their own: the build must
 * be there; after each test the processes whose pids it put in `pids` are killed and its sandbox
 * (`current()`) is removed.
 */
export function cleanUpEachTest(current: () => Sandbox | undefined, pids: number[]): void {
  beforeAll(requireBuild);
  afterEach(async () => {
    for (const pid of pids.splice(0)) killQuietly(pid);
    await current()?.cleanup();
  });
}

export interface LogLine {
  ts: string;
  level: string;
  event: string;
  worker: string;
  job?: string;
  [k: string]: unknown;
}

export interface WorkerHandle {
  id: string;
  child: ChildProcess;
  pid: number;
  lines: LogLine[];
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a log line matching `match`. */
  waitLog(match: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
}

/** A fresh SQLite database in a temp dir, with a Queue whose jobs run in that dir. */
export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'queuectl-worker-'));
  readonly db = join(this.dir, 'queue.db');
  private readonly workers: WorkerHandle[] = [];
  queue!: Queue;

  async open(): Promise<this> {
    this.queue = await openQueue(this.db, { cwd: this.dir });
    return this;
  }

  /**
   * Starts a worker process. `wrap`: a command line it runs under (`unshare …`, another host's
   * view); `env`: variables added to its environment (a clock-shifting preload).
   */
  startWorker(id: string, extraArgs: string[] = [], opts: { wrap?: string[]; env?: Record<string, string> } = {}): WorkerHandle {
    const argv = [process.execPath, WORKER_MAIN, '--id', id, ...extraArgs];
    const [cmd, ...args] = opts.wrap ? [...opts.wrap, ...argv] : argv;
    const child = spawn(cmd, args, {
      env: { ...process.env, QUEUECTL_DB: this.db, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: this.dir,
    });
    const lines: LogLine[] = [];
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          lines.push(JSON.parse(line) as LogLine);
        } catch {
          lines.push({ ts: '', level: 'raw', event: 'raw', worker: id, text: line });
        }
      }
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.on('exit', (code, signal) => res({ code, signal })),
    );
    const handle: WorkerHandle = {
      id,
      child,
      pid: child.pid!,
      lines,
      exited,
      waitLog: (match, what, timeoutMs = 15_000) =>
        waitFor(() => lines.find(match), `${id}: ${what} (stderr: ${stderr.slice(-500)})`, timeoutMs),
    };
    this.workers.push(handle);
    return handle;
  }

  async cleanup(): Promise<void> {
    for (const w of this.workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    }
    await this.queue?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
