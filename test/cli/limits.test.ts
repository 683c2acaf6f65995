/**
 * Unique keys and queue limits through the CLI, with real worker processes: the jobs themselves
 * record how many of them ran at once, and enqueuers race from separate processes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONGO_URI, dropDatabase, uniqueDbName, withDatabase } from '../mongo/helpers.js';
import { type Sandbox, cli, cliJson, requireBuild, sandbox, spawnCli } from './helpers.js';

const backends: Array<[string, (sb: Sandbox) => string]> = [['sqlite', (sb) => sb.db]];
if (MONGO_URI) backends.push(['mongo', () => withDatabase(MONGO_URI, uniqueDbName('queuectl_cli_limits'))]);

/**
 * A job that counts itself in and out of a shared counter under flock, keeping the highest count
 * seen: the number of jobs of the queue running at the same moment, as the jobs saw it.
 */
const COUNTED = `flock c.lock sh -c 'n=$(($(cat n)+1)); echo $n > n; if [ $n -gt $(cat max) ]; then echo $n > max; fi'; sleep 0.4; flock c.lock sh -c 'echo $(($(cat n)-1)) > n'`;

function run(sb: Sandbox, db: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(sb, args, { db });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe.each(backends)('unique jobs and queue limits with real workers: %s', (backend, dbOf) => {
  let sb: Sandbox;
  let db: string;

  beforeAll(() => {
    requireBuild();
    sb = sandbox();
    db = dbOf(sb);
  });
  afterAll(async () => {
    cli(sb, ['worker', 'stop', '--force', '--timeout', '20s'], { db });
    sb.cleanup();
    if (backend === 'mongo') await dropDatabase(db);
  });

  it('a queue limited to 2 never runs 3 at once across 4 workers', async () => {
    writeFileSync(join(sb.dir, 'n'), '0\n');
    writeFileSync(join(sb.dir, 'max'), '0\n');
    expect(cli(sb, ['queue', 'limit', 'lim', '--concurrency', '2'], { db }).stdout).toBe('queue lim: concurrency 2\n');
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: `c${i}`, command: COUNTED, queue: 'lim' })).join('\n');
    expect(cli(sb, ['enqueue', '--file', '-'], { db, input: lines }).stdout).toBe('enqueued 12 jobs\n');
    expect(cli(sb, ['queue', 'list'], { db }).stdout).toMatch(/^lim +active +12 +0 .* 2 at once \(0 running\)$/m);
    cliJson(sb, ['worker', 'start', '--count', '4'], { db });
    const waited = cli(sb, ['wait', ...Array.from({ length: 12 }, (_, i) => `c${i}`), '--timeout', '120s'], { db });
    expect(waited.code, waited.stderr).toBe(0);
    // At most 2 ran at any moment, and the limit, not a lack of workers, is what held them there.
    expect(Number(readFileSync(join(sb.dir, 'max'), 'utf8'))).toBe(2);
    const [q] = cliJson<Array<{ name: string; running: number; limits: unknown }>>(sb, ['queue', 'list'], { db }).filter((x) => x.name === 'lim');
    expect(q).toMatchObject({ running: 0, limits: { concurrency: 2, rate: null } });
  }, 180_000);

  it('of enqueuers racing from 12 processes with one key, one makes the job and each other names it', async () => {
    // Held in a paused queue, so the job stays pending (and keeps its key) while they race.
    expect(cli(sb, ['queue', 'pause', 'held'], { db }).code).toBe(0);
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => run(sb, db, ['enqueue', '--queue', 'held', '--id', `race-${i}`, '--unique-key', 'nightly', '--json', '--', 'true'])),
    );
    for (const r of replies) expect(r.code, r.stderr).toBe(0);
    const json = replies.map((r) => JSON.parse(r.stdout) as { deduplicated: boolean; id: string; unique_key: string });
    const made = json.filter((j) => !j.deduplicated);
    expect(made).toHaveLength(1);
    expect(new Set(json.map((j) => j.id))).toEqual(new Set([made[0].id]));
    expect(json.every((j) => j.unique_key === 'nightly')).toBe(true);
    const text = cli(sb, ['enqueue', '--queue', 'held', '--unique-key', 'nightly', '--', 'true'], { db });
    expect(text).toMatchObject({ code: 0, stdout: `deduplicated: job ${made[0].id} already holds key nightly\n` });
    expect(cliJson(sb, ['show', made[0].id], { db })).toMatchObject({ unique_key: 'nightly', unique_until: null });
    expect(cliJson<unknown[]>(sb, ['list', '--queue', 'held'], { db })).toHaveLength(1);
    // Once it has run, the key is free again.
    cli(sb, ['queue', 'resume', 'held'], { db });
    expect(cli(sb, ['wait', made[0].id, '--timeout', '60s'], { db }).code).toBe(0);
    expect(cliJson(sb, ['enqueue', '--unique-key', 'nightly', '--unique-for', '1h', '--', 'true'], { db })).toMatchObject({ deduplicated: false, unique_key: 'nightly' });
  }, 120_000);

  it('refuses bad limits and bad keys with exit 2', () => {
    for (const args of [
      ['queue', 'limit', 'x', '--concurrency', '-1'],
      ['queue', 'limit', 'x', '--rate', '10'],
      ['queue', 'limit', 'x', '--rate', '10/soon'],
      ['queue', 'limit', 'x', '--concurrency', '2', '--clear'],
      ['queue', 'limit', 'never-made'],
      ['enqueue', '--unique-for', '1m', '--', 'true'],
      ['enqueue', '--unique-key', 'k', '--unique-for', '0s', '--', 'true'],
    ]) {
      const r = cli(sb, args, { db });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^queuectl: .+\n$/);
    }
    expect(cli(sb, ['queue', 'limit', 'x', '--rate', '10/1m', '--concurrency', '3'], { db }).stdout).toBe('queue x: concurrency 3, rate 10/1m\n');
    expect(cliJson(sb, ['queue', 'limit', 'x'], { db })).toEqual({ name: 'x', limits: { concurrency: 3, rate: { limit: 10, window: '1m', window_ms: 60_000 } } });
    expect(cli(sb, ['queue', 'limit', 'x', '--concurrency', '0'], { db }).stdout).toBe('queue x: rate 10/1m\n');
    expect(cli(sb, ['queue', 'limit', 'x', '--clear'], { db }).stdout).toBe('queue x: no limits\n');
    const events = cli(sb, ['events', '--queue', 'x', '--json'], { db }).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; detail: string });
    expect(events.filter((e) => e.type === 'queue_limits').map((e) => e.detail)).toEqual(['concurrency 3, rate 10/1m', 'rate 10/1m', 'no limits']);
  });
});
