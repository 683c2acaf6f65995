/**
 * What only MongoDB needs for dependencies: with no multi-document transaction, a dependency's
 * end and its dependents' release are two writes, so a process lost between them leaves
 * dependents waiting. The recovery pass's sweep, and purge, resolve them; dependents are found
 * through the `dependents` index, never by reading other jobs.
 */
import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.js';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { Queue } from '../../src/engine/queue.js';
import { Recovery } from '../../src/engine/recovery.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { localProbe } from '../../src/os/host.js';
import { MONGO_URI, dropDatabase, uniqueDbName, warnSkipped, withDatabase } from './helpers.js';

if (MONGO_URI) {
  describe('dependencies on MongoDB', () => {
    let uri: string;
    let backend: Backend;
    let raw: mongoose.Connection;
    let now = Date.UTC(2030, 0, 1);
    let q: Queue;

    beforeEach(async () => {
      uri = withDatabase(MONGO_URI, uniqueDbName('queuectl_deps'));
      backend = await openMongoBackend(uri, { connectTimeoutMs: 10_000 });
      raw = await mongoose.createConnection(uri).asPromise();
      now = Date.UTC(2030, 0, 1);
      q = new Queue(backend, { now: () => now, cwd: '/tmp' });
    });
    afterEach(async () => {
      await raw.close();
      await backend.close();
      await dropDatabase(uri);
    });

    /** A dependency ending as a process lost right after its write would leave it: dependents untouched. */
    const endBehindTheEnginesBack = (id: string, state: string) =>
      raw.collection('jobs').updateOne({ _id: id as never }, { $set: { state, finished_at: now, worker_id: null } });

    it('indexes the after ids of waiting jobs only', async () => {
      const indexes = await raw.collection('jobs').indexes();
      expect(indexes.find((i) => i.name === 'dependents')).toMatchObject({ key: { after: 1 } });
    });

    it('the recovery sweep releases or cancels dependents a lost process left waiting', async () => {
      await q.enqueue([
        { id: 'ok', command: 'true' },
        { id: 'bad', command: 'false' },
        { id: 'after-ok', command: 'true', after: ['ok'] },
        { id: 'after-bad', command: 'true', after: ['bad'] },
        { id: 'after-after-bad', command: 'true', after: ['after-bad'] },
      ]);
      await endBehindTheEnginesBack('ok', 'completed');
      await endBehindTheEnginesBack('bad', 'dead');
      const recovery = new Recovery(q, localProbe(), null);
      // Too young: a job still being inserted is its inserter's to check.
      await recovery.run(DEFAULT_CONFIG);
      expect((await q.get('after-ok')).state).toBe('waiting');
      now += 60_000;
      const fresh = new Recovery(q, localProbe(), null);
      await fresh.run(DEFAULT_CONFIG);
      expect((await q.get('after-ok')).state).toBe('pending');
      expect(await q.get('after-bad')).toMatchObject({ state: 'cancelled', last_error: 'dependency bad ended dead' });
      expect(await q.get('after-after-bad')).toMatchObject({ state: 'cancelled', last_error: 'dependency after-bad ended cancelled' });
      expect((await q.counts()).waiting).toBe(0);
    });

    it('purge resolves left-behind dependents first, so a completed dependency still counts as completed', async () => {
      await q.enqueue([
        { id: 'dep', command: 'true' },
        { id: 'next', command: 'true', after: ['dep'] },
      ]);
      await endBehindTheEnginesBack('dep', 'completed');
      now += 60_000;
      expect(await q.purge(['completed'], 0)).toBe(1);
      expect(await backend.getJob('dep')).toBeNull();
      expect((await q.get('next')).state).toBe('pending');
    });
  });
} else {
  warnSkipped('dependencies suite');
  describe.skip('dependencies on MongoDB (set MONGO_URI to run)', () => {
    it('sweeps left-behind dependents', () => {});
  });
}
