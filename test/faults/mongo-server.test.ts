/**
 * The MongoDB server frozen for longer than a lease (writes whose outcome the workers cannot
 * know), and restarted empty (the workers' records gone): no result is lost, no job runs twice,
 * counts stay exact, and every worker stays visible and stoppable.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MongoSandbox, requireBuild } from '../mongo/process-harness.js';
import { PrivateServer, canRunTestServer, freePort } from '../mongo/helpers.js';
import { waitFor } from '../worker/helpers.js';
import { guardedCommand, overlaps, runCounts } from './lib.js';

const runnable = canRunTestServer();

describe.skipIf(!runnable)('the MongoDB server under faults', () => {
  let server: PrivateServer;
  let sb: MongoSandbox | undefined;
  beforeAll(async () => {
    requireBuild();
    server = new PrivateServer(await freePort());
    await server.start();
  });
  afterAll(async () => server?.stop());
  afterEach(async () => {
    server.signal('SIGCONT');
    await sb?.cleanup();
    sb = undefined;
  });

  it('frozen longer than a lease: every result is kept, each job runs once, counts stay exact', async () => {
    sb = await new MongoSandbox(server.uri).open();
    await sb.queue.setConfig('lease_seconds', '3');
    const ids = Array.from({ length: 6 }, (_, i) => `j${i}`);
    await sb.queue.enqueue(ids.map((id) => ({ id, command: guardedCommand(sb!.dir, 1) })));
    const workers = [sb.startWorker('w-a'), sb.startWorker('w-b')];
    await waitFor(async () => (await sb!.queue.counts()).processing === 2, 'two running jobs', 20_000);
    server.signal('SIGSTOP');
    // Two and a half leases: the running commands finish while nothing can be written.
    await new Promise((r) => setTimeout(r, 7500));
    server.signal('SIGCONT');
    await waitFor(async () => (await sb!.queue.counts()).completed === ids.length, 'every job completed', 60_000, 200);
    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    for (const id of ids) expect((await sb.queue.show(id)).attempts.map((a) => a.outcome)).toEqual(['succeeded']);
    expect(await sb.queue.counts()).toEqual({ pending: 0, waiting: 0, processing: 0, completed: 6, failed: 0, dead: 0, cancelled: 0 });
    const lines = workers.flatMap((w) => w.lines);
    expect(lines.filter((l) => l.event === 'job_lost' || l.event === 'job_recovered')).toEqual([]);
  });

  it('restarted empty: running workers register again, and stop on request', async () => {
    sb = await new MongoSandbox(server.uri).open();
    await sb.queue.setConfig('lease_seconds', '2');
    const workers = [sb.startWorker('w-a'), sb.startWorker('w-b')];
    await waitFor(async () => (await sb!.queue.workers()).length === 2, 'two registered workers', 20_000);
    // Both done registering (a registration still being retried would only prove itself).
    await waitFor(() => workers.every((w) => w.lines.some((l) => l.event === 'worker_started')), 'both workers started', 20_000);
    await server.stop();
    await server.start();
    // The in-memory server lost everything; the workers' next heartbeats put their records back.
    await waitFor(async () => (await sb!.queue.workers()).length === 2, 'the workers registered again', 30_000, 200);
    await waitFor(() => workers.every((w) => w.lines.some((l) => l.event === 'worker_reregistered')), 'each worker saying it registered again').catch((e) => {
      throw new Error(`${e.message}; logs: ${JSON.stringify(workers.map((w) => w.lines.slice(-8)))}`);
    });
    expect(await sb.queue.requestStop()).toBe(2);
    for (const w of workers) expect((await w.exited).code).toBe(0);
  });
});
