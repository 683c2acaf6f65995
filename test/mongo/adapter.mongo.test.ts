/**
 * What only the MongoDB adapter has: its counters document, the size bound of a document, change
 * streams between processes, and surviving a server that goes away and comes back.
 */
import mongoose from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.js';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { StorageError } from '../../src/engine/errors.js';
import type { NewJob } from '../../src/engine/types.js';
import { MONGO_URI, PrivateServer, canRunTestServer, dropDatabase, freePort, uniqueDbName, until, warnSkipped, withDatabase } from './helpers.js';

function job(id: string, extra: Partial<NewJob> = {}): NewJob {
  return { id, command: 'true', max_retries: 3, priority: 0, run_at: 0, timeout_seconds: null, queue: 'default', cwd: '/tmp', created_at: Date.now(), ...extra };
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

if (!MONGO_URI) {
  warnSkipped('adapter tests');
  describe.skip('MongoDB adapter (set MONGO_URI to run)', () => {
    it('keeps counters, bounds documents, watches changes and reconnects', () => {});
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

    it('rebuilds lost counters from the jobs, and keeps numbering after the newest job', async () => {
      const { b, uri } = await open();
      await b.insertJobs([job('a'), job('b'), job('c')]);
      await b.claimNext({ workerId: 'w', queue: null, now: Date.now(), leaseExpiresAt: Date.now() + 60_000 });
      await b.close();
      const conn = await mongoose.createConnection(uri).asPromise();
      await conn.db!.collection('counters').drop();
      await conn.close(true);
      const { b: again } = await open(uri);
      expect(await again.countByState()).toMatchObject({ pending: 2, processing: 1 });
      await again.insertJobs([job('d')]);
      expect((await again.listJobs({ limit: 10 })).jobs.map((j) => j.id)).toEqual(['d', 'c', 'b', 'a']);
    });

    it('recounts when the counters are impossible', async () => {
      const { b, uri } = await open();
      await b.insertJobs([job('a'), job('b')]);
      const conn = await mongoose.createConnection(uri).asPromise();
      await conn.db!.collection('counters').updateOne({ _id: 'jobs' as never }, { $set: { pending: -5 } });
      await conn.close(true);
      expect(await b.countByState()).toMatchObject({ pending: 2 });
    });

    it('keeps only the tail of an output too large for one document', async () => {
      const { b } = await open();
      await b.insertJobs([job('big')]);
      await b.claimNext({ workerId: 'w', queue: null, now: Date.now(), leaseExpiresAt: Date.now() + 60_000 });
      const text = `${'x'.repeat(6 * 1024 * 1024)}THE END`;
      expect(await b.extendLease('big', 'w', Date.now() + 60_000, { text, bytes: text.length })).toBe(true);
      const stored = (await b.getJob('big'))!;
      expect(stored.output.length).toBeLessThanOrEqual(4 * 1024 * 1024);
      expect(stored.output.endsWith('THE END')).toBe(true);
      expect(stored.output_bytes).toBe(text.length);
    });

    it('wakes a watcher in another connection when a job is added, where the server has change streams', async () => {
      const { b: watcher, uri } = await open();
      const { b: writer } = await open(uri);
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
          const supported = await serverHasChangeStreams(uri);
          if (supported) expect.fail('the server has change streams but the watcher was never called');
          console.warn('MongoDB watch case SKIPPED: this server has no change streams (not a replica set); callers poll instead.');
        }
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

      it('fails each operation with a StorageError while it is down, then works again without reopening', async (ctx) => {
        if (!runnable || !server) return ctx.skip();
        const b = await openMongoBackend(server.uri, { connectTimeoutMs: 1500 });
        opened.push(b);
        await b.insertJobs([job('before')]);
        expect((await b.claimNext({ workerId: 'w', queue: null, now: Date.now(), leaseExpiresAt: Date.now() + 60_000 }))?.id).toBe('before');

        await server.stop();
        const err = await b.countByState().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(StorageError);
        expect((err as Error).message).toContain(`MongoDB at ${server.uri}`);

        await server.start();
        // The in-memory server comes back empty; the adapter must notice and carry on.
        const back = await until(async () => {
          await b.insertJobs([job(`after-${Date.now()}`)]);
          return true;
        }, 20_000, 200);
        expect(back).toBe(true);
        const claimed = await b.claimNext({ workerId: 'w', queue: null, now: Date.now(), leaseExpiresAt: Date.now() + 60_000 });
        expect(claimed?.id).toMatch(/^after-/);
        expect(await b.countByState()).toMatchObject({ processing: 1 });
      });
    });
  });
}
