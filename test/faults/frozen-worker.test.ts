/**
 * A worker frozen in the middle of a job (SIGSTOP, a debugger) loses the job once its lease runs
 * out; the job runs again elsewhere, but never while the first copy of its command still runs.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox, requireBuild } from '../worker/harness.js';
import { killQuietly, waitFor } from '../worker/helpers.js';
import { guardedCommand, overlaps, runCounts } from './lib.js';

describe('a worker frozen while its job runs', () => {
  let sb: Sandbox;
  afterEach(async () => sb?.cleanup());

  /** A 2 s lease, one job of 6 s guarded against a second copy, and worker w-a running it. */
  async function jobRunningOnA(id: string) {
    requireBuild();
    sb = await new Sandbox().open();
    await sb.queue.setConfig('lease_seconds', '2');
    await sb.queue.enqueue([{ id, command: guardedCommand(sb.dir, 6) }]);
    const a = sb.startWorker('w-a');
    await a.waitLog((l) => l.event === 'job_started', 'the job starting on w-a');
    return a;
  }

  it('has its job taken over without two copies of the command running at once', async () => {
    const a = await jobRunningOnA('long');
    const b = sb.startWorker('w-b');
    await b.waitLog((l) => l.event === 'worker_started', 'w-b starting');
    process.kill(a.pid, 'SIGSTOP');
    const frozenAt = Date.now();
    try {
      const recovered = await b.waitLog((l) => l.event === 'job_recovered', 'w-b recovering the job', 30_000);
      expect(recovered.why).toMatch(/frozen/);
      console.info(`frozen worker: job recovered ${Date.parse(recovered.ts) - frozenAt} ms after SIGSTOP (lease 2 s)`);
      await b.waitLog((l) => l.event === 'job_finished' && l.job === 'long', 'the second run finishing', 30_000);
    } finally {
      killQuietly(a.pid, 'SIGCONT');
    }
    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual({ long: 2 });
    const job = await sb.queue.show('long');
    expect(job.job.state).toBe('completed');
    expect(job.attempts.map((x) => x.outcome)).toEqual(['worker_lost', 'succeeded']);
    // Woken, the first worker learns it lost the job and records nothing over the second run.
    await a.waitLog((l) => l.event === 'lease_lost' || l.event === 'job_lost', 'w-a noticing the loss', 15_000);
    expect((await sb.queue.show('long')).attempts).toHaveLength(2);
  });

  it('whose command pid was never written has the command found by its environment and ended before the job runs again', async () => {
    const a = await jobRunningOnA('unrecorded');
    process.kill(a.pid, 'SIGSTOP');
    try {
      // As if w-a had been frozen between the start and the write of the pid (or while that write failed).
      const db = new Database(sb.db, { timeout: 10_000 });
      db.prepare("UPDATE jobs SET command_pid = NULL, command_start = NULL, command_host = NULL WHERE id = 'unrecorded'").run();
      db.close();
      expect((await sb.queue.get('unrecorded')).command_pid).toBeNull();
      const b = sb.startWorker('w-b');
      const recovered = await b.waitLog((l) => l.event === 'job_recovered', 'w-b recovering the job', 30_000);
      expect(recovered.why).toMatch(/frozen/);
      await b.waitLog((l) => l.event === 'job_finished' && l.job === 'unrecorded', 'the second run finishing', 30_000);
    } finally {
      killQuietly(a.pid, 'SIGCONT');
    }
    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual({ unrecorded: 2 });
    expect((await sb.queue.show('unrecorded')).attempts.map((x) => x.outcome)).toEqual(['worker_lost', 'succeeded']);
  });
});
