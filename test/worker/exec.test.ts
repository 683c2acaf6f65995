import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, startCommand } from '../../src/worker/exec.js';
import { baseJobEnv } from '../../src/worker/job-env.js';
import { Launcher } from '../../src/worker/launcher.js';
import { isAlive, killQuietly, waitFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'queuectl-exec-'));
const leftovers: number[] = [];

afterAll(() => {
  for (const pid of leftovers) killQuietly(pid);
  rmSync(dir, { recursive: true, force: true });
});

/** Pids a command printed, one per line. */
function pidsIn(output: string): number[] {
  return output
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

// Every case both ways a worker starts commands: with Node's spawn, and through the launcher
// (test/worker/launcher.test.ts checks that the build made one).
describe.each(['node', 'launcher'] as const)('runCommand, started by %s', (way) => {
  let launcher: Launcher | null = null;
  beforeAll(async () => {
    if (way !== 'launcher') return;
    const l = await Launcher.open(() => {});
    if (typeof l === 'string') throw new Error(l);
    launcher = l;
  });
  afterAll(() => launcher?.close());
  const base = {
    cwd: dir,
    timeoutMs: 0,
    outputLimitBytes: 65536,
    get launcher() {
      return launcher;
    },
  };

  it('reports success with stdout and stderr in one tail', async () => {
    const r = await runCommand({ ...base, command: 'echo out; echo err >&2; echo again' });
    expect(r.outcome).toBe('succeeded');
    expect(r.exit_code).toBe(0);
    expect(r.error).toBeNull();
    expect(r.output.split('\n').sort()).toEqual(['', 'again', 'err', 'out']);
    expect(r.output_bytes).toBe(14);
  });

  it('reports a non-zero exit code', async () => {
    const r = await runCommand({ ...base, command: 'echo nope; exit 3' });
    expect(r).toMatchObject({ outcome: 'exit', exit_code: 3, signal: null, error: 'exit code 3', output: 'nope\n' });
  });

  it('reports death by a signal', async () => {
    const r = await runCommand({ ...base, command: 'kill -KILL $$' });
    expect(r).toMatchObject({ outcome: 'signal', exit_code: null, signal: 'SIGKILL', error: 'killed by signal SIGKILL' });
  });

  it('runs in the given directory, through /bin/sh, with stdin closed', async () => {
    const r = await runCommand({ ...base, command: 'pwd; cat; [ -n "$HOME" ] && echo env-ok' });
    expect(r.outcome).toBe('succeeded');
    expect(r.output).toBe(`${realpathSync(dir)}\nenv-ok\n`);
  });

  it('reports a command that cannot start: missing working directory', async () => {
    const missing = join(dir, 'no-such-dir');
    const run = startCommand({ ...base, cwd: missing, command: 'true' });
    expect(await run.started).toBeUndefined();
    const r = await run.result;
    expect(r.outcome).toBe('error');
    expect(r.error).toBe(`could not start: working directory ${missing} does not exist`);
  });

  it('reports a command that cannot start: working directory is a file', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const run = startCommand({ ...base, cwd: file, command: 'true' });
    expect(await run.started).toBeUndefined();
    const r = await run.result;
    expect(r).toMatchObject({ outcome: 'error', exit_code: null, error: `could not start: working directory ${file} is not a directory` });
  });

  it('a timeout kills the command and the processes it started', async () => {
    const run = startCommand({
      ...base,
      timeoutMs: 300,
      killGraceMs: 500,
      flushIntervalMs: 20,
      command: 'sleep 30 & echo $!; sh -c "sleep 40" & echo $!; wait',
    });
    // The leader's pid and start time, as /proc gives them while it runs (they guard the signals
    // a recovering worker sends to the group).
    const leader = (await run.started)!;
    expect(leader.pid).toBe(run.pid);
    const stat = readFileSync(`/proc/${leader.pid}/stat`, 'utf8');
    expect(leader.start).toBe(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]));
    const r = await run.result;
    expect(r.outcome).toBe('timed_out');
    expect(r.error).toBe('timed out after 300ms');
    const children = pidsIn(r.output);
    expect(children).toHaveLength(2);
    leftovers.push(...children);
    await waitFor(() => !isAlive(run.pid!) && children.every((p) => !isAlive(p)), 'the job and its children to be gone', 5000);
  });

  it('escalates to SIGKILL for children that ignore SIGTERM', async () => {
    const run = startCommand({
      ...base,
      timeoutMs: 200,
      killGraceMs: 300,
      command: `sh -c 'trap "" TERM; echo $$; while :; do sleep 0.05; done'`,
    });
    const r = await run.result;
    expect(r.outcome).toBe('timed_out');
    const [child] = pidsIn(r.output);
    expect(child).toBeTypeOf('number');
    leftovers.push(child);
    await waitFor(() => !isAlive(child), 'the TERM-proof child to be killed', 5000);
  });

  it('keeps only the tail of a job printing 50 MB, in bounded memory', async () => {
    const total = 50 * 1024 * 1024;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const r = await runCommand({
      ...base,
      outputLimitBytes: 4096,
      command: `head -c ${total} /dev/zero | tr '\\0' x; echo; echo THE-END`,
    });
    clearInterval(sampler);
    expect(r.outcome).toBe('succeeded');
    expect(r.output_bytes).toBe(total + 1 + 8);
    expect(Buffer.byteLength(r.output)).toBe(4096);
    expect(r.output.endsWith('xxx\nTHE-END\n')).toBe(true);
    // Holding the whole output would take at least the 50 MB printed; the ring and the
    // garbage of passing chunks stay well below that.
    expect(rssPeak - rssBefore).toBeLessThan(total);
  });

  it('hands the output tail to onOutput while the command runs, and aborts as interrupted', async () => {
    const flushes: { text: string; bytes: number }[] = [];
    const controller = new AbortController();
    const run = startCommand({
      ...base,
      flushIntervalMs: 25,
      onOutput: (t) => flushes.push(t),
      signal: controller.signal,
      command: 'echo first; sleep 30 & echo $!; wait',
    });
    const seen = await waitFor(() => flushes.find((f) => f.text.startsWith('first\n') && pidsIn(f.text).length === 1), 'an output flush');
    expect(seen.bytes).toBe(Buffer.byteLength(seen.text));
    const [child] = pidsIn(seen.text);
    leftovers.push(child);
    controller.abort();
    const r = await run.result;
    expect(r.outcome).toBe('interrupted');
    expect(r.output.startsWith('first\n')).toBe(true);
    await waitFor(() => !isAlive(child), 'the interrupted job to be gone', 5000);
    // No flush happens once the command is settled.
    const count = flushes.length;
    await new Promise((res) => setTimeout(res, 80));
    expect(flushes.length).toBe(count);
  });

  it('does not wait for background processes that keep its output open', async () => {
    const started = Date.now();
    const r = await runCommand({ ...base, drainMs: 100, command: 'sleep 30 & echo $!; echo done' });
    expect(r.outcome).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(10_000);
    leftovers.push(...pidsIn(r.output));
    expect(r.output).toContain('done\n');
  });

  it('ends what a job left running in its process group once the job is over', async () => {
    const r = await runCommand({ ...base, drainMs: 100, command: 'sleep 30 > /dev/null 2>&1 & echo $!; trap "" TERM; (trap "" TERM; sleep 30) > /dev/null 2>&1 & echo $!' });
    expect(r.outcome).toBe('succeeded');
    const pids = pidsIn(r.output);
    expect(pids).toHaveLength(2);
    leftovers.push(...pids);
    // The one that ignores SIGTERM is ended by the SIGKILL that follows.
    await waitFor(() => pids.every((p) => !isAlive(p)), 'the leftovers to be ended');
  });

  it('adds envAdd to env, its values replacing those of the same name', async () => {
    const r = await runCommand({ ...base, env: { A: 'env', B: 'env', PATH: process.env.PATH }, envAdd: { B: 'added', C: 'added' }, command: 'echo "$A $B $C"' });
    expect(r).toMatchObject({ outcome: 'succeeded', output: 'env added added\n' });
  });

  it('refuses a NUL byte in the environment, starting nothing', async () => {
    const r = await runCommand({ ...base, env: { A: 'a\0b', PATH: process.env.PATH }, command: 'echo started' });
    expect(r).toMatchObject({ outcome: 'error', exit_code: null, output: '' });
    expect(r.error).toMatch(/^could not start: /);
  });

  it('keeps a timeout longer than a timer can hold (25 days) instead of firing it at once', async () => {
    const r = await runCommand({ ...base, timeoutMs: 30 * 86_400_000, command: 'sleep 0.3; echo ok' });
    expect(r).toMatchObject({ outcome: 'succeeded', output: 'ok\n' });
  });

  it('stores at most the output limit in bytes, for a megabyte of random bytes', async () => {
    const r = await runCommand({ ...base, outputLimitBytes: 65_536, command: 'head -c 1048576 /dev/urandom' });
    expect(r.output_bytes).toBe(1_048_576);
    expect(Buffer.byteLength(r.output)).toBeLessThanOrEqual(65_536);
  });
});

describe('baseJobEnv', () => {
  it("withholds the database's address, and the attempt variables a worker started by a job inherited", () => {
    const env = baseJobEnv({ PATH: '/bin', QUEUECTL_DB: '/q.db', MONGO_URI: 'mongodb://x', QUEUECTL_JOB_ID: 'outer', QUEUECTL_ATTEMPT: '3', OTHER: '1' });
    expect(env).toEqual({ PATH: '/bin', OTHER: '1' });
  });
});
