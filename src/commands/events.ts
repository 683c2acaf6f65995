import { parseDuration } from '../engine/duration.js';
import type { Queue } from '../engine/queue.js';
import type { EventQuery, JobEvent } from '../engine/types.js';
import { terminalSafe } from '../present/text.js';
import { type GlobalOptions, out, sleep, withQueue } from './shared.js';

export interface EventsOptions extends GlobalOptions {
  follow?: boolean;
  json?: boolean;
  queue?: string;
  job?: string;
  since?: string;
}

const PAGE = 1000;
/** How often `--follow` looks for new events when no change notification wakes it sooner. */
const POLL_MS = 250;

/** An event as one JSON object (one per line with --json). */
export function eventToJson(e: JobEvent) {
  return { id: e.id, at: new Date(e.at).toISOString(), type: e.type, job_id: e.job_id, queue: e.queue, worker_id: e.worker_id, attempt: e.attempt, detail: e.detail };
}

/** An event as a line of text: time, what happened, to which job or worker, and a few words. */
export function eventLine(e: JobEvent): string {
  const who = e.job_id !== null ? `${e.job_id}${e.attempt !== null ? ` #${e.attempt}` : ''}` : (e.worker_id ?? '-');
  const by = e.job_id !== null && e.worker_id !== null ? ` on ${e.worker_id}` : '';
  const detail = e.detail ? `  ${e.detail}` : '';
  return terminalSafe(`${new Date(e.at).toISOString()}  ${e.type.padEnd(14)}  ${who}${by}${detail}`.replace(/\n/g, ' '));
}

/**
 * Reads the event log in order, from `since` or from the start, and then (with `follow`) as it
 * grows. Where the backend's events may become visible slightly out of order (several writers
 * without one sequence), the last `eventReorderMs` are read again and events already seen dropped.
 */
export async function readEvents(
  queue: Queue,
  filter: Omit<EventQuery, 'after' | 'limit'>,
  follow: boolean,
  emit: (e: JobEvent) => void,
  stop: { stopped: boolean } = { stopped: false },
): Promise<void> {
  const reorder = queue.backend.eventReorderMs;
  let after: string | undefined;
  let since = filter.since;
  const seen = new Map<string, number>();
  const wakeup: { wake?: () => void } = {};
  const unwatch = follow ? queue.watch(() => wakeup.wake?.()) : undefined;
  try {
    for (;;) {
      const { events, next } = await queue.events({ ...filter, since, after: reorder > 0 ? undefined : after, limit: PAGE });
      for (const e of events) {
        if (reorder > 0) {
          if (seen.has(e.id)) continue;
          seen.set(e.id, e.at);
        }
        emit(e);
      }
      if (reorder > 0 && events.length > 0) {
        // Read again from a little before the newest event seen; forget what is older than that.
        const newest = Math.max(...events.map((e) => e.at));
        since = Math.max(since ?? 0, newest - reorder);
        for (const [id, at] of seen) if (at < since) seen.delete(id);
      } else if (next !== null) {
        after = next;
      }
      if (events.length === PAGE && reorder === 0) continue; // more to read at once
      if (!follow || stop.stopped) return;
      await sleep(POLL_MS, wakeup);
      if (stop.stopped) return;
    }
  } finally {
    unwatch?.();
  }
}

export async function runEvents(o: EventsOptions): Promise<number> {
  const since = o.since === undefined ? undefined : Date.now() - parseDuration(o.since, '--since');
  await withQueue(o.db, async (queue) => {
    const stop = { stopped: false };
    // Following ends on Ctrl-C or SIGTERM with exit 0, after what was read is written.
    const onSignal = () => (stop.stopped = true);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await readEvents(queue, { since, queue: o.queue, job_id: o.job }, Boolean(o.follow), (e) =>
        out(o.json ? JSON.stringify(eventToJson(e)) : eventLine(e)),
      stop);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
  return 0;
}
