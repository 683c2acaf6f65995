/**
 * Output as users meet it: through pipes to slow and to early-closing readers, and on a real
 * terminal, where job data must be shown but never obeyed.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { CLI, type Sandbox, cli, requireBuild, sandbox, withEngine } from './helpers.js';

let sb: Sandbox;
const BIG = 'x'.repeat(1500) + '\n';
const HOSTILE_OUTPUT = 'before\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2Jafter\n';

beforeAll(async () => {
  requireBuild();
  sb = sandbox();
  await withEngine(sb.db, async (q) => {
    await q.setConfig('output_limit_bytes', String(4 * 1024 * 1024));
    // 800 jobs whose commands make every listing well over a megabyte; all dead, for `dlq list`.
    await q.enqueue(Array.from({ length: 800 }, (_, i) => ({ id: `big${String(i).padStart(3, '0')}`, command: `echo ${'y'.repeat(1400)} ${i}`, max_retries: 0 })));
    const config = await q.config();
    for (let job = await q.claim('w', null, 60_000); job; job = await q.claim('w', null, 60_000)) {
      const output = job.id === 'big000' ? BIG.repeat(800) : 'short\n';
      await q.settle(job, 'w', { outcome: 'exit', exit_code: 1, signal: null, error: 'exit code 1', output, output_bytes: output.length, finished_at: q.now() }, config);
    }
    await q.enqueue([{ id: 'hostile', command: "printf '\\033]0;pwned\\007'; echo \x1b[2J" }]);
    const h = (await q.claim('w', null, 60_000))!;
    await q.settle(h, 'w', { outcome: 'succeeded', exit_code: 0, signal: null, error: null, output: HOSTILE_OUTPUT, output_bytes: HOSTILE_OUTPUT.length, finished_at: q.now() }, DEFAULT_CONFIG);
  });
});
afterAll(() => sb?.cleanup());

/** Runs `queuectl ARGS | READER` through a shell; returns the reader's output and the pipeline's statuses. */
function piped(args: string[], reader: string, input?: string): { out: string; status: string } {
  const words = [process.execPath, CLI, '--db', sb.db, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${words} | ${reader}; echo "status \${PIPESTATUS[*]}" >&2`], { env: sb.env, cwd: sb.dir, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { out: r.stdout, status: /status (.*)/.exec(r.stderr)?.[1] ?? r.stderr };
}

describe('output through pipes', () => {
  const cases: Array<[string, string[], string | undefined]> = [
    ['list --json', ['list', '--json', '--limit', '1000'], undefined],
    ['dlq list --json', ['dlq', 'list', '--json', '--limit', '1000'], undefined],
    ['show --json', ['show', 'big000', '--json'], undefined],
    ['logs', ['logs', 'big000'], undefined],
    ['enqueue --file - --json', ['enqueue', '--file', '-', '--json'], Array.from({ length: 900 }, (_, i) => JSON.stringify({ id: `in${i}`, command: `echo ${'z'.repeat(1500)}` })).join('\n')],
  ];
  it.each(cases)('%s: more than a megabyte arrives whole at a slow reader', (_name, args, input) => {
    const file = join(sb.dir, `whole-${args[0]}-${args[1]}.out`);
    const direct = spawnSync(process.execPath, [CLI, '--db', sb.db, ...(args[0] === 'enqueue' ? ['list', '--json', '--limit', '1'] : args)], { env: sb.env, cwd: sb.dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(file, direct.stdout);
    const r = piped(args, '(sleep 0.5; cat)', input);
    expect(r.status).toBe('0 0');
    expect(Buffer.byteLength(r.out)).toBeGreaterThan(1024 * 1024);
    if (args.includes('--json')) expect(() => JSON.parse(r.out)).not.toThrow();
    if (args[0] !== 'enqueue') expect(r.out).toBe(direct.stdout);
  });

  it('a pipe another process left non-blocking: more than a megabyte still arrives whole, in order, at a slow reader', () => {
    const args = ['list', '--json', '--limit', '1000'];
    const direct = spawnSync(process.execPath, [CLI, '--db', sb.db, ...args], { env: sb.env, cwd: sb.dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    // O_NONBLOCK set on the pipe (its file description, shared with whoever else holds it), then queuectl in the same process.
    const setNonBlocking = `import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])`;
    const words = ['python3', '-c', setNonBlocking, process.execPath, CLI, '--db', sb.db, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${words} | (sleep 0.5; cat); echo "status \${PIPESTATUS[*]}" >&2`], { env: sb.env, cwd: sb.dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(/status (.*)/.exec(r.stderr)?.[1]).toBe('0 0');
    expect(Buffer.byteLength(r.stdout)).toBeGreaterThan(1024 * 1024);
    expect(r.stdout).toBe(direct.stdout);
  });

  it('a reader that closes early ends the command quietly, with exit 0', () => {
    for (const args of [['list', '--limit', '1000'], ['list', '--json', '--limit', '1000'], ['logs', 'big000'], ['show', 'big000', '--json']]) {
      const words = [process.execPath, CLI, '--db', sb.db, ...args].map((w) => `'${w}'`).join(' ');
      const r = spawnSync('bash', ['-c', `${words} | head -1 > /dev/null; echo "status \${PIPESTATUS[*]}"`], { env: sb.env, cwd: sb.dir, encoding: 'utf8' });
      expect(r.stdout.trim(), args.join(' ')).toBe('status 0 0');
      // Nothing but what the command says anyway (the next-page hint): no error, no stack trace.
      expect(r.stderr.replace(/^more: .*\n/m, ''), args.join(' ')).toBe('');
    }
  });
});

describe('job data on a real terminal', () => {
  /** Runs the CLI with a terminal around it (`script`), returning the bytes it wrote. */
  function onTerminal(args: string[]): string {
    const words = [process.execPath, CLI, '--db', sb.db, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', words, '/dev/null'], { env: { ...sb.env, COLUMNS: '200' }, cwd: sb.dir, encoding: 'utf8' });
    return r.stdout;
  }

  it('shows escape sequences from commands and output visibly, and never writes them', () => {
    for (const args of [['list', '--state', 'completed'], ['show', 'hostile'], ['logs', 'hostile']]) {
      const seen = onTerminal(args);
      expect(seen, args.join(' ')).not.toMatch(/\x1b\]/);
      expect(seen, args.join(' ')).not.toContain('\x1b[2J');
      expect(seen, args.join(' ')).not.toContain('\x07');
    }
    expect(onTerminal(['logs', 'hostile'])).toContain('before^[]0;pwned^G^[]52;c;ZXZpbA==^G^[[2Jafter');
    expect(onTerminal(['show', 'hostile'])).toContain("printf '\\033]0;pwned\\007'; echo ^[[2J");
  });

  it('gives the stored bytes as they are to a pipe, and exact JSON', () => {
    expect(cli(sb, ['logs', 'hostile']).stdout).toBe(HOSTILE_OUTPUT);
    expect(JSON.parse(cli(sb, ['show', 'hostile', '--json']).stdout).output).toBe(HOSTILE_OUTPUT);
  });

  it('escapes input echoed in an error, and cuts it to a readable length', () => {
    const id = `\x1b]0;x\x07${'a'.repeat(10_000)}`;
    const r = cli(sb, ['show', id]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('\x1b');
    expect(r.stderr).toContain('^[]0;x^G');
    expect(r.stderr.length).toBeLessThan(300);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('repeats every option in the hint for the next page, --db included', () => {
    const r = cli(sb, ['list', '--state', 'dead', '--limit', '2']);
    expect(r.stderr).toMatch(new RegExp(`^more: queuectl list --db ${sb.db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --state dead --limit 2 --cursor \\S+\\n$`));
  });
});
