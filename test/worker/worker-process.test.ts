import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, killQuietly, waitFor } from './helpers.js';
import { type LogLine, Sandbox, requireBuild } from './harness.js';

beforeAll(requireBuild);

let box: Sandbox;
afterEach(async () => {
  await box?.cleanup();
});

const started = (job: string) => (l: LogLine) => l.event === 'job_started' && l.job === job;

describe('worker processes', () => {
  it('4 workers drain 400 jobs, each run exactly once', async () => {
    box = await new Sandbox().open();
    const ids = Array.from({ length: 400 }, (_, i) => `job-${i}`);
    await box.queue.enqueue(ids.map((id) => ({ id, command: `echo ${id} >> out.txt` })));
    const workers = [1, 2, 3, 4].map((n) => box.startWorker(`w-drain-${n}`));

    await waitFor(async () => (await box.queue.counts()).completed === 400, 'all 400 jobs to complete', 60_000, 50);
    const lines = readFileSync(join(box.dir, 'out.txt'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(400);
    expect(new Set(lines)).toEqual(new Set(ids));
    const counts = await box.queue.counts();
    expect(counts).toMatchObject({ pending: 0, processing: 0, failed: 0, dead: 0, completed: 400 });
    const page = await box.queue.list({ state: 'completed', limit: 400 });
    expect(page.jobs.every((j) => j.attempts === 1)).toBe(true);
    // The work was shared out.
    const busy = workers.filter((w) => w.lines.some((l) => l.event === 'job_finished'));
    expect(busy.length).toBeGreaterThan(1);

    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(await box.queue.workers()).toEqual([]);
  });

  it('a job of a worker killed with SIGKILL is recovered as "worker lost", its orphaned command ended, and completes on another worker', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('backoff_max_seconds', '0');
    await box.queue.enqueue([{ id: 'victim', command: 'echo run >> runs.txt; sleep 3; echo done >> runs.txt' }]);
    const a = box.startWorker('w-a');
    await a.waitLog(started('victim'), 'the job to start');
    const orphan = await waitFor(async () => (await box.queue.get('victim')).command_pid, 'the command pid to be recorded');
    expect(isAlive(orphan)).toBe(true);
    const b = box.startWorker('w-b');
    await b.waitLog((l) => l.event === 'worker_started', 'worker b to start');

    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    await b.waitLog((l) => l.event === 'job_recovered' && l.job === 'victim', 'the job to be recovered');
    // The killed worker's command does not go on running beside the retry.
    await waitFor(() => !isAlive(orphan), 'the orphaned command to be ended', 5_000);
    await waitFor(async () => (await box.queue.get('victim')).state === 'completed', 'the job to complete', 15_000);

    const { job, attempts } = await box.queue.show('victim');
    expect(job).toMatchObject({ attempts: 2, command_pid: null });
    expect(attempts.map((x) => [x.worker_id, x.outcome])).toEqual([
      ['w-a', 'worker_lost'],
      ['w-b', 'succeeded'],
    ]);
    expect(readFileSync(join(box.dir, 'runs.txt'), 'utf8')).toBe('run\nrun\ndone\n');
    // The dead worker's record is gone with it.
    expect((await box.queue.workers()).map((w) => w.id)).toEqual(['w-b']);
  });

  it('SIGTERM lets the running job finish, then the worker deregisters and exits 0', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([
      { id: 'long', command: 'sleep 0.7; echo finished', priority: 1 },
      { id: 'next', command: 'echo never' },
    ]);
    const w = box.startWorker('w-term');
    await w.waitLog(started('long'), 'the job to start');
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });

    const job = await box.queue.get('long');
    expect(job).toMatchObject({ state: 'completed', attempts: 1, output: 'finished\n' });
    // Stopping means claiming nothing more.
    expect((await box.queue.get('next')).state).toBe('pending');
    expect(await box.queue.workers()).toEqual([]);
  });

  it('SIGTERM to the whole process group (as a service manager sends it) lets the job its launcher started finish', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([{ id: 'long', command: 'sleep 0.7; echo "started by $(cat /proc/$PPID/comm)"' }]);
    // setsid: a process group of its own (the worker and its launcher), as a service would have.
    const w = box.startWorker('w-group', [], { wrap: ['setsid'] });
    await w.waitLog(started('long'), 'the job to start');
    process.kill(-w.pid, 'SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    const job = await box.queue.get('long');
    // comm holds 15 characters of the name.
    expect(job).toMatchObject({ state: 'completed', attempts: 1, output: 'started by queuectl-launch\n' });
    expect(w.lines.some((l) => l.event === 'launcher_unavailable')).toBe(false);
  });

  it('a job still running when the shutdown timeout ends is stopped and returned to pending, uncounted', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('shutdown_timeout_seconds', '0.3');
    await box.queue.enqueue([{ id: 'slow', command: 'sleep 30 & echo $! > child.pid; wait' }]);
    const w = box.startWorker('w-timeout');
    await w.waitLog(started('slow'), 'the job to start');
    const childPid = Number(await waitFor(() => existsSync(join(box.dir, 'child.pid')) && readFileSync(join(box.dir, 'child.pid'), 'utf8').trim(), 'the job to write its pid'));
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });

    const { job, attempts } = await box.queue.show('slow');
    expect(job).toMatchObject({ state: 'pending', attempts: 0, worker_id: null, last_outcome: 'interrupted' });
    expect(attempts.map((x) => x.outcome)).toEqual(['interrupted']);
    expect(w.lines.some((l) => l.event === 'shutdown_timeout')).toBe(true);
    await waitFor(() => !isAlive(childPid), 'the job process group to be killed', 5000);
    killQuietly(childPid);
  });

  it('a second signal stops at once and still returns the job to the queue', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([{ id: 'stuck', command: 'sleep 30' }]);
    const w = box.startWorker('w-twice');
    await w.waitLog(started('stuck'), 'the job to start');
    w.child.kill('SIGTERM');
    await w.waitLog((l) => l.event === 'worker_stopping', 'the graceful stop to begin');
    w.child.kill('SIGINT');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(await box.queue.get('stuck')).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('a stop requested through the database reaches the worker', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('lease_seconds', '1');
    const w = box.startWorker('w-remote');
    await w.waitLog((l) => l.event === 'worker_started', 'the worker to start');
    expect(await box.queue.requestStop(['w-remote'])).toBe(1);
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(w.lines.find((l) => l.event === 'worker_stopping')).toMatchObject({ reason: 'stop requested through the database' });
    expect(await box.queue.workers()).toEqual([]);
  });

  it('a forced stop through the database interrupts the running job and returns it to the queue', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('lease_seconds', '1');
    await box.queue.enqueue([{ id: 'long-remote', command: 'sleep 30' }]);
    const w = box.startWorker('w-remote-force');
    await w.waitLog(started('long-remote'), 'the job to start');
    expect(await box.queue.requestStop(['w-remote-force'], true)).toBe(1);
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(w.lines.find((l) => l.event === 'worker_stopping')).toMatchObject({ mode: 'now', reason: 'forced stop requested through the database' });
    expect(await box.queue.get('long-remote')).toMatchObject({ state: 'pending', attempts: 0, last_outcome: 'interrupted' });
  });

  it('reports its state and current job in its heartbeat', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([{ id: 'seen', command: 'sleep 1' }]);
    const w = box.startWorker('w-beat', ['--queue', 'default']);
    const rec = await waitFor(async () => (await box.queue.workers()).find((x) => x.state === 'busy'), 'the worker to report busy');
    expect(rec).toMatchObject({ id: 'w-beat', pid: w.pid, queue: 'default', current_job_id: 'seen' });
    await waitFor(async () => (await box.queue.workers()).find((x) => x.state === 'idle' && x.jobs_done === 1), 'the worker to report idle again');
    w.child.kill('SIGTERM');
    await w.exited;
  });
});
