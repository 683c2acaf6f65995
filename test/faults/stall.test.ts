/**
 * A database that stops answering for longer than a lease (another process holding an
 * exclusive lock) must not cost a finished result, nor run a job twice.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox, type WorkerHandle, requireBuild } from '../worker/harness.js';
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

  /*
   * Immutable files refuse writes through descriptors already open (EPERM: SQLite's "disk I/O
   * error"), and a worker that meets them logs, retries with backoff and keeps its result. But
   * SQLite's WAL index (the -shm file) is mapped into every connection's memory, and the kernel
   * may answer a write to a mapped page of an immutable file with SIGBUS (seen when the page was
   * written back since it was last dirtied): a worker whose database step writes there dies on
   * the spot, logging nothing, which is no hang (see its exit signal). That is inherent to SQLite's shared-memory index; the promise is then the one for
   * any dead worker: its job is not lost, a worker on the host recovers it (`worker lost`) once
   * the files are writable again and runs it again, never while its first copy still runs. When
   * the kernel kills a worker is a matter of timing, so the second case sends one the same signal.
   */
  for (const killOne of [false, true]) {
    it(`keeps every job through database files made read-only (immutable) for three leases${killOne ? ', a worker dying of SIGBUS in them' : ''}`, async (ctx) => {
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
      const dead = (w: WorkerHandle) => w.child.exitCode !== null || w.child.signalCode !== null;
      try {
        // Every worker meets the fault: it says so, or it died of it. None goes quiet and lives.
        await waitFor(() => workers.every((w) => dead(w) || w.lines.some((l) => l.event === 'db_error')), 'every worker meeting the read-only files', 20_000);
        if (killOne && !dead(workers[0])) {
          workers[0].child.kill('SIGBUS');
          await workers[0].exited;
        }
        // The fault lasts three leases: the running jobs finish inside it.
        await new Promise((r) => setTimeout(r, 6000));
      } finally {
        chattr(['-i', ...files]);
      }
      // A worker started once the files are writable again stands in for a supervisor's restart.
      workers.push(sb.startWorker('w-c'));
      await waitFor(async () => (await sb.queue.counts()).completed === ids.length, 'every job completed', 60_000, 100);

      const died = workers.filter(dead);
      // The only death the fault may cause is SIGBUS (not a crash on an error, not a forced exit).
      expect(died.map((w) => [w.id, w.child.signalCode])).toEqual(died.map((w) => [w.id, 'SIGBUS']));
      expect(overlaps(sb.dir)).toEqual([]);
      const lostTo = new Set(died.map((w) => w.id));
      const runs = runCounts(sb.dir);
      for (const id of ids) {
        const attempts = (await sb.queue.show(id)).attempts;
        if (attempts.length === 1) {
          // Held by a worker that lived (or claimed after the fault): its result was kept.
          expect([id, attempts[0].outcome, runs[id]]).toEqual([id, 'succeeded', 1]);
        } else {
          // Held by a worker that died: recovered once, then succeeded. Its first copy may or may
          // not have started before the worker died.
          expect([id, attempts.map((a) => a.outcome)]).toEqual([id, ['worker_lost', 'succeeded']]);
          expect(lostTo.has(attempts[0].worker_id)).toBe(true);
          expect([1, 2]).toContain(runs[id]);
        }
      }
      // Recoveries happen only for jobs of dead workers; a living worker never loses its job.
      const lines = workers.flatMap((w) => w.lines);
      expect(lines.filter((l) => l.event === 'job_lost' || l.event === 'lease_lost')).toEqual([]);
      const recovered = lines.filter((l) => l.event === 'job_recovered').map((l) => l.lost_worker);
      expect(recovered.filter((w) => !lostTo.has(w as string))).toEqual([]);
      // The worker killed while it held its job (its result could not be recorded) lost it to recovery.
      if (killOne) expect(recovered).toContain('w-a');
    });
  }
});

function chattr(args: string[]): boolean {
  try {
    execFileSync('chattr', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
