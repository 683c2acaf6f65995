/**
 * The database file's identity and its protection: a file deleted under running workers stops
 * them (no silent split brain), a mistyped path is not taken for an empty queue, the files are
 * private, and jobs never see where the database is.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/engine/open.js';
import { Sandbox, requireBuild } from '../worker/harness.js';
import { waitFor } from '../worker/helpers.js';

describe('the database file', () => {
  let sb: Sandbox;
  afterEach(async () => sb?.cleanup());

  it('stops the workers when it is deleted under them, with a non-zero exit', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    await sb.queue.enqueue([{ id: 'a', command: 'true' }]);
    const w = sb.startWorker('w1');
    await waitFor(async () => (await sb.queue.counts()).completed === 1, 'the job completing');
    await sb.queue.close();
    for (const f of ['', '-wal', '-shm']) rmSync(sb.db + f, { force: true });
    const line = await w.waitLog((l) => l.event === 'database_replaced', 'the worker noticing', 15_000);
    expect(String(line.error)).toContain('deleted');
    expect((await w.exited).code).toBe(1);
    // A command naming the path now fails rather than showing a new, empty queue.
    await expect(openQueue(sb.db, { create: false })).rejects.toThrow(/no database at/);
    expect(() => statSync(sb.db)).toThrow();
    sb.queue = await openQueue(sb.db);
  });

  it('stops the workers when another file is moved into its place', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    const w = sb.startWorker('w1');
    await w.waitLog((l) => l.event === 'worker_started', 'the worker starting');
    const other = `${sb.db}.new`;
    const q2 = await openQueue(other);
    await q2.close();
    renameSync(other, sb.db);
    const line = await w.waitLog((l) => l.event === 'database_replaced', 'the worker noticing', 15_000);
    expect(String(line.error)).toContain('replaced');
    expect((await w.exited).code).toBe(1);
  });

  it('is created private (0600, in a 0700 directory), and jobs never inherit its address', async () => {
    requireBuild();
    sb = new Sandbox();
    mkdirSync(sb.dir, { recursive: true });
    const db = join(sb.dir, 'nested', 'q.db');
    sb.queue = await openQueue(db, { cwd: sb.dir });
    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(statSync(join(sb.dir, 'nested')).mode & 0o777).toBe(0o700);
    await sb.queue.enqueue([{ id: 'env', command: `env > ${JSON.stringify(join(sb.dir, 'env.txt'))}` }]);
    (sb as unknown as { db: string }).db = db;
    const w = sb.startWorker('w1', [], { env: { MONGO_URI: 'mongodb://user:s3cret@db.example:27017/q' } });
    await w.waitLog((l) => l.event === 'job_finished', 'the job finishing');
    const env = readFileSync(join(sb.dir, 'env.txt'), 'utf8');
    expect(env).not.toContain('s3cret');
    expect(env).not.toMatch(/^QUEUECTL_DB=/m);
    expect(env).not.toMatch(/^MONGO_URI=/m);
    expect(env).toMatch(/^QUEUECTL_JOB_ID=env$/m);
    expect(env).toMatch(/^QUEUECTL_ATTEMPT=1$/m);
    for (const f of ['-wal', '-shm']) {
      try {
        expect(statSync(db + f).mode & 0o077).toBe(0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  });
});
