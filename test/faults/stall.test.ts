/**
 * A database that stops answering for longer than a lease (another process holding an
 * exclusive lock) must not cost a finished result, nor run a job twice.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox, requireBuild } from '../worker/harness.js';
import { waitFor } from '../worker/helpers.js';
import { guardedCommand, holdExclusiveLock, overlaps, runCounts } from './lib.js';

describe('a database stalled for longer than a lease', () => {
  let sb: Sandbox;
  afterEach(async () => sb?.cleanup());

  it('keeps every result that finished during the stall, and runs each job exactly once', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    await sb.queue.setConfig('lease_seconds', '2');
    const ids = Array.from({ length: 8 }, (_, i) => `j${i}`);
    await sb.queue.enqueue(ids.map((id) => ({ id, command: guardedCommand(sb.dir, 1) })));
    const workers = [sb.startWorker('w-a'), sb.startWorker('w-b')];
    await waitFor(async () => (await sb.queue.counts()).processing === 2, 'two running jobs');
    // Three leases without a write: the running jobs finish inside the stall, their leases expire.
    const lock = await holdExclusiveLock(sb.db, 6000);
    await lock.released;
    await waitFor(async () => (await sb.queue.counts()).completed === ids.length, 'every job completed', 60_000, 100);

    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    for (const id of ids) expect((await sb.queue.show(id)).attempts.map((a) => a.outcome)).toEqual(['succeeded']);
    const lost = workers.flatMap((w) => w.lines.filter((l) => l.event === 'job_lost' || l.event === 'job_recovered'));
    expect(lost).toEqual([]);
    // The workers did meet the stall (this test would prove nothing otherwise).
    expect(workers.flatMap((w) => w.lines).some((l) => l.event === 'db_error')).toBe(true);
  });

  it('keeps every result through database files made read-only (immutable) for three leases', async (ctx) => {
    requireBuild();
    sb = await new Sandbox().open();
    const files = [sb.db, `${sb.db}-wal`, `${sb.db}-shm`].filter((f) => existsSync(f));
    if (!chattr(['+i', files[0]])) return ctx.skip(); // not root, or a file system without attributes
    chattr(['-i', files[0]]);
    await sb.queue.setConfig('lease_seconds', '2');
    const ids = Array.from({ length: 8 }, (_, i) => `r${i}`);
    await sb.queue.enqueue(ids.map((id) => ({ id, command: guardedCommand(sb.dir, 1) })));
    const workers = [sb.startWorker('w-a'), sb.startWorker('w-b')];
    await waitFor(async () => (await sb.queue.counts()).processing === 2, 'two running jobs');
    chattr(['+i', ...files]);
    try {
      await waitFor(() => workers.some((w) => w.lines.some((l) => l.event === 'db_error')), 'a worker meeting the read-only files', 20_000);
      await new Promise((r) => setTimeout(r, 6000));
    } finally {
      chattr(['-i', ...files]);
    }
    await waitFor(async () => (await sb.queue.counts()).completed === ids.length, 'every job completed', 60_000, 100);
    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    for (const id of ids) expect((await sb.queue.show(id)).attempts.map((a) => a.outcome)).toEqual(['succeeded']);
    expect(workers.flatMap((w) => w.lines).filter((l) => l.event === 'job_lost' || l.event === 'job_recovered')).toEqual([]);
  });
});

function chattr(args: string[]): boolean {
  try {
    execFileSync('chattr', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
