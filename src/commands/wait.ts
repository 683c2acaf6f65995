import { parseDuration } from '../engine/duration.js';
import { JobNotFoundError } from '../engine/errors.js';
import { describeOutcome } from '../engine/policy.js';
import type { Queue } from '../engine/queue.js';
import { jobToJson } from '../engine/serialize.js';
import { isFinished } from '../engine/state-machine.js';
import type { Job } from '../engine/types.js';
import { terminalSafe } from '../present/text.js';
import { paintState } from './format.js';
import { type GlobalOptions, out, printJson, sleep, withQueue } from './shared.js';
import { writeFd } from './stdio.js';

export interface WaitOptions extends GlobalOptions {
  timeout?: string;
  json?: boolean;
}

/** Exit codes of `wait` (and `enqueue --wait`), besides 0 (all completed), 1 and 2. */
export const EXIT_NOT_COMPLETED = 3;
export const EXIT_TIMED_OUT = 4;

/** How often jobs are looked at when no change notification wakes the waiter sooner. */
const POLL_MS = 200;

/**
 * Waits until every job is finished (completed, dead or cancelled), calling `onFinished` for each
 * as it happens. Returns the finished jobs, and those still unfinished when `timeoutMs` ran out.
 */
export async function waitForJobs(
  queue: Queue,
  ids: string[],
  timeoutMs: number | null,
  onFinished: (job: Job) => void,
): Promise<{ finished: Job[]; unfinished: Job[] }> {
  const deadline = timeoutMs === null ? Infinity : performance.now() + timeoutMs;
  const left = new Map<string, Job>();
  for (const id of ids) left.set(id, await queue.get(id)); // a missing id fails at once
  const finished: Job[] = [];
  const wakeup: { wake?: () => void } = {};
  const unwatch = queue.watch(() => wakeup.wake?.());
  try {
    for (;;) {
      for (const [id, job] of left) {
        if (!isFinished(job.state)) continue;
        left.delete(id);
        finished.push(job);
        onFinished(job);
      }
      const remaining = deadline - performance.now();
      if (left.size === 0 || remaining <= 0) break;
      await sleep(Math.min(POLL_MS, remaining), wakeup);
      for (const id of left.keys()) {
        const job = await queue.backend.getJob(id);
        if (!job) throw new JobNotFoundError(id); // purged while waited for
        left.set(id, job);
      }
    }
  } finally {
    unwatch?.();
  }
  return { finished, unfinished: [...left.values()] };
}

/** One line per finished job: its id, state and how its last attempt ended. */
export function finishedLine(job: Job): string {
  const how = job.state === 'cancelled' ? '' : ` (${describeOutcome({ outcome: job.last_outcome, exit_code: job.exit_code, signal: null })}, ${job.attempts} ${job.attempts === 1 ? 'attempt' : 'attempts'})`;
  return terminalSafe(`${job.id} ${paintState(job.state)}${how}`);
}

export function parseTimeout(text: string | undefined): number | null {
  return text === undefined ? null : parseDuration(text, '--timeout');
}

export async function runWait(ids: string[], o: WaitOptions): Promise<number> {
  const timeoutMs = parseTimeout(o.timeout);
  const unique = [...new Set(ids)];
  const { finished, unfinished } = await withQueue(o.db, (queue) =>
    waitForJobs(queue, unique, timeoutMs, (job) => {
      if (!o.json) out(finishedLine(job));
    }),
  );
  if (o.json) {
    printJson({
      jobs: [...finished, ...unfinished].map((j) => jobToJson(j)),
      completed: finished.filter((j) => j.state === 'completed').length,
      unfinished: unfinished.map((j) => j.id),
    });
  } else if (unfinished.length > 0) {
    writeFd(2, `queuectl: timed out waiting for ${unfinished.map((j) => j.id).join(', ')}\n`);
  }
  if (unfinished.length > 0) return EXIT_TIMED_OUT;
  return finished.every((j) => j.state === 'completed') ? 0 : EXIT_NOT_COMPLETED;
}
