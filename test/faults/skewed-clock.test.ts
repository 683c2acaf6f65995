/**
 * A worker whose clock runs two minutes fast sees every lease as long expired. It must still
 * leave a live worker's job alone: a lease is taken only after it stayed unrenewed for a grace
 * measured on the recoverer's own steady clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox, requireBuild } from '../worker/harness.js';
import { guardedCommand, SKEW_PRELOAD, overlaps, runCounts } from './lib.js';

describe('a worker with a skewed clock', () => {
  let sb: Sandbox;
  afterEach(async () => sb?.cleanup());

  it('does not take a healthy worker\'s running job', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    await sb.queue.setConfig('lease_seconds', '2');
    await sb.queue.enqueue([{ id: 'long', command: guardedCommand(sb.dir, 6) }]);
    const healthy = sb.startWorker('w-healthy');
    await healthy.waitLog((l) => l.event === 'job_started', 'the job starting');
    const fast = sb.startWorker('w-fast', [], { env: { NODE_OPTIONS: `--require ${SKEW_PRELOAD}`, QUEUECTL_TEST_CLOCK_SHIFT_MS: '120000' } });
    const started = await fast.waitLog((l) => l.event === 'worker_started', 'the skewed worker starting');
    // The preload works: the skewed worker's own log is two minutes ahead.
    expect(Date.parse(started.ts) - Date.now()).toBeGreaterThan(100_000);
    await healthy.waitLog((l) => l.event === 'job_finished', 'the job finishing', 30_000);
    expect(fast.lines.filter((l) => l.event === 'job_recovered')).toEqual([]);
    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual({ long: 1 });
    expect((await sb.queue.show('long')).attempts.map((a) => a.outcome)).toEqual(['succeeded']);
  });
});
