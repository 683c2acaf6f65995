/**
 * The storage contract for unique jobs and queue limits: every adapter runs these cases (called
 * from `backendContract`). Races are real: many calls in flight at once against one database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { recoveryGraceMs } from '../../src/engine/policy.js';
import { Queue } from '../../src/engine/queue.js';
import { Recovery } from '../../src/engine/recovery.js';
import type { AttemptResult, Job } from '../../src/engine/types.js';
import { localProbe } from '../../src/os/host.js';
import type { BackendFixture } from './contract.js';

const T0 = Date.UTC(2030, 0, 1);

function done(outcome: AttemptResult['outcome'], at: number): AttemptResult {
  return { outcome, exit_code: outcome === 'succeeded' ? 0 : 1, signal: null, error: outcome === 'succeeded' ? null : 'x', output: '', output_bytes: 0, finished_at: at };
}

export function uniqueAndLimitsContract(name: string, make: () => Promise<BackendFixture>): void {
  describe(`storage contract, unique jobs and queue limits: ${name}`, () => {
    let fx: BackendFixture;
    let q: Queue;
    let now = T0;
    const tick = (ms: number) => (now += ms);

    beforeEach(async () => {
      now = T0;
      fx = await make();
      q = new Queue(fx.backend, { now: () => now, cwd: '/tmp' });
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    const claim = (w = 'w1', queue: string | null = null) => q.claim(w, queue, 30_000);
    const submitKeyed = (id: string, key = 'k', extra: object = {}) => q.submit([{ id, command: 'true', unique_key: key, ...extra }]).then((s) => s[0]);

    describe('unique jobs', () => {
      it('of 100 concurrent enqueues with one key makes exactly one job, and every other reply names it', async () => {
        const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => submitKeyed(`u${i}`)));
        const made = replies.filter((r) => !r.deduplicated);
        expect(made).toHaveLength(1);
        for (const r of replies) expect(r.id).toBe(made[0].id);
        expect((await q.counts()).pending).toBe(1);
        expect((await q.list({ limit: 200 })).jobs.map((j) => j.id)).toEqual([made[0].id]);
      });

      it('holds the key while the job is pending, failed awaiting a retry or running, and frees it once the job is done', async () => {
        const first = await submitKeyed('a');
        expect(first).toMatchObject({ deduplicated: false, id: 'a' });
        expect(await q.get('a')).toMatchObject({ unique_key: 'k', unique_until: null });
        expect(await submitKeyed('b')).toMatchObject({ deduplicated: true, id: 'a', unique_key: 'k', job: { id: 'a', state: 'pending' } });
        const a = (await claim())!;
        expect(await submitKeyed('b')).toMatchObject({ deduplicated: true, id: 'a' });
        await q.settle(a, 'w1', done('exit', now), DEFAULT_CONFIG);
        expect((await q.get('a')).state).toBe('failed');
        expect(await submitKeyed('b')).toMatchObject({ deduplicated: true, id: 'a' });
        tick(10_000);
        const again = (await claim())!;
        await q.settle(again, 'w1', done('succeeded', now), DEFAULT_CONFIG);
        expect(await submitKeyed('b')).toMatchObject({ deduplicated: false, id: 'b' });
        expect(await fx.backend.getJob('b')).toMatchObject({ state: 'pending', unique_key: 'k' });
        // Another key is independent; a cancelled holder frees its key too.
        expect(await submitKeyed('c', 'other')).toMatchObject({ deduplicated: false });
        await q.cancel('b');
        expect(await submitKeyed('d')).toMatchObject({ deduplicated: false, id: 'd' });
      });

      it('with a window holds the key until the window has passed, whatever the state', async () => {
        await submitKeyed('a', 'k', { unique_for_ms: 60_000 });
        expect((await q.get('a')).unique_until).toBe(T0 + 60_000);
        const a = (await claim())!;
        await q.settle(a, 'w1', done('succeeded', now), DEFAULT_CONFIG);
        tick(59_999);
        expect(await submitKeyed('b', 'k', { unique_for_ms: 60_000 })).toMatchObject({ deduplicated: true, id: 'a', job: { state: 'completed' } });
        tick(1);
        expect(await submitKeyed('c', 'k')).toMatchObject({ deduplicated: false, id: 'c' });
        // Without a window of its own, c holds the key only while active: a window outlives nothing.
        expect(await submitKeyed('d')).toMatchObject({ deduplicated: true, id: 'c' });
      });

      it('in one batch, the first job with a key takes it and later ones name it; a failed batch takes no key', async () => {
        const out = await q.submit([
          { id: 'x1', command: 'true', unique_key: 'k' },
          { id: 'x2', command: 'true', unique_key: 'k' },
          { id: 'x3', command: 'true' },
        ]);
        expect(out.map((o) => [o.deduplicated, o.id])).toEqual([[false, 'x1'], [true, 'x1'], [false, 'x3']]);
        expect(await q.enqueueBulk([{ id: 'y', command: 'true', unique_key: 'k' }])).toEqual(['x1']);
        await expect(q.submit([{ id: 'z', command: 'true', unique_key: 'fresh' }, { id: 'x3', command: 'true' }])).rejects.toThrow('"x3"');
        expect(await fx.backend.getJob('z')).toBeNull();
        expect(await submitKeyed('z2', 'fresh')).toMatchObject({ deduplicated: false, id: 'z2' });
      });

      it('refuses a window without a key, and an empty key', async () => {
        await expect(q.submit([{ command: 'true', unique_for_ms: 1000 }])).rejects.toThrow(/needs a unique key/);
        await expect(q.submit([{ command: 'true', unique_key: '' }])).rejects.toThrow(/unique key/);
      });
    });

    describe('queue limits', () => {
      it('never has more of a queue processing than its concurrency, however many claim at once', async () => {
        await q.enqueue(Array.from({ length: 8 }, (_, i) => ({ id: `l${i}`, command: 'true', queue: 'lim' })));
        await q.enqueue([{ id: 'free', command: 'true', queue: 'other', priority: -5 }]);
        expect(await q.setQueueLimits('lim', { concurrency: 2 })).toEqual({ concurrency: 2, rate: null });
        const claimed = (await Promise.all(Array.from({ length: 30 }, (_, i) => claim(`w${i}`, i % 2 ? 'lim' : null)))).filter((j): j is Job => j !== null);
        expect(claimed.filter((j) => j.queue === 'lim')).toHaveLength(2);
        // A worker of every queue passes over the full one to the next eligible job.
        expect(claimed.filter((j) => j.queue === 'other').map((j) => j.id)).toEqual(['free']);
        expect(await claim('w9', 'lim')).toBeNull();
        // One finishes: exactly one more may start.
        const one = claimed.find((j) => j.queue === 'lim')!;
        await q.settle(one, one.worker_id!, done('succeeded', now), DEFAULT_CONFIG);
        const next = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(`v${i}`, 'lim')));
        expect(next.filter((j) => j !== null)).toHaveLength(1);
        const info = (await q.queues()).find((x) => x.name === 'lim')!;
        expect(info).toMatchObject({ limits: { concurrency: 2, rate: null }, counts: { processing: 2, pending: 5, completed: 1 } });
        // Cleared: every remaining job may start.
        await q.setQueueLimits('lim', { concurrency: null });
        const rest = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(`x${i}`, 'lim')));
        expect(rest.filter((j) => j !== null)).toHaveLength(5);
      });

      it('gives a lost worker\'s place back when its job is recovered', async () => {
        await q.enqueue([{ id: 'a', command: 'true', queue: 'lim' }, { id: 'b', command: 'true', queue: 'lim' }]);
        await q.setQueueLimits('lim', { concurrency: 1 });
        expect((await claim('gone', 'lim'))?.id).toBe('a');
        expect(await claim('w2', 'lim')).toBeNull();
        tick(31_000);
        let mono = 0;
        const rec = new Recovery(q, { ...localProbe(), hostId: 'this-host' }, null, () => mono);
        await rec.run(DEFAULT_CONFIG);
        mono += recoveryGraceMs(DEFAULT_CONFIG.lease_seconds) + 1;
        expect((await rec.run(DEFAULT_CONFIG)).map((r) => r.job.id)).toEqual(['a']);
        expect((await claim('w2', 'lim'))?.id).toBe('b');
        expect(await claim('w3', 'lim')).toBeNull();
      });

      it('starts at most the rate\'s count in each window, however many claim at once', async () => {
        await q.enqueue(Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, command: 'true', queue: 'rated' })));
        expect(await q.setQueueLimits('rated', { rate: { limit: 3, window_ms: 60_000 } })).toEqual({ concurrency: null, rate: { limit: 3, window_ms: 60_000 } });
        const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(`w${i}`, i % 2 ? 'rated' : null)));
        expect(burst.filter((j) => j !== null)).toHaveLength(3);
        tick(59_999);
        expect(await claim('w1', 'rated')).toBeNull();
        tick(1);
        const second = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(`w${i}`, 'rated')));
        expect(second.filter((j) => j !== null)).toHaveLength(3);
        // Raising the rate lets more start in the same window; clearing it, all.
        await q.setQueueLimits('rated', { rate: { limit: 4, window_ms: 60_000 } });
        expect(await claim('w1', 'rated')).not.toBeNull();
        expect(await claim('w1', 'rated')).toBeNull();
        await q.setQueueLimits('rated', { rate: null });
        const rest = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(`x${i}`, 'rated')));
        expect(rest.filter((j) => j !== null)).toHaveLength(5);
      });

      it('applies concurrency and rate together, and records each change as an event', async () => {
        await q.enqueue(Array.from({ length: 6 }, (_, i) => ({ id: `b${i}`, command: 'true', queue: 'both' })));
        await q.setQueueLimits('both', { concurrency: 3, rate: { limit: 2, window_ms: 1000 } });
        const first = (await Promise.all(Array.from({ length: 6 }, (_, i) => claim(`w${i}`, 'both')))).filter((j): j is Job => j !== null);
        expect(first).toHaveLength(2);
        tick(1000);
        expect(await claim('w1', 'both')).not.toBeNull();
        expect(await claim('w1', 'both')).toBeNull(); // 3 running
        await q.setQueueLimits('both', { concurrency: null, rate: null });
        await expect(q.setQueueLimits('both', { concurrency: 0 })).rejects.toThrow(/concurrency/);
        await expect(q.setQueueLimits('no spaces', { concurrency: 1 })).rejects.toThrow(/queue name/);
        const events = (await q.events({ queue: 'both', limit: 100 })).events.filter((e) => e.type === 'queue_limits');
        expect(events.map((e) => e.detail)).toEqual(['concurrency 3, rate 2/1s', 'no limits']);
        expect(events[0]).toMatchObject({ queue: 'both', job_id: null });
      });
    });
  });
}
