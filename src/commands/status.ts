import { isWorkerStale } from '../engine/policy.js';
import { workerToJson } from '../engine/serialize.js';
import { JOB_STATES } from '../engine/types.js';
import { STATE_COLORS, paint, renderFields } from './format.js';
import { type GlobalOptions, out, printJson, withQueue } from './shared.js';

export interface StatusOptions extends GlobalOptions {
  json?: boolean;
}

export async function runStatus(o: StatusOptions): Promise<number> {
  const { location, kind, counts, workers, leaseSeconds, now } = await withQueue(o.db, async (queue) => {
    const [counts, workers, config] = await Promise.all([queue.counts(), queue.workers(), queue.config()]);
    return { location: queue.location, kind: queue.backend.kind, counts, workers, leaseSeconds: config.lease_seconds, now: queue.now() };
  });
  const stale = (w: { heartbeat_at: number }) => isWorkerStale(w, now, leaseSeconds);
  if (o.json) {
    printJson({
      db: location,
      backend: kind,
      counts,
      workers: workers.map((w) => ({ ...workerToJson(w, now), stale: stale(w) })),
    });
    return 0;
  }
  const live = workers.filter((w) => !stale(w));
  const by = (s: string) => live.filter((w) => w.state === s).length;
  const parts = [`${by('busy')} busy`, `${by('idle')} idle`];
  if (by('stopping') > 0) parts.push(`${by('stopping')} stopping`);
  const staleCount = workers.length - live.length;
  if (staleCount > 0) parts.push(paint(`${staleCount} stale`, 'red'));
  const width = Math.max(...JOB_STATES.map((s) => String(counts[s]).length));
  const pairs: Array<[string, string]> = [['database', `${location} (${kind})`]];
  for (const s of JOB_STATES) {
    const n = String(counts[s]).padStart(width);
    const hint = s === 'dead' && counts.dead > 0 ? paint('  (queuectl dlq list)', 'dim') : '';
    pairs.push([s, (counts[s] > 0 ? paint(n, STATE_COLORS[s]) : n) + hint]);
  }
  pairs.push(['workers', workers.length === 0 ? 'none running (queuectl worker start)' : `${workers.length}: ${parts.join(', ')}`]);
  out(renderFields(pairs));
  return 0;
}
