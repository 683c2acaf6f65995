/**
 * The event log on MongoDB: events kept inside their jobs and workers' events in a collection
 * of their own, listed together in (at, key) order and read on by cursor.
 */
import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.js';
import { EVENTS_PER_JOB } from '../../src/engine/backends/mongo/events.js';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { ValidationError } from '../../src/engine/errors.js';
import { Queue } from '../../src/engine/queue.js';
import type { AttemptResult, JobEvent, WorkerRecord } from '../../src/engine/types.js';
import { MONGO_URI, dropDatabase, uniqueDbName, warnSkipped, withDatabase } from './helpers.js';

const T0 = Date.UTC(2030, 0, 1);

function result(outcome: AttemptResult['outcome']): AttemptResult {
  return { outcome, exit_code: outcome === 'succeeded' ? 0 : 1, signal: null, error: outcome === 'succeeded' ? null : 'no', output: '', output_bytes: 0, finished_at: 0 };
}

function worker(id: string, now: number): WorkerRecord {
  return {
    id,
    pid: 77,
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
  };
}

const brief = (events: JobEvent[]) => events.map((e) => [e.type, e.job_id, e.attempt]);

if (!MONGO_URI) {
  warnSkipped('event log tests');
  describe.skip('MongoDB event log (set MONGO_URI to run)', () => {
    it('lists events by cursor', () => {});
  });
} else {
  const base = MONGO_URI;

  describe('MongoDB event log', () => {
    let uri: string;
    let b: Backend;
    let q: Queue;
    let now = T0;
    const tick = (ms: number) => (now += ms);

    beforeEach(async () => {
      now = T0;
      uri = withDatabase(base, uniqueDbName('queuectl_events'));
      b = await openMongoBackend(uri, { connectTimeoutMs: 10_000 });
      q = new Queue(b, { now: () => now, cwd: '/tmp' });
    });
    afterEach(async () => {
      await b.close();
      await dropDatabase(uri);
    });

    /** A job run twice: it fails, is retried by hand, then succeeds; a worker comes and goes around it. */
    async function history(): Promise<void> {
      await q.registerWorker(worker('w1', now));
      tick(10);
      await q.enqueue([{ id: 'a', command: 'false', queue: 'alpha' }]);
      tick(10);
      await q.enqueue([{ id: 'b', command: 'true', queue: 'beta' }]);
      tick(10);
      let job = (await q.claim('w1', 'alpha', 30_000))!;
      tick(10);
      await q.settle(job, 'w1', result('exit'), DEFAULT_CONFIG);
      tick(10);
      await q.retry('a');
      tick(10);
      job = (await q.claim('w1', 'alpha', 30_000))!;
      tick(10);
      await q.settle(job, 'w1', result('succeeded'), DEFAULT_CONFIG);
      tick(10);
      await q.deregisterWorker('w1');
    }

    it('lists job and worker events together, oldest first, with the attempt of each start', async () => {
      await history();
      const { events, next } = await q.events({ limit: 100 });
      expect(brief(events)).toEqual([
        ['worker_started', null, null],
        ['enqueued', 'a', null],
        ['enqueued', 'b', null],
        ['started', 'a', 1],
        ['failed', 'a', 1],
        ['retried', 'a', null],
        ['started', 'a', 2],
        ['succeeded', 'a', 2],
        ['worker_stopped', null, null],
      ]);
      expect(events.map((e) => e.at)).toEqual([T0, T0 + 10, T0 + 20, T0 + 30, T0 + 40, T0 + 50, T0 + 60, T0 + 70, T0 + 80]);
      expect(events[3]).toMatchObject({ queue: 'alpha', worker_id: 'w1' });
      expect(events[0]).toMatchObject({ worker_id: 'w1', queue: null, detail: expect.stringContaining('pid 77') });
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      expect(next).toBe(events[events.length - 1].id);
    });

    it('gives a running attempt its number while it runs', async () => {
      await q.enqueue([{ id: 'a', command: 'sleep 1' }]);
      const job = (await q.claim('w1', null, 30_000))!;
      await q.settle(job, 'w1', result('interrupted'), DEFAULT_CONFIG);
      await q.claim('w2', null, 30_000);
      const { events } = await q.events({ limit: 10, job_id: 'a' });
      expect(brief(events)).toEqual([
        ['enqueued', 'a', null],
        ['started', 'a', 1],
        ['interrupted', 'a', 1],
        ['started', 'a', 1],
      ]);
    });

    it('reads on from a cursor, one page at a time, to the same sequence', async () => {
      await history();
      const all = (await q.events({ limit: 100 })).events;
      const paged: JobEvent[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await q.events({ limit: 2, after: cursor });
        paged.push(...page.events);
        expect(page.next).not.toBeNull();
        if (page.events.length === 0) {
          // Nothing new: the cursor stays, and reading on from it finds what comes next.
          expect(page.next).toBe(cursor);
          break;
        }
        cursor = page.next!;
      }
      expect(paged).toEqual(all);
      tick(10);
      await q.enqueue([{ id: 'c', command: 'true' }]);
      expect(brief((await q.events({ limit: 10, after: cursor })).events)).toEqual([['enqueued', 'c', null]]);
    });

    it('orders events of the same millisecond in the order they were written', async () => {
      await q.enqueue([{ id: 'a', command: 'true' }]);
      const job = (await q.claim('w1', null, 30_000))!;
      await q.settle(job, 'w1', result('succeeded'), DEFAULT_CONFIG);
      const { events } = await q.events({ limit: 10 });
      expect(events.map((e) => e.type)).toEqual(['enqueued', 'started', 'succeeded']);
      expect(new Set(events.map((e) => e.at))).toEqual(new Set([T0]));
      const second = await q.events({ limit: 10, after: events[0].id });
      expect(second.events.map((e) => e.type)).toEqual(['started', 'succeeded']);
    });

    it('filters by job, queue and time; a job or queue filter leaves workers out', async () => {
      await history();
      expect(brief((await q.events({ limit: 100, job_id: 'b' })).events)).toEqual([['enqueued', 'b', null]]);
      expect((await q.events({ limit: 100, queue: 'alpha' })).events.map((e) => e.type)).toEqual([
        'enqueued',
        'started',
        'failed',
        'retried',
        'started',
        'succeeded',
      ]);
      expect((await q.events({ limit: 100, queue: 'nowhere' })).events).toEqual([]);
      const since = await q.events({ limit: 100, since: T0 + 60 });
      expect(since.events.map((e) => e.type)).toEqual(['started', 'succeeded', 'worker_stopped']);
      // since and a cursor together: both hold.
      const both = await q.events({ limit: 100, since: T0 + 60, after: since.events[0].id });
      expect(both.events.map((e) => e.type)).toEqual(['succeeded', 'worker_stopped']);
      expect((await q.events({ limit: 3 })).events.map((e) => e.type)).toEqual(['worker_started', 'enqueued', 'enqueued']);
    });

    it('gives every job moved at once an event of its own', async () => {
      await q.enqueue([1, 2, 3].map((i) => ({ id: `d${i}`, command: 'false', max_retries: 0 })));
      for (let job = await q.claim('w1', null, 30_000); job; job = await q.claim('w1', null, 30_000)) {
        await q.settle(job, 'w1', result('exit'), DEFAULT_CONFIG);
      }
      tick(5);
      expect(await q.reviveAll()).toBe(3);
      const revived = (await q.events({ limit: 100, since: now })).events;
      expect(revived.map((e) => [e.type, e.job_id]).sort()).toEqual([
        ['revived', 'd1'],
        ['revived', 'd2'],
        ['revived', 'd3'],
      ]);
      expect(new Set(revived.map((e) => e.id)).size).toBe(3);
    });

    it(`keeps the newest ${EVENTS_PER_JOB} events of a job, and drops them with the job`, async () => {
      await q.enqueue([{ id: 'busy', command: 'true' }]);
      for (let i = 0; i < EVENTS_PER_JOB + 20; i++) {
        tick(1);
        await b.addEvent({ at: now, type: 'retried', job_id: 'busy', queue: 'default', worker_id: null, attempt: null, detail: `note ${i}` });
      }
      const { events } = await q.events({ limit: 1000, job_id: 'busy' });
      expect(events).toHaveLength(EVENTS_PER_JOB);
      expect(events[events.length - 1].detail).toBe(`note ${EVENTS_PER_JOB + 19}`);
      expect(events[0].detail).toBe('note 20');
      await q.cancel('busy');
      tick(1000);
      expect(await q.purge(['cancelled'], 0)).toBe(1);
      expect((await q.events({ limit: 1000, job_id: 'busy' })).events).toEqual([]);
    });

    it('keeps worker events in their own collection', async () => {
      await q.registerWorker(worker('w9', now));
      const conn = await mongoose.createConnection(uri).asPromise();
      try {
        const docs = await conn.db!.collection('worker_events').find({}).toArray();
        expect(docs).toHaveLength(1);
        expect(docs[0]).toMatchObject({ type: 'worker_started', worker_id: 'w9', at: T0 });
      } finally {
        await conn.close(true);
      }
    });

    it('re-reads safely from before its cursor: followers drop what they have seen by id', async () => {
      expect(b.eventReorderMs).toBeGreaterThanOrEqual(1000);
      await history();
      const first = (await q.events({ limit: 100 })).events;
      const last = first[first.length - 1];
      const again = (await q.events({ limit: 100, since: last.at - b.eventReorderMs })).events;
      const seen = new Set(first.map((e) => e.id));
      expect(again.filter((e) => !seen.has(e.id))).toEqual([]);
      expect(again.map((e) => e.id)).toEqual(first.map((e) => e.id));
    });

    it('refuses a cursor it did not make', async () => {
      await expect(q.events({ limit: 10, after: 'not a cursor' })).rejects.toBeInstanceOf(ValidationError);
      await expect(q.events({ limit: 10, after: '12' })).rejects.toThrow(/invalid event cursor/);
    });
  });
}
