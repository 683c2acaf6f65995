/** `wait`, `enqueue --wait` and `events`, against a real worker. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, cli, cliJson, requireBuild, sandbox, spawnCli, waitFor } from './helpers.js';

let sb: Sandbox;
let workerPid = 0;

beforeAll(() => {
  requireBuild();
  sb = sandbox();
  const r = cliJson<Array<{ pid: number }>>(sb, ['worker', 'start', '--count', '1']);
  workerPid = r[0].pid;
});
afterAll(() => {
  cli(sb, ['worker', 'stop', '--timeout', '10s']);
  try {
    process.kill(workerPid, 'SIGKILL');
  } catch {
    // stopped
  }
  sb.cleanup();
});

describe('wait', () => {
  it('prints each job as it finishes and exits 0 only when all completed', () => {
    cli(sb, ['enqueue', '--id', 'ok', '--', 'sleep 0.3; echo fine']);
    cli(sb, ['enqueue', '--id', 'bad', '--max-retries', '0', '--', 'exit 5']);
    const r = cli(sb, ['wait', 'ok', 'bad', '--timeout', '30s']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^ok completed \(succeeded, 1 attempt\)$/m);
    expect(r.stdout).toMatch(/^bad dead \(exit 5, 1 attempt\)$/m);
    expect(cli(sb, ['wait', 'ok'])).toMatchObject({ code: 0, stdout: 'ok completed (succeeded, 1 attempt)\n' });
    const json = cli(sb, ['wait', 'ok', 'bad', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ completed: 1, unfinished: [] });
  });

  it('gives up after --timeout with exit 4, and refuses an unknown id with exit 2', () => {
    cli(sb, ['enqueue', '--id', 'later', '--delay', '1h', '--', 'true']);
    const r = cli(sb, ['wait', 'later', '--timeout', '300ms']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('queuectl: timed out waiting for later\n');
    expect(cli(sb, ['wait', 'nope']).code).toBe(2);
    cli(sb, ['cancel', 'later']);
  });
});

describe('enqueue --wait', () => {
  it('exits like the command: 0 when it completed, its exit code when it died with one', () => {
    const ok = cli(sb, ['enqueue', '--wait', '--', 'echo done']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^enqueued \S+\n\S+ completed \(succeeded, 1 attempt\)\n$/);
    const bad = cli(sb, ['enqueue', '--wait', '--max-retries', '1', '--', 'exit 7']);
    expect(bad.code).toBe(7);
    expect(bad.stdout).toMatch(/dead \(exit 7, 2 attempts\)/);
  });

  it('--follow streams the output to stdout, notes to stderr', () => {
    const r = cli(sb, ['enqueue', '--wait', '--follow', '--', 'echo one; sleep 0.5; echo two']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('one\ntwo\n');
    expect(r.stderr).toMatch(/^enqueued \S+\n\S+ completed/);
  });

  it('--follow prints the same whether the job was still pending or already claimed at its first look', async () => {
    // Held in a paused queue, the job is almost surely still pending when the follower first
    // reads it; without the pause a worker may claim it first. Either way the output is the same.
    cli(sb, ['queue', 'pause', 'follow-held']);
    const child = spawnCli(sb, ['enqueue', '--id', 'held-f', '--queue', 'follow-held', '--wait', '--follow', '--', 'echo one; echo two']);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor('the enqueued note', () => (err.includes('enqueued held-f\n') ? true : undefined));
    cli(sb, ['queue', 'resume', 'follow-held']);
    expect(await exited).toBe(0);
    expect(out).toBe('one\ntwo\n');
    expect(err).toBe('enqueued held-f\nheld-f completed (succeeded, 1 attempt)\n');
  });

  it('--follow marks each retry, never the first attempt', () => {
    const r = cli(sb, ['enqueue', '--wait', '--follow', '--id', 'retried-f', '--max-retries', '1', '--', 'echo "run $(date +%s%N)"; exit 3']);
    expect(r.code).toBe(3);
    const runs = r.stdout.split('\n').filter((l) => l.startsWith('run '));
    // The first attempt's output may have been replaced by the second's before the follower read it.
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(r.stderr).toContain('--- attempt 2 ---\n');
    expect(r.stderr).not.toContain('--- attempt 1 ---');
    expect(r.stderr).toMatch(/^enqueued retried-f\n/);
    expect(r.stderr).toMatch(/retried-f dead \(exit 3, 2 attempts\)\n$/);
  });
});

describe('events', () => {
  it('lists each transition of each job, and worker starts, oldest first', () => {
    const lines = cli(sb, ['events', '--json', '--job', 'bad']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.type)).toEqual(['enqueued', 'started', 'dead']);
    expect(lines[2]).toMatchObject({ job_id: 'bad', attempt: 1, detail: 'exit 5' });
    const all = cli(sb, ['events']).stdout;
    expect(all).toMatch(/worker_started +w-\S+/);
    expect(all).toMatch(/succeeded +ok #1 on w-\S+/);
  });

  it('--follow prints new events as they happen and ends quietly on SIGTERM', async () => {
    // From well back, so the follower's first lines (at least this file's worker start) show it
    // is running before the job is enqueued, however slowly it started: the job's events then
    // can only reach it by following.
    const child = spawnCli(sb, ['events', '--follow', '--json', '--since', '1h']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor('the follower\'s first events', () => (/worker_started/.test(out) ? true : undefined));
    cli(sb, ['enqueue', '--id', 'watched', '--', 'true']);
    // Whole lines only, parsed: a match across lines (this job's enqueued, another job's succeeded) is not its end.
    const watched = () =>
      out
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as { job_id: string | null; type: string })
        .filter((e) => e.job_id === 'watched')
        .map((e) => e.type);
    await waitFor('the watched job\'s events', () => (watched().includes('succeeded') ? true : undefined));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(watched()).toEqual(['enqueued', 'started', 'succeeded']);
  });
});

describe('queue pause and resume', () => {
  it('a paused queue\'s jobs wait while others run, and run once it is resumed', () => {
    expect(cli(sb, ['queue', 'pause', 'held']).stdout).toMatch(/^paused queue held/);
    cli(sb, ['enqueue', '--id', 'held-1', '--queue', 'held', '--', 'true']);
    // The other queue's job runs to the end while the held one stays pending.
    expect(cli(sb, ['enqueue', '--wait', '--id', 'free-1', '--', 'true']).code).toBe(0);
    expect(cliJson(sb, ['show', 'held-1']).state).toBe('pending');
    const queues = cliJson<Array<{ name: string; paused: boolean; counts: { pending: number } }>>(sb, ['queue', 'list']);
    expect(queues.find((q) => q.name === 'held')).toMatchObject({ paused: true, counts: { pending: 1 } });
    expect(cli(sb, ['queue', 'list']).stdout).toMatch(/^held +paused +1 /m);
    expect(cli(sb, ['queue', 'resume', 'held']).stdout).toBe('resumed queue held\n');
    expect(cli(sb, ['wait', 'held-1', '--timeout', '60s']).code).toBe(0);
    expect(cli(sb, ['queue', 'pause', 'no spaces']).code).toBe(2);
  });
});
