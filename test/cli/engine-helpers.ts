import type { Queue } from '../../src/engine/queue.js';
import type { AttemptResult, Job, OutcomeKind } from '../../src/engine/types.js';
import { withEngine } from './helpers.js';

/**
 * The test process plays a worker through the engine, on the same database file the CLI uses,
 * to put jobs into the states a real worker would leave them in.
 */

export const TEST_WORKER = 'w-test';

export function result(outcome: OutcomeKind, extra: Partial<AttemptResult> = {}): AttemptResult {
  return {
    outcome,
    exit_code: outcome === 'exit' ? 1 : outcome === 'succeeded' ? 0 : null,
    signal: null,
    error: outcome === 'succeeded' ? null : 'exit code 1',
    output: '',
    output_bytes: 0,
    finished_at: Date.now(),
    ...extra,
  };
}

/** Claims the job from its own queue (so no other job is taken) and settles it with `r`. */
export async function runOnce(q: Queue, job: Pick<Job, 'id' | 'queue'>, r: AttemptResult): Promise<Job> {
  const claimed = await q.claim(TEST_WORKER, job.queue, 30_000);
  if (!claimed || claimed.id !== job.id) throw new Error(`expected to claim ${job.id}, got ${claimed?.id ?? 'nothing'}`);
  await q.settle(claimed, TEST_WORKER, { ...r, output_bytes: r.output_bytes || Buffer.byteLength(r.output) }, await q.config());
  return q.get(job.id);
}

/** Enqueues a job in a queue of its own and runs it to the given outcome. */
export async function jobThat(db: string, id: string, outcome: OutcomeKind, opts: { maxRetries?: number; output?: string } = {}): Promise<Job> {
  return withEngine(db, async (q) => {
    const [job] = await q.enqueue([{ id, command: `run ${id}`, queue: `q-${id}`, max_retries: opts.maxRetries ?? 3 }]);
    return runOnce(q, job, result(outcome, { output: opts.output ?? '' }));
  });
}
