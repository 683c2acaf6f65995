// Figures that involve real processes: the raw spawn rate, a drain of `true` jobs by four worker
// processes, pickup latency of an idle worker.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, fmt, median, openSqliteQueue, percentile, report, waitFor } from './lib.mjs';

/** Raw child_process.spawn of `/bin/sh -c true`, `concurrency` at a time, from a fresh small process. */
export function rawSpawnRate(total, concurrency) {
  const r = spawnSync(process.execPath, [new URL('./spawn-rate.mjs', import.meta.url).pathname, String(total), String(concurrency)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`spawn-rate.mjs exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

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

export async function drainRate(q, db, jobs, workers) {
  const w = await startWorkers(q, db, workers);
  try {
    const before = (await q.counts()).completed;
    const t = performance.now();
    await q.enqueueBulk(Array.from({ length: jobs }, () => ({ command: 'true' })));
    await waitFor(async () => (await q.counts()).completed - before >= jobs, { timeoutMs: 300_000, intervalMs: 10, what: 'the drain' });
    return jobs / ((performance.now() - t) / 1000);
  } finally {
    await w.stop();
  }
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
  const raw = rawSpawnRate(2000, 4);
  const spawnRate = raw.rate;
  report('processes', 'raw child_process.spawn of `sh -c true`, concurrency 4', `${fmt(spawnRate)}/s`, { anchor: `from a fresh process of ${fmt(raw.rssMb)} MB` });

  const db = join(dir, 'drain.db');
  const q = await openSqliteQueue(db);
  const drain = await drainRate(q, db, 2000, 4);
  report('processes', 'drain of 2,000 `true` jobs by 4 workers', `${fmt(drain)}/s`, {
    anchor: `ratio to raw spawn ${fmt(drain / spawnRate, 2)}`,
    target: '≥ 0.9 × spawn',
    ok: drain / spawnRate >= 0.9,
  });

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
