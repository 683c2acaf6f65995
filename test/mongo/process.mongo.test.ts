/**
 * The built CLI and worker processes with their database on a MongoDB server: the seed's flow,
 * many workers sharing jobs, crash recovery, graceful stop, and a server that goes away.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/engine/open.js';
import { MONGO_URI, PrivateServer, canRunTestServer, freePort, until, warnSkipped } from './helpers.js';
import { type LogLine, MongoSandbox, type ServerTraits, type WorkerHandle, requireBuild, serverTraits } from './process-harness.js';

async function waitFor<T>(check: () => Promise<T> | T, what: string, ms = 20_000): Promise<T> {
  const v = await until(check, ms, 50);
  if (!v) throw new Error(`timed out waiting for ${what}`);
  return v;
}
const waitLog = (w: WorkerHandle, match: (l: LogLine) => boolean, what: string, ms = 20_000) =>
  waitFor(() => w.lines.find(match), `${w.id}: ${what} (stderr: ${w.stderr().slice(-400)})`, ms);
const started = (job: string) => (l: LogLine) => l.event === 'job_started' && l.job === job;

describe('queuectl with an unreachable MongoDB', () => {
  beforeAll(requireBuild);

  it('status fails within a few seconds with one masked line and exit 1', async () => {
    const box = new MongoSandbox('mongodb://127.0.0.1:1/unused');
    try {
      const port = await freePort();
      const t0 = Date.now();
      const r = box.cli(['status'], `mongodb://alice:TopSecret42@127.0.0.1:${port}/queuectl`);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`mongodb://alice:***@127.0.0.1:${port}/queuectl`);
      expect(r.stderr).not.toContain('TopSecret42');
    } finally {
      await box.cleanup();
    }
  });
});

if (!MONGO_URI) {
  warnSkipped('process tests');
  describe.skip('queuectl processes on MongoDB (set MONGO_URI to run)', () => {
    it('runs the seed flow, shares jobs, recovers and stops workers', () => {});
  });
} else {
  const serverUri = MONGO_URI;

  describe('queuectl processes on MongoDB', () => {
    let box: MongoSandbox;
    let traits: ServerTraits;
    beforeAll(async () => {
      requireBuild();
      traits = await serverTraits(serverUri);
    });
    afterEach(async () => {
      await box?.cleanup();
    });

    it("the seed's flow: job-ok completes, job-fail ends in the DLQ", async () => {
      box = await new MongoSandbox(serverUri).open();
      expect(box.cli(['enqueue', '{"id":"job-ok","command":"echo This will succeed"}']).code).toBe(0);
      expect(box.cli(['enqueue', '{"id":"job-fail","command":"exit 1"}']).code).toBe(0);
      // Retries 1 s apart rather than 2, 4, 8: the same path through failed to dead, sooner.
      expect(box.cli(['config', 'set', 'backoff_base', '1']).code).toBe(0);
      const dup = box.cli(['enqueue', '{"id":"job-ok","command":"true"}']);
      expect(dup.code).toBe(2);
      expect(dup.stderr).toMatch(/job-ok/);

      const start = box.cli(['worker', 'start', '--count', '1', '--json']);
      expect(start.code).toBe(0);
      const workers = JSON.parse(start.stdout) as { id: string; pid: number; log: string }[];
      box.detached.push(...workers.map((w) => w.pid));
      expect(workers).toHaveLength(1);

      await waitFor(() => JSON.parse(box.cli(['dlq', 'list', '--json']).stdout).length === 1, 'job-fail to reach the DLQ', 90_000);
      const completed = JSON.parse(box.cli(['list', '--state', 'completed', '--json']).stdout);
      expect(completed.map((j: { id: string }) => j.id)).toEqual(['job-ok']);
      const dead = JSON.parse(box.cli(['dlq', 'list', '--json']).stdout);
      expect(dead[0]).toMatchObject({ id: 'job-fail', state: 'dead', attempts: 4 });
      const status = JSON.parse(box.cli(['status', '--json']).stdout);
      expect(status.counts).toMatchObject({ pending: 0, processing: 0, completed: 1, failed: 0, dead: 1 });
      expect(status.db).toBe(box.uri);
      expect(status.workers.map((w: { id: string }) => w.id)).toEqual([workers[0].id]);
      const log = readFileSync(workers[0].log, 'utf8');
      expect(log).toContain('"event":"worker_started"');

      const stop = box.cli(['worker', 'stop']);
      expect(stop.code).toBe(0);
      expect(JSON.parse(box.cli(['worker', 'list', '--json']).stdout)).toEqual([]);
    });

    it('4 workers drain 400 jobs, each run exactly once', async (ctx) => {
      if (!traits.atomicClaims) {
        console.warn(`MongoDB drain case SKIPPED on ${traits.name}: its findAndModify is not atomic under concurrent claims.`);
        return ctx.skip();
      }
      box = await new MongoSandbox(serverUri).open();
      const ids = Array.from({ length: 400 }, (_, i) => `job-${i}`);
      await box.queue.enqueue(ids.map((id) => ({ id, command: `echo ${id} >> out.txt` })));
      const workers = [1, 2, 3, 4].map((n) => box.startWorker(`w-drain-${n}`));

      await waitFor(async () => (await box.queue.counts()).completed === 400, 'all 400 jobs to complete', 90_000);
      const lines = readFileSync(join(box.dir, 'out.txt'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(400);
      expect(new Set(lines)).toEqual(new Set(ids));
      expect(await box.queue.counts()).toMatchObject({ pending: 0, processing: 0, failed: 0, dead: 0, completed: 400 });
      const page = await box.queue.list({ state: 'completed', limit: 400 });
      expect(page.jobs.every((j) => j.attempts === 1)).toBe(true);
      expect(workers.filter((w) => w.lines.some((l) => l.event === 'job_started')).length).toBeGreaterThan(1);

      for (const w of workers) w.child.kill('SIGTERM');
      for (const w of workers) expect(await w.exited).toEqual({ code: 0, signal: null });
      expect(await box.queue.workers()).toEqual([]);
    });

    it('a job of a worker killed with SIGKILL is recovered as "worker lost" and completes on another', async () => {
      box = await new MongoSandbox(serverUri).open();
      await box.queue.setConfig('backoff_max_seconds', '0');
      // The first run lasts until it is ended (recovery ends the lost worker's command on this
      // host), however slowly worker b starts; the second, after the recovery, is quick.
      await box.queue.enqueue([{ id: 'victim', command: 'if [ -f runs.txt ]; then echo again >> runs.txt; else echo run >> runs.txt; sleep 600; fi' }]);
      const a = box.startWorker('w-a');
      await waitLog(a, started('victim'), 'the job to start');
      const b = box.startWorker('w-b');
      await waitLog(b, (l) => l.event === 'worker_started', 'worker b to start');

      a.child.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      await waitLog(b, (l) => l.event === 'job_recovered' && l.job === 'victim', 'the job to be recovered');
      await waitFor(async () => (await box.queue.get('victim')).state === 'completed', 'the job to complete');

      const { job, attempts } = await box.queue.show('victim');
      expect(job.attempts).toBe(2);
      expect(attempts.map((x) => [x.worker_id, x.outcome])).toEqual([
        ['w-a', 'worker_lost'],
        ['w-b', 'succeeded'],
      ]);
      expect(readFileSync(join(box.dir, 'runs.txt'), 'utf8')).toBe('run\nagain\n');
      // The lost worker's record goes in the recovery pass, which may end after worker b has
      // already claimed and finished the job it handed back.
      await waitFor(async () => (await box.queue.workers()).map((w) => w.id).join() === 'w-b', "the lost worker's record to be removed");
      b.child.kill('SIGTERM');
      await b.exited;
    });

    it('SIGTERM lets the running job finish, then the worker exits 0; a stop through the database reaches a worker', async () => {
      box = await new MongoSandbox(serverUri).open();
      await box.queue.enqueue([
        { id: 'long', command: 'sleep 0.7; echo finished', priority: 1 },
        { id: 'next', command: 'echo never' },
      ]);
      const w = box.startWorker('w-term');
      await waitLog(w, started('long'), 'the job to start');
      w.child.kill('SIGTERM');
      expect(await w.exited).toEqual({ code: 0, signal: null });
      expect(await box.queue.get('long')).toMatchObject({ state: 'completed', attempts: 1, output: 'finished\n' });
      expect((await box.queue.get('next')).state).toBe('pending');

      const remote = box.startWorker('w-remote');
      await waitLog(remote, (l) => l.event === 'worker_started', 'the worker to start');
      expect(await box.queue.requestStop(['w-remote'])).toBe(1);
      expect(await remote.exited).toEqual({ code: 0, signal: null });
      expect(await box.queue.workers()).toEqual([]);
    });
  });

  describe('a worker whose MongoDB server goes away', () => {
    let server: PrivateServer | null = null;
    let box: MongoSandbox | null = null;
    afterEach(async () => {
      await box?.cleanup();
      await server?.stop();
    });

    it('a worker started while the server is down waits for it, then runs jobs', async (ctx) => {
      if (!canRunTestServer()) {
        console.warn('MongoDB late-server case SKIPPED: Java 17 and Maven are needed to run scripts/mongo-test-server.');
        return ctx.skip();
      }
      requireBuild();
      server = new PrivateServer(await freePort());
      box = new MongoSandbox(server.uri);
      const w = box.startWorker('w-early');
      const waiting = await waitLog(w, (l) => l.event === 'database_unavailable', 'the worker to report the server unavailable', 30_000);
      expect(JSON.stringify(waiting)).toMatch(/cannot reach MongoDB/);
      expect(w.child.exitCode).toBeNull();

      await server.start();
      await box.open();
      await box.queue.enqueue([{ id: 'late', command: 'echo late' }]);
      await waitFor(async () => (await box!.queue.get('late')).state === 'completed', 'the worker to run a job once the server is up', 60_000);
      w.child.kill('SIGTERM');
      expect((await w.exited).code).toBe(0);
    });

    it('keeps running, and takes new jobs once the server is back', async (ctx) => {
      if (!canRunTestServer()) {
        console.warn('MongoDB server-restart case SKIPPED: Java 17 and Maven are needed to run scripts/mongo-test-server.');
        return ctx.skip();
      }
      requireBuild();
      server = new PrivateServer(await freePort());
      await server.start();
      box = await new MongoSandbox(server.uri).open();
      await box.queue.enqueue([{ id: 'first', command: 'echo one' }]);
      const w = box.startWorker('w-survivor');
      await waitFor(async () => (await box!.queue.get('first')).state === 'completed', 'the first job to complete');

      await server.stop();
      await waitLog(w, (l) => l.event === 'db_error', 'the worker to notice the server is gone', 30_000);
      expect(w.child.exitCode).toBeNull();
      expect(w.lines.filter((l) => l.event === 'db_error').every((l) => !JSON.stringify(l).includes('\\n'))).toBe(true);

      await server.start();
      // The in-memory server restarts empty: enqueue through a fresh connection once it answers.
      const q = await waitFor(() => openQueue(box!.uri, { cwd: box!.dir, connectTimeoutMs: 2000 }), 'the server to answer again');
      try {
        await q.enqueue([{ id: 'second', command: 'echo two' }]);
        await waitFor(async () => (await q.get('second')).state === 'completed', 'the worker to run a job after the restart', 30_000);
        expect((await q.get('second')).output).toBe('two\n');
      } finally {
        await q.close();
      }
      expect(w.child.exitCode).toBeNull();
      w.child.kill('SIGTERM');
      expect((await w.exited).code).toBe(0);
    });
  });
}
