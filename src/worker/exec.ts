import { statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { OutputTail as OutputSnapshot } from '../engine/backend.js';
import { formatDuration } from '../engine/duration.js';
import { oneLine } from '../engine/errors.js';
import type { AttemptResult } from '../engine/types.js';
import { OutputTail } from './output-tail.js';

export interface ExecOptions {
  command: string;
  cwd: string;
  /** 0: no timeout. */
  timeoutMs: number;
  /** Bytes of output kept (the tail). */
  outputLimitBytes: number;
  /** Between SIGTERM and SIGKILL when the command is stopped. */
  killGraceMs?: number;
  /** How often `onOutput` receives the tail while the command runs (only when it printed something new). */
  flushIntervalMs?: number;
  onOutput?: (tail: OutputSnapshot) => void;
  /** Aborting stops the command (its whole process group) and reports it as `interrupted`. */
  signal?: AbortSignal;
  /**
   * After the shell exits, how long to keep reading output from processes it left behind that
   * still hold its stdout or stderr, before the result is given anyway.
   */
  drainMs?: number;
  /** The command's environment, whole (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningCommand {
  /** Undefined when the command could not be started. */
  readonly pid: number | undefined;
  readonly result: Promise<AttemptResult>;
  /**
   * Stops the command's process group (SIGTERM, then SIGKILL) and reports it as interrupted, or
   * as cancelled when an operator cancelled the job.
   */
  abort(reason?: 'interrupted' | 'cancelled'): void;
}

export const DEFAULT_KILL_GRACE_MS = 2000;
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_DRAIN_MS = 250;

/**
 * Starts `command` through `/bin/sh -c` in `cwd`; see `ExecOptions`.
 *
 * Node's `child_process.spawn` directly, not execa: a worker spawns one process per job, and
 * execa's per-call work (option normalisation, its stream and promise wrappers) cost about
 * 0.4 ms of the worker's CPU per job, for nothing used here — the output goes to a bounded ring,
 * failure is an ordinary outcome, and the worker kills the whole process group itself.
 */
export function startCommand(options: ExecOptions): RunningCommand {
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  const tail = new OutputTail(options.outputLimitBytes);

  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      // Its own process group (setsid), so a timeout or a stop can kill the command and
      // everything it started with one signal to the group.
      detached: true,
      // The job has no input: a closed stdin stops commands that would wait for a terminal.
      // Output goes to a bounded ring read here.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    // Some failures are thrown rather than emitted (a working directory that is a file, a
    // malformed option): the attempt fails the same way.
    const result = Promise.resolve<AttemptResult>({
      outcome: 'error',
      exit_code: null,
      signal: null,
      error: `could not start: ${startError(e as NodeJS.ErrnoException, options.cwd)}`,
      output: '',
      output_bytes: 0,
      finished_at: Date.now(),
    });
    return { pid: undefined, result, abort: () => {} };
  }
  const pid = child.pid;

  let stopReason: 'timeout' | 'interrupted' | 'cancelled' | null = null;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let flushTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let cancelTimeout = () => {};

  const onData = (chunk: Buffer) => tail.push(chunk);
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const killGroup = (reason: 'timeout' | 'interrupted' | 'cancelled') => {
    if (stopReason || exit || pid === undefined) return;
    stopReason = reason;
    endGroup(pid, killGraceMs);
  };

  if (pid !== undefined) {
    if (options.timeoutMs > 0) cancelTimeout = longTimeout(() => killGroup('timeout'), options.timeoutMs);
    if (options.onOutput && flushIntervalMs > 0) {
      const onOutput = options.onOutput;
      let flushed = 0;
      flushTimer = setInterval(() => {
        if (tail.total === flushed) return;
        flushed = tail.total;
        onOutput({ text: tail.text(), bytes: tail.total });
      }, flushIntervalMs);
    }
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The job is over when its shell is: whatever it left running in its group is ended, so
      // nothing of one attempt is still running when the next starts. (Most jobs leave nothing:
      // then no signal is sent and no timer armed.)
      if (groupExists(pid)) endGroup(pid, killGraceMs);
      // Processes the job left behind may hold its pipes open; stop waiting for them.
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, drainMs);
      drainTimer.unref();
    });
  }

  const onAbort = () => killGroup('interrupted');
  if (options.signal) {
    if (options.signal.aborted) queueMicrotask(onAbort);
    else options.signal.addEventListener('abort', onAbort, { once: true });
  }

  const result = new Promise<AttemptResult>((resolve) => {
    let startFailure: NodeJS.ErrnoException | null = null;
    const finish = () => {
      clearInterval(flushTimer);
      clearTimeout(drainTimer);
      cancelTimeout();
      options.signal?.removeEventListener('abort', onAbort);
      const base = { output: tail.text(), output_bytes: tail.total, finished_at: Date.now() };
      if (pid === undefined) {
        resolve({ ...base, outcome: 'error', exit_code: null, signal: null, error: `could not start: ${startError(startFailure, options.cwd)}` });
        return;
      }
      resolve({ ...base, ...describeEnd(stopReason, exit?.code ?? null, exit?.signal ?? null, options.timeoutMs) });
    };
    // 'close' comes after 'exit' once both pipes are closed (or destroyed after drainMs).
    child.on('close', finish);
    child.on('error', (e: NodeJS.ErrnoException) => {
      // A failed spawn: no 'exit' follows, and 'close' only once the pipes are torn down.
      if (pid !== undefined) return; // an error signalling a running child: its exit still comes
      startFailure = e;
      child.stdout.destroy();
      child.stderr.destroy();
    });
  });

  return {
    pid,
    result,
    abort: (reason = 'interrupted') => killGroup(reason),
  };
}

/** Runs a command to its end; see `startCommand`. */
export function runCommand(options: ExecOptions): Promise<AttemptResult> {
  return startCommand(options).result;
}

function describeEnd(
  stopReason: 'timeout' | 'interrupted' | 'cancelled' | null,
  code: number | null,
  signal: string | null,
  timeoutMs: number,
): Pick<AttemptResult, 'outcome' | 'exit_code' | 'signal' | 'error'> {
  if (stopReason === 'timeout') {
    return { outcome: 'timed_out', exit_code: code, signal, error: `timed out after ${formatDuration(timeoutMs)}` };
  }
  if (stopReason === 'cancelled') {
    return { outcome: 'cancelled', exit_code: code, signal, error: 'cancelled by an operator while it ran' };
  }
  if (stopReason === 'interrupted') {
    return { outcome: 'interrupted', exit_code: code, signal, error: 'interrupted: the worker was stopped' };
  }
  if (signal) return { outcome: 'signal', exit_code: null, signal, error: `killed by signal ${signal}` };
  if (code === 0) return { outcome: 'succeeded', exit_code: 0, signal: null, error: null };
  return { outcome: 'exit', exit_code: code, signal: null, error: `exit code ${code ?? '?'}` };
}

/** The largest delay a Node timer takes; longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` after `ms`, however long (a chain of timers); returns its cancel. */
function longTimeout(fn: () => void, ms: number): () => void {
  const due = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = due - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * SIGTERM to the group led by `pid`, then SIGKILL after `graceMs` for processes that ignored it
 * (unref'd: a command that is already gone must not keep the worker alive).
 */
function endGroup(pid: number, graceMs: number): void {
  signalGroup(pid, 'SIGTERM');
  setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs).unref();
}

/**
 * kill(2) giving its errno (0, or minus the error number) instead of throwing: the function
 * `process.kill` wraps. After almost every job the group is already gone, and `process.kill` would
 * build an exception with its stack trace each time (6.7 µs a call against 0.5 µs, warm; more in a
 * worker, where the call runs once per job).
 */
const rawKill = (process as unknown as { _kill?: (pid: number, signal: number) => number })._kill;

/** Whether any process is left in the group led by `pid`. */
function groupExists(pid: number): boolean {
  if (typeof rawKill === 'function') {
    const err = rawKill.call(process, -pid, 0);
    // EPERM: there is a process, owned by someone else (it changed its user): still there.
    return err === 0 || err === -osConstants.errno.EPERM;
  }
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    // EPERM: there is a process, owned by someone else (it changed its user): still there.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals every process of the group led by `pid`; a group that is already gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to stop
  }
}

/** Why the shell could not be spawned, in the user's terms. */
function startError(r: NodeJS.ErrnoException | null, cwd: string): string {
  if (!r) return 'unknown error';
  if (r.code === 'ENOENT' || r.code === 'ENOTDIR') {
    try {
      if (!statSync(cwd).isDirectory()) return `working directory ${cwd} is not a directory`;
    } catch {
      return `working directory ${cwd} does not exist`;
    }
  }
  const text = oneLine(r.message || 'unknown error');
  return r.code && !text.includes(r.code) ? `${r.code}: ${text}` : text;
}
