/**
 * Shell completion: the scripts `queuectl completion <shell>` prints, and the answers of the
 * callback they run on each TAB (`queuectl complete -- <words>`), called directly and through
 * the generated bash script in a real bash.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type Sandbox, cli, createDb, requireBuild, sandbox, withEngine } from './helpers.js';

let sb: Sandbox;
let bin: string;
let other: string;

beforeAll(async () => {
  requireBuild();
  sb = sandbox();
  await withEngine(sb.db, async (q) => {
    await q.enqueue([
      { id: 'alpha-1', command: 'true', queue: 'mail' },
      { id: 'alpha-2', command: 'true', queue: 'reports' },
      { id: 'beta-dead', command: 'false', max_retries: 0 },
    ]);
    const config = await q.config();
    // The alphas complete; beta-dead fails with no retries left and dies.
    for (let job = await q.claim('w', null, 60_000); job; job = await q.claim('w', null, 60_000)) {
      const ok = job.id.startsWith('alpha');
      await q.settle(job, 'w', { outcome: ok ? 'succeeded' : 'exit', exit_code: ok ? 0 : 1, signal: null, error: ok ? null : 'exit code 1', output: '', output_bytes: 0, finished_at: q.now() }, config);
    }
    await q.enqueue([{ id: 'alpha-3', command: 'true' }]);
  });
  other = join(sb.dir, 'other.db');
  createDb(other);
  await withEngine(other, (q) => q.enqueue([{ id: 'only-in-other', command: 'true' }]));
  // `queuectl` on PATH, as the generated scripts call it by name.
  bin = join(sb.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'queuectl'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, 'queuectl'), 0o755);
});
afterAll(() => sb?.cleanup());

const env = () => ({ ...sb.env, QUEUECTL_DB: sb.db });

/** The callback as the scripts run it; returns the candidate values and the directive. */
function complete(words: string[], db: string | undefined = sb.db): { values: string[]; directive: string; stderr: string; code: number | null } {
  const r = spawnSync(process.execPath, [CLI, 'complete', '--', ...words], { env: { ...sb.env, ...(db ? { QUEUECTL_DB: db } : {}) }, cwd: sb.dir, encoding: 'utf8' });
  const lines = r.stdout.split('\n').filter(Boolean);
  const directive = lines.pop() ?? '';
  return { values: lines.map((l) => l.split('\t')[0]), directive, stderr: r.stderr, code: r.status };
}

/**
 * Sources the generated bash script in a real bash and runs its completion function for the
 * line typed, as bash does on TAB; returns COMPREPLY. `compopt` only works while bash itself is
 * completing, so it is a no-op here.
 */
function bashComplete(line: string): string[] {
  const script = [
    'compopt() { :; }',
    'source <(queuectl completion bash)',
    `COMP_LINE=${JSON.stringify(line)}`,
    'COMP_POINT=${#COMP_LINE}',
    'read -ra COMP_WORDS <<< "$COMP_LINE"',
    '[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")',
    'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
    '__queuectl_complete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { env: { ...env(), PATH: `${bin}:${process.env.PATH}` }, cwd: sb.dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('queuectl completion <shell>', () => {
  it('prints a bash script that bash accepts, registering the completion for queuectl', () => {
    const r = cli(sb, ['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('complete -F __queuectl_complete queuectl');
    expect(r.stdout).toContain('queuectl complete --');
    const file = join(sb.dir, 'queuectl.bash');
    writeFileSync(file, r.stdout);
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).status).toBe(0);
  });

  it('prints zsh and fish scripts that call the same callback', () => {
    const zsh = cli(sb, ['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef queuectl/m);
    expect(zsh.stdout).toContain('queuectl complete --');
    const fish = cli(sb, ['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain('queuectl complete --');
    expect(fish.stdout).toContain('complete -c queuectl');
  });

  it('rejects another shell with one line and exit 2', () => {
    const r = cli(sb, ['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^queuectl: .*'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish\.\n$/);
  });

  it('is listed in help, and the callback is not', () => {
    const help = cli(sb, ['--help']).stdout;
    expect(help).toMatch(/^ {2}completion <shell>/m);
    expect(help).not.toMatch(/^ {2}complete\b/m);
  });
});

describe('the completion callback', () => {
  it('completes command names', () => {
    expect(complete(['li'])).toEqual({ values: ['list'], directive: ':4', stderr: '', code: 0 });
    expect(complete(['']).values).toEqual(expect.arrayContaining(['enqueue', 'status', 'list', 'show', 'worker', 'dlq', 'completion']));
    expect(complete(['dlq', '']).values).toEqual(expect.arrayContaining(['list', 'retry', 'purge']));
    expect(complete(['worker', 'st']).values.sort()).toEqual(['start', 'stop']);
  });

  it('completes options, the global --db included', () => {
    expect(complete(['list', '--js']).values.sort()).toEqual(['--json', '--jsonl']);
    expect(complete(['status', '--']).values.sort()).toEqual(['--db', '--help', '--json']);
    expect(complete(['logs', '--f']).values).toEqual(['--follow']);
    expect(complete(['logs', '-']).values.sort()).toEqual(['-f', '-h']);
  });

  it('completes state names after --state', () => {
    expect(complete(['list', '--state', '']).values).toEqual(['pending', 'waiting', 'processing', 'completed', 'failed', 'dead', 'cancelled']);
    expect(complete(['list', '--state', 'c']).values).toEqual(['completed', 'cancelled']);
    // purge takes only finished states
    expect(complete(['purge', '--state', '']).values).toEqual(['completed', 'dead', 'cancelled']);
  });

  it('offers job ids from the database, only those a command can act on', () => {
    expect(complete(['show', '']).values.sort()).toEqual(['alpha-1', 'alpha-2', 'alpha-3', 'beta-dead']);
    expect(complete(['logs', 'alpha']).values.sort()).toEqual(['alpha-1', 'alpha-2', 'alpha-3']);
    expect(complete(['dlq', 'retry', '']).values).toEqual(['beta-dead']);
    expect(complete(['cancel', '']).values).toEqual(['alpha-3']);
  });

  it('offers queue names and config keys', () => {
    expect(complete(['list', '--queue', '']).values).toEqual(['default', 'mail', 'reports']);
    expect(complete(['enqueue', '--queue', 'r']).values).toEqual(['reports']);
    expect(complete(['config', 'get', 'max']).values).toEqual(['max_retries']);
  });

  it('reads the database given with --db on the line', () => {
    expect(complete(['--db', other, 'show', '']).values).toEqual(['only-in-other']);
    expect(complete(['show', `--db=${other}`, '']).values).toEqual(['only-in-other']);
  });

  it('offers no ids, quietly, when the database is missing, and does not create it', () => {
    const missing = join(sb.dir, 'missing.db');
    expect(complete(['show', ''], missing)).toEqual({ values: [], directive: ':4', stderr: '', code: 0 });
    expect(existsSync(missing)).toBe(false);
  });
});

describe('the bash script in bash', () => {
  it('completes `queuectl li<TAB>` to list', () => {
    expect(bashComplete('queuectl li')).toEqual(['list']);
  });

  it('completes `queuectl list --state <TAB>` to the state names', () => {
    expect(bashComplete('queuectl list --state ')).toEqual(['cancelled', 'completed', 'dead', 'failed', 'pending', 'processing', 'waiting']);
    expect(bashComplete('queuectl list --state fa')).toEqual(['failed']);
  });

  it('completes `queuectl show <TAB>` to job ids from the database', () => {
    expect(bashComplete('queuectl show ')).toEqual(['alpha-1', 'alpha-2', 'alpha-3', 'beta-dead']);
    expect(bashComplete('queuectl show be')).toEqual(['beta-dead']);
    expect(bashComplete(`queuectl --db ${other} show `)).toEqual(['only-in-other']);
  });

  it('completes options and queue names', () => {
    expect(bashComplete('queuectl list --cur')).toEqual(['--cursor', '--cursor-json']);
    expect(bashComplete('queuectl list --queue ')).toEqual(['default', 'mail', 'reports']);
  });
});

const hasFish = spawnSync('fish', ['--version']).status === 0;

describe.skipIf(!hasFish)('the fish script in fish (where fish is installed)', () => {
  function fishComplete(line: string): string[] {
    const r = spawnSync('fish', ['--no-config', '-c', `queuectl completion fish | source; complete --do-complete ${JSON.stringify(line)}`], {
      env: { ...env(), PATH: `${bin}:${process.env.PATH}` },
      cwd: sb.dir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort();
  }

  it('completes commands, state names and job ids', () => {
    expect(fishComplete('queuectl li')).toEqual(['list']);
    expect(fishComplete('queuectl list --state ')).toEqual(['cancelled', 'completed', 'dead', 'failed', 'pending', 'processing']);
    expect(fishComplete('queuectl show ')).toEqual(['alpha-1', 'alpha-2', 'alpha-3', 'beta-dead']);
  });
});
