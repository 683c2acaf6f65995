import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/engine/backends/sqlite/schema.js';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';
import type { EventQuery, JobEvent } from '../../src/engine/types.js';
import { CLI, requireBuild } from '../cli/helpers.js';

/**
 * On SQLite a job's `enqueued` event is read from the job row, at the job's seq, and every other
 * event is stored under the next number of the same sequence (seq.ts, events.ts). These hold the
 * log to what storing every event gave: one order, the order of the commits, whatever page size
 * it is read with; no number given twice, even once the newest job is deleted; the filters; and a
 * database from before, whose stored `enqueued` events are read once.
 */

const ok = { outcome: 'succeeded' as const, exit_code: 0, signal: null, error: null, output: '', output_bytes: 0 };

/** Every event of `q`, read `limit` at a time by cursor. */
async function readAll(q: Queue, query: Omit<EventQuery, 'after' | 'limit'> = {}, limit = 3): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const { events, next } = await q.events({ ...query, after, limit });
    out.push(...events);
    if (events.length < limit) return out;
    after = next ?? undefined;
  }
}

const brief = (es: JobEvent[]) => es.map((e) => `${e.type} ${e.job_id ?? e.worker_id}`);

describe('SQLite event log', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDb = () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-events-'));
    dirs.push(dir);
    return join(dir, 'q.db');
  };

  it('reads enqueues and moves in the order they were committed, page by page', async () => {
    const q = new Queue(SqliteBackend.open(tempDb()));
    const cfg = await q.config();
    await q.enqueue([{ id: 'a', command: 'true' }], cfg);
    const a = await q.claim('w1', null, 30_000);
    await q.enqueue([{ id: 'b', command: 'true', queue: 'other' }, { id: 'c', command: 'true' }], cfg);
    await q.settle(a!, 'w1', { ...ok, finished_at: Date.now() }, cfg);
    await q.enqueue([{ id: 'd', command: 'true', after: ['c'] }], cfg);
    await q.cancel('c');
    await q.enqueue([{ id: 'e', command: 'true' }], cfg);
    const want = ['enqueued a', 'started a', 'enqueued b', 'enqueued c', 'succeeded a', 'enqueued d', 'cancelled c', 'cancelled d', 'enqueued e'];
    for (const limit of [1, 2, 3, 100]) expect({ limit, events: brief(await readAll(q, {}, limit)) }).toEqual({ limit, events: want });
    const all = await readAll(q);
    // Numbers only grow; each event is where its time says.
    expect(all.map((e) => Number.parseInt(e.id, 36))).toEqual([...all.map((e) => Number.parseInt(e.id, 36))].sort((x, y) => x - y));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const enqueuedB = all.find((e) => e.type === 'enqueued' && e.job_id === 'b')!;
    expect(enqueuedB).toMatchObject({ queue: 'other', worker_id: null, attempt: null, detail: null, at: (await q.get('b'))!.created_at });

    // Filters apply to both kinds of event.
    expect(brief(await readAll(q, { job_id: 'c' }))).toEqual(['enqueued c', 'cancelled c']);
    expect(brief(await readAll(q, { queue: 'other' }))).toEqual(['enqueued b']);
    expect(brief(await readAll(q, { since: Date.now() + 60_000 }))).toEqual([]);
    expect(brief(await readAll(q, { since: 0 }, 2))).toEqual(want);

    // A reader at the end is given a cursor past everything, and then sees only what comes next.
    const end = await q.events({ limit: 100 });
    await q.enqueue([{ id: 'f', command: 'true' }], cfg);
    expect(brief((await q.events({ after: end.next!, limit: 100 })).events)).toEqual(['enqueued f']);
    await q.close();
  });

  it('never gives a number twice: a job enqueued after the newest was deleted comes after the cursor', async () => {
    const q = new Queue(SqliteBackend.open(tempDb()));
    const cfg = await q.config();
    await q.enqueue([{ id: 'old', command: 'true' }], cfg);
    await q.enqueue([{ id: 'newest', command: 'true' }], cfg);
    await q.cancel('newest');
    const seen = await q.events({ limit: 100 });
    expect(brief(seen.events)).toEqual(['enqueued old', 'enqueued newest', 'cancelled newest']);
    // The newest job and its events go; the next job must not take their numbers back.
    expect(await q.purge(['cancelled'], 0)).toBe(1);
    await q.enqueue([{ id: 'next', command: 'true' }], cfg);
    expect(brief((await q.events({ after: seen.next!, limit: 100 })).events)).toEqual(['enqueued next']);
    expect(brief(await readAll(q))).toEqual(['enqueued old', 'enqueued next']);
    await q.close();
  });

  it('numbers the events of a move of many jobs in job order, after what came before, before what comes next', async () => {
    const q = new Queue(SqliteBackend.open(tempDb()));
    const cfg = await q.config();
    await q.enqueue([{ id: 'p', command: 'false', max_retries: 0 }, { id: 'q', command: 'false', max_retries: 0 }], cfg);
    for (let j = await q.claim('w1', null, 30_000); j; j = await q.claim('w1', null, 30_000)) {
      await q.settle(j, 'w1', { ...ok, outcome: 'failed', exit_code: 1, finished_at: Date.now() }, cfg);
    }
    expect(await q.reviveAll()).toBe(2);
    await q.enqueue([{ id: 'r', command: 'true' }], cfg);
    const types = brief(await readAll(q, {}, 2)).filter((t) => !t.startsWith('started') && !t.startsWith('dead') && !t.startsWith('failed'));
    expect(types).toEqual(['enqueued p', 'enqueued q', 'revived p', 'revived q', 'enqueued r']);
    await q.close();
  });

  it('a reader following the log while other processes enqueue and move jobs sees every event once', async () => {
    requireBuild();
    const path = tempDb();
    const q = new Queue(SqliteBackend.open(path));
    await q.enqueue([{ id: 'first', command: 'true' }]);
    // Two processes enqueueing files of jobs (one statement per job, `--file` goes in batches) and
    // one cancelling them as they come, all at once.
    const files = [0, 1].map((f) => {
      const file = join(path, `../jobs-${f}.jsonl`);
      writeFileSync(file, Array.from({ length: 400 }, (_, k) => JSON.stringify({ id: `p${f}-${k}`, command: 'true' })).join('\n'));
      return file;
    });
    const run = (script: string) =>
      new Promise<number | null>((res) => spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] }).on('exit', (code) => res(code)));
    const writers = files.map((f) =>
      run(Array.from({ length: 4 }, (_, b) => `sed -n '${b * 100 + 1},${b * 100 + 100}p' "${f}" | "${process.execPath}" "${CLI}" --db "${path}" enqueue --file - >/dev/null || exit 1`).join('\n')),
    );
    const canceller = run(`for i in $(seq 0 5 395); do "${process.execPath}" "${CLI}" --db "${path}" cancel p0-$i >/dev/null 2>&1; done; exit 0`);
    let done = false;
    const all = Promise.all([...writers, canceller]).then((codes) => ((done = true), codes));
    const seen: JobEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const finished = done;
      const { events, next } = await q.events({ after, limit: 7 });
      seen.push(...events);
      after = next ?? after;
      if (finished && events.length < 7) break;
      await new Promise((res) => setImmediate(res));
    }
    expect(await all).toEqual([0, 0, 0]);
    const whole = await readAll(q, {}, 1000);
    expect(seen.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect(new Set(whole.map((e) => e.id)).size).toBe(whole.length);
    expect(whole.filter((e) => e.type === 'enqueued').length).toBe(801);
    expect(whole.filter((e) => e.type === 'cancelled').length).toBeGreaterThan(0);
    await q.close();
  });

  it('reads a database from before once: its stored enqueued events, then the new ones after them', async () => {
    const path = tempDb();
    const old = new Database(path);
    migrate(old, 0, MIGRATIONS.filter((m) => m.version < 12), () => {});
    // As the version before stored them: each enqueue's event as a row, numbered apart from the jobs.
    old.exec(`
      INSERT INTO jobs (seq, id, command, state, max_retries, run_at, queue, cwd, created_at, updated_at) VALUES
        (1, 'x', 'true', 'pending', 3, 0, 'default', '/', 10, 10), (2, 'y', 'true', 'pending', 3, 0, 'default', '/', 20, 20);
      UPDATE job_counts SET n = 2 WHERE state = 'pending';
      INSERT INTO events (at, type, worker_id) VALUES (5, 'worker_started', 'w0'), (6, 'worker_stopped', 'w0');
      INSERT INTO events (at, type, job_id, queue) VALUES (10, 'enqueued', 'x', 'default'), (20, 'enqueued', 'y', 'default');
    `);
    old.close();
    const q = new Queue(SqliteBackend.open(path));
    const before = ['worker_started w0', 'worker_stopped w0', 'enqueued x', 'enqueued y'];
    expect(brief(await readAll(q))).toEqual(before);
    const cursor = (await q.events({ limit: 100 })).next!;
    await q.enqueue([{ id: 'z', command: 'true' }]);
    await q.cancel('x');
    expect(brief((await q.events({ after: cursor, limit: 100 })).events)).toEqual(['enqueued z', 'cancelled x']);
    for (const limit of [1, 2, 100]) expect(brief(await readAll(q, {}, limit))).toEqual([...before, 'enqueued z', 'cancelled x']);
    expect(brief(await readAll(q, { job_id: 'x' }))).toEqual(['enqueued x', 'cancelled x']);
    // A process of the version before, still running, numbers its rows itself (SQLite's rowid
    // and AUTOINCREMENT; its job may share a number with an event): what comes next is numbered
    // above them all the same.
    const raw = new Database(path);
    raw.exec(`INSERT INTO events (at, type, worker_id) VALUES (${Date.now()}, 'worker_stopped', 'old-worker')`);
    raw.exec(`INSERT INTO jobs (id, command, state, max_retries, run_at, queue, cwd, created_at, updated_at) VALUES ('by-old', 'true', 'pending', 3, 0, 'default', '/', 30, 30)`);
    raw.exec(`UPDATE job_counts SET n = n + 1 WHERE state = 'pending'`);
    raw.close();
    await q.enqueue([{ id: 'after-old', command: 'true' }]);
    const log = await readAll(q, {}, 100);
    expect(brief(log.slice(-1))).toEqual(['enqueued after-old']);
    const seqs = log.map((e) => Number.parseInt(e.id, 36));
    expect(seqs[seqs.length - 1]).toBeGreaterThan(Math.max(...seqs.slice(0, -1)));
    expect(brief(log)).toEqual(expect.arrayContaining(['worker_stopped old-worker', 'enqueued by-old']));
    await q.cancel('by-old');
    // The counts per state hold job states only.
    expect(await q.counts()).toMatchObject({ pending: 3, cancelled: 2 });
    await q.close();
  });
});
