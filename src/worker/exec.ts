import { statSync } from 'node:fs';
import { execa } from 'execa';
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
 * How every command is started. Each non-default option is here for speed or for control:
 * a worker spawns one process per job, and execa's defaults cost about a third of the raw
 * `child_process.spawn` rate.
 */
const EXECA_OPTIONS = {
  // Its own process group (setsid), so a timeout or a stop can kill the command and
  // everything it started with one signal to the group.
  detached: true,
  // The job has no input; a closed stdin stops commands that would wait for a terminal.
  stdin: 'ignore',
  // Output goes to a bounded ring read here, never into execa's unbounded buffers.
  buffer: false,
  // Raw chunks: bytes are counted and cut by the ring, decoded once when the tail is read.
  encoding: 'buffer',
  // Failure is an ordinary outcome for a job: no Error object (message, stack) per failed run.
  reject: false,
  // No signal-exit hook per process (detached processes skip it anyway; said for clarity):
  // the worker stops its jobs itself, and a worker killed with SIGKILL could not run it.
  cleanup: false,
  // The group kill below replaces execa's per-process kill timer.
  forceKillAfterDelay: false,
  // The child inherits the worker's environment as it is. extendEnv would copy process.env
  // (a slow proxy object) into a new object on every run for the same result.
  extendEnv: false,
} as const;

/** Starts `command` through `/bin/sh -c` in `cwd`; see `ExecOptions`. */
export function startCommand(options: ExecOptions): RunningCommand {
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  const tail = new OutputTail(options.outputLimitBytes);

  // The shell is named explicitly rather than through `shell: true`: the same argv, without
  // execa re-joining and re-parsing the command line.
  const subprocess = execa('/bin/sh', ['-c', options.command], { ...EXECA_OPTIONS, cwd: options.cwd, env: options.env ?? process.env });
  const pid = subprocess.pid;

  let stopReason: 'timeout' | 'interrupted' | 'cancelled' | null = null;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const timers: NodeJS.Timeout[] = [];
  let cancelTimeout = () => {};

  const onData = (chunk: Uint8Array) => tail.push(chunk);
  subprocess.stdout?.on('data', onData);
  subprocess.stderr?.on('data', onData);

  const killGroup = (reason: 'timeout' | 'interrupted' | 'cancelled') => {
    if (stopReason || exit || pid === undefined) return;
    stopReason = reason;
    signalGroup(pid, 'SIGTERM');
    // Unref'd: a command that is already gone must not keep the worker alive. The SIGKILL is
    // sent even after the shell exited, for children of the job that ignored SIGTERM.
    const t = setTimeout(() => signalGroup(pid, 'SIGKILL'), killGraceMs);
    t.unref();
  };

  if (pid !== undefined) {
    if (options.timeoutMs > 0) cancelTimeout = longTimeout(() => killGroup('timeout'), options.timeoutMs);
    if (options.onOutput && flushIntervalMs > 0) {
      const onOutput = options.onOutput;
      let flushed = 0;
      timers.push(
        setInterval(() => {
          if (tail.total === flushed) return;
          flushed = tail.total;
          onOutput({ text: tail.text(), bytes: tail.total });
        }, flushIntervalMs),
      );
    }
    subprocess.on('exit', (code, signal) => {
      exit = { code, signal };
      // The job is over when its shell is: whatever it left running in its group is ended, so
      // nothing of one attempt is still running when the next starts.
      signalGroup(pid, 'SIGTERM');
      const k = setTimeout(() => signalGroup(pid, 'SIGKILL'), killGraceMs);
      k.unref();
      // Processes the job left behind may hold its pipes open; stop waiting for them.
      const t = setTimeout(() => {
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      }, drainMs);
      t.unref();
      timers.push(t);
    });
  }

  const onAbort = () => killGroup('interrupted');
  if (options.signal) {
    if (options.signal.aborted) queueMicrotask(onAbort);
    else options.signal.addEventListener('abort', onAbort, { once: true });
  }

  const result = subprocess.then((r): AttemptResult => {
    for (const t of timers) clearTimeout(t);
    cancelTimeout();
    options.signal?.removeEventListener('abort', onAbort);
    const base = { output: tail.text(), output_bytes: tail.total, finished_at: Date.now() };
    if (pid === undefined) {
      return { ...base, outcome: 'error', exit_code: null, signal: null, error: `could not start: ${startError(r, options.cwd)}` };
    }
    const code = exit?.code ?? r.exitCode ?? null;
    const signal = exit?.signal ?? r.signal ?? null;
    return { ...base, ...describeEnd(stopReason, code, signal, options.timeoutMs) };
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

/** Signals every process of the group led by `pid`; a group that is already gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left to stop
  }
}

/** Why the shell could not be spawned, in the user's terms. */
function startError(r: { code?: string; originalMessage?: string; message?: string }, cwd: string): string {
  if (r.code === 'ENOENT' || r.code === 'ENOTDIR') {
    try {
      if (!statSync(cwd).isDirectory()) return `working directory ${cwd} is not a directory`;
    } catch {
      return `working directory ${cwd} does not exist`;
    }
  }
  const text = oneLine(r.originalMessage ?? r.message ?? 'unknown error');
  return r.code && !text.includes(r.code) ? `${r.code}: ${text}` : text;
}
