import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, cli, cliJson, requireBuild, sandbox, spawnCli, waitFor } from './helpers.js';

/** Real detached workers started through the CLI; every test stops them, forcefully if need be. */

let sb: Sandbox;
beforeAll(requireBuild);
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => {
  const r = cli(sb, ['worker', 'stop', '--force', '--timeout', '15s']);
  const left = cliJson<unknown[]>(sb, ['worker', 'list']);
  sb.cleanup();
  expect(r.code, r.stderr).toBe(0);
  expect(left).toEqual([]);
});

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

type JobJson = { id: string; state: string; attempts: number; history?: Array<{ result: string }> };

describe('the manual flow, as the README gives it', () => {
  it('job-ok completes and job-fail lands in the DLQ after its retries', async () => {
    // Backoff base 1 keeps the three retries to about a second each (the default, 2, takes 2+4+8 s).
    expect(cli(sb, ['config', 'set', 'backoff_base', '1']).code).toBe(0);
    expect(cli(sb, ['enqueue', '{"id":"job-ok","command":"echo This will succeed"}']).stdout).toBe('enqueued job-ok\n');
    expect(cli(sb, ['enqueue', '{"id":"job-fail","command":"exit 1"}']).stdout).toBe('enqueued job-fail\n');

    const started = cli(sb, ['worker', 'start', '--count', '1']);
    expect(started.code, started.stderr).toBe(0);
    const m = /^started worker (\S+) \(pid (\d+)\), log: (\S+)\n$/.exec(started.stdout);
    expect(m, started.stdout).not.toBeNull();
    const pid = Number(m![2]);
    expect(alive(pid)).toBe(true);
    // The log holds every command and error: private, like the database.
    expect(statSync(m![3]).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(m![3])).mode & 0o777).toBe(0o700);

    await waitFor('job-ok to complete', () => (cliJson<JobJson[]>(sb, ['list', '--state', 'completed']).some((j) => j.id === 'job-ok') ? true : undefined));
    const completed = cli(sb, ['list', '--state', 'completed']);
    expect(completed.stdout).toMatch(/job-ok\s+completed\s+1\/4\s+0\s+echo This will succeed/);
    expect(cli(sb, ['logs', 'job-ok']).stdout).toBe('This will succeed\n');

    await waitFor('job-fail to reach the DLQ', () => (cliJson<JobJson[]>(sb, ['dlq', 'list']).some((j) => j.id === 'job-fail') ? true : undefined), 30_000);
    expect(cli(sb, ['dlq', 'list']).stdout).toMatch(/job-fail\s+4\/4\s+exit 1\s+(now|\S+ ago)\s+exit code 1/);
    const fail = cliJson<JobJson>(sb, ['show', 'job-fail']);
    expect(fail).toMatchObject({ state: 'dead', attempts: 4 });
    expect(fail.history!.map((a) => a.result)).toEqual(['exit 1', 'exit 1', 'exit 1', 'exit 1']);

    const status = cliJson(sb, ['status']);
    expect(status.counts).toMatchObject({ pending: 0, processing: 0, completed: 1, failed: 0, dead: 1 });
    expect(status.workers).toEqual([expect.objectContaining({ id: m![1], pid, state: 'idle', jobs_done: 1, stale: false })]);

    const stop = cli(sb, ['worker', 'stop']);
    expect(stop).toMatchObject({ code: 0, stdout: 'stopped 1 worker\n' });
    await waitFor('the worker process to exit', () => (alive(pid) ? undefined : true));
    expect(cliJson(sb, ['worker', 'list'])).toEqual([]);
  });
});

describe('worker start, list and stop', () => {
  it('starts several workers, lists them, and stops them all', async () => {
    const started = cliJson<Array<{ id: string; pid: number; log: string }>>(sb, ['worker', 'start', '--count', '2']);
    expect(started).toHaveLength(2);
    const listed = cliJson<Array<{ id: string; pid: number; state: string; stale: boolean }>>(sb, ['worker', 'list']);
    expect(listed.map((w) => w.id).sort()).toEqual(started.map((w) => w.id).sort());
    expect(listed.every((w) => !w.stale && w.state === 'idle')).toBe(true);
    const table = cli(sb, ['worker', 'list']).stdout;
    for (const w of started) expect(table).toMatch(new RegExp(`${w.id}\\s+${w.pid}\\s+\\S+\\s+\\*\\s+idle\\s+-\\s+0\\s+0`));

    const stop = cliJson(sb, ['worker', 'stop']);
    expect(stop.still_running).toEqual([]);
    expect([...stop.stopped].sort()).toEqual(started.map((w) => w.id).sort());
    for (const w of started) await waitFor(`worker ${w.id} to exit`, () => (alive(w.pid) ? undefined : true));
  });

  it('reports workers that outlast --timeout with exit 1, and --force returns their job to the queue', async () => {
    cli(sb, ['enqueue', '{"id":"long","command":"sleep 30"}']);
    const [w] = cliJson<Array<{ id: string; pid: number }>>(sb, ['worker', 'start']);
    await waitFor('the job to start', () => (cliJson<JobJson>(sb, ['show', 'long']).state === 'processing' ? true : undefined));

    const slow = cli(sb, ['worker', 'stop', '--timeout', '500ms']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toBe(`queuectl: 1 worker still running after 0s: ${w.id} (use --force to kill them; their jobs go back to the queue)\n`);
    expect(cliJson<Array<{ state: string }>>(sb, ['worker', 'list'])[0].state).toBe('stopping');

    const forced = cli(sb, ['worker', 'stop', '--force']);
    expect(forced).toMatchObject({ code: 0, stdout: 'stopped 1 worker (running jobs returned to the queue)\n' });
    expect(cliJson<JobJson>(sb, ['show', 'long'])).toMatchObject({ state: 'pending', attempts: 0 });
    await waitFor('the worker process to exit', () => (alive(w.pid) ? undefined : true));
  });

  it('says so when there is nothing to stop', () => {
    expect(cli(sb, ['worker', 'stop'])).toMatchObject({ code: 0, stdout: 'no workers running\n' });
    const r = cli(sb, ['worker', 'stop', 'w-nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^queuectl: no worker with id "w-nope"/);
  });

  it('runs one worker in the foreground until it gets SIGTERM', async () => {
    const child = spawnCli(sb, ['worker', 'start', '--foreground', '--id', 'w-fg']);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor('the foreground worker to register', () => (cliJson<Array<{ id: string }>>(sb, ['worker', 'list']).some((x) => x.id === 'w-fg') ? true : undefined));
    cli(sb, ['enqueue', '{"id":"fg-job","command":"echo in the foreground"}']);
    await waitFor('fg-job to complete', () => (cliJson<JobJson>(sb, ['show', 'fg-job']).state === 'completed' ? true : undefined));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('fg-job');
    expect(cliJson(sb, ['worker', 'list'])).toEqual([]);
  });
});

describe('logs --follow with a real worker', () => {
  it('streams each attempt of a retried job and exits 0 when it dies', async () => {
    cli(sb, ['config', 'set', 'backoff_base', '1']);
    cli(sb, ['enqueue', '--id', 'twice', '--max-retries', '1', '--', 'echo "run $(date +%s%N)"; exit 3']);
    const follow = spawnCli(sb, ['logs', 'twice', '--follow']);
    let out = '';
    let err = '';
    follow.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    follow.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)));
    cli(sb, ['worker', 'start']);
    expect(await exited).toBe(0);
    const runs = out.split('\n').filter((l) => l.startsWith('run '));
    expect(runs).toHaveLength(2);
    expect(runs[0]).not.toBe(runs[1]);
    expect(err).toContain('--- attempt 2 ---');
    expect(cliJson<JobJson>(sb, ['show', 'twice'])).toMatchObject({ state: 'dead', attempts: 2 });
  });
});
