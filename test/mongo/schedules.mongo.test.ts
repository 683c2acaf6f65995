import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.js';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { Queue } from '../../src/engine/queue.js';
import { MONGO_URI, dropDatabase, uniqueDbName, warnSkipped, withDatabase } from './helpers.js';

/**
 * Four processes' worth of connections (as four hosts would hold) firing the same schedules at
 * the same moments: every firing is enqueued once, and every advance happens once.
 */
if (MONGO_URI) {
  describe('schedules on MongoDB, fired through four connections at once', () => {
    const uri = withDatabase(MONGO_URI, uniqueDbName('queuectl_schedules'));
    const backends: Backend[] = [];
    const T0 = Date.UTC(2030, 0, 1);
    let now = T0;
    beforeAll(async () => {
      for (let i = 0; i < 4; i++) backends.push(await openMongoBackend(uri, { connectTimeoutMs: 10_000 }));
    });
    afterAll(async () => {
      for (const b of backends) await b.close();
      await dropDatabase(uri);
    });

    it('enqueues one job per firing, records one scheduled event per job, and skips overlaps once', async () => {
      const queues = backends.map((b) => new Queue(b, { now: () => now, cwd: '/tmp' }));
      await queues[0].schedules.add({ name: 'many', every_ms: 60_000, overlap: 'allow', job: { command: 'true' } });
      await queues[0].schedules.add({ name: 'solo', every_ms: 60_000, job: { command: 'true' } });
      for (let i = 1; i <= 6; i++) {
        now = T0 + i * 60_000 + 5;
        await Promise.all(queues.map((q, k) => q.schedules.fireDue(`host${k}`)));
      }
      const q = queues[0];
      const many = (await q.schedules.recentJobs('many', 100)).map((j) => j.id).sort();
      expect(many).toEqual([1, 2, 3, 4, 5, 6].map((i) => `many@${new Date(T0 + i * 60_000).toISOString().replace('.000Z', 'Z')}`));
      // The first firing of `solo` is pending all along: the five after it are skipped, each recorded once.
      expect(await q.schedules.recentJobs('solo', 100)).toHaveLength(1);
      const events = (await q.events({ limit: 10_000 })).events;
      expect(events.filter((e) => e.type === 'scheduled' && e.job_id?.startsWith('many@'))).toHaveLength(6);
      expect(events.filter((e) => e.type === 'schedule_skipped' && e.detail?.startsWith('schedule solo:'))).toHaveLength(5);
      expect((await q.schedules.get('many')).next_at).toBe(T0 + 7 * 60_000);
    });
  });
} else {
  warnSkipped('schedules on MongoDB');
  describe.skip('schedules on MongoDB (set MONGO_URI to run)', () => {
    it('fires each firing once through four connections', () => {});
  });
}
