import { statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { OutputTail as OutputSnapshot } from '../engine/backend.js';
import { formatDuration } from '../engine/duration.js';
import { oneLine } from '../engine/errors.js';
import type { AttemptResult } from '../engine/types.js';
import { processStart } from '../os/host.js';
import type { Launcher } from './launcher.js';
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
  /**
   * Variables added to `env`, replacing any of the same name. (Kept apart so that the launcher
   * encodes a worker's unchanging `env` once, not for every job.)
   */
  envAdd?: Record<string, string>;
  /** Starts it through this launcher while it is alive; with Node's spawn otherwise. */
  launcher?: Launcher | null;
}

export interface RunningCommand {
  /** The shell's pid, which leads the command's process group (undefined until it started, and if it could not start). */
  readonly pid: number | undefined;
  /**
   * Settles once the command started, with its pid and its start time (clock ticks since boot,
   * read while it could not have been reaped yet; null where /proc cannot tell), or could not
   * (undefined); always before `result`.
   */
  readonly started: Promise<{ pid: number; start: number | null } | undefined>;
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
 * Starts `/bin/sh -c command` in `cwd`; see `ExecOptions`.
 *
 * Through the worker's launcher when it has one (launcher.ts says why), else with Node's
 * `child_process.spawn` directly, not execa: a worker spawns one process per job, and execa's
 * per-call work (option normalisation, its stream and promise wrappers) cost about 0.4 ms of the
 * worker's CPU per job, for nothing used here — the output goes to a bounded ring, failure is an
 * ordinary outcome, and the worker kills the whole process group itself.
 */
export function startCommand(options: ExecOptions): RunningCommand {
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  const tail = new OutputTail(options.outputLimitBytes);

  let pid: number | undefined;
  let stopReason: 'timeout' | 'interrupted' | 'cancelled' | null = null;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let startFailure: NodeJS.ErrnoException | null = null;
  let lost: string | null = null;
  let done = false;
  let flushTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let cancelTimeout = () => {};
  let resolveStarted!: (leader: { pid: number; start: number | null } | undefined) => void;
  const started = new Promise<{ pid: number; start: number | null } | undefined>((resolve) => (resolveStarted = resolve));
  let resolveResult!: (r: AttemptResult) => void;
  const result = new Promise<AttemptResult>((resolve) => (resolveResult = resolve));
  /** Stops reading output (set once the command is under way). */
  let stopReading = () => {};

  const onData = (chunk: Buffer) => tail.push(chunk);

  const killGroup = (reason: 'timeout' | 'interrupted' | 'cancelled') => {
    if (stopReason || exit || done) return;
    stopReason = reason;
    // Not started yet: it is ended as soon as it is (onStart).
    if (pid !== undefined) endGroup(pid, killGraceMs);
  };

  const onStart = (p: number, start: number | null) => {
    pid = p;
    resolveStarted({ pid: p, start });
    if (stopReason) endGroup(p, killGraceMs);
    if (options.onOutput && flushIntervalMs > 0) {
      const onOutput = options.onOutput;
      let flushed = 0;
      flushTimer = setInterval(() => {
        if (tail.total === flushed) return;
        flushed = tail.total;
        onOutput({ text: tail.text(), bytes: tail.total });
      }, flushIntervalMs);
    }
  };

  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    exit = { code, signal };
    // The job is over when its shell is: whatever it left running in its group is ended, so
    // nothing of one attempt is still running when the next starts. (Most jobs leave nothing:
    // then no signal is sent and no timer armed.)
    if (pid !== undefined && groupExists(pid)) endGroup(pid, killGraceMs);
    // Processes the job left behind may hold its pipes open; stop waiting for them.
    drainTimer = setTimeout(() => stopReading(), drainMs);
    drainTimer.unref();
  };

  const onAbort = () => killGroup('interrupted');

  /** Once the command exited and its output ended (or could not start, or its launcher is gone). */
  const finish = () => {
    if (done) return;
    done = true;
    resolveStarted(undefined); // no-op once started
    clearInterval(flushTimer);
    clearTimeout(drainTimer);
    cancelTimeout();
    options.signal?.removeEventListener('abort', onAbort);
    const base = { output: tail.text(), output_bytes: tail.total, finished_at: Date.now() };
    if (pid === undefined) {
      resolveResult({ ...base, outcome: 'error', exit_code: null, signal: null, error: `could not start: ${startError(startFailure, options.cwd, lost)}` });
    } else if (!exit && lost !== null) {
      resolveResult({ ...base, outcome: 'error', exit_code: null, signal: null, error: `lost track of the command: ${lost}; its process group was ended` });
    } else {
      resolveResult({ ...base, ...describeEnd(stopReason, exit?.code ?? null, exit?.signal ?? null, options.timeoutMs) });
    }
  };

  const via = options.launcher?.alive ? options.launcher : null;
  if (via) {
    let ended = false;
    const id = via.launch(options.command, options.cwd, options.env ?? process.env, options.envAdd, {
      started: onStart,
      failed: (e) => {
        startFailure = e;
        finish();
      },
      output: onData,
      exited: (code, signal) => {
        onExit(code, signal);
        if (ended) finish();
      },
      ended: () => {
        ended = true;
        if (exit) finish();
      },
      lost: (why) => {
        lost = why;
        if (pid !== undefined && !exit) endGroup(pid, killGraceMs);
        finish();
      },
    });
    stopReading = () => {
      via.stopReading(id);
      ended = true;
      if (exit) finish();
    };
  } else {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn('/bin/sh', ['-c', options.command], {
        cwd: options.cwd,
        env: options.envAdd ? { ...(options.env ?? process.env), ...options.envAdd } : (options.env ?? process.env),
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
      startFailure = e as NodeJS.ErrnoException;
      finish();
      return { pid: undefined, started, result, abort: () => {} };
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    stopReading = () => {
      child.stdout.destroy();
      child.stderr.destroy();
    };
    // 'close' comes after 'exit' once both pipes are closed (or destroyed after drainMs).
    child.on('close', finish);
    child.on('error', (e: NodeJS.ErrnoException) => {
      // A failed spawn: no 'exit' follows, and 'close' only once the pipes are torn down.
      if (pid !== undefined) return; // an error signalling a running child: its exit still comes
      startFailure = e;
      stopReading();
    });
    if (child.pid !== undefined) {
      child.on('exit', onExit);
      // Node reaps the shell in a later turn of the event loop: it is there to be read now.
      onStart(child.pid, processStart(child.pid));
    }
  }

  if (options.timeoutMs > 0 && !done) cancelTimeout = longTimeout(() => killGroup('timeout'), options.timeoutMs);
  if (options.signal && !done) {
    if (options.signal.aborted) queueMicrotask(onAbort);
    else options.signal.addEventListener('abort', onAbort, { once: true });
  }

  return {
    get pid() {
      return pid;
    },
    started,
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
function startError(r: NodeJS.ErrnoException | null, cwd: string, lost: string | null): string {
  if (!r) return lost ?? 'unknown error';
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
