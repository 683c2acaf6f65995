import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, startCommand } from '../../src/worker/exec.js';
import { LAUNCHER_PROTOCOL, Launcher } from '../../src/worker/launcher.js';
import { isAlive, killQuietly, waitFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'queuectl-launcher-'));
const base = { cwd: dir, timeoutMs: 0, outputLimitBytes: 65536 };
const leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers) killQuietly(pid);
  rmSync(dir, { recursive: true, force: true });
});

const hasCompiler = ['cc', 'gcc', 'clang'].some((cc) => spawnSync(cc, ['--version']).status === 0);

async function open(onGone: (why: string) => void = () => {}): Promise<Launcher> {
  const l = await Launcher.open(onGone);
  if (typeof l === 'string') throw new Error(l);
  return l;
}

describe('the launcher', () => {
  it.runIf(hasCompiler)('is built by npm run build where a C compiler is installed', () => {
    expect(existsSync(Launcher.path())).toBe(true);
  });

  it('answers with the protocol this worker speaks', async () => {
    const l = await open();
    expect(l.alive).toBe(true);
    const r = await runCommand({ ...base, launcher: l, command: 'echo "$A"; exit 4', env: { A: 'from the env', PATH: process.env.PATH } });
    expect(r).toMatchObject({ outcome: 'exit', exit_code: 4, output: 'from the env\n' });
    l.close();
    expect(l.alive).toBe(false);
    expect(LAUNCHER_PROTOCOL).toMatch(/^queuectl-launcher \d+$/);
  });

  it('is not used when it is missing, or when what is there does not answer its hello', async () => {
    expect(await Launcher.open(() => {}, join(dir, 'none'))).toMatch(/is not built/);
    const mute = join(dir, 'mute');
    writeFileSync(mute, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(await Launcher.open(() => {}, mute)).toMatch(/exited/);
    const other = join(dir, 'other');
    // A hello frame for another protocol: 4-byte length, 'H', id 0, the name.
    writeFileSync(other, `#!/bin/sh\nprintf '\\020\\000\\000\\000H\\000\\000\\000\\000launcher 99'; sleep 5\n`, { mode: 0o755 });
    expect(await Launcher.open(() => {}, other)).toMatch(/speaks "launcher 99"/);
  });

  it('runs commands in a session of their own, stdin on /dev/null, every signal at its default', async () => {
    const l = await open();
    try {
      const r = await runCommand({
        ...base,
        launcher: l,
        command: 'ps -o sid= -o pgid= -p $$; echo "pid $$"; cat; readlink /proc/$$/fd/0',
      });
      expect(r.outcome).toBe('succeeded');
      const [sid, pgid] = r.output.split('\n')[0].trim().split(/\s+/).map(Number);
      const pid = Number(/pid (\d+)/.exec(r.output)![1]);
      expect(sid).toBe(pid);
      expect(pgid).toBe(pid);
      expect(r.output).toContain('/dev/null');
      // Read by the process the launcher started (the shell, replaced by grep), not by a child of
      // the shell: the shell blocks signals for a moment around each fork.
      const signals = await runCommand({ ...base, launcher: l, command: 'exec grep -E "^Sig(Blk|Ign)" /proc/self/status' });
      expect(signals.output).toMatch(/^SigBlk:\s+0+\nSigIgn:\s+0+\n$/);
    } finally {
      l.close();
    }
  });

  it('refuses a NUL byte in the command as Node does, without starting anything', async () => {
    const l = await open();
    try {
      const r = await runCommand({ ...base, launcher: l, command: 'echo a\0b' });
      expect(r).toMatchObject({ outcome: 'error', exit_code: null });
      expect(r.error).toMatch(/could not start: .*NUL/);
      // And the launcher still runs the next one.
      expect((await runCommand({ ...base, launcher: l, command: 'echo ok' })).output).toBe('ok\n');
    } finally {
      l.close();
    }
  });

  it('ignores the signals sent to the worker process group (a ^C, a service manager), so the job finishes', async () => {
    const l = await open();
    try {
      const run = startCommand({ ...base, launcher: l, command: 'sleep 0.5; echo done' });
      expect((await run.started)?.pid).toBeTypeOf('number');
      const launcher = l.pid!;
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const) process.kill(launcher, s);
      const r = await run.result;
      expect(r).toMatchObject({ outcome: 'succeeded', output: 'done\n' });
      expect(isAlive(launcher)).toBe(true);
    } finally {
      l.close();
    }
  });

  it('a launcher killed under a running job: the job is recorded as an error, its group ended, and Node starts the next', async () => {
    const gone: string[] = [];
    const l = await open((why) => gone.push(why));
    const run = startCommand({ ...base, launcher: l, command: 'sleep 30 & echo $!; wait' });
    const { pid } = (await run.started)!;
    const launcher = l.pid!;
    const child = Number(await waitFor(() => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0], 'the background child'));
    leftovers.push(child);
    process.kill(launcher, 'SIGKILL');
    const r = await run.result;
    expect(r.outcome).toBe('error');
    expect(r.error).toMatch(/^lost track of the command: the launcher exited \(SIGKILL\); its process group was ended$/);
    expect(gone).toEqual(['the launcher exited (SIGKILL)']);
    await waitFor(() => !isAlive(pid) && !isAlive(child), 'the job and its child to be ended', 5000);
    expect(l.alive).toBe(false);
    // The next command falls back to Node's spawn: its parent is this process.
    const next = await runCommand({ ...base, launcher: l, command: 'echo $PPID' });
    expect(next).toMatchObject({ outcome: 'succeeded', output: `${process.pid}\n` });
  });

  it('a launcher whose worker is gone exits; the command it started carries on', async () => {
    // A worker process of its own (here a plain Node process driving the launcher through its
    // frames), killed outright while its job runs.
    const marker = join(dir, 'finished');
    const driver = `
      const { spawn } = require('node:child_process');
      const c = spawn(${JSON.stringify(Launcher.path())}, [], { stdio: ['pipe', 'pipe', 'inherit'] });
      const body = Buffer.from(${JSON.stringify(dir)} + '\\0' + 'sleep 0.5; touch ${marker}' + '\\0' + 'PATH=' + process.env.PATH + '\\0\\0');
      const head = Buffer.alloc(9); head.writeUInt32LE(5 + body.length, 0); head[4] = 0x52; head.writeUInt32LE(1, 5);
      c.stdin.write(Buffer.concat([head, body]));
      c.stdout.once('data', () => console.log(c.pid));
    `;
    const p = spawnSync(process.execPath, ['-e', `${driver}; setTimeout(() => process.kill(process.pid, 'SIGKILL'), 200)`], { encoding: 'utf8', timeout: 10_000 });
    const launcher = Number(p.stdout.trim());
    expect(launcher).toBeGreaterThan(0);
    await waitFor(() => !isAlive(launcher), 'the launcher to exit once its worker is gone', 5000);
    await waitFor(() => existsSync(marker), 'the command to finish on its own', 5000);
  });
});
