// Engine figures on SQLite: enqueue one by one and in bulk, claim + complete in one process
// and across four, next to BullMQ on a local Redis when one can be started.
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fmt, openSqliteQueue, report, tempDir } from './lib.mjs';
import { bullmqRate } from './bullmq.mjs';

const ok = { outcome: 'succeeded', exit_code: 0, signal: null, error: null, output: '', output_bytes: 0 };

/** `limits`: the jobs go to a queue with these limits (the worker still serves every queue). */
export async function claimCompleteInProcess(q, n, limits = null) {
  const cfg = await q.config();
  const queue = limits ? 'limited' : 'default';
  if (limits) await q.setQueueLimits(queue, limits);
  await q.enqueueBulk(Array.from({ length: n }, () => ({ command: 'true', queue })), cfg);
  return (await drainInProcess(q, cfg)).rate;
}

/**
 * Claims and completes (no-op) until nothing is claimable, as a worker does: the first job
 * claimed alone, then each result recorded with the next claim (`Queue.settleAndClaim`, one
 * write transaction on SQLite). How many, and how many per second.
 */
export async function drainInProcess(q, cfg, workerId = 'bench') {
  const t = performance.now();
  let done = 0;
  let job = await q.claim(workerId, null, 30_000);
  while (job) {
    const r = await q.settleAndClaim(job, workerId, { ...ok, finished_at: Date.now() }, cfg, { queue: null, leaseMs: 30_000 });
    if (r.settleError !== undefined || r.claimError !== undefined) throw r.settleError ?? r.claimError;
    done++;
    job = r.next;
  }
  return { done, rate: done / ((performance.now() - t) / 1000) };
}

async function claimCompleteProcesses(path, procs, n, limits = null) {
  const q = await openSqliteQueue(path);
  const queue = limits ? 'limited' : 'default';
  if (limits) await q.setQueueLimits(queue, limits);
  await q.enqueueBulk(Array.from({ length: n }, () => ({ command: 'true', queue })));
  await q.close();
  const startAt = Date.now() + 400;
  const runs = await Promise.all(
    Array.from({ length: procs }, (_, i) => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [new URL('./claim-loop.mjs', import.meta.url).pathname, path, `p${i}`, String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`claim-loop exited ${code}`))));
    })),
  );
  const total = runs.reduce((s, r) => s + r.n, 0);
  const end = Math.max(...runs.map((r) => r.end));
  return { rate: total / ((end - startAt) / 1000), total };
}

/**
 * Rows like a bulk enqueue's, inserted by better-sqlite3 alone into a queuectl database, keeping
 * the job indexes or dropping all but the id's: 64 rows per statement, `batch` per transaction,
 * the values the rows share bound once per statement and no statement journal, as the engine does.
 */
async function bareInsertRate(path, n, batch, indexes) {
  (await openSqliteQueue(path)).close();
  const db = new Database(path);
  try {
    if (!indexes) {
      for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL").pluck().all()) db.exec(`DROP INDEX ${name}`);
    }
    const R = 64;
    const cols = 'seq, id, command, state, max_retries, priority, run_at, timeout_seconds, queue, cwd, created_at, updated_at';
    const rows = Array.from({ length: R }, (_, k) => `(@seq + ${k}, ?, ?, 'pending', 3, 0, @now, NULL, 'default', @cwd, @now, @now)`);
    const insert = db.prepare(`INSERT OR ROLLBACK INTO jobs (${cols}) VALUES ${rows.join(', ')}`);
    const params = [];
    const cwd = process.cwd();
    const tx = db.transaction((first, count) => {
      for (let i = 0; i < count; i += R) {
        params.length = 0;
        const now = Date.now();
        for (let k = 0; k < R; k++) params.push(`j-${now.toString(36)}-0000${(first + i + k).toString(36)}`, 'true');
        insert.run(params, { seq: first + i, now, cwd });
      }
    });
    // Whole statements: each transaction takes `batch` rows rounded up to a multiple of R.
    const per = Math.ceil(batch / R) * R;
    const start = performance.now();
    let total = 0;
    for (let i = 0; i < n; i += batch, total += per) tx.immediate(total + 1, per);
    return total / ((performance.now() - start) / 1000);
  } finally {
    db.close();
  }
}

export async function run() {
  console.log('\n== engine (SQLite) ==');
  const t = tempDir();
  try {
    const q = await openSqliteQueue(join(t.dir, 'enqueue.db'));
    const cfg = await q.config();
    const N1 = 20_000;
    let start = performance.now();
    for (let i = 0; i < N1; i++) await q.enqueue([{ command: 'true' }], cfg);
    const one = N1 / ((performance.now() - start) / 1000);
    report('engine', 'enqueue one by one', `${fmt(one)}/s`, { target: '≥ 15,000/s', ok: one >= 15_000 });

    const NB = 500_000;
    const B = 50_000;
    const batch = Array.from({ length: B }, () => ({ command: 'true' }));
    start = performance.now();
    for (let i = 0; i < NB; i += B) await q.enqueueBulk(batch, cfg);
    const bulk = NB / ((performance.now() - start) / 1000);
    await q.close();
    // The ceiling: the same rows, inserted by SQLite alone into the same schema, with the job's
    // four indexes and with none but its id's.
    const bare = await bareInsertRate(join(t.dir, 'bare.db'), NB, B, true);
    const bareId = await bareInsertRate(join(t.dir, 'bare-id.db'), NB, B, false);
    report('engine', `enqueue bulk (${fmt(NB)} in batches of ${fmt(B)})`, `${fmt(bulk)}/s`, {
      anchor: `SQLite alone, same rows: ${fmt(bare)}/s, ratio ${fmt(bulk / bare, 2)}; without the four indexes ${fmt(bareId)}/s`,
      target: '≥ 200,000/s',
      ok: bulk >= 200_000,
    });

    const q1 = await openSqliteQueue(join(t.dir, 'cycle1.db'));
    const rate1 = await claimCompleteInProcess(q1, 20_000);
    await q1.close();
    const four = await claimCompleteProcesses(join(t.dir, 'cycle4.db'), 4, 20_000);
    // The same cycles on a queue with a concurrency limit, checked inside every claim.
    const q1l = await openSqliteQueue(join(t.dir, 'cycle1-limited.db'));
    const rate1l = await claimCompleteInProcess(q1l, 20_000, { concurrency: 2 });
    await q1l.close();
    report('engine', 'claim + complete, no-op, 1 process, queue limited to 2 at once', `${fmt(rate1l)}/s`, {
      anchor: `unlimited ${fmt(rate1)}/s, ratio ${fmt(rate1l / rate1, 2)}`,
    });
    const fourl = await claimCompleteProcesses(join(t.dir, 'cycle4-limited.db'), 4, 20_000, { concurrency: 2 });
    report('engine', 'claim + complete, no-op, 4 processes, queue limited to 2 at once', `${fmt(fourl.rate)}/s`, {
      anchor: `unlimited ${fmt(four.rate)}/s, ratio ${fmt(fourl.rate / four.rate, 2)}`,
    });
    const bull = await bullmqRate(5_000);
    if (bull.skipped) {
      report('engine', 'claim + complete, no-op, 1 process', `${fmt(rate1)}/s`, { anchor: `BullMQ skipped: ${bull.skipped}`, target: '≥ BullMQ c=1' });
      report('engine', 'claim + complete, no-op, 4 processes', `${fmt(four.rate)}/s`, { anchor: 'BullMQ skipped' });
    } else {
      report('engine', 'claim + complete, no-op, 1 process', `${fmt(rate1)}/s`, {
        anchor: `BullMQ c=1 ${fmt(bull.rate)}/s, ratio ${fmt(rate1 / bull.rate, 2)}`,
        target: '≥ BullMQ',
        ok: rate1 >= bull.rate,
      });
      report('engine', 'claim + complete, no-op, 4 processes', `${fmt(four.rate)}/s`, {
        anchor: `BullMQ c=1 ${fmt(bull.rate)}/s, ratio ${fmt(four.rate / bull.rate, 2)}`,
        target: '≥ BullMQ',
        ok: four.rate >= bull.rate,
      });
    }
  } finally {
    t.cleanup();
  }
}
