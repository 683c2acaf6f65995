/**
 * What only the MongoDB adapter needs for unique keys and queue limits: the key and the slot are
 * taken by writes of their own before the job, so a process that dies between the two must not
 * block the key or hold the slot for longer than a bounded time.
 */
import mongoose from 'mongoose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.js';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { IN_FLIGHT_MS } from '../../src/engine/backends/mongo/unique.js';
import { Queue } from '../../src/engine/queue.js';
import { MONGO_URI, dropDatabase, uniqueDbName, warnSkipped, withDatabase } from './helpers.js';

const T0 = Date.UTC(2030, 0, 1);

if (MONGO_URI) {
  describe('MongoDB unique keys and queue slots', () => {
    let uri: string;
    let backend: Backend;
    let conn: mongoose.Connection;
    let now = T0;
    let q: Queue;

    const open = async () => {
      now = T0;
      uri = withDatabase(MONGO_URI, uniqueDbName('queuectl_limits'));
      backend = await openMongoBackend(uri, { connectTimeoutMs: 10_000 });
      conn = await mongoose.createConnection(uri).asPromise();
      q = new Queue(backend, { now: () => now, cwd: '/tmp' });
    };
    afterEach(async () => {
      await backend.close();
      await conn.close(true);
      await dropDatabase(uri);
    });

    it('a key taken by an enqueuer that died before inserting its job is free again after the in-flight time', async () => {
      await open();
      // What the dead enqueuer left: the lock, and no job.
      await conn.db!.collection('unique_locks').insertOne({ _id: 'k' as never, job_id: 'never-came', until: null, at: now });
      expect((await q.submit([{ id: 'a', command: 'true', unique_key: 'k' }]))[0]).toMatchObject({ deduplicated: true, id: 'never-came', job: null });
      now += IN_FLIGHT_MS;
      expect((await q.submit([{ id: 'a', command: 'true', unique_key: 'k' }]))[0]).toMatchObject({ deduplicated: false, id: 'a' });
      expect(await conn.db!.collection('unique_locks').findOne({ _id: 'k' as never })).toMatchObject({ job_id: 'a' });
    });

    it('a slot taken by a claimer that died before claiming is free again when its lease ends', async () => {
      await open();
      await q.enqueue([{ id: 'a', command: 'true', queue: 'lim' }]);
      await q.setQueueLimits('lim', { concurrency: 1 });
      // What the dead claimer left: the one slot, held under a token no job carries.
      await conn.db!.collection('queue_slots').updateOne({ _id: 'lim/0' as never }, { $set: { token: 'dead-claim', expires_at: now + 30_000 } });
      expect(await q.claim('w', 'lim', 30_000)).toBeNull();
      now += 30_000;
      const job = (await q.claim('w', 'lim', 30_000))!;
      expect(job.id).toBe('a');
      expect(await conn.db!.collection('queue_slots').findOne({ _id: 'lim/0' as never })).toMatchObject({ token: job.claim_token, expires_at: now + 30_000 });
      // The lease renewal carries the slot with it; the settle gives it back.
      expect(await q.extendLease(job, 'w', 90_000)).toBe(true);
      expect(await conn.db!.collection('queue_slots').findOne({ _id: 'lim/0' as never })).toMatchObject({ expires_at: now + 90_000 });
      await q.settle(job, 'w', { outcome: 'succeeded', exit_code: 0, signal: null, error: null, output: '', output_bytes: 0, finished_at: now }, await q.config());
      expect(await conn.db!.collection('queue_slots').findOne({ _id: 'lim/0' as never })).toMatchObject({ token: null });
    });
  });
} else {
  warnSkipped('limits tests');
  describe.skip('MongoDB unique keys and queue slots (set MONGO_URI to run)', () => {
    it('runs against MongoDB', () => {});
  });
}
