import { ValidationError } from '../engine/errors.js';
import { openQueue } from '../engine/open.js';
import type { Queue } from '../engine/queue.js';
import { JOB_STATES, type JobState } from '../engine/types.js';
import { drained, writeFd } from './stdio.js';

/** What every command receives besides its own options. */
export interface GlobalOptions {
  /** `--db` as typed; undefined lets QUEUECTL_DB, MONGO_URI or the default decide. */
  db?: string;
}

/**
 * Opens the queue, runs `fn`, and always closes it. A failure while closing is reported only
 * when the command itself succeeded, so the first error is the one the user sees.
 */
export async function withQueue<T>(db: string | undefined, fn: (queue: Queue) => Promise<T>, opts: { create?: boolean } = {}): Promise<T> {
  const queue = await openQueue(db, { connectTimeoutMs: 5000, create: opts.create ?? false });
  let result: T;
  try {
    result = await fn(queue);
  } catch (e) {
    await queue.close().catch(() => undefined);
    throw e;
  }
  await queue.close();
  return result;
}

export function out(text: string): void {
  writeFd(1, text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text: string): void {
  writeFd(2, text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Writes to stdout and resolves once it can take more, so a long stream never holds more than
 * one piece in memory however slow the reader (stdio.ts). A reader that has gone away ends the
 * process with 0.
 */
export function write(text: string | Uint8Array): Promise<void> {
  return writeFd(1, text) ? Promise.resolve() : drained(1);
}

export function printJson(value: unknown): void {
  writeFd(1, `${JSON.stringify(value, null, 2)}\n`);
}

/** A whole number given on the command line, within bounds. */
export function parseWhole(text: string | undefined, option: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^[-+]?\d+$/.test(t)) throw new ValidationError(`invalid value "${text}" for ${option}: expected a whole number`);
  const n = Number(t);
  if (n < min || n > max) throw new ValidationError(`invalid value "${text}" for ${option}: expected ${min}..${max}`);
  return n;
}

export function parseState(text: string, option = '--state'): JobState {
  const s = text.trim().toLowerCase();
  if ((JOB_STATES as readonly string[]).includes(s)) return s as JobState;
  throw new ValidationError(`invalid value "${text}" for ${option}: expected one of ${JOB_STATES.join(', ')}`);
}

/** Commands that run for a while stop cleanly on Ctrl-C: `fn` runs once, on the first signal. */
export function onInterrupt(fn: () => void): () => void {
  const handler = () => fn();
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export function sleep(ms: number, signal?: { wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      if (signal) signal.wake = undefined;
      resolve();
    }
    if (signal) signal.wake = done;
  });
}
