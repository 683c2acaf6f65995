// Several workers in one process (`worker start --per-process`, `--foreground --count`): each
// runs its own job at a time with its own lease and record; a stop signal stops them all, a stop
// asked for one stops that one alone, and a process that dies takes all its jobs back to the queue.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWorkers, stopOneWorker, stopWorkers } from '../../src/worker/supervisor.js';
import { isAlive, waitFor } from './helpers.js';
import { type LogLine, Sandbox, cleanUpEachTest } from './harness.js';

let box: Sandbox;
const pids: number[] = [];
cleanUpEachTest(() => box, pids);

/**
 * A job that records its start, then waits for `go` (a file in the sandbox) and records its end.
 * It also ends when the sandbox is gone: a test that fails must not leave it polling forever.
 */
function gated(id: string, go = 'go') {
  return { id, command: `echo "start $QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT" >> runs; while [ ! -e ${go} ] && [ -e runs ]; do sleep 0.02; done; echo "end $QUEUECTL_JOB_ID" >> runs` };
}

const runsOf = (dir: string) => (existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8').trim().split('\n') : []);
const started = (job: string) => (l: LogLine) => l.event === 'job_started' && l.job === job;

describe('several workers in one process', () => {
  it('the supervisor shares processes among workers, and each runs its own job at the same time', async () => {
    box = await new Sandbox().open();
    const workers = await startWorkers({ db: box.db, count: 3, perProcess: 2, queue: null });
    pids.push(...workers.map((w) => w.pid));
    expect(workers).toHaveLength(3);
    const procs = [...new Set(workers.map((w) => w.pid))];
    expect(procs).toHaveLength(2);
    expect(workers[0].pid).toBe(workers[1].pid);
    // A process's log is named after its first worker and holds the lines of all of them.
    expect(workers[1].log).toBe(workers[0].log);
    expect(workers[2].log).toBe(join(box.dir, 'logs', `${workers[2].id}.log`));
    const registered = await box.queue.workers();
    for (const w of workers) expect(registered.find((r) => r.id === w.id)?.pid).toBe(w.pid);

    await box.queue.enqueue([gated('a'), gated('b'), gated('c')]);
    // All three run at once, two of them in the shared process.
    const busy = await waitFor(async () => {
      const ws = await box.queue.workers();
      return ws.filter((w) => w.current_job_id !== null).length === 3 && ws;
    }, 'three jobs running at once');
    expect(busy.filter((w) => w.pid === workers[0].pid).map((w) => w.current_job_id).sort()).toHaveLength(2);
    writeFileSync(join(box.dir, 'go'), '');
    await waitFor(async () => (await box.queue.counts()).completed === 3, 'the jobs to complete');
    expect(runsOf(box.dir).filter((l) => l.startsWith('start')).sort()).toEqual(['start a 1', 'start b 1', 'start c 1']);

    const report = await stopWorkers(box.queue, { timeoutMs: 15_000, force: false });
    expect(report.stopped.sort()).toEqual(workers.map((w) => w.id).sort());
    for (const pid of procs) await waitFor(() => !isAlive(pid), `process ${pid} to exit`);
    const log = readFileSync(workers[0].log, 'utf8');
    for (const id of [workers[0].id, workers[1].id]) expect(log).toContain(`"event":"worker_stopped","worker":"${id}"`);
  });

  it('SIGTERM lets every worker of the process finish its job, then the process exits 0', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([gated('one'), gated('two')]);
    const w = box.startWorker('w-one', ['--id', 'w-two']);
    await w.waitLog(started('one'), 'job one to start');
    await w.waitLog(started('two'), 'job two to start');
    w.child.kill('SIGTERM');
    await w.waitLog((l) => l.event === 'worker_stopping' && l.worker === 'w-one', 'w-one to begin stopping');
    await w.waitLog((l) => l.event === 'worker_stopping' && l.worker === 'w-two', 'w-two to begin stopping');
    // Both still hold their jobs: nothing is claimed or cut short while they finish.
    expect((await box.queue.counts()).processing).toBe(2);
    writeFileSync(join(box.dir, 'go'), '');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    for (const id of ['one', 'two']) expect(await box.queue.get(id)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(await box.queue.workers()).toEqual([]);
  });

  it('a stop asked for one worker stops that one alone, promptly; its sibling goes on taking jobs', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('lease_seconds', '60');
    await box.queue.enqueue([gated('mine', 'go-mine'), gated('other', 'go-other')]);
    const w = box.startWorker('w-keep', ['--id', 'w-stop']);
    await w.waitLog(started('mine'), 'job mine to start');
    await w.waitLog(started('other'), 'job other to start');
    const held = Object.fromEntries(await Promise.all(['mine', 'other'].map(async (j) => [(await box.queue.get(j)).worker_id!, j])));

    // Just after one of w-stop's heartbeats, the next is 5 s away (a lease of 60 s): a stop seen
    // within 2.5 s was seen because the process was told to look, not at a heartbeat.
    const beatOf = async () => (await box.queue.workers()).find((r) => r.id === 'w-stop')!.heartbeat_at;
    await waitFor(async () => (await box.queue.workers()).every((r) => r.state === 'busy'), 'both workers to report busy');
    const before = await beatOf();
    await waitFor(async () => (await beatOf()) !== before, 'a heartbeat of w-stop', 10_000, 5);
    const report = await stopOneWorker(box.queue, 'w-stop');
    expect(report.requested).toEqual(['w-stop']);
    await w.waitLog((l) => l.event === 'worker_stopping' && l.worker === 'w-stop', 'w-stop to begin stopping, well before its next heartbeat', 2_500);
    expect(w.lines.filter((l) => l.event === 'worker_stopping').map((l) => l.worker)).toEqual(['w-stop']);
    // It finishes the job it holds, then goes; the process and the other worker stay.
    writeFileSync(join(box.dir, held['w-stop'] === 'mine' ? 'go-mine' : 'go-other'), '');
    await w.waitLog((l) => l.event === 'worker_stopped' && l.worker === 'w-stop', 'w-stop to stop');
    expect(isAlive(w.pid)).toBe(true);
    expect((await box.queue.workers()).map((r) => r.id)).toEqual(['w-keep']);
    expect(await box.queue.get(held['w-stop']!)).toMatchObject({ state: 'completed' });

    writeFileSync(join(box.dir, held['w-keep'] === 'mine' ? 'go-mine' : 'go-other'), '');
    await box.queue.enqueue([{ id: 'next', command: 'true' }]);
    await waitFor(async () => (await box.queue.get('next')).state === 'completed', 'the remaining worker to run the next job');
    expect(w.lines.find(started('next'))?.worker).toBe('w-keep');
    expect(w.child.exitCode).toBeNull();

    const last = await stopOneWorker(box.queue, 'w-keep', { timeoutMs: 15_000 });
    expect(last.stopped).toEqual(['w-keep']);
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });

  it('a forced stop of one worker returns its job to the queue and leaves its sibling\'s job running', { timeout: 40_000 }, async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('lease_seconds', '60');
    await box.queue.enqueue([gated('cut'), gated('kept', 'go-kept')]);
    const w = box.startWorker('w-cut', ['--id', 'w-kept']);
    await w.waitLog(started('cut'), 'job cut to start');
    await w.waitLog(started('kept'), 'job kept to start');
    const victim = (await box.queue.get('cut')).worker_id!;

    const report = await stopWorkers(box.queue, { ids: [victim], timeoutMs: 15_000, force: true });
    expect(report.stopped).toEqual([victim]);
    expect(await box.queue.get('cut')).toMatchObject({ state: 'pending', attempts: 0, last_outcome: 'interrupted' });
    expect(await box.queue.get('kept')).toMatchObject({ state: 'processing' });
    // A forced stop arms the process's exit for when the stop hangs (10 s): it must wait for the
    // last worker, or the sibling's job would be cut short. Absence over time has to be waited out.
    await new Promise((r) => setTimeout(r, 11_000));
    expect(isAlive(w.pid)).toBe(true);
    expect(await box.queue.get('kept')).toMatchObject({ state: 'processing', attempts: 1 });
    // The surviving worker finishes its job, then runs the returned one.
    writeFileSync(join(box.dir, 'go-kept'), '');
    writeFileSync(join(box.dir, 'go'), '');
    await waitFor(async () => (await box.queue.counts()).completed === 2, 'both jobs to complete');
    expect(await box.queue.get('cut')).toMatchObject({ state: 'completed', attempts: 1 });
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });

  it('a process killed outright loses all its jobs to the queue, and their commands are ended before they run again', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('lease_seconds', '2');
    await box.queue.enqueue([gated('x'), gated('y')]);
    const w = box.startWorker('w-x', ['--id', 'w-y']);
    await w.waitLog(started('x'), 'job x to start');
    await w.waitLog(started('y'), 'job y to start');
    await waitFor(async () => (await box.queue.get('x')).command_pid !== null && (await box.queue.get('y')).command_pid !== null, 'the command pids to be recorded');
    const commands = [(await box.queue.get('x')).command_pid!, (await box.queue.get('y')).command_pid!];
    w.child.kill('SIGKILL');
    await w.exited;
    // The commands live on in their own process groups until a worker recovers their jobs.
    for (const pid of commands) expect(isAlive(pid)).toBe(true);

    const rescuer = box.startWorker('w-rescue', ['--id', 'w-rescue-2']);
    await waitFor(async () => (await box.queue.get('x')).attempts === 2 && (await box.queue.get('y')).attempts === 2, 'both jobs to run again', 20_000);
    for (const pid of commands) expect(isAlive(pid)).toBe(false);
    writeFileSync(join(box.dir, 'go'), '');
    await waitFor(async () => (await box.queue.counts()).completed === 2, 'both jobs to complete');
    // The first attempts never reached their end: they were ended, not left to run beside the second.
    const runs = runsOf(box.dir);
    expect(runs.filter((l) => l.startsWith('end')).sort()).toEqual(['end x', 'end y']);
    expect(runs.filter((l) => l.startsWith('start')).sort()).toEqual(['start x 1', 'start x 2', 'start y 1', 'start y 2']);
    expect(rescuer.lines.filter((l) => l.event === 'job_recovered').map((l) => l.job).sort()).toEqual(['x', 'y']);
    rescuer.child.kill('SIGTERM');
    await rescuer.exited;
  });
});

describe('worker start with several workers per process (CLI)', () => {
  const cli = resolve(import.meta.dirname, '../../dist/cli.js');
  const run = (args: string[], db: string) => spawnSync(process.execPath, [cli, ...args, '--db', db], { encoding: 'utf8', timeout: 30_000 });

  it('rejects a bad --per-process, and --per-process with --foreground, with one line and exit 2', async () => {
    box = await new Sandbox().open();
    for (const args of [['--per-process', '0'], ['--per-process', 'two'], ['--foreground', '--per-process', '2'], ['--foreground', '--count', '2', '--id', 'w-x']]) {
      const r = run(['worker', 'start', ...args], box.db);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(await box.queue.workers()).toEqual([]);
  });

  it('--foreground --count runs that many workers in the terminal\'s process', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([gated('f1'), gated('f2')]);
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [cli, 'worker', 'start', '--foreground', '--count', '2', '--db', box.db], { stdio: ['ignore', 'pipe', 'inherit'], cwd: box.dir });
    pids.push(child.pid!);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await waitFor(async () => (await box.queue.counts()).processing === 2, 'two jobs running in the one process');
    const ws = await box.queue.workers();
    expect(ws.map((x) => x.pid)).toEqual([child.pid, child.pid]);
    writeFileSync(join(box.dir, 'go'), '');
    await waitFor(async () => (await box.queue.counts()).completed === 2, 'the jobs to complete');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as LogLine);
    expect(new Set(lines.filter((l) => l.event === 'worker_stopped').map((l) => l.worker))).toEqual(new Set(ws.map((x) => x.id)));
  });

  it('worker stop names each worker of a shared process, and stops the process once all are asked', async () => {
    box = await new Sandbox().open();
    const r = run(['worker', 'start', '--count', '2', '--per-process', '2', '--json'], box.db);
    expect(r.status, r.stderr).toBe(0);
    const ws = JSON.parse(r.stdout) as Array<{ id: string; pid: number }>;
    pids.push(ws[0].pid);
    expect(ws[0].pid).toBe(ws[1].pid);
    const stop = run(['worker', 'stop', ws[0].id, ws[1].id, '--json'], box.db);
    expect(stop.status, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ stopped: expect.arrayContaining([ws[0].id, ws[1].id]), still_running: [] });
    await waitFor(() => !isAlive(ws[0].pid), 'the process to exit');
  });
});
