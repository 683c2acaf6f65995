/**
 * The fast path (src/commands/fast-path.ts) parses `status` and `enqueue` without commander. It
 * must accept exactly what commander accepts, with the same options, and leave everything else to
 * commander. Each argument list below goes through both: in this process (the command functions
 * replaced by recorders, to compare what each parser hands over), and as the real CLI with and
 * without QUEUECTL_FAST_PATH=off (to compare exit code, stdout and stderr).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI, createDb, requireBuild } from './helpers.js';

const calls: Array<{ fn: string; args: unknown[] }> = [];
vi.mock('../../src/commands/status.js', () => ({
  runStatus: async (...args: unknown[]) => {
    calls.push({ fn: 'runStatus', args });
    return 0;
  },
}));
vi.mock('../../src/commands/enqueue.js', () => ({
  runEnqueue: async (...args: unknown[]) => {
    calls.push({ fn: 'runEnqueue', args });
    return 0;
  },
}));

const { fastPath, parseFast } = await import('../../src/commands/fast-path.js');
const { runProgram } = await import('../../src/commands/program.js');

/** `$DB` stands for the database file of the run. */
const CASES: Array<{ args: string[]; input?: string }> = [
  // status: valid
  { args: ['status'] },
  { args: ['status', '--json'] },
  { args: ['status', '--json', '--json'] },
  { args: ['status', '--db', '$DB'] },
  { args: ['status', '--db=$DB', '--json'] },
  { args: ['--db', '$DB', 'status'] },
  { args: ['--db=$DB', 'status', '--json'] },
  // status: invalid, help, odd shapes
  { args: ['status', '--bogus'] },
  { args: ['status', '-x'] },
  { args: ['status', '--json=1'] },
  { args: ['status', '--json='] },
  { args: ['status', 'extra'] },
  { args: ['status', '--db'] },
  { args: ['--db'] },
  { args: ['status', '--'] },
  { args: ['status', '--', 'x'] },
  { args: ['status', '-'] },
  { args: ['status', '--help'] },
  { args: ['status', '-h'] },
  { args: ['--json', 'status'] },
  { args: ['Status'] },
  // enqueue: valid
  { args: ['enqueue', '{"id":"a","command":"true"}'] },
  { args: ['enqueue', '{"id":"a","command":"true"}', '--json'] },
  { args: ['enqueue', '--json', '{"id":"a","command":"true"}'] },
  { args: ['enqueue', '--id', 'x', '--json', '--', 'echo', 'hi'] },
  { args: ['enqueue', '--id=x', '--priority=-2', '--max-retries=0', '--', 'true'] },
  { args: ['enqueue', '--id', 'x', '--priority', '-2', '--timeout', '1m', '--delay', '1h', '--queue', 'q', '--', 'true'] },
  { args: ['enqueue', '--id', 'x', '--run-at', '2030-01-31T09:00:00Z', '--json', '--', 'true'] },
  { args: ['enqueue', '--id', 'x', '--', 'echo', '--json', '--db', 'elsewhere'] },
  { args: ['enqueue', '--id', 'x', '--', '--'] },
  { args: ['--db', '$DB', 'enqueue', '--id', 'x', '--', 'true'] },
  { args: ['enqueue', '--db=$DB', '--id', 'x', '--', 'true'] },
  { args: ['enqueue', '--id', 'x', '--db', '$DB', '--', 'true'] },
  { args: ['enqueue', '--file', '-', '--json'], input: '{"id":"f1","command":"true"}\n{"id":"f2","command":"true"}\n' },
  { args: ['enqueue', '--file=-'], input: '{"id":"f1","command":"true"}\n' },
  { args: ['enqueue', '--id='] },
  { args: ['enqueue', '--id', 'x', '--after', 'a', '--after=b,c', '--json', '--', 'true'] },
  { args: ['enqueue', '--after', 'nope', '--', 'true'] },
  // enqueue: invalid, help, odd shapes
  { args: ['enqueue'] },
  { args: ['enqueue', '--'] },
  { args: ['enqueue', '--json'] },
  { args: ['enqueue', '--id'] },
  { args: ['enqueue', '--id', 'x', '--priority'] },
  { args: ['enqueue', '--id', '--', 'true'] },
  { args: ['enqueue', '--id', 'x', '--', 'true', '--', 'more'] },
  { args: ['enqueue', '--bogus', '--', 'true'] },
  { args: ['enqueue', '--bogus=1', '--', 'true'] },
  { args: ['enqueue', '-x', '--', 'true'] },
  { args: ['enqueue', '-1'] },
  { args: ['enqueue', '--json=yes', '--', 'true'] },
  { args: ['enqueue', 'echo'] },
  { args: ['enqueue', '-'] },
  { args: ['enqueue', '{"command":"true"}', '{"command":"true"}'] },
  { args: ['enqueue', '{"id":"a","command":"true"}', '--', 'true'] },
  { args: ['enqueue', '--queue', 'q', '{"id":"a","command":"true"}'] },
  { args: ['enqueue', '--id', 'x', '--delay', '1s', '--run-at', '2030-01-01T00:00:00Z', '--', 'true'] },
  { args: ['enqueue', '--id', 'x', '--priority', 'high', '--', 'true'] },
  { args: ['enqueue', '--file'] },
  { args: ['enqueue', '--after'] },
  { args: ['enqueue', '--after', 'a', '{"command":"true"}'] },
  { args: ['enqueue', '--after', '--', 'true'] },
  { args: ['enqueue', '--help'] },
  { args: ['enqueue', '-h', '--', 'true'] },
];

const label = (args: string[]) => args.join(' ') || '(nothing)';

describe('in this process: the fast path hands over what commander hands over', () => {
  let out: ReturnType<typeof vi.spyOn>;
  let err: ReturnType<typeof vi.spyOn>;
  beforeAll(() => {
    out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(() => {
    out.mockRestore();
    err.mockRestore();
  });
  afterEach(() => {
    calls.length = 0;
  });

  it.each(CASES.map((c) => [label(c.args), c.args] as const))('%s', async (_label, args) => {
    calls.length = 0;
    const code = await runProgram(args);
    const viaCommander = calls.splice(0);
    const fast = fastPath(args);
    if (fast === null) {
      // Declined: commander decides. Whatever commander rejects, the fast path must decline.
      if (viaCommander.length === 0) expect(parseFast(args)).toBeNull();
      return;
    }
    // Accepted: commander accepts too and calls the same function with the same arguments.
    expect(code, 'commander accepts what the fast path accepts').toBe(0);
    expect(await fast()).toBe(0);
    const viaFast = calls.splice(0);
    expect(viaFast).toEqual(viaCommander);
    expect(viaFast).toHaveLength(1);
  });

  it('takes the fast path for the plain valid shapes', () => {
    for (const args of [['status'], ['status', '--json'], ['--db=x', 'status'], ['enqueue', '--id', 'x', '--', 'true'], ['enqueue', '{"command":"true"}', '--json']]) {
      expect(parseFast(args), label(args)).not.toBeNull();
    }
  });
});

describe('as processes: the same exit code, stdout and stderr either way', () => {
  let dir: string;
  let template: string;
  beforeAll(() => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'queuectl-fast-'));
    template = join(dir, 'template.db');
    createDb(template);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  async function run(args: string[], input: string | undefined, forceCommander: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const db = join(dir, `run-${n++}.db`);
    copyFileSync(template, db);
    const env: NodeJS.ProcessEnv = { ...process.env, QUEUECTL_DB: db, XDG_DATA_HOME: join(dir, 'xdg'), NO_COLOR: '1' };
    delete env.MONGO_URI;
    delete env.QUEUECTL_DEBUG;
    delete env.QUEUECTL_FAST_PATH;
    if (forceCommander) env.QUEUECTL_FAST_PATH = 'off';
    const argv = args.map((a) => a.replace('$DB', db));
    const child = spawn(process.execPath, [CLI, ...argv], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(input ?? '');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const norm = (text: string) =>
      text
        .replaceAll(db, '<db>')
        .replace(/\bj-[0-9a-z-]+/g, '<job-id>')
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>');
    return { code, stdout: norm(stdout), stderr: norm(stderr) };
  }

  // A line the fast path declines goes to commander either way (cli.ts), so the lines compared
  // here are those it takes; the test above checks that it declines every line commander rejects.
  const taken = CASES.filter((c) => parseFast(c.args.map((a) => a.replace('$DB', 'x'))) !== null);

  it('compares a good share of the table', () => {
    expect(taken.length).toBeGreaterThanOrEqual(25);
  });

  it.each(taken.map((c) => [label(c.args), c] as const))('%s', async (_label, c) => {
    const [fast, commander] = await Promise.all([run(c.args, c.input, false), run(c.args, c.input, true)]);
    expect(fast).toEqual(commander);
    expect([0, 2]).toContain(fast.code);
    // Every rejection is one line.
    if (fast.code === 2) expect(fast.stderr).toMatch(/^queuectl: [^\n]+\n$/);
  });
});
