import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers.js';
import { type LogLine, Sandbox, requireBuild } from './harness.js';

beforeAll(requireBuild);

let box: Sandbox;
afterEach(async () => {
  await box?.cleanup();
});

const finished = (job: string) => (l: LogLine) => l.event === 'job_finished' && l.job === job;

describe('a worker running jobs', () => {
  it('runs the highest priority first and nothing before its run_at', async () => {
    box = await new Sandbox().open();
    const w = box.startWorker('w-order');
    await w.waitLog((l) => l.event === 'worker_started', 'the worker to start');
    // All four arrive in one transaction, so the worker sees them together.
    const runAt = Date.now() + 3000;
    await box.queue.enqueue([
      { id: 'low', command: 'echo low >> order.txt' },
      { id: 'high', command: 'echo high >> order.txt', priority: 5 },
      { id: 'mid', command: 'echo mid >> order.txt', priority: 2 },
      { id: 'later', command: 'echo later >> order.txt', priority: 100, run_at: runAt },
    ]);
    await w.waitLog(finished('later'), 'the delayed job to run');
    expect(readFileSync(join(box.dir, 'order.txt'), 'utf8')).toBe('high\nmid\nlow\nlater\n');
    const later = await box.queue.get('later');
    expect(later.started_at).toBeGreaterThanOrEqual(runAt);
  });

  it('retries a failing job with backoff, then moves it to the dead letter queue', async () => {
    box = await new Sandbox().open();
    // base ^ n seconds capped at 0.3 s: each retry waits 0.3 s.
    await box.queue.setConfig('backoff_base', '2');
    await box.queue.setConfig('backoff_max_seconds', '0.3');
    await box.queue.enqueue([{ id: 'flaky', command: 'echo try >> tries.txt; exit 7', max_retries: 2 }]);
    const w = box.startWorker('w-retry');
    await waitFor(async () => (await box.queue.get('flaky')).state === 'dead', 'the job to be dead', 15_000);

    const { job, attempts } = await box.queue.show('flaky');
    expect(job).toMatchObject({ attempts: 3, exit_code: 7, last_error: 'exit code 7', last_outcome: 'exit' });
    expect(attempts.map((a) => [a.n, a.outcome, a.exit_code])).toEqual([
      [1, 'exit', 7],
      [2, 'exit', 7],
      [3, 'exit', 7],
    ]);
    for (let i = 1; i < attempts.length; i++) {
      expect(attempts[i].started_at - attempts[i - 1].finished_at!).toBeGreaterThanOrEqual(300);
    }
    expect(readFileSync(join(box.dir, 'tries.txt'), 'utf8')).toBe('try\ntry\ntry\n');
    const states = w.lines.filter((l) => l.event === 'job_finished').map((l) => l.state);
    expect(states).toEqual(['failed', 'failed', 'dead']);
  });

  it('kills a job past its timeout and records why', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([{ id: 'hang', command: 'sleep 30', timeout_seconds: 0.3, max_retries: 0 }]);
    box.startWorker('w-timeout');
    await waitFor(async () => (await box.queue.get('hang')).state === 'dead', 'the job to be dead', 15_000);
    const { job, attempts } = await box.queue.show('hang');
    expect(job).toMatchObject({ last_outcome: 'timed_out', last_error: 'timed out after 300ms' });
    expect(attempts[0].outcome).toBe('timed_out');
  });

  it('applies the configured default timeout to jobs that set none', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('job_timeout_seconds', '0.2');
    await box.queue.enqueue([{ id: 'hang', command: 'sleep 30', max_retries: 0 }]);
    box.startWorker('w-default-timeout');
    await waitFor(async () => (await box.queue.get('hang')).state === 'dead', 'the job to be dead', 15_000);
    expect((await box.queue.get('hang')).last_error).toBe('timed out after 200ms');
  });

  it('saves the output of a running job while it runs, bounded by output_limit_bytes', async () => {
    box = await new Sandbox().open();
    await box.queue.setConfig('output_limit_bytes', '100');
    await box.queue.enqueue([{ id: 'chatty', command: 'seq 1 1000; echo live; sleep 30', timeout_seconds: 10 }]);
    const w = box.startWorker('w-live');
    const job = await waitFor(async () => {
      const j = await box.queue.get('chatty');
      return j.state === 'processing' && j.output.endsWith('live\n') ? j : null;
    }, 'the output to be saved while the job runs');
    expect(Buffer.byteLength(job.output)).toBeLessThanOrEqual(100);
    expect(job.output_bytes).toBe(readSeqBytes(1000) + 5);
    w.child.kill('SIGTERM');
    w.child.kill('SIGINT');
    await w.exited;
  });

  it('keeps a finished result through a database locked past its timeout, and records it afterwards', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([{ id: 'patient', command: 'sleep 1.4; echo ok' }]);
    const w = box.startWorker('w-locked');
    // Once the worker has reported itself busy, another process takes the write lock and holds
    // it while the job finishes.
    await waitFor(async () => (await box.queue.workers()).find((x) => x.current_job_id === 'patient'), 'the worker to report the job');
    const blocker = new Database(box.db, { timeout: 5000 });
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await w.waitLog((l) => l.event === 'db_error' && l.op === 'settle', 'the settle to fail', 30_000);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    await w.waitLog((l) => l.event === 'job_finished' && l.job === 'patient', 'the result to be recorded', 30_000);
    expect(await box.queue.get('patient')).toMatchObject({ state: 'completed', attempts: 1, output: 'ok\n' });
    expect(w.child.exitCode).toBeNull();
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('serves only its own queue when given one', async () => {
    box = await new Sandbox().open();
    await box.queue.enqueue([
      { id: 'mail-1', command: 'true', queue: 'mail' },
      { id: 'other-1', command: 'true' },
    ]);
    const w = box.startWorker('w-mail', ['--queue', 'mail']);
    await w.waitLog(finished('mail-1'), 'the mail job to run');
    // The worker went idle with the other job still waiting.
    await waitFor(async () => (await box.queue.workers()).find((x) => x.state === 'idle' && x.jobs_done === 1), 'the worker to be idle');
    expect((await box.queue.get('other-1')).state).toBe('pending');
  });
});

/** Bytes printed by `seq 1 n`. */
function readSeqBytes(n: number): number {
  let total = 0;
  for (let i = 1; i <= n; i++) total += String(i).length + 1;
  return total;
}
