/**
 * The code cache of the CLI's chunks (src/compile-cache.ts): written once, in the user's cache
 * directory, then read; a corrupt entry or a cache that cannot be written changes nothing a
 * command prints or the code it exits with.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandProfile } from '../../src/compile-cache.js';
import { CLI, type Run, type Sandbox, cli, createDb, requireBuild, sandbox, waitFor } from './helpers.js';

beforeAll(requireBuild);

let sb: Sandbox;
afterEach(() => sb?.cleanup());

const entriesOf = (cache: string) => {
  const dir = join(cache, 'queuectl', 'code-cache');
  try {
    return readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return [];
  }
};

/** A few commands, each through a different path: the fast path, commander, an error. */
function session(env: NodeJS.ProcessEnv, db: string): Run[] {
  return [
    cli(sb, ['enqueue', '--id', 'a', '--', 'echo', 'hi'], { env, db }),
    cli(sb, ['list', '--json'], { env, db }),
    cli(sb, ['show', 'a', '--json'], { env, db }),
    cli(sb, ['queue', 'list'], { env, db }),
    cli(sb, ['show', 'missing'], { env, db }),
    cli(sb, ['cancel', 'a'], { env, db }),
  ];
}

/** The runs with what differs between two runs of the same commands (times, ids made at run time) blanked. */
const comparable = (runs: Run[], db: string) =>
  runs.map((r) => ({
    ...r,
    stdout: r.stdout.replaceAll(db, 'DB').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z|"(created|updated|run|finished)_at": \d+|\b\d+ ?(ms|s) ago\b/g, 'T'),
    stderr: r.stderr.replaceAll(db, 'DB'),
  }));

describe('the code cache', () => {
  it('is written on the first run, 0600 in a 0700 directory, then read as it is; commands behave as without it', () => {
    sb = sandbox();
    const cache = join(sb.dir, 'cache');
    const env = { ...sb.env, XDG_CACHE_HOME: cache };
    const first = cli(sb, ['status'], { env });
    expect(first.code).toBe(0);
    const entries = entriesOf(cache);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/\/core-[\w-]{8}-status-v[\d.]+-\w+\.bin$/);
    expect(statSync(entries[0]).mode & 0o777).toBe(0o600);
    expect(statSync(join(cache, 'queuectl', 'code-cache')).mode & 0o777).toBe(0o700);
    expect(statSync(entries[0]).size).toBeGreaterThan(10_000);
    const written = statSync(entries[0]).mtimeMs;

    const cached = session(env, sb.db);
    // Accepted by V8: an entry that was missing or rejected would be written again. (Each
    // command has entries of its own.)
    expect(statSync(entries[0]).mtimeMs).toBe(written);
    const core = entriesOf(cache).filter((e) => /\/core-/.test(e)).map((e) => e.replace(/.*\/core-[\w-]{8}-(.*)-v[\d.]+-\w+\.bin$/, '$1'));
    expect(core.sort()).toEqual(['cancel', 'enqueue', 'list', 'queue', 'show', 'status']);
    for (const e of entriesOf(cache)) expect(statSync(e).mode & 0o777).toBe(0o600);

    const plainDb = join(sb.dir, 'plain.db');
    createDb(plainDb);
    const plain = session({ ...sb.env, QUEUECTL_COMPILE_CACHE: 'off', XDG_CACHE_HOME: join(sb.dir, 'other-cache') }, plainDb);
    expect(entriesOf(join(sb.dir, 'other-cache'))).toEqual([]);
    expect(comparable(cached, sb.db)).toEqual(comparable(plain, plainDb));
    expect(cached.map((r) => r.code === 0)).toEqual([true, true, true, true, false, true]);
  });

  it('a corrupt entry is compiled past and replaced', () => {
    sb = sandbox();
    const cache = join(sb.dir, 'cache');
    const env = { ...sb.env, XDG_CACHE_HOME: cache };
    expect(cli(sb, ['status'], { env }).code).toBe(0);
    const [entry] = entriesOf(cache);
    writeFileSync(entry, Buffer.alloc(5000, 7));
    const r = cli(sb, ['status', '--json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ counts: { pending: 0 } });
    expect(statSync(entry).size).not.toBe(5000);
  });

  it('a cache directory that cannot be made or written leaves commands as they are', () => {
    sb = sandbox();
    // Under a file: the directory cannot be made.
    writeFileSync(join(sb.dir, 'a-file'), '');
    const blocked = { ...sb.env, XDG_CACHE_HOME: join(sb.dir, 'a-file') };
    const r = cli(sb, ['enqueue', '--id', 'x', '--', 'true'], { env: blocked });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(cli(sb, ['show', 'x'], { env: blocked }).code).toBe(0);
    // A directory without write permission (root writes anyway; others are refused).
    const ro = join(sb.dir, 'ro');
    mkdirSync(join(ro, 'queuectl', 'code-cache'), { recursive: true });
    chmodSync(join(ro, 'queuectl', 'code-cache'), 0o500);
    const s = cli(sb, ['status'], { env: { ...sb.env, XDG_CACHE_HOME: ro } });
    expect(s).toMatchObject({ code: 0, stderr: '' });
    chmodSync(join(ro, 'queuectl', 'code-cache'), 0o700);
  });

  it('keeps entries for each command: one written by another command lacks the functions this one runs', () => {
    sb = sandbox();
    const cache = join(sb.dir, 'cache');
    const env = { ...sb.env, XDG_CACHE_HOME: cache };
    expect(cli(sb, ['status'], { env }).code).toBe(0);
    expect(cli(sb, ['enqueue', '--id', 'a', '--', 'true'], { env }).code).toBe(0);
    const sizes = Object.fromEntries(entriesOf(cache).map((e) => [e.replace(/.*\/core-[\w-]{8}-(.*)-v[\d.]+-\w+\.bin$/, '$1'), statSync(e).size]));
    expect(Object.keys(sizes).sort()).toEqual(['enqueue', 'status']);
    // enqueue's holds the insert path as well.
    expect(sizes.enqueue).toBeGreaterThan(sizes.status);
    // Each is read by its own command from then on, not written again.
    const times = entriesOf(cache).map((e) => statSync(e).mtimeMs);
    expect(cli(sb, ['enqueue', '--id', 'b', '--', 'true'], { env }).code).toBe(0);
    expect(cli(sb, ['status'], { env }).code).toBe(0);
    expect(entriesOf(cache).map((e) => statSync(e).mtimeMs)).toEqual(times);
  });

  it('names the command from the first word that can be one, past options and paths', () => {
    expect(commandProfile(['status'])).toBe('status');
    expect(commandProfile(['--db', '/tmp/q.db', 'worker', 'list'])).toBe('worker');
    expect(commandProfile(['--json', 'enqueue', '--', 'echo'])).toBe('enqueue');
    expect(commandProfile(['--', 'status'])).toBe('default');
    expect(commandProfile(['--db=/x/y.db'])).toBe('default');
    expect(commandProfile(['../Status'])).toBe('default');
    expect(commandProfile([])).toBe('default');
  });

  it('keeps at most 120 entries, removing the oldest (those of releases gone)', () => {
    sb = sandbox();
    const cache = join(sb.dir, 'cache');
    const dir = join(cache, 'queuectl', 'code-cache');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 130; i++) {
      const f = join(dir, `core-old${i}-status-v0-x64.bin`);
      writeFileSync(f, 'x');
      utimesSync(f, new Date(2020, 0, 1, 0, i), new Date(2020, 0, 1, 0, i));
    }
    expect(cli(sb, ['status'], { env: { ...sb.env, XDG_CACHE_HOME: cache } }).code).toBe(0);
    const left = readdirSync(dir);
    expect(left).toHaveLength(120);
    // The newest entry is this release's; the oldest ones went.
    expect(left.filter((n) => !n.startsWith('core-old'))).toHaveLength(1);
    expect(left).not.toContain('core-old10-status-v0-x64.bin');
    expect(left).toContain('core-old11-status-v0-x64.bin');
    expect(left).toContain('core-old129-status-v0-x64.bin');
  });

  it('the dashboard starts in a terminal from a warm cache as from a cold one, its own chunk cached too', async () => {
    sb = sandbox();
    const env = { ...sb.env, XDG_CACHE_HOME: join(sb.dir, 'cache'), TERM: 'xterm-256color' };
    const dashboardEntry = () => entriesOf(join(sb.dir, 'cache')).find((e) => /\/dashboard-[\w-]{8}-default-v[\d.]+-\w+\.bin$/.test(e));
    let written = 0;
    for (const run of ['cold', 'warm']) {
      // A real terminal around the command (script), as a user starts the dashboard; q quits.
      const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} --db ${JSON.stringify(sb.db)}`, '/dev/null'], {
        env,
        cwd: sb.dir,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let screen = '';
      child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
      child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      try {
        await waitFor(`the ${run} dashboard's first screen`, () => (screen.includes('quit') ? true : undefined), 20_000);
        child.stdin.write('q');
        expect(await exited, `${run}: ${screen.slice(-300)}`).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      expect(screen).not.toMatch(/dynamic import|queuectl:/);
      // Written by the cold start, accepted as it is by the warm one.
      const entry = dashboardEntry();
      expect(entry, run).toBeDefined();
      if (run === 'cold') written = statSync(entry!).mtimeMs;
      else expect(statSync(entry!).mtimeMs).toBe(written);
    }
  });
});
