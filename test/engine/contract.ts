/**
 * The storage contract: every adapter of `Backend` runs these same cases, so the engine above
 * the port behaves identically on each. An adapter's test file calls `backendContract`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { DuplicateJobError, IllegalTransitionError, JobNotFoundError } from '../../src/engine/errors.js';
import { Queue } from '../../src/engine/queue.js';
import type { ScheduleInput } from '../../src/engine/schedule-service.js';
import type { AttemptResult, Job, WorkerRecord } from '../../src/engine/types.js';
import { recoveryGraceMs } from '../../src/engine/policy.js';
import { Recovery } from '../../src/engine/recovery.js';
import { localProbe, processStart, processState } from '../../src/os/host.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { uniqueAndLimitsContract } from './contract-unique-limits.js';
import { dependencyContract } from './contract-dependencies.js';

/** A real process to stand for a worker or a command (`group`: leading its own process group). */
function spawnSleeper(group = false): ChildProcess {
  const child = spawn('sleep', ['60'], { detached: group, stdio: 'ignore' });
  child.unref();
  return child;
}

/** A pid and start time of a process that existed and is gone. */
async function deadProcess(): Promise<{ pid: number; start: number | null }> {
  const child = spawnSleeper();
  const start = processStart(child.pid!);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return { pid: child.pid!, start };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface BackendFixture {
  backend: Backend;
  /** Closes the backend and removes what the fixture created. */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1);

function result(outcome: AttemptResult['outcome'], at: number, extra: Partial<AttemptResult> = {}): AttemptResult {
  return {
    outcome,
    exit_code: outcome === 'succeeded' ? 0 : outcome === 'exit' ? 3 : null,
    signal: null,
    error: outcome === 'succeeded' ? null : `failed: ${outcome}`,
    output: `out of ${outcome}`,
    output_bytes: 100,
    finished_at: at,
    ...extra,
  };
}

function worker(id: string, now: number, extra: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    id,
    pid: 4242,
    host: 'host-a',
    host_id: 'host-a-id',
    pid_start: null,
    clock_skew_ms: 0,
    queue: null,
    state: 'idle',
    current_job_id: null,
    job_started_at: null,
    started_at: now,
    heartbeat_at: now,
    jobs_done: 0,
    jobs_failed: 0,
    stop_requested: false,
    ...extra,
  };
}

export function backendContract(name: string, make: () => Promise<BackendFixture>): void {
  uniqueAndLimitsContract(name, make);
  describe(`storage contract: ${name}`, () => {
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

    dependencyContract({ q: () => q, backend: () => fx.backend, now: () => now, claim: (w) => claim(w) });

    it('stores a job with its defaults and reads it back', async () => {
      const [made] = await q.enqueue([{ id: 'a', command: 'echo hi' }]);
      const job = await q.get('a');
      expect(job).toEqual(made);
      expect(job).toMatchObject({ state: 'pending', attempts: 0, max_retries: 3, priority: 0, queue: 'default', cwd: '/tmp', run_at: T0 });
      await expect(q.get('missing')).rejects.toBeInstanceOf(JobNotFoundError);
    });

    it('rejects a duplicate id and inserts nothing of a batch that holds one', async () => {
      await q.enqueue([{ id: 'a', command: 'true' }]);
      await expect(q.enqueue([{ id: 'b', command: 'true' }, { id: 'a', command: 'true' }])).rejects.toBeInstanceOf(DuplicateJobError);
      await expect(q.enqueue([{ id: 'b', command: 'true' }, { id: 'a', command: 'true' }])).rejects.toThrow('"a"');
      expect(await fx.backend.getJob('b')).toBeNull();
      expect((await q.counts()).pending).toBe(1);
    });

    it('inserts a large batch all or nothing', async () => {
      await q.enqueue([{ id: 'taken', command: 'true' }]);
      // The taken id is in the batch's second statement of 64 rows; the first job takes a unique key.
      const batch: Array<{ id: string; command: string; unique_key?: string }> = Array.from({ length: 150 }, (_, i) => ({ id: i === 120 ? 'taken' : `bulk-${i}`, command: `echo ${i}` }));
      batch[0].unique_key = 'first-of-batch';
      await expect(q.enqueueBulk(batch)).rejects.toThrow('"taken"');
      expect((await q.counts()).pending).toBe(1);
      // Nothing of it stayed: not the rows before the taken id, not the key.
      await expect(q.get('bulk-0')).rejects.toThrow(JobNotFoundError);
      const [again] = await q.submit([{ command: 'true', unique_key: 'first-of-batch' }]);
      expect(again.deduplicated).toBe(false);
      await q.cancel(again.id);
      delete batch[0].unique_key;
      batch[120] = { id: 'bulk-120', command: 'echo 120' };
      expect(await q.enqueueBulk(batch)).toHaveLength(150);
      expect((await q.counts()).pending).toBe(151);
      expect(await q.get('bulk-149')).toMatchObject({ command: 'echo 149', state: 'pending', created_at: T0, updated_at: T0 });
    });

    it('stores every field of a bulk enqueue, whether the jobs around it are alike or not', async () => {
      // Runs of 64 jobs that differ only in command, runs where one job differs in a single
      // field, and a short tail: each job comes back as it went in, in the order given.
      const differ: Array<Record<string, unknown>> = [
        { queue: 'other' },
        { priority: 7 },
        { max_retries: 0 },
        { timeout_seconds: 2.5 },
        { delay_ms: 1000 },
        { cwd: '/' },
        { unique_key: 'only-one' },
      ];
      const batch = Array.from({ length: 64 * (differ.length + 1) + 9 }, (_, i) => {
        const run = Math.floor(i / 64) - 1;
        return { command: `echo ${i}`, ...(run >= 0 && run < differ.length && i % 64 === 37 ? differ[run] : {}) };
      });
      const ids = await q.enqueueBulk(batch);
      expect(new Set(ids).size).toBe(batch.length);
      for (const [i, id] of ids.entries()) {
        const run = Math.floor(i / 64) - 1;
        const own = run >= 0 && run < differ.length && i % 64 === 37 ? differ[run] : {};
        const job = await q.get(id);
        expect(job).toMatchObject({
          id,
          command: `echo ${i}`,
          state: 'pending',
          queue: own.queue ?? 'default',
          priority: own.priority ?? 0,
          max_retries: own.max_retries ?? 3,
          timeout_seconds: own.timeout_seconds ?? null,
          run_at: T0 + ((own.delay_ms as number | undefined) ?? 0),
          cwd: own.cwd ?? '/tmp',
          unique_key: own.unique_key ?? null,
          created_at: T0,
          updated_at: T0,
        });
      }
      // Newest first, as given: the batch took consecutive places.
      const listed = (await q.list({ limit: batch.length })).jobs.map((j) => j.id);
      expect(listed).toEqual([...ids].reverse());
      expect((await q.counts()).pending).toBe(batch.length);
    });

    it('keeps counts per state through every move', async () => {
      await q.enqueue([1, 2, 3, 4].map((i) => ({ id: `j${i}`, command: 'true', max_retries: 0 })));
      expect(await q.counts()).toEqual({ pending: 4, waiting: 0, processing: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 });
      const a = (await claim())!;
      const b = (await claim())!;
      expect((await q.counts()).processing).toBe(2);
      await q.settle(a, 'w1', result('succeeded', now), DEFAULT_CONFIG);
      await q.settle(b, 'w1', result('exit', now), DEFAULT_CONFIG);
      await q.cancel('j3');
      expect(await q.counts()).toEqual({ pending: 1, waiting: 0, processing: 0, completed: 1, failed: 0, dead: 1, cancelled: 1 });
      tick(1000);
      expect(await q.purge(['completed', 'dead', 'cancelled'], 0)).toBe(3);
      expect(await q.counts()).toEqual({ pending: 1, waiting: 0, processing: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 });
    });

    it('claims the highest priority first, then the earliest run_at, then the oldest', async () => {
      await q.enqueue([{ id: 'low', command: 'true', priority: 0 }]);
      tick(1);
      await q.enqueue([{ id: 'old-high', command: 'true', priority: 5 }]);
      tick(1);
      await q.enqueue([{ id: 'new-high', command: 'true', priority: 5 }]);
      await q.enqueue([{ id: 'early-high', command: 'true', priority: 5, run_at: T0 - 1000 }]);
      const order: string[] = [];
      for (let job = await claim(); job; job = await claim()) order.push(job.id);
      expect(order).toEqual(['early-high', 'old-high', 'new-high', 'low']);
    });

    it('does not claim a job before its run_at', async () => {
      await q.enqueue([{ id: 'later', command: 'true', delay_ms: 5000 }]);
      expect(await claim()).toBeNull();
      tick(5000);
      expect((await claim())?.id).toBe('later');
    });

    it('claims only from the asked queue', async () => {
      await q.enqueue([{ id: 'a', command: 'true', queue: 'alpha' }, { id: 'b', command: 'true', queue: 'beta' }]);
      expect((await claim('w1', 'beta'))?.id).toBe('b');
      expect(await claim('w1', 'beta')).toBeNull();
      expect((await claim('w1', null))?.id).toBe('a');
    });

    it('marks a claimed job processing for its worker, with a lease, and never hands it out twice', async () => {
      await q.enqueue([{ id: 'a', command: 'true' }]);
      const job = (await claim('w1'))!;
      expect(job).toMatchObject({ id: 'a', state: 'processing', worker_id: 'w1', attempts: 1, started_at: T0, lease_expires_at: T0 + 30_000 });
      expect(await claim('w2')).toBeNull();
      expect(await fx.backend.listAttempts('a')).toEqual([]);
      const { attempts } = await q.show('a');
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ n: 1, worker_id: 'w1', started_at: T0, finished_at: null, outcome: null });
    });

    it('completes a job and records the attempt', async () => {
      await q.enqueue([{ id: 'a', command: 'true' }]);
      const job = (await claim())!;
      tick(250);
      const r = await q.settle(job, 'w1', result('succeeded', now), DEFAULT_CONFIG);
      expect(r).toMatchObject({ settled: true, state: 'completed' });
      expect(await q.get('a')).toMatchObject({
        state: 'completed',
        worker_id: null,
        lease_expires_at: null,
        finished_at: T0 + 250,
        exit_code: 0,
        last_outcome: 'succeeded',
        output: 'out of succeeded',
      });
      expect(await fx.backend.listAttempts('a')).toEqual([
        { job_id: 'a', n: 1, worker_id: 'w1', started_at: T0, finished_at: T0 + 250, outcome: 'succeeded', exit_code: 0, signal: null, error: null },
      ]);
    });

    it('backs a failed job off by base ^ attempts, then buries it after max_retries', async () => {
      await q.enqueue([{ id: 'a', command: 'false', max_retries: 2 }]);
      const cfg = { ...DEFAULT_CONFIG, backoff_base: 3 };
      let job = (await claim())!;
      expect(await q.settle(job, 'w1', result('exit', now), cfg)).toMatchObject({ state: 'failed', run_at: now + 3000 });
      expect(await claim()).toBeNull();
      tick(3000);
      job = (await claim())!;
      expect(job.attempts).toBe(2);
      expect(await q.settle(job, 'w1', result('timed_out', now), cfg)).toMatchObject({ state: 'failed', run_at: now + 9000 });
      tick(9000);
      job = (await claim())!;
      expect(await q.settle(job, 'w1', result('exit', now), cfg)).toMatchObject({ state: 'dead' });
      const dead = await q.get('a');
      expect(dead).toMatchObject({ state: 'dead', attempts: 3, last_outcome: 'exit', exit_code: 3, last_error: 'failed: exit' });
      expect((await fx.backend.listAttempts('a')).map((a) => a.outcome)).toEqual(['exit', 'timed_out', 'exit']);
    });

    it('gives an interrupted attempt back without counting it', async () => {
      await q.enqueue([{ id: 'a', command: 'sleep 9' }]);
      const job = (await claim())!;
      tick(10);
      expect(await q.settle(job, 'w1', result('interrupted', now), DEFAULT_CONFIG)).toMatchObject({ settled: true, state: 'pending' });
      expect(await q.get('a')).toMatchObject({ state: 'pending', attempts: 0, worker_id: null, finished_at: null });
      const again = (await claim('w2'))!;
      expect(again.attempts).toBe(1);
      expect((await q.show('a')).attempts.map((a) => [a.n, a.outcome])).toEqual([
        [1, 'interrupted'],
        [1, null],
      ]);
    });

    it('refuses a settle or a lease renewal from a worker that no longer holds the job', async () => {
      await q.enqueue([{ id: 'a', command: 'true' }]);
      const job = (await claim('w1'))!;
      expect(await q.settle(job, 'w2', result('succeeded', now), DEFAULT_CONFIG)).toMatchObject({ settled: false });
      expect(await q.extendLease(job, 'w2', 1)).toBe(false);
      expect(await q.extendLease(job, 'w1', 60_000, { text: 'partial', bytes: 7 })).toBe(true);
      expect(await q.get('a')).toMatchObject({ state: 'processing', lease_expires_at: T0 + 60_000, output: 'partial', output_bytes: 7 });
      expect((await q.settle(job, 'w1', result('succeeded', now), DEFAULT_CONFIG)).settled).toBe(true);
      // Repeated (its first reply lost): recognised as already recorded, and recorded once.
      expect((await q.settle(job, 'w1', result('succeeded', now), DEFAULT_CONFIG)).settled).toBe(true);
      expect(await fx.backend.listAttempts('a')).toHaveLength(1);
      // The same attempt settled with another result was not this worker's to record.
      expect((await q.settle(job, 'w1', result('exit', now), DEFAULT_CONFIG)).settled).toBe(false);
    });

    describe('settle and claim the next job in one call', () => {
      const next = (queue: string | null = null) => ({ queue, leaseMs: 30_000 });

      it('records the result as a settle does and claims as a claim does', async () => {
        await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'true' }]);
        const a = (await claim())!;
        tick(250);
        const r = await q.settleAndClaim(a, 'w1', result('succeeded', now), DEFAULT_CONFIG, next());
        expect(r).toEqual({ settle: { settled: true, state: 'completed', run_at: T0 }, next: expect.objectContaining({ id: 'b' }) });
        expect(await q.get('a')).toMatchObject({ state: 'completed', worker_id: null, finished_at: T0 + 250, exit_code: 0, output: 'out of succeeded' });
        expect(await fx.backend.listAttempts('a')).toEqual([
          { job_id: 'a', n: 1, worker_id: 'w1', started_at: T0, finished_at: T0 + 250, outcome: 'succeeded', exit_code: 0, signal: null, error: null },
        ]);
        const b = await q.get('b');
        expect(b).toEqual(r.next);
        expect(b).toMatchObject({ state: 'processing', worker_id: 'w1', attempts: 1, started_at: T0 + 250, lease_expires_at: T0 + 250 + 30_000 });
        expect((await q.events({ job_id: 'a', limit: 10 })).events.map((e) => e.type)).toEqual(['enqueued', 'started', 'succeeded']);
        expect((await q.events({ job_id: 'b', limit: 10 })).events.map((e) => e.type)).toEqual(['enqueued', 'started']);
        expect(await claim('w2')).toBeNull();
        // Nothing left: the settle alone.
        const last = await q.settleAndClaim(b!, 'w1', result('exit', now), DEFAULT_CONFIG, next());
        expect(last).toEqual({ settle: { settled: true, state: 'failed', run_at: now + 2000 }, next: null });
        expect(await q.counts()).toMatchObject({ completed: 1, failed: 1, processing: 0 });
      });

      it('claims only from the asked queue, and a dependent the settle released', async () => {
        await q.enqueue([{ id: 'a', command: 'true' }, { id: 'other', command: 'true', queue: 'beta' }]);
        await q.enqueue([{ id: 'after-a', command: 'true', after: ['a'] }]);
        const a = (await claim('w1', 'default'))!;
        expect(a.id).toBe('a');
        const r = await q.settleAndClaim(a, 'w1', result('succeeded', now), DEFAULT_CONFIG, next('default'));
        expect(r.next?.id).toBe('after-a');
        expect((await q.get('other')).state).toBe('pending');
      });

      it('claims the next job also when the settle was not this worker\'s, and knows a settle already applied', async () => {
        await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'true' }, { id: 'c', command: 'true' }]);
        const a = (await claim('w1'))!;
        const lost = await q.settleAndClaim(a, 'w2', result('succeeded', now), DEFAULT_CONFIG, next());
        expect(lost.settle).toMatchObject({ settled: false });
        expect(lost.next).toMatchObject({ id: 'b', worker_id: 'w2' });
        expect((await q.get('a')).state).toBe('processing');
        expect((await q.settleAndClaim(a, 'w1', result('succeeded', now), DEFAULT_CONFIG, next())).settle).toMatchObject({ settled: true });
        // Repeated (its first reply lost): recognised as recorded, recorded once, and the claim still made.
        const again = await q.settleAndClaim(a, 'w1', result('succeeded', now), DEFAULT_CONFIG, next());
        expect(again.settle).toMatchObject({ settled: true });
        expect(again.next).toBeNull();
        expect(await fx.backend.listAttempts('a')).toHaveLength(1);
        expect(await q.counts()).toMatchObject({ completed: 1, processing: 2 });
      });

      it('never claims from a paused queue', async () => {
        await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'true', queue: 'alpha', priority: 5 }]);
        await q.setQueuePaused('alpha', true);
        const a = (await claim())!;
        expect(a.id).toBe('a');
        const r = await q.settleAndClaim(a, 'w1', result('succeeded', now), DEFAULT_CONFIG, next());
        expect(r).toMatchObject({ settle: { settled: true }, next: null });
        expect((await q.get('b')).state).toBe('pending');
      });
    });

    it('recovers a job whose lease stayed expired past the grace, unless its worker renews it', async () => {
      await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'true' }, { id: 'c', command: 'true' }]);
      const a = (await claim('w1'))!;
      await claim('w2');
      const c = (await claim('w3'))!;
      await q.extendLease(a, 'w1', 120_000);
      tick(31_000);
      let mono = 0;
      const rec = new Recovery(q, { ...localProbe(), hostId: 'this-host' }, null, () => mono);
      // First sight of the expired leases: nothing is taken yet (a stalled database looks like this).
      expect(await rec.run(DEFAULT_CONFIG)).toEqual([]);
      mono += recoveryGraceMs(DEFAULT_CONFIG.lease_seconds) / 2;
      // w3 was alive after all: it renews, and its job is no longer a candidate.
      await q.extendLease(c, 'w3', 1000);
      tick(1);
      mono += recoveryGraceMs(DEFAULT_CONFIG.lease_seconds);
      const lost = await rec.run(DEFAULT_CONFIG);
      expect(lost.map((r) => r.job.id)).toEqual(['b']);
      expect(await q.get('b')).toMatchObject({ state: 'failed', last_outcome: 'worker_lost', worker_id: null, run_at: now + 2000 });
      expect((await fx.backend.listAttempts('b'))[0]).toMatchObject({ outcome: 'worker_lost' });
      expect(await q.get('a')).toMatchObject({ state: 'processing' });
      expect(await q.get('c')).toMatchObject({ state: 'processing', worker_id: 'w3' });
      const events = (await q.events({ job_id: 'b', limit: 10 })).events.map((e) => e.type);
      expect(events).toEqual(['enqueued', 'started', 'recovered']);
    });

    it('recovers at once the jobs of a worker on this host whose process is gone, and ends its command first', async () => {
      const probe = localProbe();
      const dead = await deadProcess();
      const live = spawnSleeper();
      const command = spawnSleeper(true);
      try {
        await q.registerWorker(worker('w1', now, { host_id: probe.hostId, pid: dead.pid, pid_start: dead.start }));
        await q.registerWorker(worker('w2', now, { host_id: probe.hostId, pid: live.pid!, pid_start: processStart(live.pid!) }));
        await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'true' }]);
        const a = (await claim('w1'))!;
        await claim('w2');
        expect(await q.recordCommand(a, 'w2', command.pid!, processStart(command.pid!), probe.hostId)).toBe(false);
        expect(await q.recordCommand(a, 'w1', command.pid!, processStart(command.pid!), probe.hostId)).toBe(true);
        const lost = await new Recovery(q, probe).run(DEFAULT_CONFIG);
        expect(lost.map((r) => r.job.id)).toEqual(['a']);
        expect(processState(command.pid!, null)).toBe('gone');
        expect((await q.workers()).map((w) => w.id)).toEqual(['w2']);
        expect(await q.get('b')).toMatchObject({ state: 'processing', worker_id: 'w2' });
        expect(await q.get('a')).toMatchObject({ state: 'failed', command_pid: null, last_outcome: 'worker_lost' });
      } finally {
        live.kill('SIGKILL');
        command.kill('SIGKILL');
      }
    });

    it('never judges a worker of another host id by a pid, nor one whose pid was reused', async () => {
      const probe = localProbe();
      const other = spawnSleeper();
      try {
        // Same pid as a live process here, but registered from another PID namespace: not ours to judge.
        await q.registerWorker(worker('w-remote', now, { host_id: 'elsewhere', pid: other.pid! }));
        // A live pid whose start time differs: the pid was reused, the worker is gone.
        await q.registerWorker(worker('w-reused', now, { host_id: probe.hostId, pid: other.pid!, pid_start: processStart(other.pid!)! - 1 }));
        await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'true' }]);
        await claim('w-remote');
        await claim('w-reused');
        const lost = await new Recovery(q, probe).run(DEFAULT_CONFIG);
        expect(lost.map((r) => r.job.id)).toEqual(['b']);
        expect((await q.workers()).map((w) => w.id)).toEqual(['w-remote']);
        expect(processState(other.pid!, null)).toBe('alive');
      } finally {
        other.kill('SIGKILL');
      }
    });

    it('recovers the job of a frozen worker on this host once its lease expires, ending its command', async () => {
      const probe = localProbe();
      const frozen = spawnSleeper();
      const command = spawnSleeper(true);
      try {
        frozen.kill('SIGSTOP');
        await waitFor(() => processState(frozen.pid!, null) === 'stopped');
        await q.registerWorker(worker('w1', now, { host_id: probe.hostId, pid: frozen.pid!, pid_start: processStart(frozen.pid!) }));
        await q.enqueue([{ id: 'a', command: 'true' }]);
        const a = (await claim('w1'))!;
        await q.recordCommand(a, 'w1', command.pid!, processStart(command.pid!), probe.hostId);
        const rec = new Recovery(q, probe);
        expect(await rec.run(DEFAULT_CONFIG)).toEqual([]); // its lease still runs
        tick(31_000);
        expect((await rec.run(DEFAULT_CONFIG)).map((r) => r.job.id)).toEqual(['a']);
        expect(processState(command.pid!, null)).toBe('gone');
      } finally {
        frozen.kill('SIGKILL');
        command.kill('SIGKILL');
      }
    });

    it('retries a failed job now, revives dead jobs, and cancels waiting ones; refuses illegal moves', async () => {
      await q.enqueue([{ id: 'f', command: 'false', max_retries: 1 }, { id: 'd', command: 'false', max_retries: 0 }, { id: 'p', command: 'true' }]);
      const cfg = DEFAULT_CONFIG;
      for (let i = 0; i < 2; i++) {
        const job = (await claim())!;
        await q.settle(job, 'w1', result('exit', now), cfg);
      }
      const states = Object.fromEntries(await Promise.all(['f', 'd', 'p'].map(async (id) => [id, (await q.get(id)).state])));
      expect(states).toEqual({ f: 'failed', d: 'dead', p: 'pending' });
      expect((await q.retry('f')).run_at).toBe(now);
      await expect(q.retry('p')).rejects.toBeInstanceOf(IllegalTransitionError);
      await expect(q.retry('d')).rejects.toThrow(/dlq retry/);
      await expect(q.revive('f')).rejects.toBeInstanceOf(IllegalTransitionError);
      expect(await q.revive('d')).toMatchObject({ state: 'pending', attempts: 0 });
      await expect(q.revive('nope')).rejects.toBeInstanceOf(JobNotFoundError);
      expect(await q.cancel('p')).toMatchObject({ state: 'cancelled', finished_at: now });
      await expect(q.cancel('p')).rejects.toBeInstanceOf(IllegalTransitionError);
      const job = (await claim())!;
      // A running job is marked; its worker stops it (see the next case).
      expect(await q.cancel(job.id)).toMatchObject({ state: 'processing', cancel_requested: true });
    });

    it('cancels a running job by marking it: its settle, or its recovery, ends it cancelled', async () => {
      await q.enqueue([{ id: 'a', command: 'sleep 9' }, { id: 'b', command: 'sleep 9' }, { id: 'c', command: 'true' }]);
      const a = (await claim('w1'))!;
      const b = (await claim('w2'))!;
      const marked = await q.cancel('a');
      expect(marked).toMatchObject({ state: 'processing', cancel_requested: true, worker_id: 'w1' });
      // The worker stopped the command: the attempt is recorded as cancelled, the job ends cancelled.
      expect(await q.settle(a, 'w1', result('cancelled', now), DEFAULT_CONFIG)).toMatchObject({ settled: true, state: 'cancelled' });
      expect(await q.get('a')).toMatchObject({ state: 'cancelled', last_outcome: 'cancelled', worker_id: null });
      expect((await fx.backend.listAttempts('a')).map((x) => x.outcome)).toEqual(['cancelled']);
      expect((await q.events({ job_id: 'a', limit: 10 })).events.map((e) => e.type)).toEqual(['enqueued', 'started', 'cancelled']);
      // A failure that raced the cancel still ends cancelled, not retried.
      await q.cancel('b');
      expect(await q.settle(b, 'w2', result('exit', now), DEFAULT_CONFIG)).toMatchObject({ settled: true, state: 'cancelled' });
      // A cancelled job whose worker is lost is recovered as cancelled.
      const c = (await claim('w3'))!;
      await q.cancel('c');
      tick(31_000);
      let mono = 0;
      const rec = new Recovery(q, { ...localProbe(), hostId: 'this-host' }, null, () => mono);
      expect(await rec.run(DEFAULT_CONFIG)).toEqual([]); // first sight of the expired lease
      mono += recoveryGraceMs(DEFAULT_CONFIG.lease_seconds);
      expect((await rec.run(DEFAULT_CONFIG)).map((r) => [r.job.id, r.state])).toEqual([[c.id, 'cancelled']]);
      await expect(q.cancel('a')).rejects.toBeInstanceOf(IllegalTransitionError);
    });

    it('lists finished jobs latest finished first, with keyset pages, when asked', async () => {
      await q.enqueue(['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, command: 'false', max_retries: 0 })));
      // They die in another order than they were created: c, a, e, b, d.
      for (const id of ['c', 'a', 'e', 'b', 'd']) {
        tick(1000);
        let job = await claim();
        while (job && job.id !== id) {
          await q.settle(job, 'w1', result('interrupted', now), DEFAULT_CONFIG);
          job = await claim();
        }
        await q.settle(job!, 'w1', result('exit', now), DEFAULT_CONFIG);
      }
      const page1 = await q.list({ state: 'dead', order: 'finished', limit: 2 });
      expect(page1.jobs.map((j) => j.id)).toEqual(['d', 'b']);
      const page2 = await q.list({ state: 'dead', order: 'finished', limit: 2, cursor: page1.next_cursor! });
      expect(page2.jobs.map((j) => j.id)).toEqual(['e', 'a']);
      const page3 = await q.list({ state: 'dead', order: 'finished', limit: 2, cursor: page2.next_cursor! });
      expect(page3).toMatchObject({ next_cursor: null });
      expect(page3.jobs.map((j) => j.id)).toEqual(['c']);
      const back = await q.list({ state: 'dead', order: 'finished', limit: 2, cursor: page3.prev_cursor!, direction: 'before' });
      expect(back.jobs.map((j) => j.id)).toEqual(['e', 'a']);
      expect((await q.list({ state: 'dead', limit: 5 })).jobs.map((j) => j.id)).toEqual(['e', 'd', 'c', 'b', 'a']);
      await expect(q.list({ order: 'finished', limit: 5 })).rejects.toThrow(/needs a state/);
      await expect(q.list({ state: 'dead', order: 'finished', limit: 5, cursor: 'zz' })).rejects.toThrow(/invalid cursor/);
    });

    it('never claims from a paused queue, and lists queues with their counts', async () => {
      await q.enqueue([{ id: 'a1', command: 'true', queue: 'alpha', priority: 5 }, { id: 'b1', command: 'true', queue: 'beta' }, { id: 'a2', command: 'true', queue: 'alpha' }]);
      await q.setQueuePaused('alpha', true);
      expect((await claim('w1'))?.id).toBe('b1');
      expect(await claim('w1')).toBeNull();
      expect(await claim('w1', 'alpha')).toBeNull();
      const queues = await q.queues();
      expect(queues.map((x) => [x.name, x.paused, x.counts.pending, x.counts.processing])).toEqual([
        ['alpha', true, 2, 0],
        ['beta', false, 0, 1],
      ]);
      await q.setQueuePaused('alpha', false);
      expect((await claim('w1', 'alpha'))?.id).toBe('a1');
      await expect(q.setQueuePaused('bad name', true)).rejects.toThrow(/invalid queue name/);
      // A queue with settings but no jobs is listed too.
      await q.setQueuePaused('gamma', true);
      expect((await q.queues()).find((x) => x.name === 'gamma')).toMatchObject({ paused: true, counts: { pending: 0 } });
      expect(await q.pausedQueues()).toEqual(['gamma']);
      await q.setQueuePaused('beta', true);
      expect(await q.pausedQueues()).toEqual(['beta', 'gamma']);
    });

    it('revives every dead job at once', async () => {
      await q.enqueue([1, 2, 3].map((i) => ({ id: `d${i}`, command: 'false', max_retries: 0 })));
      for (let job = await claim(); job; job = await claim()) await q.settle(job, 'w1', result('exit', now), DEFAULT_CONFIG);
      expect((await q.counts()).dead).toBe(3);
      expect(await q.reviveAll()).toBe(3);
      expect(await q.counts()).toMatchObject({ dead: 0, pending: 3 });
      expect((await q.get('d2')).attempts).toBe(0);
    });

    it('purges only finished jobs older than the cut, with their attempts', async () => {
      await q.enqueue([{ id: 'old', command: 'true' }, { id: 'new', command: 'true' }, { id: 'waiting', command: 'true', delay_ms: 1e9 }]);
      let job = (await claim())!;
      await q.settle(job, 'w1', result('succeeded', now), DEFAULT_CONFIG);
      tick(60_000);
      job = (await claim())!;
      await q.settle(job, 'w1', result('succeeded', now), DEFAULT_CONFIG);
      expect(await q.purge(['completed'], 30_000)).toBe(1);
      expect(await fx.backend.getJob('old')).toBeNull();
      expect(await fx.backend.listAttempts('old')).toEqual([]);
      expect((await q.get('new')).state).toBe('completed');
      await expect(q.purge(['pending'], 0)).rejects.toThrow(/cannot purge pending/);
    });

    it('deletes only the given jobs still in the given states, with their attempts and events', async () => {
      await q.enqueue(['d1', 'd2', 'd3', 'alive'].map((id) => ({ id, command: 'false', max_retries: 0 })));
      for (let i = 0; i < 3; i++) {
        const job = (await claim())!;
        await q.settle(job, 'w1', result('exit', now), DEFAULT_CONFIG);
      }
      const dead = (await q.list({ limit: 10, state: 'dead' })).jobs.map((j) => j.id).sort();
      expect(dead).toEqual(['d1', 'd2', 'd3']);
      // d2 is revived before the delete: the guard keeps it; "alive" is pending, "ghost" never was.
      await q.revive('d2');
      const deleted = await q.deleteDead(['d1', 'd2', 'alive', 'ghost', 'd1']);
      expect(deleted).toEqual(['d1']);
      expect(await fx.backend.getJob('d1')).toBeNull();
      expect(await fx.backend.listAttempts('d1')).toEqual([]);
      expect((await q.events({ job_id: 'd1', limit: 10 })).events).toEqual([]);
      expect((await q.get('d2')).state).toBe('pending');
      expect((await q.get('alive')).state).toBe('pending');
      expect(await q.counts()).toMatchObject({ dead: 1, pending: 2 });
      expect(await fx.backend.deleteJobs([], ['dead'])).toEqual([]);
    });

    it('deletes every dead job matching a filter, and nothing else', async () => {
      const n = 30;
      await q.enqueue(Array.from({ length: n }, (_, i) => ({ id: `x${i}`, command: i % 3 === 0 ? 'false # three' : 'false', max_retries: 0, queue: i % 2 ? 'odd' : 'even' })));
      for (let i = 0; i < n; i++) await q.settle((await claim())!, 'w1', result('exit', now), DEFAULT_CONFIG);
      await q.enqueue([{ id: 'three-pending', command: 'true # three' }]);
      expect(await q.deleteAllDead({ search: 'three', queue: 'even' })).toBe(5);
      expect((await q.counts()).dead).toBe(25);
      expect(await q.deleteAllDead()).toBe(25);
      expect(await q.counts()).toMatchObject({ dead: 0, pending: 1 });
    });

    it('re-runs a completed job as a numbered copy with fresh attempts', async () => {
      await q.enqueue([{ id: 'orig', command: 'echo again', priority: 4, max_retries: 1, queue: 'special', timeout_seconds: 9 }]);
      await q.settle((await claim())!, 'w1', result('succeeded', now), DEFAULT_CONFIG);
      tick(10);
      const copy = await q.rerun('orig');
      expect(copy).toMatchObject({ id: 'orig.rerun-1', command: 'echo again', priority: 4, max_retries: 1, queue: 'special', timeout_seconds: 9, state: 'pending', attempts: 0 });
      expect((await q.get('orig')).state).toBe('completed');
      expect((await q.rerun('orig')).id).toBe('orig.rerun-2');
      await q.settle((await claim())!, 'w1', result('succeeded', now), DEFAULT_CONFIG);
      expect((await q.rerun('orig.rerun-1')).id).toBe('orig.rerun-3');
      await expect(q.rerun('orig.rerun-2')).rejects.toBeInstanceOf(IllegalTransitionError);
      await expect(q.rerun('nope')).rejects.toBeInstanceOf(JobNotFoundError);
    });

    describe('listing', () => {
      const ids = Array.from({ length: 25 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
      beforeEach(async () => {
        for (const id of ids) {
          await q.enqueue([{ id, command: id.endsWith('7') ? 'echo seven' : 'true', queue: Number(id.slice(4)) % 2 ? 'odd' : 'even' }]);
          tick(1);
        }
      });

      it('pages newest first with cursors in both directions', async () => {
        const p1 = await q.list({ limit: 10 });
        expect(p1.jobs.map((j) => j.id)).toEqual(ids.slice().reverse().slice(0, 10));
        expect(p1.prev_cursor).toBeNull();
        const p2 = await q.list({ limit: 10, cursor: p1.next_cursor! });
        expect(p2.jobs.map((j) => j.id)).toEqual(ids.slice().reverse().slice(10, 20));
        const p3 = await q.list({ limit: 10, cursor: p2.next_cursor! });
        expect(p3.jobs.map((j) => j.id)).toEqual(ids.slice().reverse().slice(20));
        expect(p3.next_cursor).toBeNull();
        const back = await q.list({ limit: 10, cursor: p3.prev_cursor!, direction: 'before' });
        expect(back.jobs.map((j) => j.id)).toEqual(p2.jobs.map((j) => j.id));
        const first = await q.list({ limit: 10, cursor: back.prev_cursor!, direction: 'before' });
        expect(first.jobs.map((j) => j.id)).toEqual(p1.jobs.map((j) => j.id));
        expect(first.prev_cursor).toBeNull();
      });

      it('jumps to the last page without counting', async () => {
        const last = await q.list({ limit: 10, from: 'last' });
        expect(last.jobs.map((j) => j.id)).toEqual(ids.slice(0, 10).reverse());
        expect(last.next_cursor).toBeNull();
        expect(last.prev_cursor).not.toBeNull();
      });

      it('filters by state, queue and text, and pages by offset', async () => {
        const job = (await claim())!;
        expect((await q.list({ limit: 50, state: 'processing' })).jobs.map((j) => j.id)).toEqual([job.id]);
        expect((await q.list({ limit: 50, state: 'pending' })).jobs).toHaveLength(24);
        expect((await q.list({ limit: 50, queue: 'odd' })).jobs.every((j) => j.queue === 'odd')).toBe(true);
        expect((await q.list({ limit: 50, search: 'SEVEN' })).jobs.map((j) => j.id)).toEqual(['job-17', 'job-07']);
        expect((await q.list({ limit: 50, search: 'job-1' })).jobs).toHaveLength(10);
        expect((await q.list({ limit: 50, search: '%' })).jobs).toHaveLength(0);
        const off = await q.list({ limit: 5, offset: 20 });
        expect(off.jobs.map((j) => j.id)).toEqual(ids.slice(0, 5).reverse());
      });
    });

    describe('text search', () => {
      // Ids and commands with the characters a naive LIKE or regex would trip on, and unicode.
      const jobs: { id: string; command: string }[] = [
        { id: 'Backup.Nightly', command: 'tar czf /backups/home.tgz ~' },
        { id: 'report_2030', command: `echo "50% done" && printf '%s' it's` },
        { id: 'ecole-1', command: 'echo ÉCOLE Ünïcode école' },
        { id: 'x1', command: 'grep -E "a.*b(c)" file | wc -l' },
        { id: 'x2', command: 'echo 100%_sure \\ back\\slash' },
        { id: 'x3', command: 'sleep 5 # 🚀 launch' },
        { id: 'nightly-backup', command: 'rsync -a src dst' },
        { id: 'ab', command: 'true' },
      ];
      // The model: a case-folded substring of the id or of the command (never across them).
      const model = (term: string) =>
        jobs
          .filter((j) => j.id.toLowerCase().includes(term.toLowerCase()) || j.command.toLowerCase().includes(term.toLowerCase()))
          .map((j) => j.id)
          .reverse();
      const listAll = async (search: string, limit: number, extra: Partial<Parameters<Queue['list']>[0]> = {}) => {
        const seen: string[] = [];
        let page = await q.list({ limit, search, ...extra });
        for (;;) {
          seen.push(...page.jobs.map((j) => j.id));
          if (page.next_cursor === null) return seen;
          page = await q.list({ limit, search, ...extra, cursor: page.next_cursor });
        }
      };
      beforeEach(async () => {
        for (const j of jobs) {
          await q.enqueue([j]);
          tick(1);
        }
      });

      it('matches substrings of the id or the command, ignoring case, with special characters and unicode', async () => {
        const terms = [
          'backup', 'BACKUP', 'kup.N', 'Nightly', 'report_', '_20', '50%', '% d', "it's", '"50', 'école', 'ÉCOLE', 'ünï', 'ÜNÏCODE',
          'a.*b(c)', '| wc', '100%_', '\\ back\\', '🚀', '🚀 l', 'ch', 'CH', '%', '_', '"', "'", '\\', 'é', 'ab', 'b', 'x',
          'zzz', 'tgz ~', 'Nightlyrsync', '.*', '[a', '(c)', 'a%b', 'a_b',
        ];
        for (const term of terms) {
          expect({ term, ids: (await q.list({ limit: 50, search: term })).jobs.map((j) => j.id) }).toEqual({ term, ids: model(term) });
        }
      });

      it('pages a filtered list with cursors both ways, for indexed and short terms, with a state', async () => {
        // More jobs, so the pages hold mixed matches and non-matches in between.
        // In one batch longer than the adapters' statements, so the order within a batch is tried too.
        await q.enqueue(Array.from({ length: 150 }, (_, i) => ({ id: `p${i}`, command: i % 3 === 0 ? 'make deploy' : 'true' })));
        for (let i = 0; i < 150; i++) jobs.push({ id: `p${i}`, command: i % 3 === 0 ? 'make deploy' : 'true' });
        expect((await q.list({ limit: 200 })).jobs.map((j) => j.id)).toEqual(jobs.map((j) => j.id).reverse());
        for (const term of ['DEPLOY', 'p1', 'e', 'back']) {
          const all = await listAll(term, 3);
          expect({ term, all }).toEqual({ term, all: model(term) });
          // Backwards from the last page gives the same jobs, page by page.
          const last = await q.list({ limit: 3, search: term, from: 'last' });
          const back: string[] = [...last.jobs.map((j) => j.id)].reverse();
          let page = last;
          while (page.prev_cursor !== null) {
            page = await q.list({ limit: 3, search: term, cursor: page.prev_cursor, direction: 'before' });
            back.push(...[...page.jobs.map((j) => j.id)].reverse());
          }
          expect({ term, back: back.reverse() }).toEqual({ term, back: model(term) });
        }
        // With a state: the claimed job is the only processing one that matches.
        const running = (await claim())!;
        expect(await listAll(running.id, 2, { state: 'processing' })).toEqual([running.id]);
        expect((await listAll('deploy', 4, { state: 'pending' })).length).toBe(model('deploy').length);
        expect(await listAll('p3', 4, { state: 'pending' })).toEqual(model('p3'));
      });

      it('pages the latest finished first with a filter, and leaves purged jobs out', async () => {
        await q.enqueue(['k1', 'k2', 'k3', 'k4', 'k5'].map((id, i) => ({ id, command: i % 2 ? 'false # odd' : 'false', max_retries: 0 })));
        // They die in another order than they were created: k3, k1, k5, k2, k4.
        for (const id of ['k3', 'k1', 'k5', 'k2', 'k4']) {
          tick(1000);
          let job = await claim();
          while (job && job.id !== id) {
            await q.settle(job, 'w1', result('interrupted', now), DEFAULT_CONFIG);
            job = await claim();
          }
          await q.settle(job!, 'w1', result('exit', now), DEFAULT_CONFIG);
        }
        const dlq = (search: string) => listAll(search, 2, { state: 'dead', order: 'finished' });
        expect(await dlq('FALSE')).toEqual(['k4', 'k2', 'k5', 'k1', 'k3']);
        expect(await dlq('# odd')).toEqual(['k4', 'k2']);
        expect(await dlq('k')).toEqual(['k4', 'k2', 'k5', 'k1', 'k3']);
        expect(await dlq('k3')).toEqual(['k3']);
        const back = await q.list({ limit: 2, search: 'false', state: 'dead', order: 'finished', from: 'last' });
        expect(back.jobs.map((j) => j.id)).toEqual(['k1', 'k3']);
        // Purged jobs no longer match, and the index does not hold them up.
        tick(1);
        expect(await q.purge(['dead'], 0)).toBe(5);
        expect(await listAll('false', 2)).toEqual([]);
        expect(await listAll('k', 2)).toEqual(model('k'));
        // A new job reusing a purged id is found by its own command.
        await q.enqueue([{ id: 'k1', command: 'echo again' }]);
        expect((await q.list({ limit: 5, search: 'k1' })).jobs.map((j) => j.command)).toEqual(['echo again']);
        expect((await q.list({ limit: 5, search: 'false' })).jobs).toEqual([]);
      });

      it('counts matches per state, exactly up to a bound and as lower bounds beyond it', async () => {
        const running = (await claim())!;
        const all = await q.countMatches({ search: 'ECHO' });
        expect(all.exact).toBe(true);
        const expected = model('echo');
        expect(all.counts.pending + all.counts.processing).toBe(expected.length);
        expect(all.counts.processing).toBe(expected.includes(running.id) ? 1 : 0);
        expect(all.counts.dead).toBe(0);
        expect(await q.countMatches({ search: 'zzz' })).toMatchObject({ exact: true, counts: { pending: 0, processing: 0 } });
        // A short term, and a queue.
        expect((await q.countMatches({ search: 'x' })).counts.pending).toBe(model('x').length);
        await q.enqueue([{ id: 'q-echo', command: 'echo', queue: 'other' }]);
        expect((await q.countMatches({ search: 'echo', queue: 'other' })).counts.pending).toBe(1);
        // Past the bound: the newest `bound` matches (and one more) are counted, and it says so.
        const capped = await q.countMatches({ search: 'e' }, 2);
        expect(capped.exact).toBe(false);
        expect(Object.values(capped.counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
        expect((await q.countMatches({ search: 'tgz' }, 1)).exact).toBe(true);
      });
    });

    it('counts recent throughput from finished attempts', async () => {
      await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'false' }, { id: 'c', command: 'x' }]);
      const a = (await claim())!;
      await q.settle(a, 'w1', result('succeeded', now), DEFAULT_CONFIG);
      tick(120_000);
      const b = (await claim())!;
      await q.settle(b, 'w1', result('exit', now), DEFAULT_CONFIG);
      const c = (await claim())!;
      await q.settle(c, 'w1', result('interrupted', now), DEFAULT_CONFIG);
      expect(await q.throughput(60_000)).toEqual({ completed: 0, failed: 1 });
      expect(await q.throughput(600_000)).toEqual({ completed: 1, failed: 1 });
    });

    it('registers workers, records heartbeats, and carries stop requests', async () => {
      await q.registerWorker(worker('w1', now));
      await q.registerWorker(worker('w2', now, { queue: 'alpha', host: 'host-b' }));
      tick(500);
      expect(await q.heartbeat('w1', { state: 'busy', current_job_id: 'a', job_started_at: now - 100, jobs_done: 3, jobs_failed: 1, clock_skew_ms: 0 })).toEqual({
        stopRequested: false,
        force: false,
        registered: true,
      });
      const ws = await q.workers();
      expect(ws.map((w) => w.id)).toEqual(['w1', 'w2']);
      expect(ws[0]).toMatchObject({ state: 'busy', current_job_id: 'a', jobs_done: 3, jobs_failed: 1, heartbeat_at: T0 + 500 });
      expect(ws[1]).toMatchObject({ host: 'host-b', queue: 'alpha', state: 'idle' });
      const idle = { state: 'idle' as const, current_job_id: null, job_started_at: null, jobs_done: 0, jobs_failed: 0, clock_skew_ms: 0 };
      expect(await q.requestStop(['w2'])).toBe(1);
      expect(await q.heartbeat('w2', idle)).toEqual({ stopRequested: true, force: false, registered: true });
      expect(await q.heartbeat('w1', idle)).toEqual({ stopRequested: false, force: false, registered: true });
      expect((await q.workers()).map((w) => w.stop_requested)).toEqual([false, true]);
      expect(await q.requestStop(['w2'], true)).toBe(1);
      expect(await q.heartbeat('w2', idle)).toEqual({ stopRequested: true, force: true, registered: true });
      // A later graceful request does not weaken a forced one.
      expect(await q.requestStop()).toBe(2);
      expect(await q.heartbeat('w2', idle)).toEqual({ stopRequested: true, force: true, registered: true });
      expect(await q.heartbeat('w1', idle)).toEqual({ stopRequested: true, force: false, registered: true });
      await q.deregisterWorker('w1');
      expect((await q.workers()).map((w) => w.id)).toEqual(['w2']);
      // A worker whose record is gone learns it from its next heartbeat (and registers again).
      expect(await q.heartbeat('w1', idle)).toMatchObject({ registered: false });
    });

    it('persists config with validation and aliases', async () => {
      expect(await q.config()).toEqual(DEFAULT_CONFIG);
      expect(await q.setConfig('default-max-retries', '5')).toEqual({ key: 'max_retries', value: 5 });
      await q.setConfig('backoff_base', '1.5');
      expect(await q.config()).toMatchObject({ max_retries: 5, backoff_base: 1.5 });
      await expect(q.setConfig('nope', '1')).rejects.toThrow(/unknown config key/);
      await expect(q.setConfig('max_retries', '-1')).rejects.toThrow(/invalid value/);
      expect((await q.config()).max_retries).toBe(5);
      const [job] = await q.enqueue([{ command: 'true' }]);
      expect(job.max_retries).toBe(5);
      const [own] = await q.enqueue([{ command: 'true', max_retries: 0 }]);
      expect(own.max_retries).toBe(0);
    });

    describe('schedules', () => {
      const MIN = 60_000;
      const HOUR = 3_600_000;
      const every = (name: string, ms: number, extra: Partial<ScheduleInput> = {}) =>
        q.schedules.add({ name, every_ms: ms, job: { command: `echo ${name}` }, ...extra });
      const jobsOf = async (name: string) => (await q.schedules.recentJobs(name, 1000)).map((j) => j.id).sort();
      const eventsOf = async (type: string) => (await q.events({ limit: 10_000 })).events.filter((e) => e.type === type);
      const finish = async (id: string) => {
        const job = await claim('w-run');
        expect(job?.id).toBe(id);
        await q.settle(job!, 'w-run', result('succeeded', now), DEFAULT_CONFIG);
      };

      it('fires each firing exactly once with four workers checking at the same moment', async () => {
        await every('tick', MIN, { overlap: 'allow' });
        const queues = Array.from({ length: 4 }, () => new Queue(fx.backend, { now: () => now, cwd: '/tmp' }));
        for (let i = 1; i <= 5; i++) {
          tick(MIN);
          const reports = await Promise.all(queues.map((w, k) => w.schedules.fireDue(`w${k}`)));
          expect(reports.flat().flatMap((r) => r.fired)).toHaveLength(1);
        }
        const ids = await jobsOf('tick');
        expect(ids).toEqual([1, 2, 3, 4, 5].map((i) => `tick@${new Date(T0 + i * MIN).toISOString().replace('.000Z', 'Z')}`));
        expect(await eventsOf('scheduled')).toHaveLength(5);
        const job = await q.get(ids[0]);
        expect(job).toMatchObject({ schedule: 'tick', command: 'echo tick', state: 'pending', queue: 'default' });
        expect((await q.schedules.get('tick')).next_at).toBe(T0 + 6 * MIN);
        // Nothing is due now: a check enqueues nothing.
        expect(await q.schedules.fireDue()).toEqual([]);
        expect(await q.schedules.nextDue()).toBe(T0 + 6 * MIN);
      });

      it('skips a firing while the previous run is unfinished (overlap skip), with an event, and fires again once it is done', async () => {
        await every('solo', MIN);
        tick(MIN);
        await q.schedules.fireDue();
        const [first] = await jobsOf('solo');
        tick(MIN);
        expect(await q.schedules.fireDue()).toEqual([{ schedule: 'solo', fired: [], skipped: 1 }]);
        const skips = await eventsOf('schedule_skipped');
        expect(skips).toHaveLength(1);
        expect(skips[0].detail).toMatch(/^schedule solo: firing .* skipped: the previous run has not finished/);
        await finish(first);
        tick(MIN);
        await q.schedules.fireDue();
        expect(await jobsOf('solo')).toHaveLength(2);
      });

      it('catches up missed firings as its policy says: none, one (last), or each (all, bounded)', async () => {
        for (const catch_up of ['none', 'last', 'all'] as const) await every(catch_up, HOUR, { catch_up, overlap: 'allow' });
        await every('allskip', HOUR, { catch_up: 'all', overlap: 'skip' });
        // Five and a half hours with no worker: five firings missed, the last half an hour ago.
        tick(5 * HOUR + 30 * MIN);
        await q.schedules.fireDue();
        expect(await jobsOf('none')).toEqual([]);
        expect(await jobsOf('last')).toEqual([`last@${new Date(T0 + 5 * HOUR).toISOString().replace('.000Z', 'Z')}`]);
        expect(await jobsOf('all')).toHaveLength(5);
        const skips = (await eventsOf('schedule_skipped')).map((e) => e.detail);
        expect(skips).toContainEqual(expect.stringMatching(/^schedule none: 5 firings from .* missed while no worker ran \(catch-up none\)/));
        expect(skips).toContainEqual(expect.stringMatching(/^schedule last: 4 firings from/));
        // Each missed firing, but not over one another: the first runs, the others overlap it (one event).
        expect(await jobsOf('allskip')).toHaveLength(1);
        expect(skips).toContainEqual(expect.stringMatching(/^schedule allskip: 4 firings from .* skipped: the previous run has not finished/));
        for (const name of ['none', 'last', 'all', 'allskip']) expect((await q.schedules.get(name)).next_at).toBe(T0 + 6 * HOUR);
        // An on-time firing runs under every policy.
        tick(30 * MIN);
        await q.schedules.fireDue();
        expect(await jobsOf('none')).toHaveLength(1);
      });

      it('fires nothing while paused, and resumes from the next firing without catching up the pause', async () => {
        await every('p', MIN);
        await q.schedules.pause('p');
        tick(10 * MIN);
        expect(await q.schedules.fireDue()).toEqual([]);
        expect(await q.schedules.nextDue()).toBeNull();
        const resumed = await q.schedules.resume('p');
        expect(resumed.paused).toBe(false);
        expect(resumed.next_at).toBe(T0 + 11 * MIN);
        tick(MIN);
        await q.schedules.fireDue();
        expect(await jobsOf('p')).toEqual([`p@${new Date(T0 + 11 * MIN).toISOString().replace('.000Z', 'Z')}`]);
      });

      it('runs a schedule now, once, leaving its timetable as it was', async () => {
        await every('now', HOUR);
        tick(1234);
        const job = await q.schedules.runNow('now');
        expect(job.id).toBe(`now@${new Date(T0 + 1234).toISOString()}`);
        expect(await q.get(job.id)).toMatchObject({ schedule: 'now', state: 'pending' });
        expect((await q.schedules.get('now')).next_at).toBe(T0 + HOUR);
        expect((await eventsOf('scheduled'))[0]).toMatchObject({ job_id: job.id, detail: 'schedule now: run now by an operator' });
      });

      it('stores cron schedules with their zone, refuses duplicates and unknown names, and removes them', async () => {
        const s = await q.schedules.add({ name: 'cron', cron: '30 2 * * *', tz: 'Europe/Berlin', job: { command: 'true', priority: 5, max_retries: 1, queue: 'ops' } });
        expect(s.next_at).toBe(Date.UTC(2030, 0, 1, 1, 30));
        expect(await q.schedules.get('cron')).toEqual(s);
        await expect(q.schedules.add({ name: 'cron', every_ms: MIN, job: { command: 'true' } })).rejects.toThrow(/already exists/);
        await expect(q.schedules.get('nope')).rejects.toThrow(/no schedule named "nope"/);
        expect((await q.schedules.list()).map((x) => x.name)).toEqual(['cron']);
        tick(2 * HOUR);
        await q.schedules.fireDue();
        expect(await q.get('cron@2030-01-01T01:30:00Z')).toMatchObject({ priority: 5, max_retries: 1, queue: 'ops' });
        await q.schedules.remove('cron');
        expect(await q.schedules.list()).toEqual([]);
        await expect(q.schedules.remove('cron')).rejects.toThrow(/no schedule/);
        // Its jobs stay.
        expect(await q.get('cron@2030-01-01T01:30:00Z')).toMatchObject({ schedule: 'cron' });
      });
    });

    it('never hands one job to two claimers racing for it', async () => {
      await q.enqueue(Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, command: 'true' })));
      const claimed = await Promise.all(Array.from({ length: 60 }, (_, i) => claim(`w${i % 6}`)));
      const got = claimed.filter((j): j is Job => j !== null).map((j) => j.id);
      expect(got).toHaveLength(40);
      expect(new Set(got).size).toBe(40);
    });
  });
}
