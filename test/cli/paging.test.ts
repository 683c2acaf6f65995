/**
 * Paging for scripts: `--cursor-json` hands back the next page's cursor, `--jsonl --all` streams
 * every matching job one per line, and the plain `--json` array stays as it was.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type Sandbox, cli, cliJson, requireBuild, sandbox, withEngine } from './helpers.js';

interface JobJson {
  id: string;
  state: string;
  queue: string;
}

let small: Sandbox;
let big: Sandbox;

beforeAll(async () => {
  requireBuild();
  small = sandbox();
  big = sandbox();
  // 250 jobs, the first 40 dead (for `dlq list`).
  await withEngine(small.db, async (q) => {
    await q.enqueue(Array.from({ length: 250 }, (_, i) => ({ id: `w${String(i).padStart(3, '0')}`, command: `echo ${i}`, max_retries: 0 })));
    const config = await q.config();
    for (let i = 0; i < 40; i++) {
      const job = (await q.claim('w', null, 60_000))!;
      await q.settle(job, 'w', { outcome: 'exit', exit_code: 1, signal: null, error: 'exit code 1', output: '', output_bytes: 0, finished_at: q.now() }, config);
    }
  });
  await withEngine(big.db, async (q) => {
    await q.enqueue(Array.from({ length: 2500 }, (_, i) => ({ id: `b${i}`, command: `echo ${'x'.repeat(300)} ${i}`, queue: i % 2 === 0 ? 'even' : 'odd' })));
  });
});
afterAll(() => {
  small?.cleanup();
  big?.cleanup();
});

/** Follows `next` from page to page, as a script would; returns every page. */
function walk(sb: Sandbox, base: string[]): JobJson[][] {
  const pages: JobJson[][] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const args: string[] = cursor === null ? base : [...base, '--cursor', cursor];
    const r = cli(sb, args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { jobs: JobJson[]; next: string | null };
    expect(Object.keys(body).sort()).toEqual(['jobs', 'next']);
    pages.push(body.jobs);
    if (body.next === null) return pages;
    expect(typeof body.next).toBe('string');
    cursor = body.next;
  }
  throw new Error('the cursor never reached the end');
}

describe('list --cursor-json', () => {
  it('walks 250 jobs with --limit 100, each exactly once, newest first', () => {
    const pages = walk(small, ['list', '--cursor-json', '--limit', '100']);
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    const ids = pages.flat().map((j) => j.id);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => `w${String(249 - i).padStart(3, '0')}`));
  });

  it('walks with filters too, and gives next null on the last page', () => {
    const pages = walk(small, ['list', '--cursor-json', '--limit', '7', '--state', 'dead']);
    const ids = pages.flat().map((j) => j.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    const last = JSON.parse(cli(small, ['list', '--cursor-json', '--limit', '1000']).stdout);
    expect(last.jobs).toHaveLength(250);
    expect(last.next).toBeNull();
  });

  it('dlq list --cursor-json walks the dead jobs', () => {
    const ids = walk(small, ['dlq', 'list', '--cursor-json', '--limit', '15']).flat().map((j) => j.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('--json keeps its plain array', () => {
    const jobs = cliJson<JobJson[]>(small, ['list', '--limit', '3']);
    expect(Array.isArray(jobs)).toBe(true);
    expect(jobs.map((j) => j.id)).toEqual(['w249', 'w248', 'w247']);
    expect(Array.isArray(cliJson(small, ['dlq', 'list', '--limit', '3']))).toBe(true);
    // --json with --cursor-json is the same as --cursor-json alone
    const both = JSON.parse(cli(small, ['list', '--json', '--cursor-json', '--limit', '3']).stdout);
    expect(both.jobs.map((j: JobJson) => j.id)).toEqual(['w249', 'w248', 'w247']);
  });
});

describe('list --jsonl', () => {
  it('--jsonl alone prints one page, one job per line', () => {
    const r = cli(small, ['list', '--jsonl', '--limit', '5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as JobJson).id)).toEqual(['w249', 'w248', 'w247', 'w246', 'w245']);
  });

  it('--jsonl --all streams all 2,500 jobs, each line valid JSON, ids unique', () => {
    const r = cli(big, ['list', '--jsonl', '--all', '--limit', '100']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const lines = r.stdout.slice(0, -1).split('\n');
    expect(lines).toHaveLength(2500);
    const ids = lines.map((l) => (JSON.parse(l) as JobJson).id);
    expect(new Set(ids).size).toBe(2500);
    expect(ids[0]).toBe('b2499');
    expect(ids[2499]).toBe('b0');
  });

  it('--jsonl --all keeps the filters, and the default page size', () => {
    const r = cli(big, ['list', '--jsonl', '--all', '--queue', 'odd']);
    const jobs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as JobJson);
    expect(jobs).toHaveLength(1250);
    expect(jobs.every((j) => j.queue === 'odd')).toBe(true);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(1250);
    expect(cli(small, ['dlq', 'list', '--jsonl', '--all', '--limit', '9']).stdout.trim().split('\n')).toHaveLength(40);
  });

  it('--jsonl --all with no match prints nothing', () => {
    const r = cli(big, ['list', '--jsonl', '--all', '--state', 'dead']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--jsonl --all through `| head -1` ends quietly with exit 0', () => {
    const words = [process.execPath, CLI, '--db', big.db, 'list', '--jsonl', '--all', '--limit', '100'].map((w) => `'${w}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${words} | head -1; echo "status \${PIPESTATUS[*]}" >&2`], { env: big.env, cwd: big.dir, encoding: 'utf8' });
    expect(r.stderr).toBe('status 0 0\n');
    expect((JSON.parse(r.stdout) as JobJson).id).toBe('b2499');
  });

  it('--jsonl --all arrives whole at a slow reader', () => {
    const words = [process.execPath, CLI, '--db', big.db, 'list', '--jsonl', '--all', '--limit', '100'].map((w) => `'${w}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${words} | (sleep 0.5; wc -l); echo "status \${PIPESTATUS[*]}" >&2`], { env: big.env, cwd: big.dir, encoding: 'utf8' });
    expect(r.stderr).toBe('status 0 0\n');
    expect(r.stdout.trim()).toBe('2500');
  });
});

describe('incompatible paging options', () => {
  const rejected: Array<[string[], RegExp]> = [
    [['list', '--json', '--jsonl'], /^queuectl: give --json or --jsonl, not both\n$/],
    [['list', '--cursor-json', '--jsonl'], /^queuectl: give --cursor-json or --jsonl, not both/],
    [['list', '--all'], /^queuectl: --all needs --jsonl/],
    [['list', '--all', '--json'], /^queuectl: --all needs --jsonl/],
    [['list', '--all', '--cursor-json'], /^queuectl: --all needs --jsonl/],
    [['dlq', 'list', '--all'], /^queuectl: --all needs --jsonl/],
    [['list', '--jsonl', '--all', '--offset', '1', '--cursor', 'a'], /^queuectl: give --offset or --cursor, not both\n$/],
    [['list', '--cursor-json', '--cursor', '!!'], /^queuectl: invalid cursor "!!"\n$/],
  ];
  it.each(rejected)('%j exits 2 with one line', (args, message) => {
    const r = cli(small, args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});
