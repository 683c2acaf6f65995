/**
 * What only the MongoDB adapter has: counts taken from the jobs, claim tokens, the database's
 * clock, schema upgrades, the size bound of a document, change streams between processes, and
 * surviving a server that goes away and comes back.
 */
import mongoose from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, ClaimRequest } from '../../src/engine/backend.js';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { JOB_CHANGES, WORKER_CHANGES } from '../../src/engine/backends/mongo/watch.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { StorageError } from '../../src/engine/errors.js';
import { Queue } from '../../src/engine/queue.js';
import { claimSet, renewMove, settleMove, decideSettlement } from '../../src/engine/rules.js';
import { JOB_STATES, type AttemptResult, type Job, type NewJob, type WorkerRecord } from '../../src/engine/types.js';
import { MONGO_URI, PrivateServer, canRunTestServer, dropDatabase, freePort, uniqueDbName, until, warnSkipped, withDatabase } from './helpers.js';

function job(id: string, extra: Partial<NewJob> = {}): NewJob {
  return { id, command: 'true', max_retries: 3, priority: 0, run_at: 0, timeout_seconds: null, queue: 'default', cwd: '/tmp', created_at: Date.now(), after: [], state: 'pending', ...extra };
}

let tokens = 0;
function claimRequest(workerId: string, now = Date.now(), token = `test-token-${tokens++}`): ClaimRequest {
  return { workerId, queue: null, now, set: claimSet(workerId, now, 60_000, token) };
}

function worker(id: string, now: number): WorkerRecord {
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
  };
}

function result(outcome: AttemptResult['outcome']): AttemptResult {
  return { outcome, exit_code: outcome === 'succeeded' ? 0 : 1, signal: null, error: outcome === 'succeeded' ? null : 'no', output: '', output_bytes: 0, finished_at: 0 };
}

/** Whether the server answers change streams at all (replica sets and the test server do). */
async function serverHasChangeStreams(uri: string): Promise<boolean> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    const stream = conn.db!.collection('probe').watch();
    const ok = await new Promise<boolean>((resolve) => {
      stream.once('error', () => resolve(false));
      stream.once('change', () => resolve(true));
      setTimeout(() => void conn.db!.collection('probe').insertOne({ at: Date.now() }), 200);
      setTimeout(() => resolve(false), 5000).unref();
    });
    await stream.close().catch(() => {});
    return ok;
  } finally {
    await conn.close(true);
  }
}

async function withConnection<T>(uri: string, fn: (db: mongoose.mongo.Db) => Promise<T>): Promise<T> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    return await fn(conn.db!);
  } finally {
    await conn.close(true);
  }
}

if (!MONGO_URI) {
  warnSkipped('adapter tests');
  describe.skip('MongoDB adapter (set MONGO_URI to run)', () => {
    it('counts, reads back claims, watches changes and reconnects', () => {});
  });
} else {
  const base = MONGO_URI;

  describe('MongoDB adapter', () => {
    const opened: Backend[] = [];
    const dbs: string[] = [];
    const open = async (uri?: string) => {
      const u = uri ?? withDatabase(base, uniqueDbName('queuectl_adapter'));
      if (!dbs.includes(u)) dbs.push(u);
      const b = await openMongoBackend(u, { connectTimeoutMs: 10_000 });
      opened.push(b);
      return { b, uri: u };
    };
    afterEach(async () => {
      for (const b of opened.splice(0)) await b.close();
      for (const u of dbs.splice(0)) await dropDatabase(u);
    });

    it('says it may be shared between hosts, and keeps no counts apart from the jobs', async () => {
      const { b, uri } = await open();
      expect(b.multiHost).toBe(true);
      await b.insertJobs([job('a'), job('b')]);
      const counter = await withConnection(uri, (db) => db.collection('counters').findOne({}));
      expect(counter).toMatchObject({ _id: 'jobs', seq: 2, schema: 7 });
      expect(Object.keys(counter!).sort()).toEqual(['_id', 'schema', 'seq']);
    });

    it('counts exactly after many moves, whatever another process did to the jobs', async () => {
      const { b, uri } = await open();
      const q = new Queue(b, { cwd: '/tmp' });
      await q.enqueue(Array.from({ length: 60 }, (_, i) => ({ id: `j${i}`, command: 'true', max_retries: i % 3 })));
      const cfg = { ...DEFAULT_CONFIG, backoff_base: 1.01 };
      for (let round = 0; round < 5; round++) {
        const claimed: Job[] = [];
        for (let i = 0; i < 15; i++) {
          const j = await q.claim(`w${i % 4}`, null, 60_000);
          if (j) claimed.push(j);
        }
        for (const [i, j] of claimed.entries()) {
          const outcome = i % 4 === 0 ? 'succeeded' : i % 4 === 1 ? 'exit' : i % 4 === 2 ? 'interrupted' : 'timed_out';
          await q.settle(j, j.worker_id!, result(outcome), cfg);
        }
        const pending = (await q.list({ limit: 5, state: 'pending' })).jobs;
        if (pending[0]) await q.cancel(pending[0].id);
        const failed = (await q.list({ limit: 3, state: 'failed' })).jobs;
        for (const f of failed) await q.retry(f.id);
        if (round === 3) await q.reviveAll();
      }
      // Another process deletes and rewrites jobs behind this one's back: counts follow at once.
      await withConnection(uri, async (db) => {
        await db.collection('jobs').deleteOne({ state: 'pending' });
        await db.collection('jobs').updateOne({ state: 'failed' }, { $set: { state: 'dead' } });
      });
      const truth = Object.fromEntries(JOB_STATES.map((s) => [s, 0]));
      await withConnection(uri, async (db) => {
        for (const d of await db.collection('jobs').find({}, { projection: { state: 1 } }).toArray()) truth[d.state as string]++;
      });
      const counts = await q.counts();
      expect(counts).toEqual(truth);
      expect(Object.values(counts).reduce((a, n) => a + n, 0)).toBe(59);
      expect(counts.completed).toBeGreaterThan(0);
    });

    it('finds a claim whose reply was lost by its token', async () => {
      const { b } = await open();
      await b.insertJobs([job('a'), job('b')]);
      const req = claimRequest('w1', Date.now(), 'lost-reply-token');
      const claimed = await b.claimNext(req);
      // The reply is taken as lost: the job is found again by the token the claim carried.
      const found = await b.findClaimed('lost-reply-token');
      expect(found).toEqual(claimed);
      expect(found).toMatchObject({ state: 'processing', worker_id: 'w1', attempts: 1, claim_token: 'lost-reply-token' });
      expect(await b.findClaimed('another-token')).toBeNull();
      // Once the attempt is settled the token is gone with it.
      const decision = decideSettlement(found!, 'succeeded', DEFAULT_CONFIG, Date.now());
      expect(await b.move(found!.id, settleMove(found!, 'w1', result('succeeded'), decision, Date.now()))).toMatchObject({ claim_token: null });
      expect(await b.findClaimed('lost-reply-token')).toBeNull();
    });

    it('hands the worker the job of a claim that raised an unknown outcome after it was applied', async () => {
      const { b } = await open();
      await b.insertJobs([job('a')]);
      // The real claim runs on the server; only its reply is dropped, as a broken connection would.
      const lossy = new Proxy(b, {
        get(target, prop, receiver) {
          if (prop === 'claimNext') {
            return async (r: ClaimRequest) => {
              await target.claimNext(r);
              throw new StorageError('MongoDB: connection reset', { transient: true, unknownOutcome: true });
            };
          }
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const q = new Queue(lossy, { cwd: '/tmp' });
      const got = await q.claim('w1', null, 60_000);
      expect(got).toMatchObject({ id: 'a', state: 'processing', worker_id: 'w1', attempts: 1 });
      expect(await q.claim('w2', null, 60_000)).toBeNull();
    });

    it('tells a worker whose record is gone that it is no longer registered', async () => {
      const { b, uri } = await open();
      const now = Date.now();
      await b.registerWorker(worker('w1', now));
      const beat = { state: 'idle' as const, current_job_id: null, job_started_at: null, jobs_done: 2, jobs_failed: 0, heartbeat_at: now + 1, clock_skew_ms: 7 };
      expect(await b.heartbeatWorker('w1', beat)).toEqual({ registered: true, stopRequested: false, force: false });
      expect((await b.listWorkers())[0]).toMatchObject({ host_id: 'host-a-id', pid_start: null, clock_skew_ms: 7, jobs_done: 2 });
      // Deleted by another process (an operator, or a recovery that took it for dead).
      await withConnection(uri, (db) => db.collection('workers').deleteOne({ _id: 'w1' as never }));
      expect(await b.heartbeatWorker('w1', beat)).toEqual({ registered: false, stopRequested: false, force: false });
      await b.registerWorker(worker('w1', now));
      expect((await b.heartbeatWorker('w1', beat)).registered).toBe(true);
    });

    it('reads the database clock', async () => {
      const { b } = await open();
      const before = Date.now();
      const now = b.now();
      // The test server runs on this host: whatever it reports, the two clocks agree closely.
      expect(Math.abs(now - before)).toBeLessThan(2000);
      expect(Math.abs(b.clockSkewMs())).toBeLessThan(2000);
      expect(Number.isInteger(b.clockSkewMs())).toBe(true);
    });

    it('creates the missing indexes and drops the old counts when it opens a database of an older version', async () => {
      const { b, uri } = await open();
      await b.insertJobs([job('a')]);
      await b.close();
      // As version 1 left it: no claim-token or event indexes, counts in the counters document.
      await withConnection(uri, async (db) => {
        await db.collection('jobs').dropIndex('claim_token');
        await db.collection('jobs').dropIndex('events_at');
        await db.collection('jobs').dropIndex('queue_state_seq');
        await db.collection('counters').updateOne({ _id: 'jobs' as never }, { $set: { schema: 1, pending: 1, processing: 0 } });
        // Nor the search fields of version 4.
        await db.collection('jobs').dropIndex('search');
        await db.collection('jobs').updateMany({}, { $unset: { search_grams: '', command_lc: '' } });
      });
      const { b: again } = await open(uri);
      const state = await withConnection(uri, async (db) => ({
        indexes: (await db.collection('jobs').indexes()).map((i) => i.name),
        workerEvents: (await db.collection('worker_events').indexes()).map((i) => i.name),
        counter: await db.collection('counters').findOne({}),
      }));
      expect(state.indexes).toEqual(expect.arrayContaining(['claim', 'dependents', 'claim_queue', 'seq', 'state_seq', 'claim_token', 'events_at', 'search', 'queue_seq', 'queue_state_seq']));
      expect(state.workerEvents).toContain('at');
      expect(state.counter).toEqual({ _id: 'jobs', seq: 1, schema: 7 });
      expect((await again.countByState()).pending).toBe(1);
      // The job from before is found by a search, through the fields filled in on upgrade.
      expect((await again.listJobs({ limit: 10, search: 'TRU' })).jobs.map((j) => j.id)).toEqual(['a']);
      await again.insertJobs([job('b')]);
      expect((await again.listJobs({ limit: 10 })).jobs.map((j) => j.id)).toEqual(['b', 'a']);
    });

    it('keeps numbering after the newest job when the counters document is lost', async () => {
      const { b, uri } = await open();
      await b.insertJobs([job('a'), job('b'), job('c')]);
      await b.close();
      await withConnection(uri, (db) => db.collection('counters').drop());
      const { b: again } = await open(uri);
      await again.insertJobs([job('d')]);
      expect((await again.listJobs({ limit: 10 })).jobs.map((j) => j.id)).toEqual(['d', 'c', 'b', 'a']);
    });

    it('keeps only the tail of an output too large for one document', async () => {
      const { b } = await open();
      await b.insertJobs([job('big')]);
      const claimed = (await b.claimNext(claimRequest('w')))!;
      const text = `${'x'.repeat(6 * 1024 * 1024)}THE END`;
      expect(await b.move('big', renewMove(claimed, 'w', Date.now() + 60_000, { text, bytes: text.length }))).not.toBeNull();
      const stored = (await b.getJob('big'))!;
      expect(stored.output.length).toBeLessThanOrEqual(4 * 1024 * 1024);
      expect(stored.output.endsWith('THE END')).toBe(true);
      expect(stored.output_bytes).toBe(text.length);
    });

    it('filters changes on the server: state, run_at, inserts and deletes of jobs, stop requests of workers', async () => {
      const { uri } = await open();
      // The change stream's own $match, run over change events as the server describes them.
      const changes = [
        { n: 'insert', operationType: 'insert' },
        { n: 'delete', operationType: 'delete' },
        { n: 'claim', operationType: 'update', updateDescription: { updatedFields: { state: 'processing', worker_id: 'w', events: [] } } },
        { n: 'retry', operationType: 'update', updateDescription: { updatedFields: { run_at: 5, updated_at: 5 } } },
        { n: 'flush', operationType: 'update', updateDescription: { updatedFields: { output: 'x', output_bytes: 1, lease_expires_at: 9 } } },
        { n: 'renew', operationType: 'update', updateDescription: { updatedFields: { lease_expires_at: 9 } } },
        { n: 'pid', operationType: 'update', updateDescription: { updatedFields: { command_pid: 9, command_start: 1, command_host: 'h' } } },
        { n: 'stop', operationType: 'update', updateDescription: { updatedFields: { stop_requested: true } } },
        { n: 'beat', operationType: 'update', updateDescription: { updatedFields: { heartbeat_at: 9, state: 'busy' } } },
        { n: 'undescribed', operationType: 'update' },
      ];
      const passed = await withConnection(uri, async (db) => {
        const c = db.collection('change_probe');
        await c.insertMany(changes.map((x) => ({ ...x })));
        const names = async (pipeline: Record<string, unknown>[]) =>
          (await c.aggregate<{ n: string }>([...pipeline, { $sort: { n: 1 } }]).toArray()).map((d) => d.n);
        return { jobs: await names(JOB_CHANGES), workers: await names(WORKER_CHANGES) };
      });
      expect(passed.jobs).toEqual(['beat', 'claim', 'delete', 'insert', 'retry', 'undescribed']);
      expect(passed.workers).toEqual(['stop', 'undescribed']);
    });

    it('wakes a watcher for a new job but not for an output flush, where the server has change streams', async () => {
      const { b: watcher, uri } = await open();
      const { b: writer } = await open(uri);
      await writer.insertJobs([job('running')]);
      const running = (await writer.claimNext(claimRequest('w')))!;
      let calls = 0;
      const stop = watcher.watch!(() => calls++);
      try {
        // The stream starts asynchronously: keep adding until the watcher has seen one.
        let i = 0;
        const woke = await until(async () => {
          await writer.insertJobs([job(`w${i++}`)]);
          return calls > 0;
        }, 8000, 250);
        if (!woke) {
          if (await serverHasChangeStreams(uri)) expect.fail('the server has change streams but the watcher was never called');
          console.warn('MongoDB watch case SKIPPED: this server has no change streams (not a replica set); callers poll instead.');
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
        const settled = calls;
        for (let n = 0; n < 5; n++) {
          const text = `line ${n}\n`;
          expect(await writer.move('running', renewMove(running, 'w', Date.now() + 60_000, { text, bytes: text.length }))).not.toBeNull();
        }
        await new Promise((r) => setTimeout(r, 1500));
        expect(calls).toBe(settled);
        await writer.insertJobs([job('one-more')]);
        expect(await until(() => calls > settled, 5000)).toBe(true);
      } finally {
        stop();
      }
    });

    describe('when the server goes away and comes back', () => {
      let server: PrivateServer | null = null;
      let runnable = false;
      beforeAll(async () => {
        runnable = canRunTestServer();
        if (!runnable) {
          console.warn('MongoDB reconnection case SKIPPED: Java 17 and Maven are needed to run scripts/mongo-test-server.');
          return;
        }
        server = new PrivateServer(await freePort());
        await server.start();
      });
      afterAll(async () => {
        await server?.stop();
      });

      it('fails each operation with a transient StorageError of unknown outcome while it is down, then works again without reopening', async (ctx) => {
        if (!runnable || !server) return ctx.skip();
        const b = await openMongoBackend(server.uri, { connectTimeoutMs: 1500 });
        opened.push(b);
        await b.insertJobs([job('before')]);
        expect((await b.claimNext(claimRequest('w')))?.id).toBe('before');

        await server.stop();
        const err = await b.claimNext(claimRequest('w')).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(StorageError);
        expect(err).toMatchObject({ transient: true, unknownOutcome: true });
        expect((err as Error).message).toContain(`MongoDB at ${server.uri}`);

        await server.start();
        // The in-memory server comes back empty; the adapter must notice and carry on.
        const back = await until(async () => {
          await b.insertJobs([job(`after-${Date.now()}`)]);
          return true;
        }, 20_000, 200);
        expect(back).toBe(true);
        const claimed = await b.claimNext(claimRequest('w'));
        expect(claimed?.id).toMatch(/^after-/);
        expect(await b.countByState()).toMatchObject({ processing: 1 });
      });
    });
  });
}
