import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobThat } from './engine-helpers.js';
import { type Sandbox, cli, cliJson, requireBuild, sandbox, withEngine } from './helpers.js';

let sb: Sandbox;
beforeAll(requireBuild);
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

const ok = (args: string[], opts?: Parameters<typeof cli>[2]) => {
  const r = cli(sb, args, opts);
  expect(r.stderr, `queuectl ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};

describe('enqueue', () => {
  it("takes the seed's JSON form and says what it enqueued", () => {
    expect(ok(['enqueue', '{"id":"job-ok","command":"echo This will succeed"}'])).toBe('enqueued job-ok\n');
    const job = cliJson(sb, ['show', 'job-ok']);
    expect(job).toMatchObject({ id: 'job-ok', command: 'echo This will succeed', state: 'pending', attempts: 0, max_retries: 3, priority: 0, queue: 'default' });
    expect(job.cwd).toBe(sb.dir);
    expect(Date.parse(job.run_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('prints the created job with --json, with every field of a job', () => {
    const job = cliJson(sb, ['enqueue', '{"command":"true","priority":4,"max_retries":1,"timeout_seconds":30,"queue":"mail"}']);
    expect(job).toMatchObject({ command: 'true', state: 'pending', priority: 4, max_retries: 1, timeout_seconds: 30, queue: 'mail' });
    expect(job.id).toMatch(/^j-/);
    for (const k of ['id', 'command', 'state', 'attempts', 'max_retries', 'priority', 'run_at', 'timeout_seconds', 'queue', 'cwd', 'created_at', 'updated_at', 'started_at', 'finished_at', 'worker_id', 'lease_expires_at', 'exit_code', 'last_error', 'output']) {
      expect(job).toHaveProperty(k);
    }
  });

  it('takes a command after -- with flags', () => {
    const before = Date.now();
    const job = cliJson(sb, ['enqueue', '--id', 'flagged', '--max-retries', '5', '--priority', '-2', '--delay', '1h', '--timeout', '90s', '--queue', 'q1', '--', 'echo', 'a b', '$HOME']);
    expect(job).toMatchObject({ id: 'flagged', max_retries: 5, priority: -2, timeout_seconds: 90, queue: 'q1' });
    // several words stay separate arguments; one word is a shell snippet
    expect(job.command).toBe("echo 'a b' '$HOME'");
    const runAt = Date.parse(job.run_at);
    expect(runAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    expect(runAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(cliJson(sb, ['enqueue', '--', 'echo hi && ls | wc -l']).command).toBe('echo hi && ls | wc -l');
    expect(cliJson(sb, ['enqueue', '--run-at', '2030-01-31T09:00:00Z', '--', 'true']).run_at).toBe('2030-01-31T09:00:00.000Z');
  });

  it('takes the default max_retries from config', () => {
    ok(['config', 'set', 'max_retries', '0']);
    expect(cliJson(sb, ['enqueue', '--', 'true']).max_retries).toBe(0);
    expect(cliJson(sb, ['enqueue', '{"command":"true","max_retries":2}']).max_retries).toBe(2);
  });

  it('bulk-enqueues a file of JSON lines, skipping blank lines, and reports the count', () => {
    const file = join(sb.dir, 'jobs.jsonl');
    writeFileSync(file, '{"id":"b1","command":"true"}\n\n{"id":"b2","command":"true"}\r\n   \n{"command":"echo 3"}\n');
    expect(ok(['enqueue', '--file', file])).toBe('enqueued 3 jobs\n');
    const ids = cliJson<Array<{ id: string }>>(sb, ['list']).map((j) => j.id);
    expect(ids).toHaveLength(3);
    expect(ids).toEqual(expect.arrayContaining(['b1', 'b2']));
  });

  it('bulk-enqueues from standard input with --file -', () => {
    const jobs = cliJson<Array<{ id: string }>>(sb, ['enqueue', '--file', '-'], { input: '{"id":"s1","command":"true"}\n{"id":"s2","command":"true"}\n' });
    expect(jobs.map((j) => j.id)).toEqual(['s1', 's2']);
  });
});

describe('status', () => {
  it('prints counts for every state, workers and the database in use', () => {
    ok(['enqueue', '{"id":"a","command":"true"}']);
    const s = cliJson(sb, ['status']);
    expect(s).toEqual({
      db: sb.db,
      backend: 'sqlite',
      counts: { pending: 1, waiting: 0, processing: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 },
      workers: [],
    });
    const text = ok(['status']);
    expect(text).toContain(sb.db);
    expect(text).toMatch(/pending\s+1/);
    expect(text).toMatch(/workers\s+none running/);
  });
});

describe('list', () => {
  it('lists newest first with filters and pages, hinting the next cursor on stderr', async () => {
    for (let i = 1; i <= 5; i++) ok(['enqueue', `{"id":"n${i}","command":"echo number ${i}","queue":"${i % 2 ? 'odd' : 'even'}"}`]);
    await jobThat(sb.db, 'done1', 'succeeded');
    const all = cliJson<Array<{ id: string }>>(sb, ['list']);
    expect(all.map((j) => j.id)).toEqual(['done1', 'n5', 'n4', 'n3', 'n2', 'n1']);
    expect(cliJson<Array<{ id: string }>>(sb, ['list', '--state', 'completed']).map((j) => j.id)).toEqual(['done1']);
    expect(cliJson<Array<{ id: string }>>(sb, ['list', '--queue', 'even']).map((j) => j.id)).toEqual(['n4', 'n2']);
    expect(cliJson<Array<{ id: string }>>(sb, ['list', '--search', 'NUMBER 3']).map((j) => j.id)).toEqual(['n3']);
    expect(cliJson<Array<{ id: string }>>(sb, ['list', '--limit', '2', '--offset', '2']).map((j) => j.id)).toEqual(['n4', 'n3']);

    const page1 = cli(sb, ['list', '--state', 'pending', '--limit', '2']);
    expect(page1.code).toBe(0);
    expect(page1.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+TRIES\s+PRI\s+QUEUE\s+COMMAND\s+WHEN\s+LAST$/);
    expect(page1.stdout).toMatch(/n5\s+pending\s+0\/4\s+0\s+odd\s+echo number 5\s+ready\s+-/);
    const hint = page1.stderr.trim();
    expect(hint).toMatch(/^more: queuectl list --db \S+ --state pending --limit 2 --cursor \S+$/);
    const cursor = hint.split(' ').pop() as string;
    const page2 = cliJson<Array<{ id: string }>>(sb, ['list', '--state', 'pending', '--limit', '2', '--cursor', cursor]);
    expect(page2.map((j) => j.id)).toEqual(['n3', 'n2']);
  });

  it('says so on stderr when nothing matches', () => {
    const r = cli(sb, ['list']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toBe('no jobs match\n');
    expect(cliJson(sb, ['list'])).toEqual([]);
  });
});

describe('show and logs', () => {
  it('shows a job with its attempt history, last error and output', async () => {
    await jobThat(sb.db, 'flaky', 'exit', { output: 'step 1\nboom\n' });
    const job = cliJson(sb, ['show', 'flaky']);
    expect(job).toMatchObject({ id: 'flaky', state: 'failed', attempts: 1, exit_code: 1, last_error: 'exit code 1', last_outcome: 'exit', output: 'step 1\nboom\n' });
    expect(job.history).toEqual([
      expect.objectContaining({ n: 1, worker_id: 'w-test', outcome: 'exit', result: 'exit 1', exit_code: 1, error: 'exit code 1' }),
    ]);
    expect(Date.parse(job.history[0].started_at)).toBeLessThanOrEqual(Date.parse(job.history[0].finished_at));
    expect(typeof job.history[0].duration_ms).toBe('number');
    const shown = cli(sb, ['show', 'flaky']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/state\s+failed/);
    expect(shown.stdout).toMatch(/attempts\s+1 of 4/);
    expect(shown.stdout).toMatch(/last error\s+exit code 1/);
    expect(shown.stdout).toMatch(/^\s*1\s+\S+Z\s+\S+Z\s+\S+\s+exit 1\s+1\s+w-test/m);
    expect(shown.stdout).toContain('step 1\nboom\n');
  });

  it('show --json of a job that never ran has an empty history', () => {
    ok(['enqueue', '{"id":"fresh","command":"true"}']);
    expect(cliJson(sb, ['show', 'fresh'])).toMatchObject({ id: 'fresh', attempts: 0, history: [] });
    expect(ok(['show', 'fresh'])).toMatch(/attempts\nnone yet\n/);
  });

  it('shows the attempt running now, unfinished', async () => {
    await jobThat(sb.db, 'again', 'exit');
    await withEngine(sb.db, async (q) => {
      await q.retry('again');
      expect((await q.claim('w-now', 'q-again', 30_000))?.id).toBe('again');
    });
    const job = cliJson(sb, ['show', 'again']);
    expect(job).toMatchObject({ state: 'processing', attempts: 2, worker_id: 'w-now' });
    expect(job.history.map((a: { n: number; result: string; finished_at: string | null }) => [a.n, a.result, a.finished_at === null])).toEqual([
      [1, 'exit 1', false],
      [2, 'running', true],
    ]);
    expect(ok(['show', 'again'])).toMatch(/^\s*2\s+\S+Z\s+-\s+\S+…\s+running\s+-\s+w-now/m);
  });

  it('logs prints the stored output, and --json gives it with its size', async () => {
    await jobThat(sb.db, 'talker', 'succeeded', { output: 'hello\nworld\n' });
    expect(ok(['logs', 'talker'])).toBe('hello\nworld\n');
    expect(cliJson(sb, ['logs', 'talker'])).toEqual({ id: 'talker', state: 'completed', attempt: 1, output: 'hello\nworld\n', output_bytes: 12 });
  });
});

describe('operator actions', () => {
  it('retry makes a failed job eligible now', async () => {
    const failed = await jobThat(sb.db, 'later', 'exit');
    expect(failed.run_at).toBeGreaterThan(Date.now());
    expect(ok(['retry', 'later'])).toBe('later will run now (attempt 2 of 4)\n');
    const job = cliJson(sb, ['show', 'later']);
    expect(job.state).toBe('failed');
    expect(Date.parse(job.run_at)).toBeLessThanOrEqual(Date.now());
  });

  it('cancel keeps the job, in state cancelled, with its history', async () => {
    await jobThat(sb.db, 'c1', 'exit');
    expect(ok(['cancel', 'c1'])).toMatch(/^cancelled c1 \(kept with its history/);
    const job = cliJson(sb, ['show', 'c1']);
    expect(job).toMatchObject({ state: 'cancelled', attempts: 1, last_error: 'exit code 1' });
    expect(cliJson<Array<{ id: string }>>(sb, ['list', '--state', 'cancelled']).map((j) => j.id)).toEqual(['c1']);
    expect(cliJson(sb, ['cancel', cliJson(sb, ['enqueue', '--', 'true']).id]).state).toBe('cancelled');
  });

  it('dlq list, retry one, retry all and purge', async () => {
    await jobThat(sb.db, 'd1', 'exit', { maxRetries: 0 });
    await jobThat(sb.db, 'd2', 'timed_out', { maxRetries: 0 });
    await jobThat(sb.db, 'd3', 'exit', { maxRetries: 0 });
    const dead = cliJson<Array<{ id: string; state: string; last_error: string }>>(sb, ['dlq', 'list']);
    expect(dead.map((j) => j.id)).toEqual(['d3', 'd2', 'd1']);
    expect(dead.every((j) => j.state === 'dead')).toBe(true);
    const table = ok(['dlq', 'list']);
    expect(table.split('\n')[0]).toMatch(/^ID\s+TRIES\s+QUEUE\s+COMMAND\s+DIED\s+LAST ERROR$/);
    expect(table).toMatch(/d1\s+1\/1\s+q-d1\s+run d1\s+(now|\d+s ago)\s+exit code 1/);

    expect(ok(['dlq', 'retry', 'd1'])).toBe('d1 is pending again with its attempts reset\n');
    expect(cliJson(sb, ['show', 'd1'])).toMatchObject({ state: 'pending', attempts: 0 });
    expect(cliJson(sb, ['dlq', 'retry', '--all'])).toEqual({ retried: 2 });
    expect(cliJson(sb, ['dlq', 'list'])).toEqual([]);

    await jobThat(sb.db, 'd4', 'exit', { maxRetries: 0 });
    expect(ok(['dlq', 'purge'])).toBe('purged 1 dead job\n');
    expect(cli(sb, ['show', 'd4']).code).toBe(2);
    expect(cliJson<unknown[]>(sb, ['list'])).toHaveLength(3);
  });

  it('purge deletes finished jobs of the given states, honouring --older-than', async () => {
    await jobThat(sb.db, 'p1', 'succeeded');
    await jobThat(sb.db, 'p2', 'succeeded');
    ok(['cancel', cliJson(sb, ['enqueue', '--id', 'p3', '--', 'true']).id]);
    ok(['enqueue', '--id', 'p4', '--', 'true']);
    expect(cliJson(sb, ['purge', '--state', 'completed', '--older-than', '1h'])).toEqual({ purged: 0, states: ['completed'] });
    expect(ok(['purge', '--state', 'completed,cancelled'])).toBe('purged 3 completed/cancelled jobs\n');
    expect(cliJson<Array<{ id: string }>>(sb, ['list']).map((j) => j.id)).toEqual(['p4']);
  });
});

describe('config', () => {
  it('lists, gets and sets values, accepting aliases and dashed keys', () => {
    expect(cliJson(sb, ['config', 'list'])).toEqual({
      max_retries: 3,
      backoff_base: 2,
      backoff_max_seconds: 3600,
      job_timeout_seconds: 0,
      lease_seconds: 30,
      shutdown_timeout_seconds: 30,
      poll_interval_ms: 200,
      output_limit_bytes: 65536,
    });
    expect(ok(['config', 'set', 'default_max_retries', '5'])).toBe('max_retries = 5\n');
    expect(cliJson(sb, ['config', 'set', 'backoff-base', '1.5'])).toEqual({ key: 'backoff_base', value: 1.5 });
    expect(ok(['config', 'get', 'max-retries'])).toBe('5\n');
    expect(cliJson(sb, ['config', 'get', 'backoff_base'])).toEqual({ key: 'backoff_base', value: 1.5 });
    const table = ok(['config', 'list']);
    expect(table).toMatch(/^max_retries\s+5\s+3\s+retries after/m);
  });
});

describe('worker list', () => {
  it('shows workers with their state, marking stale ones', async () => {
    expect(cliJson(sb, ['worker', 'list'])).toEqual([]);
    const now = Date.now();
    await withEngine(sb.db, async (q) => {
      const base = { host: 'h1', host_id: 'h1-id', pid_start: null, clock_skew_ms: 0, queue: null, current_job_id: null, job_started_at: null, started_at: now, jobs_done: 0, jobs_failed: 0, stop_requested: false };
      await q.registerWorker({ ...base, id: 'w-live', pid: process.pid, state: 'busy', current_job_id: 'j1', job_started_at: now - 3 * 3_600_000 - 30_000, heartbeat_at: now, jobs_done: 7 });
      await q.registerWorker({ ...base, id: 'w-gone', pid: 999_999, state: 'idle', heartbeat_at: now - 10 * 60_000, clock_skew_ms: 125_000 });
    });
    const ws = cliJson<Array<{ id: string; stale: boolean; jobs_done: number; current_job_id: string | null }>>(sb, ['worker', 'list']);
    expect(ws.find((w) => w.id === 'w-live')).toMatchObject({ stale: false, jobs_done: 7, current_job_id: 'j1' });
    expect(ws.find((w) => w.id === 'w-gone')).toMatchObject({ stale: true });
    const table = ok(['worker', 'list']);
    // Times far from any rounding edge, and "now" or a few seconds: the same on a slow machine.
    expect(table).toMatch(/w-live\s+\d+\s+h1\s+\*\s+busy\s+j1 \(3h(0[01]m)?\)\s+7\s+0\s+(now|\d+s ago)/);
    expect(table).toMatch(/w-gone\s+999999\s+h1\s+\*\s+idle \(stale\).*\+2m\d*s?$/m);
    expect(table).toMatch(/w-live .* -$/m);
    expect(ws.find((w) => w.id === 'w-gone')).toMatchObject({ clock_skew_ms: 125_000 });
    const status = cliJson(sb, ['status']);
    expect(status.workers).toHaveLength(2);
    expect(ok(['status'])).toMatch(/workers\s+2: 1 busy, 0 idle, 1 stale/);
  });
});

describe('help', () => {
  const commands = [
    [], ['enqueue'], ['worker'], ['worker', 'start'], ['worker', 'stop'], ['worker', 'list'], ['status'], ['list'], ['show'],
    ['logs'], ['retry'], ['cancel'], ['dlq'], ['dlq', 'list'], ['dlq', 'retry'], ['dlq', 'purge'], ['purge'], ['config'],
    ['config', 'list'], ['config', 'get'], ['config', 'set'], ['dashboard'], ['wait'], ['events'], ['queue'], ['queue', 'list'], ['queue', 'pause'], ['queue', 'resume'], ['queue', 'limit'],
  ];
  it.each(commands.map((c) => [c.join(' ') || '(program)', c]))('%s --help describes every option', (_name, words) => {
    const r = cli(sb, [...(words as string[]), '--help'], { db: null });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: queuectl/);
    const options = r.stdout.split(/\nOptions:\n/)[1]?.split(/\n\n/)[0] ?? '';
    expect(options).not.toBe('');
    for (const line of options.split('\n').filter((l) => /^ {2}-/.test(l))) {
      expect(line.trim(), `help line for ${words.join(' ')}`).toMatch(/^\S.*\S\s{2,}\S/);
    }
  });

  it('queuectl alone without a terminal prints help and exits 0', () => {
    const r = cli(sb, [], { db: null });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: queuectl/);
    expect(r.stdout).toContain('dashboard|ui');
  });

  it('the dashboard refuses to start without a terminal, and says what to use instead', () => {
    const r = cli(sb, ['dashboard']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^queuectl: the dashboard needs an interactive terminal/);
  });
});
