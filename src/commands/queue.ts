import { JOB_STATES } from '../engine/types.js';
import { type Column, paint, renderTable } from './format.js';
import { type GlobalOptions, out, printJson, withQueue } from './shared.js';

export interface QueueOptions extends GlobalOptions {
  json?: boolean;
}

export async function runQueueList(o: QueueOptions): Promise<number> {
  const queues = await withQueue(o.db, (queue) => queue.queues());
  if (o.json) {
    printJson(queues);
    return 0;
  }
  if (queues.length === 0) {
    process.stderr.write('no queues yet\n');
    return 0;
  }
  const cols: Column[] = [{ header: 'QUEUE' }, { header: 'STATE' }, ...JOB_STATES.map((s) => ({ header: s.toUpperCase(), align: 'right' as const }))];
  const rows = queues.map((q) => [q.name, q.paused ? paint('paused', 'yellow') : 'active', ...JOB_STATES.map((s) => String(q.counts[s]))]);
  out(renderTable(cols, rows));
  return 0;
}

export async function runQueuePause(name: string, paused: boolean, o: QueueOptions): Promise<number> {
  await withQueue(o.db, (queue) => queue.setQueuePaused(name, paused), { create: true });
  if (o.json) printJson({ name, paused });
  else out(paused ? `paused queue ${name}: workers take none of its jobs until "queuectl queue resume ${name}"` : `resumed queue ${name}`);
  return 0;
}
