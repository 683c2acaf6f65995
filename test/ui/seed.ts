import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { Queue } from '../../src/engine/queue.js';
import type { AttemptResult, Job } from '../../src/engine/types.js';

/** A fresh SQLite database in its own temporary directory. */
export function tempDb(prefix = 'queuectl-ui-'): { dir: string; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: join(dir, 'queue.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openTestQueue(path: string): Queue {
  return new Queue(SqliteBackend.open(path));
}

function result(outcome: AttemptResult['outcome'], exit: number | null, output: string): AttemptResult {
  return {
    outcome,
    exit_code: exit,
    signal: null,
    error: outcome === 'succeeded' ? null : `exited with code ${exit}`,
    output,
    output_bytes: Buffer.byteLength(output),
    finished_at: Date.now(),
  };
}

/** Runs one attempt of a specific job by hand, the way a worker would, and settles it. */
async function runOnce(queue: Queue, id: string, worker: string, outcome: AttemptResult['outcome'], exit: number | null, output: string): Promise<Job> {
  // Claims go to the best eligible job: raise this one above the rest for the moment.
  const claimed = await queue.claim(worker, `seed-${id}`, 60_000);
  if (!claimed || claimed.id !== id) throw new Error(`seed: expected to claim ${id}, got ${claimed?.id}`);
  await queue.settle(claimed, worker, result(outcome, exit, output), DEFAULT_CONFIG);
  return queue.get(id);
}

/**
 * Jobs in every state: pending, processing (held by a worker id), completed, failed (waiting out a
 * backoff), dead (with output), and cancelled. Each in its own queue so a claim picks it exactly.
 */
export async function seedEveryState(queue: Queue): Promise<Record<string, string>> {
  const ids = {
    pending: 'p-waiting',
    processing: 'p-running',
    completed: 'c-done',
    failed: 'f-retrying',
    dead: 'd-buried',
    cancelled: 'x-cancelled',
  };
  await queue.enqueue([{ id: ids.completed, command: 'echo finished fine', queue: `seed-${ids.completed}` }]);
  await runOnce(queue, ids.completed, 'w-seed', 'succeeded', 0, 'finished fine\n');
  await queue.enqueue([{ id: ids.failed, command: 'exit 3', max_retries: 3, queue: `seed-${ids.failed}` }]);
  await runOnce(queue, ids.failed, 'w-seed', 'exit', 3, 'about to fail\n');
  await queue.enqueue([{ id: ids.dead, command: 'sh -c "echo boom; exit 7"', max_retries: 0, queue: `seed-${ids.dead}` }]);
  await runOnce(queue, ids.dead, 'w-seed', 'exit', 7, 'line one\nboom: the last words\n');
  await queue.enqueue([{ id: ids.processing, command: 'sleep 1000', queue: `seed-${ids.processing}` }]);
  const running = await queue.claim('w-seed', `seed-${ids.processing}`, 3_600_000);
  if (!running) throw new Error('seed: nothing to claim');
  await queue.enqueue([{ id: ids.cancelled, command: 'echo never' }]);
  await queue.cancel(ids.cancelled);
  await queue.enqueue([{ id: ids.pending, command: 'echo waiting patiently', priority: 5, delay_ms: 3_600_000 }]);
  return ids;
}

/** Many completed-looking jobs for paging: enqueued in one transaction, ids `bulk-0001`… oldest first. */
export async function seedMany(queue: Queue, n: number, prefix = 'bulk'): Promise<string[]> {
  const width = String(n).length;
  const inputs = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${String(i + 1).padStart(width, '0')}`,
    command: `echo ${prefix} ${i + 1}`,
    delay_ms: 3_600_000,
  }));
  // One by one so each has its own position in the history (newest first = highest number).
  for (const input of inputs) await queue.enqueue([input]);
  return inputs.map((i) => i.id);
}

/** Polls until `fn` returns a truthy value, or fails with the last value seen. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value:\n${String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `n` dead jobs, ids `${prefix}-01`… oldest first, each having failed its only attempt with exit 1. */
export async function seedDead(queue: Queue, n: number, prefix = 'dead'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `${prefix}-${String(i).padStart(2, '0')}`;
    await queue.enqueue([{ id, command: `sh -c "exit 1" # ${id}`, max_retries: 0, queue: `seed-${id}` }]);
    await runOnce(queue, id, 'w-seed', 'exit', 1, `${id} died\n`);
    ids.push(id);
  }
  return ids;
}

/** One job run once to completion with the given command and output, in its own queue. */
export async function seedFinished(queue: Queue, id: string, command: string, output: string): Promise<Job> {
  await queue.enqueue([{ id, command, queue: `seed-${id}` }]);
  return runOnce(queue, id, 'w-seed', 'succeeded', 0, output);
}
