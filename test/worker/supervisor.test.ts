import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError, UserError } from '../../src/engine/errors.js';
import { WORKER_NODE_OPTIONS, WorkerStartError, startWorkers, stopOneWorker, stopWorkers } from '../../src/worker/supervisor.js';
import { isAlive, waitFor } from './helpers.js';
import { Sandbox, cleanUpEachTest } from './harness.js';

let box: Sandbox;
const pids: number[] = [];
cleanUpEachTest(() => box, pids);

describe('supervisor', () => {
  it('starts detached workers that register and log to files, and stops them all', async () => {
    box = await new Sandbox().open();
    const started = await startWorkers({ db: box.db, count: 2, queue: null });
    pids.push(...started.map((w) => w.pid));
    expect(started).toHaveLength(2);
    const registered = await box.queue.workers();
    expect(registered.map((w) => w.id).sort()).toEqual(started.map((w) => w.id).sort());
    for (const w of started) {
      expect(w.log).toBe(join(box.dir, 'logs', `${w.id}.log`));
      expect(isAlive(w.pid)).toBe(true);
      expect(registered.find((r) => r.id === w.id)?.pid).toBe(w.pid);
    }

    await box.queue.enqueue([{ id: 'via-supervised', command: 'echo hi' }]);
    await waitFor(async () => (await box.queue.get('via-supervised')).state === 'completed', 'the job to run');

    const progress: number[] = [];
    const report = await stopWorkers(box.queue, { timeoutMs: 15_000, force: false, onProgress: (n) => progress.push(n) });
    expect(report.requested.sort()).toEqual(started.map((w) => w.id).sort());
    expect(report.stopped.sort()).toEqual(report.requested);
    expect(report.stillRunning).toEqual([]);
    expect(progress.at(-1)).toBe(0);
    for (const w of started) await waitFor(() => !isAlive(w.pid), `worker ${w.id} to exit`);
    const logged = started.map((w) => readFileSync(w.log, 'utf8')).join('');
    expect(logged).toContain('"event":"worker_stopped"');
    expect(logged).toContain('"job":"via-supervised"');
  });

  it('starts workers with the node options that keep them small', async () => {
    box = await new Sandbox().open();
    const [w] = await startWorkers({ db: box.db, count: 1, queue: null });
    pids.push(w.pid);
    const argv = readFileSync(`/proc/${w.pid}/cmdline`, 'utf8').split('\0');
    for (const flag of WORKER_NODE_OPTIONS) expect(argv.indexOf(flag)).toBeGreaterThan(0);
    expect(argv.indexOf(WORKER_NODE_OPTIONS[0])).toBeLessThan(argv.findIndex((a) => a.endsWith('main.js')));
  });

  it('serves one queue when asked, and the log directory can be chosen', async () => {
    box = await new Sandbox().open();
    const logDir = join(box.dir, 'elsewhere');
    const [w] = await startWorkers({ db: box.db, count: 1, queue: 'mail', logDir });
    pids.push(w.pid);
    expect(w.log).toBe(join(logDir, `${w.id}.log`));
    expect((await box.queue.workers())[0].queue).toBe('mail');
  });

  it('reports a worker that exits before registering, with the reason from its log', async () => {
    box = await new Sandbox().open();
    const saved = process.env.NODE_OPTIONS;
    // Node itself refuses to start the worker.
    process.env.NODE_OPTIONS = '--no-such-node-flag';
    let err: unknown;
    try {
      err = await startWorkers({ db: box.db, count: 1, queue: null }).catch((e) => e);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    expect(err).toBeInstanceOf(WorkerStartError);
    const message = (err as Error).message;
    expect(message).toMatch(/^worker w-[0-9a-f]+ exited \(exit code \d+\): .*--no-such-node-flag.* \(see .*\.log\)$/);
    expect(message).not.toContain('\n');
    expect((err as WorkerStartError).started).toEqual([]);
    expect(await box.queue.workers()).toEqual([]);
  });

  it('starts nothing when the database cannot be opened', async () => {
    box = await new Sandbox().open();
    const notADir = join(box.dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const logDir = join(box.dir, 'logs');
    const err = await startWorkers({ db: join(notADir, 'queue.db'), count: 2, queue: null, logDir }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toContain('plain-file');
    expect(existsSync(logDir)).toBe(false);
  });

  it('a forced stop interrupts the running job and returns it to the queue', async () => {
    box = await new Sandbox().open();
    const [w] = await startWorkers({ db: box.db, count: 1, queue: null });
    pids.push(w.pid);
    await box.queue.enqueue([{ id: 'endless', command: 'sleep 30' }]);
    await waitFor(async () => (await box.queue.get('endless')).state === 'processing', 'the job to start');

    const report = await stopWorkers(box.queue, { timeoutMs: 15_000, force: true });
    expect(report).toEqual({ requested: [w.id], stopped: [w.id], stillRunning: [] });
    expect(await box.queue.get('endless')).toMatchObject({ state: 'pending', attempts: 0, last_outcome: 'interrupted' });
  });

  it('reports workers still running when the wait ends, and rejects unknown ids', async () => {
    box = await new Sandbox().open();
    const [w] = await startWorkers({ db: box.db, count: 1, queue: null });
    pids.push(w.pid);
    await box.queue.enqueue([{ id: 'busy', command: 'sleep 2' }]);
    await waitFor(async () => (await box.queue.get('busy')).state === 'processing', 'the job to start');

    await expect(stopWorkers(box.queue, { ids: ['w-nobody'], timeoutMs: 0, force: false })).rejects.toBeInstanceOf(UserError);
    const report = await stopOneWorker(box.queue, w.id);
    expect(report).toEqual({ requested: [w.id], stopped: [], stillRunning: [w.id] });
    // Gracefully: the job finishes, then the worker goes.
    await waitFor(() => !isAlive(w.pid), 'the worker to exit', 15_000);
    expect((await box.queue.get('busy')).state).toBe('completed');
  });

  it('runs a worker in the foreground of the calling process', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([{ id: 'fg', command: 'echo front' }]);
    // The built CLI's `worker start --foreground` is runForeground in a process of its own.
    const cli = resolve(import.meta.dirname, '../../dist/cli.js');
    const child = spawn(process.execPath, [cli, 'worker', 'start', '--foreground', '--id', 'w-fg', '--db', box.db], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await waitFor(() => out.includes('"event":"job_finished"'), 'the job to run in the foreground worker');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const events = out.trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toEqual(['worker_started', 'job_started', 'job_finished', 'worker_stopping', 'worker_stopped']);
    expect(existsSync(join(box.dir, 'logs'))).toBe(false);
  });
});
