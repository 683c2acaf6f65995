import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { TEST_WORKER, result } from './engine-helpers.js';
import { type Sandbox, cli, requireBuild, sandbox, spawnCli, waitFor, withEngine } from './helpers.js';

/**
 * `logs --follow` against output written the way a worker writes it (lease renewals carrying
 * the tail), driven step by step from the test so each case is exact.
 */

let sb: Sandbox;
beforeAll(requireBuild);
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

it('follows output as it grows, across attempts, marks skipped bytes, and exits 0 at the end', async () => {
  cli(sb, ['enqueue', '{"id":"f1","command":"work","queue":"qf"}']);
  const follow = spawnCli(sb, ['logs', 'f1', '--follow']);
  let out = '';
  let err = '';
  follow.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  follow.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)));

  await withEngine(sb.db, async (q) => {
    const config = await q.config();
    let job = (await q.claim(TEST_WORKER, 'qf', 30_000))!;
    await q.extendLease(job, TEST_WORKER, 30_000, { text: 'one\n', bytes: 4 });
    await waitFor('the first line', () => (out === 'one\n' ? true : undefined));
    await q.extendLease(job, TEST_WORKER, 30_000, { text: 'one\ntwo\n', bytes: 8 });
    await waitFor('the second line', () => (out === 'one\ntwo\n' ? true : undefined));
    await q.settle(job, TEST_WORKER, result('exit', { output: 'one\ntwo\n', output_bytes: 8 }), config);

    // The failed job waits for its backoff; following goes on. Run it again now.
    await q.retry('f1');
    job = (await q.claim(TEST_WORKER, 'qf', 30_000))!;
    expect(job.attempts).toBe(2);
    // A chatty second attempt: 1000 bytes printed, only the last 5 kept.
    await q.extendLease(job, TEST_WORKER, 30_000, { text: 'tail\n', bytes: 1000 });
    await waitFor('the second attempt', () => (out.endsWith('tail\n') ? true : undefined));
    await q.settle(job, TEST_WORKER, result('succeeded', { output: 'tail\nend\n', output_bytes: 1004 }), config);
  });

  expect(await exited).toBe(0);
  expect(out).toBe('one\ntwo\ntail\nend\n');
  expect(err).toBe('--- attempt 1 ---\n--- attempt 2 ---\n[… 995 bytes skipped]\n');
});

it('prints a finished job and exits at once, noting a dropped head on stderr', async () => {
  cli(sb, ['enqueue', '{"id":"f2","command":"work","queue":"qg"}']);
  await withEngine(sb.db, async (q) => {
    const job = (await q.claim(TEST_WORKER, 'qg', 30_000))!;
    await q.settle(job, TEST_WORKER, result('succeeded', { output: 'last line\n', output_bytes: 5000 }), await q.config());
  });
  expect(cli(sb, ['logs', 'f2'])).toMatchObject({ code: 0, stdout: 'last line\n', stderr: '[… 4990 bytes skipped]\n' });
  expect(cli(sb, ['logs', 'f2', '--follow'])).toMatchObject({ code: 0, stdout: 'last line\n', stderr: '--- attempt 1 ---\n[… 4990 bytes skipped]\n' });
});

it('stops following when the job is cancelled', async () => {
  cli(sb, ['enqueue', '{"id":"f3","command":"work","delay_ms":60000}']);
  const follow = spawnCli(sb, ['logs', 'f3', '-f']);
  const exited = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)));
  // Whether the follower is already waiting or still starting, it must end once the job is cancelled.
  expect(cli(sb, ['cancel', 'f3']).code).toBe(0);
  expect(await exited).toBe(0);
});
