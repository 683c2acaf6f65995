import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import { describeLimits, formatWindow, limitsSummary } from '../engine/rules.js';
import { JOB_STATES, type QueueInfo, type QueueLimits, type QueueLimitsPatch } from '../engine/types.js';
import { type Column, paint, renderTable } from './format.js';
import { type GlobalOptions, out, parseWhole, printJson, withQueue } from './shared.js';
import { writeFd } from './stdio.js';

export interface QueueOptions extends GlobalOptions {
  json?: boolean;
}

export interface QueueLimitOptions extends QueueOptions {
  concurrency?: string;
  rate?: string;
  clearConcurrency?: boolean;
  clearRate?: boolean;
  clear?: boolean;
}

function limitsToJson(l: QueueLimits) {
  return { concurrency: l.concurrency, rate: l.rate === null ? null : { limit: l.rate.limit, window: formatWindow(l.rate.window_ms), window_ms: l.rate.window_ms } };
}

function queueToJson(q: QueueInfo) {
  return { name: q.name, paused: q.paused, running: q.counts.processing, limits: limitsToJson(q.limits), counts: q.counts };
}

export async function runQueueList(o: QueueOptions): Promise<number> {
  const queues = await withQueue(o.db, (queue) => queue.queues());
  if (o.json) {
    printJson(queues.map(queueToJson));
    return 0;
  }
  if (queues.length === 0) {
    writeFd(2, 'no queues yet\n');
    return 0;
  }
  const cols: Column[] = [
    { header: 'QUEUE' },
    { header: 'STATE' },
    ...JOB_STATES.map((s) => ({ header: s.toUpperCase(), align: 'right' as const })),
    { header: 'LIMITS' },
  ];
  const rows = queues.map((q) => [q.name, q.paused ? paint('paused', 'yellow') : 'active', ...JOB_STATES.map((s) => String(q.counts[s])), limitsSummary(q)]);
  out(renderTable(cols, rows));
  return 0;
}

export async function runQueuePause(name: string, paused: boolean, o: QueueOptions): Promise<number> {
  await withQueue(o.db, (queue) => queue.setQueuePaused(name, paused), { create: true });
  if (o.json) printJson({ name, paused });
  else out(paused ? `paused queue ${name}: workers take none of its jobs until "queuectl queue resume ${name}"` : `resumed queue ${name}`);
  return 0;
}

/** `10/1m`, `5/30s`, `100/1h` (a bare number of seconds as the window works too); `0`: none. */
export function parseRate(text: string): { limit: number; window_ms: number } | null {
  if (text.trim() === '0') return null;
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!m) throw new ValidationError(`invalid value "${text}" for --rate: expected <count>/<window>, e.g. 10/1m`);
  const limit = Number(m[1]);
  if (limit === 0) return null;
  const window_ms = parseDuration(m[2], '--rate window');
  if (window_ms <= 0) throw new ValidationError(`invalid value "${text}" for --rate: the window must be longer than 0`);
  return { limit, window_ms };
}

/** What the options ask to change; nothing: only show the limits. */
function limitsPatch(o: QueueLimitOptions): QueueLimitsPatch {
  const patch: QueueLimitsPatch = {};
  if (o.concurrency !== undefined && (o.clearConcurrency || o.clear)) throw new ValidationError('give --concurrency or clear it, not both');
  if (o.rate !== undefined && (o.clearRate || o.clear)) throw new ValidationError('give --rate or clear it, not both');
  if (o.concurrency !== undefined) patch.concurrency = parseWhole(o.concurrency, '--concurrency', 0, 10_000) || null;
  if (o.rate !== undefined) patch.rate = parseRate(o.rate);
  if (o.clearConcurrency || o.clear) patch.concurrency = null;
  if (o.clearRate || o.clear) patch.rate = null;
  return patch;
}

export async function runQueueLimit(name: string, o: QueueLimitOptions): Promise<number> {
  const patch = limitsPatch(o);
  const change = Object.keys(patch).length > 0;
  const limits = await withQueue(
    o.db,
    async (queue) => {
      if (change) return queue.setQueueLimits(name, patch);
      const found = (await queue.queues()).find((q) => q.name === name);
      if (!found) throw new ValidationError(`no queue "${name}" (it holds no jobs and has no settings)`);
      return found.limits;
    },
    { create: change },
  );
  if (o.json) printJson({ name, limits: limitsToJson(limits) });
  else out(`queue ${name}: ${describeLimits(limits)}`);
  return 0;
}
