/**
 * A disk that fills up under running workers (a small tmpfs): writes fail until space is freed,
 * and then every result that finished in between is recorded, with no job run twice.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/engine/open.js';
import { Sandbox, requireBuild } from '../worker/harness.js';
import { waitFor } from '../worker/helpers.js';
import { guardedCommand, overlaps, runCounts } from './lib.js';

/** A fresh 8 MiB tmpfs, or null where mounting is not allowed (not root). */
function smallTmpfs(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'queuectl-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

const probe = smallTmpfs();
if (probe) {
  execFileSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
}

describe.skipIf(!probe)('a full disk', () => {
  let sb: Sandbox | undefined;
  let mnt: string | null = null;
  afterEach(async () => {
    await sb?.cleanup().catch(() => {});
    if (mnt) {
      execFileSync('umount', ['-l', mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('keeps every result that finished while the disk was full, and runs each job once', async () => {
    requireBuild();
    mnt = smallTmpfs()!;
    sb = new Sandbox();
    const db = join(mnt, 'q', 'queue.db');
    (sb as unknown as { db: string }).db = db;
    sb.queue = await openQueue(db, { cwd: sb.dir });
    await sb.queue.setConfig('lease_seconds', '2');
    const ids = Array.from({ length: 12 }, (_, i) => `j${i}`);
    // Each job prints 16 KiB, which its worker stores with the result.
    const command = `${guardedCommand(sb.dir, 0.5)}; head -c 16384 /dev/zero | tr '\\\\0' x`;
    await sb.queue.enqueue(ids.map((id) => ({ id, command })));
    const workers = [sb.startWorker('w-a'), sb.startWorker('w-b')];
    await waitFor(async () => (await sb!.queue.counts()).completed >= 2, 'the first jobs completing', 20_000);
    // Fill what is left of the disk, hold it full for a few leases, then free it.
    const filler = join(mnt, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": the disk is full
    }
    await waitFor(() => workers.some((w) => w.lines.some((l) => l.event === 'db_error' && /full/.test(String(l.error)))), 'a worker meeting the full disk', 20_000);
    await new Promise((r) => setTimeout(r, 5000));
    rmSync(filler);
    await waitFor(async () => (await sb!.queue.counts()).completed === ids.length, 'every job completed', 60_000, 100);
    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    for (const id of ids) expect((await sb.queue.show(id)).attempts.map((a) => a.outcome)).toEqual(['succeeded']);
    expect(workers.flatMap((w) => w.lines).filter((l) => l.event === 'job_lost' || l.event === 'job_recovered')).toEqual([]);
  });
});
