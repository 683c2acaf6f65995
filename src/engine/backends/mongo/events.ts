import type { Model, PipelineStage } from 'mongoose';
import { ValidationError } from '../../errors.js';
import type { EventQuery, JobEvent } from '../../types.js';
import { encodeEventId, toEvent } from './rows.js';
import type { EventDoc, JobDoc, WorkerEventDoc } from './schema.js';

/**
 * Reading the event log.
 *
 * A job's events live in the job (the newest `EVENTS_PER_JOB`), written by the same update as the
 * move they record; events that belong to no job live in `worker_events`. Both are listed in the
 * order of (at, k): `at` is the database's time of the event and `k` a key unique across
 * processes. An event's id, and the cursor to read on from, is `<at base 36>.<k>`.
 *
 * There is no single sequence: two processes may write events with nearly the same `at`, and the
 * one with the earlier time may become visible a little later. A follower that keeps reading
 * after its cursor could step over such an event, so it re-reads from `eventReorderMs` before its
 * cursor (`since`) and drops the ids it has already seen.
 */

/** Events kept per job: the newest, enough for any retry policy. */
export const EVENTS_PER_JOB = 200;
/** How far out of order events may become visible; see `Backend.eventReorderMs`. */
export const EVENT_REORDER_MS = 5000;

const CURSOR = /^([0-9a-z]+)\.([0-9a-z]*)$/;

interface Position {
  at: number;
  k: string;
}

export function decodeEventCursor(cursor: string): Position {
  const m = CURSOR.exec(cursor);
  const at = m ? Number.parseInt(m[1], 36) : Number.NaN;
  if (!m || !Number.isSafeInteger(at)) throw new ValidationError(`invalid event cursor "${cursor}"`);
  return { at, k: m[2] };
}

/** Strictly after a position, in (at, key) order. */
function after(atField: string, keyField: string, p: Position): Record<string, unknown> {
  return { $or: [{ [atField]: { $gt: p.at } }, { [atField]: p.at, [keyField]: { $gt: p.k } }] };
}

function byPosition(a: JobEvent, b: JobEvent): number {
  if (a.at !== b.at) return a.at - b.at;
  const ka = a.id.slice(a.id.indexOf('.') + 1);
  const kb = b.id.slice(b.id.indexOf('.') + 1);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

interface Unwound {
  _id: string;
  queue: string;
  events: EventDoc;
}

export async function listEvents(
  Job: Model<JobDoc>,
  WorkerEvent: Model<WorkerEventDoc>,
  q: EventQuery,
): Promise<{ events: JobEvent[]; next: string | null }> {
  const limit = Math.max(1, Math.min(Math.floor(q.limit), 10_000));
  const from = q.after === undefined ? undefined : decodeEventCursor(q.after);
  const lowest = Math.max(q.since ?? -Infinity, from?.at ?? -Infinity);

  // Jobs' events: the jobs holding any event late enough (through `events_at`), unwound, sorted.
  const jobs: Record<string, unknown> = {};
  if (q.job_id !== undefined) jobs._id = q.job_id;
  if (q.queue !== undefined) jobs.queue = q.queue;
  if (Number.isFinite(lowest)) jobs['events.at'] = { $gte: lowest };
  const each: Record<string, unknown>[] = [];
  if (q.since !== undefined) each.push({ 'events.at': { $gte: q.since } });
  if (from) each.push(after('events.at', 'events.k', from));
  const pipeline: PipelineStage[] = [{ $match: jobs }, { $project: { queue: 1, events: 1 } }, { $unwind: '$events' }];
  if (each.length > 0) pipeline.push({ $match: each.length === 1 ? each[0] : { $and: each } });
  pipeline.push({ $sort: { 'events.at': 1, 'events.k': 1 } }, { $limit: limit });
  const rows = await Job.aggregate<Unwound>(pipeline);
  let events = rows.map((r) => toEvent(r.events, r._id, r.queue));
  await fillStartedAttempts(Job, events);

  // Events of no job (workers; a queue's, such as a change of its limits): only when the query
  // does not ask for a job.
  if (q.job_id === undefined) {
    const conds: Record<string, unknown>[] = [];
    if (q.queue !== undefined) conds.push({ queue: q.queue });
    if (q.since !== undefined) conds.push({ at: { $gte: q.since } });
    if (from) conds.push(after('at', '_id', from));
    const filter = conds.length === 0 ? {} : conds.length === 1 ? conds[0] : { $and: conds };
    const docs = await WorkerEvent.find(filter).sort({ at: 1, _id: 1 }).limit(limit).lean();
    if (docs.length > 0) {
      events = events.concat(docs.map((d) => toEvent({ k: d._id, at: d.at, type: d.type, worker_id: d.worker_id, attempt: null, detail: d.detail }, null, d.queue ?? null)));
      events.sort(byPosition);
      events = events.slice(0, limit);
    }
  }

  const last = events[events.length - 1];
  // With nothing new the cursor stays where it was (or at `since`): reading on from it is the same query.
  const next = last ? last.id : (q.after ?? encodeEventId(q.since ?? 0, ''));
  return { events, next };
}

/**
 * A claim records its `started` event in the same update that adds one to `attempts`, and a
 * plain update cannot copy the new count into the event it pushes; so the event is stored
 * without its attempt and given it here. It is the attempt of the job's next event by the same
 * worker (the settlement of that attempt, or its recovery), or the job's current attempt while
 * it is still running.
 */
async function fillStartedAttempts(Job: Model<JobDoc>, events: JobEvent[]): Promise<void> {
  const open = events.filter((e) => e.type === 'started' && e.attempt === null && e.job_id !== null);
  if (open.length === 0) return;
  const ids = [...new Set(open.map((e) => e.job_id as string))];
  const docs = await Job.find({ _id: { $in: ids } }, { attempts: 1, events: 1 }).lean();
  const byId = new Map(docs.map((d) => [d._id, d]));
  for (const e of open) {
    const d = byId.get(e.job_id as string);
    if (!d) continue;
    const list = d.events ?? [];
    const k = e.id.slice(e.id.indexOf('.') + 1);
    const i = list.findIndex((x) => x.k === k);
    const settled = i < 0 ? undefined : list.slice(i + 1).find((x) => x.type !== 'started' && x.worker_id === e.worker_id && x.attempt !== null && x.attempt !== undefined);
    e.attempt = settled ? (settled.attempt as number) : (d.attempts ?? null);
  }
}
