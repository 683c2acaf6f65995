// Figures that involve real processes: pickup latency of an idle worker. (The drain rate next to raw
// spawn is drain.mjs's; whole-process times of CLI commands are startup.mjs's.)
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, fmt, median, openSqliteQueue, percentile, report, waitFor } from './lib.mjs';

/** Starts worker processes on `db` and waits until each has registered. */
export async function startWorkers(q, db, count, env = {}) {
  const children = [];
  for (let i = 0; i < count; i++) {
    const id = `bench-w${i}-${process.pid}`;
    const child = spawn(process.execPath, [join(DIST, 'worker/main.js'), '--id', id], {
      env: { ...process.env, ...env, QUEUECTL_DB: db },
      stdio: 'ignore',
    });
    children.push({ id, child });
  }
  await waitFor(async () => (await q.workers()).filter((w) => children.some((c) => c.id === w.id)).length === count, {
    timeoutMs: 30_000,
    intervalMs: 20,
    what: 'workers to register',
  });
  return {
    ids: children.map((c) => c.id),
    async stop() {
      await Promise.all(children.map(({ child }) => new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', resolve);
        child.kill('SIGTERM');
      })));
    },
  };
}

/** Enqueue → claim, for an idle worker: the job's started_at minus its created_at. */
export async function pickupLatencies(q, db, samples) {
  const w = await startWorkers(q, db, 1);
  const lat = [];
  try {
    for (let i = 0; i < samples; i++) {
      // Let the worker settle into idleness between samples, as an idle worker would be.
      await new Promise((r) => setTimeout(r, 10 + (i % 7) * 5));
      const [job] = await q.enqueue([{ command: 'true' }]);
      const started = await waitFor(async () => {
        const j = await q.get(job.id);
        return j.started_at !== null ? j : null;
      }, { timeoutMs: 10_000, intervalMs: 1, what: 'pickup' });
      lat.push(started.started_at - job.created_at);
    }
  } finally {
    await w.stop();
  }
  return lat;
}

export async function run(dir) {
  console.log('\n== processes ==');
  // The drain rate, next to raw spawn and other queues, is the drain section's (drain.mjs).
  const db = join(dir, 'drain.db');
  const q = await openSqliteQueue(db);

  const lat = await pickupLatencies(q, db, 200);
  const p50 = median(lat);
  const p99 = percentile(lat, 99);
  report('processes', 'pickup latency, enqueue → start, idle worker (200 jobs)', `p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms`, {
    target: 'p50 ≤ 10 ms, p99 ≤ 50 ms',
    ok: p50 <= 10 && p99 <= 50,
  });
  await q.close();
  // Start-up time of the CLI commands: bench/startup.mjs.
}
