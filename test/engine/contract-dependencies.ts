/**
 * The storage contract for job dependencies (`enqueue --after`), run by `backendContract` for
 * every adapter: waiting jobs stay out of claims until released, a dependency that ends badly
 * cancels its dependents down the chain, bad graphs are refused whole, and a dependency that
 * completes while its dependent is being inserted never strands it.
 */
import { expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { ValidationError } from '../../src/engine/errors.js';
import type { Queue } from '../../src/engine/queue.js';
import type { AttemptResult, Job } from '../../src/engine/types.js';

export interface DependencyContext {
  q(): Queue;
  backend(): Backend;
  now(): number;
  claim(worker?: string): Promise<Job | null>;
}

function result(outcome: AttemptResult['outcome'], at: number): AttemptResult {
  return {
    outcome,
    exit_code: outcome === 'succeeded' ? 0 : outcome === 'exit' ? 3 : null,
    signal: null,
    error: outcome === 'succeeded' ? null : `failed: ${outcome}`,
    output: '',
    output_bytes: 0,
    finished_at: at,
  };
}

export function dependencyContract(c: DependencyContext): void {
  const complete = async (job: Job) => {
    const r = await c.q().settle(job, job.worker_id ?? 'w1', result('succeeded', c.now()), DEFAULT_CONFIG);
    expect(r.settled).toBe(true);
  };
  /** Fails a job enqueued with max_retries 0: it goes straight to the DLQ. */
  const kill = async (job: Job) => {
    expect(await c.q().settle(job, job.worker_id ?? 'w1', result('exit', c.now()), DEFAULT_CONFIG)).toMatchObject({ settled: true, state: 'dead' });
  };
  const stateOf = async (id: string) => (await c.q().get(id)).state;

  it('runs a chain of three in order, each waiting out of the claim until the one before completes', async () => {
    const q = c.q();
    // Enqueued last first, in separate batches, and with the later ones at higher priority: only
    // the dependencies can put them in order.
    await q.enqueue([{ id: 'c1', command: 'true' }]);
    await q.enqueue([{ id: 'c2', command: 'true', priority: 5, after: ['c1'] }]);
    const [c3] = await q.enqueue([{ id: 'c3', command: 'true', priority: 9, after: ['c2'] }]);
    expect(c3).toMatchObject({ state: 'waiting', after: ['c2'] });
    expect(await q.counts()).toMatchObject({ pending: 1, waiting: 2 });
    const order: string[] = [];
    for (let job = await c.claim(); job; job = await c.claim()) {
      order.push(job.id);
      expect(await c.claim('w2')).toBeNull(); // the next one is still waiting
      await complete(job);
    }
    expect(order).toEqual(['c1', 'c2', 'c3']);
    expect(await q.counts()).toMatchObject({ pending: 0, waiting: 0, completed: 3 });
    const events = (await q.events({ job_id: 'c3', limit: 50 })).events.map((e) => e.type);
    expect(events).toEqual(['enqueued', 'released', 'started', 'succeeded']);
    expect((await q.show('c3')).dependencies).toEqual([{ id: 'c2', state: 'completed' }]);
  });

  it('waits for every dependency, and lists which are still open', async () => {
    const q = c.q();
    await q.enqueue([
      { id: 'a', command: 'true' },
      { id: 'b', command: 'true' },
      { id: 'join', command: 'true', after: ['a', 'b'] },
    ]);
    await complete((await c.claim())!);
    expect(await stateOf('join')).toBe('waiting');
    expect((await q.show('join')).dependencies).toEqual([
      { id: 'a', state: 'completed' },
      { id: 'b', state: 'pending' },
    ]);
    const b = (await c.claim())!;
    expect(b.id).toBe('b');
    await complete(b);
    expect(await stateOf('join')).toBe('pending');
  });

  it('cancels the dependents of a dead job, transitively, each naming its own dependency', async () => {
    const q = c.q();
    await q.enqueue([
      { id: 'root', command: 'false', max_retries: 0 },
      { id: 'mid', command: 'true', after: ['root'] },
      { id: 'leaf', command: 'true', after: ['mid'] },
      { id: 'side', command: 'true', after: ['root', 'other'] },
      { id: 'other', command: 'true' },
      { id: 'free', command: 'true', after: ['other'] },
    ]);
    const root = (await c.claim())!;
    expect(root.id).toBe('root');
    await kill(root);
    expect(await q.get('mid')).toMatchObject({ state: 'cancelled', last_error: 'dependency root ended dead' });
    expect(await q.get('leaf')).toMatchObject({ state: 'cancelled', last_error: 'dependency mid ended cancelled' });
    expect(await q.get('side')).toMatchObject({ state: 'cancelled', last_error: 'dependency root ended dead' });
    expect(await stateOf('free')).toBe('waiting');
    expect(await q.counts()).toMatchObject({ pending: 1, waiting: 1, dead: 1, cancelled: 3 });
    const leafEvents = (await q.events({ job_id: 'leaf', limit: 50 })).events;
    expect(leafEvents.map((e) => [e.type, e.detail])).toEqual([
      ['enqueued', null],
      ['cancelled', 'dependency mid ended cancelled'],
    ]);
    // Only `other` is claimable.
    expect((await c.claim())?.id).toBe('other');
    expect(await c.claim()).toBeNull();
  });

  it('cancels a waiting job on request, and its dependents with it', async () => {
    const q = c.q();
    await q.enqueue([
      { id: 'a', command: 'true' },
      { id: 'b', command: 'true', after: ['a'] },
      { id: 'c', command: 'true', after: ['b'] },
    ]);
    expect(await q.cancel('b')).toMatchObject({ state: 'cancelled' });
    expect(await q.get('c')).toMatchObject({ state: 'cancelled', last_error: 'dependency b ended cancelled' });
    await complete((await c.claim())!);
    expect(await c.claim()).toBeNull();
    await expect(q.retry('c')).rejects.toThrow(/cancelled/);
  });

  it('refuses unknown ids, cycles, itself and finished-badly dependencies, inserting nothing', async () => {
    const q = c.q();
    await q.enqueue([{ id: 'ok', command: 'true', max_retries: 0 }]);
    const refused = async (jobs: Parameters<Queue['enqueue']>[0], message: RegExp) => {
      const before = await q.counts();
      const e = await q.enqueue(jobs).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as Error).message).toMatch(message);
      expect(await q.counts()).toEqual(before);
    };
    await refused([{ id: 'x', command: 'true', after: ['nope'] }], /no job with id "nope"/);
    await refused(
      [
        { id: 'x', command: 'true', after: ['ok'] },
        { id: 'y', command: 'true', after: ['ok', 'missing'] },
      ],
      /job 2.*"missing"/,
    );
    await refused(
      [
        { id: 'p', command: 'true', after: ['r'] },
        { id: 'q', command: 'true', after: ['p'] },
        { id: 'r', command: 'true', after: ['q', 'ok'] },
      ],
      /cycle p -> r -> q -> p|cycle [pqr] -> [pqr] -> [pqr] -> [pqr]/,
    );
    await refused([{ id: 'self', command: 'true', after: ['self'] }], /itself/);
    const dead = (await c.claim())!;
    await kill(dead);
    await refused([{ id: 'after-dead', command: 'true', after: ['ok'] }], /dependency ok is dead/);
    expect(await c.backend().getJob('x')).toBeNull();
  });

  it('starts pending when every dependency has already completed', async () => {
    const q = c.q();
    await q.enqueue([{ id: 'done', command: 'true' }]);
    await complete((await c.claim())!);
    const [job] = await q.enqueue([{ id: 'next', command: 'true', after: ['done'] }]);
    expect(job.state).toBe('pending');
    expect((await c.claim())?.id).toBe('next');
  });

  it('never strands a dependent whose dependency completes while it is being inserted', async () => {
    const q = c.q();
    for (let i = 0; i < 25; i++) {
      await q.enqueue([{ id: `dep${i}`, command: 'true' }]);
      const dep = (await c.claim())!;
      // The engine reads the dependency's state (processing) before inserting; the settle lands
      // in between or during the insert, in whatever order the database interleaves them.
      await Promise.all([q.enqueue([{ id: `child${i}`, command: 'true', after: [`dep${i}`] }]), complete(dep)]);
      expect(await stateOf(`child${i}`)).toBe('pending');
      const child = (await c.claim())!;
      expect(child.id).toBe(`child${i}`);
      await complete(child);
    }
    expect(await q.counts()).toMatchObject({ waiting: 0, pending: 0, completed: 50 });
  });

  it('never strands a dependent whose dependency dies while it is being inserted', async () => {
    const q = c.q();
    for (let i = 0; i < 10; i++) {
      await q.enqueue([{ id: `dep${i}`, command: 'false', max_retries: 0 }]);
      const dep = (await c.claim())!;
      const [inserted] = await Promise.allSettled([q.enqueue([{ id: `child${i}`, command: 'true', after: [`dep${i}`] }]), kill(dep)]);
      // Either refused at once (the dependency was seen dead), or inserted and then cancelled.
      if (inserted.status === 'fulfilled') expect(await q.get(`child${i}`)).toMatchObject({ state: 'cancelled', last_error: `dependency dep${i} ended dead` });
      else expect(await c.backend().getJob(`child${i}`)).toBeNull();
    }
    expect((await q.counts()).waiting).toBe(0);
  });

  it('resolves waiting jobs left behind when asked (the recovery sweep)', async () => {
    const q = c.q();
    await q.enqueue([{ id: 'a', command: 'true' }, { id: 'b', command: 'true', after: ['a'] }]);
    // Nothing has settled: the sweep leaves it waiting.
    expect(await c.backend().resolveWaiting(['b', 'a', 'missing'], c.now())).toBe(0);
    expect(await stateOf('b')).toBe('waiting');
  });
}
