import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/engine/backends/sqlite/schema.js';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';
import { normalizeJob } from '../../src/engine/job-input.js';
import { containsFolded, foldTerm } from '../../src/engine/search.js';
import type { JobState, ListQuery } from '../../src/engine/types.js';
import { SEARCH_CHUNK_ROWS, SEARCH_TAIL_ROWS } from '../../src/engine/backends/sqlite/search-index.js';
import { CLI, requireBuild } from '../cli/helpers.js';
import { Sandbox } from '../worker/harness.js';
import { waitFor } from '../worker/helpers.js';
import { walkOlder } from './paging.js';

/**
 * The search index holds the jobs up to a mark; the newer ones (the tail) are indexed later, in
 * chunks, by workers (search-index.ts), or by an insert that finds the tail past its cap; a
 * search reads both (list.ts). Whatever the mark's position, every search must give what a scan
 * of every job gives: these tests hold each listing, page by page in both directions and by
 * offset, and each count, against that scan, with jobs on both sides of the mark, after deletes,
 * purges and updates, on an upgraded database, with two processes writing at once, and with a
 * long tail. Real worker processes index the tail while idle and while busy, and a step that
 * meets another process's write lock fails neither the worker nor its jobs.
 */

interface RawJob {
  seq: number;
  id: string;
  command: string;
  state: JobState;
  queue: string;
  finished_at: number | null;
}

const TERMS = ['deploy', 'DEPLOY', 'école', 'ÉCOLE', 'job 1', 'job', 'p-1', 'j-', 'backup job 2', 'nowhere', 'e', 'ob', 'Report'];

function readAll(path: string): { jobs: RawJob[]; mark: number; indexed: number[] } {
  const db = new Database(path, { readonly: true });
  try {
    return db.transaction(() => {
      const jobs = db.prepare('SELECT seq, id, command, state, queue, finished_at FROM jobs').all() as RawJob[];
      const mark = db.prepare('SELECT seq FROM jobs_search_mark').pluck().get() as number;
      // Every job's command holds "job": the index's rows for it are the indexed jobs, each once.
      const indexed = db.prepare(`SELECT -rowid FROM jobs_search WHERE jobs_search MATCH '"job"' ORDER BY rowid`).pluck().all() as number[];
      return { jobs, mark, indexed };
    })();
  } finally {
    db.close();
  }
}

/** What a search must find: a scan of every job, in the listing's order. */
function model(jobs: RawJob[], q: Pick<ListQuery, 'search' | 'state' | 'queue' | 'order'>): string[] {
  const folded = foldTerm(q.search!);
  return jobs
    .filter((j) => (containsFolded(j.id, folded) || containsFolded(j.command, folded)) && (!q.state || j.state === q.state) && (!q.queue || j.queue === q.queue))
    .sort((a, b) => (q.order === 'finished' ? (b.finished_at ?? 0) - (a.finished_at ?? 0) || b.seq - a.seq : b.seq - a.seq))
    .map((j) => j.id);
}

async function walkNewer(q: Queue, query: ListQuery): Promise<string[]> {
  let page = await q.list({ ...query, from: 'last' });
  const out: string[] = [...page.jobs.map((j) => j.id)];
  while (page.prev_cursor !== null) {
    page = await q.list({ ...query, cursor: page.prev_cursor, direction: 'before' });
    out.unshift(...page.jobs.map((j) => j.id));
  }
  return out;
}

/** Every listing and count of every term, against the scan; and the index holds exactly the jobs up to the mark. */
/** `nears`: the walks are also read with these many jobs next to a cursor tested (0: none, the index only). */
async function checkAll(q: Queue, path: string, limit = 4, nears = [0, 5]): Promise<{ mark: number; tail: number }> {
  const { jobs, mark, indexed } = readAll(path);
  const bySeq = [...jobs].sort((a, b) => b.seq - a.seq);
  expect(indexed.sort((a, b) => b - a)).toEqual(bySeq.filter((j) => j.seq <= mark).map((j) => j.seq));
  // The mark is a job's seq (or 0): a new job can never take a seq at or below it.
  if (mark > 0) expect(jobs.some((j) => j.seq === mark)).toBe(true);
  const filters: Array<Pick<ListQuery, 'state' | 'queue' | 'order'>> = [{}, { state: 'pending' }, { queue: 'b' }, { state: 'dead', queue: 'a' }, { state: 'dead', order: 'finished' }];
  // A page past a cursor is taken from the jobs next to it when enough of them match, else from
  // the index (list.ts, NEAR_CURSOR_ROWS): the same walks read both ways, and mixed.
  const walkers = [
    { near: 'default', q },
    ...nears.map((n) => ({ near: n, q: new Queue(SqliteBackend.open(path, { searchNearRows: n })) })),
  ];
  for (const term of TERMS) {
    for (const f of filters) {
      const query: ListQuery = { limit, search: term, ...f };
      const want = model(jobs, query);
      for (const w of walkers) {
        const what = { term, ...f, near: w.near };
        expect({ what, ids: await walkOlder(w.q, query) }).toEqual({ what, ids: want });
        expect({ what, ids: await walkNewer(w.q, query) }).toEqual({ what, ids: want });
      }
      const what = { term, ...f };
      for (const offset of [1, 3, 5, 9, 14]) {
        if (f.order === 'finished') continue;
        expect({ what, offset, ids: (await q.list({ ...query, offset })).jobs.map((j) => j.id) }).toEqual({ what, offset, ids: want.slice(offset, offset + limit) });
      }
    }
    for (const queue of [undefined, 'b']) {
      const want = model(jobs, { search: term, queue });
      const states = (ids: string[]) => {
        const byId = new Map(jobs.map((j) => [j.id, j.state]));
        const counts: Record<string, number> = {};
        for (const id of ids) counts[byId.get(id)!] = (counts[byId.get(id)!] ?? 0) + 1;
        return counts;
      };
      const all = await q.countMatches({ search: term, ...(queue ? { queue } : {}) }, 100_000);
      expect({ term, queue, counts: Object.fromEntries(Object.entries(all.counts).filter(([, n]) => n > 0)) }).toEqual({ term, queue, counts: states(want) });
      // A bound reached counts the newest matches only, and says the count is not exact.
      const some = await q.countMatches({ search: term, ...(queue ? { queue } : {}) }, 5);
      expect({ term, queue, exact: some.exact, counts: Object.fromEntries(Object.entries(some.counts).filter(([, n]) => n > 0)) }).toEqual({
        term,
        queue,
        exact: want.length <= 5,
        counts: states(want.slice(0, 6)),
      });
    }
  }
  for (const w of walkers.slice(1)) await w.q.close();
  return { mark, tail: jobs.filter((j) => j.seq > mark).length };
}

const WORDS = ['make deploy', 'rsync backup', 'echo école', 'tar Report', 'true'];
const job = (i: number) => ({ ...(i % 3 === 0 ? { id: `p-${i}` } : {}), command: `${WORDS[(i * 7) % WORDS.length]} job ${i}`, queue: i % 4 === 0 ? 'b' : 'a' });

describe('SQLite search over the index and its unindexed tail', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDb = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-tail-'));
    dirs.push(dir);
    return join(dir, name);
  };

  it('finds what a scan finds, on both sides of the mark, through batches, deletes, purges and updates', async () => {
    const path = tempDb('q.db');
    const backend = SqliteBackend.open(path, { searchTailCap: 7 });
    const q = new Queue(backend);
    let n = 0;
    for (; n < 30; n++) await q.enqueue([job(n)]);
    await q.enqueue(Array.from({ length: 25 }, (_, k) => job(n + k)));
    n += 25;
    for (const end = n + 5; n < end; n++) await q.enqueue([job(n)]);
    const first = await checkAll(q, path);
    // Both sides hold jobs: the batch took everything up to the bulk's last job, the 5 enqueued
    // since wait outside the index (fewer than the bound).
    expect(first.mark).toBe(55);
    expect(first.tail).toBe(5);
    // A page that holds jobs from both sides, either way, and the pages on from its edges.
    const seqOf = new Map(readAll(path).jobs.map((j) => [j.id, j.seq]));
    const sides = (ids: string[]) => [ids.some((id) => seqOf.get(id)! > first.mark), ids.some((id) => seqOf.get(id)! <= first.mark)];
    const span = await q.list({ limit: first.tail + 2, search: 'JOB' });
    expect(sides(span.jobs.map((j) => j.id))).toEqual([true, true]);
    const all = model(readAll(path).jobs, { search: 'job' });
    const past = await q.list({ limit: 3, search: 'job', cursor: span.next_cursor! });
    expect(past.jobs.map((j) => j.id)).toEqual(all.slice(first.tail + 2, first.tail + 5));
    const back = await q.list({ limit: 4, search: 'job', cursor: past.prev_cursor!, direction: 'before' });
    expect(back.jobs.map((j) => j.id)).toEqual(all.slice(first.tail - 2, first.tail + 2));
    expect(sides(back.jobs.map((j) => j.id))).toEqual([true, true]);

    // Finished jobs on both sides, finishing in another order than they were made.
    const raw = new Database(path);
    raw.exec(`
      UPDATE jobs SET state = 'dead', finished_at = 1000 + (seq * 37) % 23 WHERE seq % 3 = 1;
      UPDATE jobs SET state = 'completed', finished_at = 2000 + seq WHERE seq % 5 = 2 AND state = 'pending';
    `);
    await checkAll(q, path);

    // A purge takes jobs from the index and from the tail, the job at the mark among them (every
    // dead job: they all finished long ago).
    const mark = first.mark;
    raw.prepare("UPDATE jobs SET state = 'dead', finished_at = 5 WHERE seq IN (?, ?)").run(mark, mark + 1);
    expect(await q.purge(['dead'], 1010)).toBeGreaterThan(2);
    const purged = await checkAll(q, path);
    expect(purged.mark).toBeLessThan(mark);

    // The newest jobs deleted, on both sides of the mark: new jobs take their seqs again, and are
    // found although the index once held those seqs.
    const newest = raw.prepare('SELECT id FROM jobs ORDER BY seq DESC LIMIT 10').pluck().all() as string[];
    raw.prepare(`UPDATE jobs SET state = 'dead', finished_at = 7 WHERE id IN (${newest.map(() => '?').join(', ')})`).run(...newest);
    expect((await q.deleteDead(newest)).length).toBe(10);
    await checkAll(q, path);
    for (const end = n + 12; n < end; n++) await q.enqueue([job(n)]);
    await checkAll(q, path);

    // An id or a command changed (nothing does this today; the triggers keep the index true).
    const [indexed, tail] = [readAll(path).mark, raw.prepare('SELECT MAX(seq) FROM jobs').pluck().get() as number];
    raw.prepare("UPDATE jobs SET command = 'rsync backup job 2 moved', id = 'p-1-moved' WHERE seq = ?").run(indexed);
    raw.prepare("UPDATE jobs SET command = 'make deploy job 1 moved' WHERE seq = ?").run(tail);
    raw.close();
    await checkAll(q, path);
    // And once the tail is indexed, the changed jobs are found by their new text only.
    await backend.catchUpSearchIndex();
    const caught = await checkAll(q, path);
    expect(caught.tail).toBe(0);
    await q.close();
  });

  it('indexes the tail from the jobs schedules fire as well', async () => {
    const path = tempDb('sched.db');
    const backend = SqliteBackend.open(path, { searchTailCap: 3 });
    const q = new Queue(backend);
    const cfg = await q.config();
    for (let i = 0; i < 8; i++) {
      const j = normalizeJob({ command: `echo nightly job ${i}` }, cfg, 1000 + i, '/');
      await backend.insertScheduledJob(j, 'nightly', { at: 1000 + i, type: 'scheduled', job_id: j.id, queue: j.queue, worker_id: null, attempt: null, detail: null });
    }
    const { mark, tail } = await checkAll(q, path);
    expect(mark).toBeGreaterThanOrEqual(6);
    expect(tail).toBeLessThan(3);
    expect((await q.list({ limit: 10, search: 'NIGHTLY' })).jobs).toHaveLength(8);
    await q.close();
  });

  it('upgrades a database from before the mark: its jobs stay found, new ones join them', async () => {
    const path = tempDb('old.db');
    const old = new Database(path);
    migrate(
      old,
      0,
      MIGRATIONS.filter((m) => m.version < 10),
      () => {},
    );
    // Jobs made by the build before: its insert trigger indexed each; one is deleted (and left the index).
    const insert = old.prepare(
      "INSERT INTO jobs (id, command, state, max_retries, run_at, queue, cwd, created_at, updated_at) VALUES (?, ?, 'pending', 3, 0, ?, '/', 0, 0)",
    );
    for (let i = 0; i < 40; i++) {
      const j = job(i);
      insert.run(j.id ?? `old-${i}`, j.command, j.queue);
    }
    old.exec("UPDATE job_counts SET n = 40 WHERE state = 'pending'; DELETE FROM jobs WHERE id = 'old-38'");
    old.close();

    const backend = SqliteBackend.open(path, { searchTailCap: 7 });
    const q = new Queue(backend);
    const upgraded = await checkAll(q, path);
    expect(upgraded).toEqual({ mark: 40, tail: 0 });
    let n = 40;
    for (const end = n + 10; n < end; n++) await q.enqueue([job(n)]);
    const grown = await checkAll(q, path);
    expect(grown.mark).toBeGreaterThan(40);
    expect(grown.tail).toBeGreaterThan(0);
    await q.close();
  });

  it('two processes enqueueing at once leave no job unsearchable, at any moment', async () => {
    requireBuild();
    const path = tempDb('shared.db');
    const backend = SqliteBackend.open(path, { searchTailCap: 5 });
    const q = new Queue(backend);
    // The other process: the CLI, enqueueing files of jobs (with the default cap, it leaves them
    // in the tail; this process's inserts, past their cap of 5, index the jobs of both).
    const files = [0, 1, 2].map((f) => {
      const file = join(path, `../jobs-${f}.jsonl`);
      writeFileSync(file, Array.from({ length: 2100 }, (_, k) => JSON.stringify({ id: `c${f}-${k}`, command: `echo job c${f} ${k}` })).join('\n'));
      return file;
    });
    const script = files.map((f) => `"${process.execPath}" "${CLI}" --db "${path}" enqueue --file "${f}" >/dev/null || exit 1`).join('\n');
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let done = false;
    void exited.then(() => (done = true));

    const watcher = new Database(path, { readonly: true });
    const count = watcher.prepare('SELECT COUNT(*) FROM jobs').pluck();
    let mine = 0;
    let checks = 0;
    while (!done || mine < 60) {
      const id = `p${mine}`;
      await q.enqueue([{ id, command: `make deploy job ${mine}` }]);
      mine++;
      expect((await q.list({ limit: 1, search: `deploy job ${mine - 1}` })).jobs.map((j) => j.id)).toEqual([id]);
      // Every job committed before the count started is counted, none twice: the count lies
      // between the jobs that existed before it and those that exist after it.
      const before = count.get() as number;
      const found = await q.countMatches({ search: 'job' }, 1_000_000);
      const after = count.get() as number;
      const total = Object.values(found.counts).reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(before);
      expect(total).toBeLessThanOrEqual(after);
      checks++;
      // The engine's calls settle without reaching the event loop: let the child's exit in.
      await new Promise((res) => setImmediate(res));
    }
    watcher.close();
    expect(await exited).toBe(0);
    expect(checks).toBeGreaterThan(10);
    const end = await checkAll(q, path, 4, []);
    expect(readAll(path).jobs.length).toBe(3 * 2100 + mine);
    // The index took the jobs of both processes, but for a short tail.
    expect(end.mark).toBeGreaterThan(3 * 2100);
    expect(end.tail).toBeLessThan(5);
    await q.close();
  }, 120_000);
});

/** The mark and the largest seq, read from another connection. */
function markOf(path: string): { mark: number; last: number } {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT (SELECT seq FROM jobs_search_mark) AS mark, COALESCE(MAX(seq), 0) AS last FROM jobs').get() as { mark: number; last: number };
  } finally {
    db.close();
  }
}

const bulk = (n: number, from = 0) => Array.from({ length: n }, (_, k) => ({ command: `echo bulk job ${from + k}`, queue: 'bulk' }));

describe('SQLite search: the tail is left to workers', () => {
  const dirs: string[] = [];
  let sb: Sandbox | undefined;
  afterEach(async () => {
    await sb?.cleanup();
    sb = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDb = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-tail-'));
    dirs.push(dir);
    return join(dir, name);
  };

  it('enqueue indexes nothing; searches stay exact over a long tail; the steps a worker takes index it oldest first, a chunk at a time', async () => {
    const path = tempDb('long.db');
    const backend = SqliteBackend.open(path, { searchChunkRows: 700 });
    const q = new Queue(backend);
    let n = 0;
    for (; n < 100; n++) await q.enqueue([job(n)]);
    for (let b = 0; b < 3; b++, n += 1000) await q.enqueue(Array.from({ length: 1000 }, (_, k) => job(n + k)));
    // Past the old bound of 2,048, one by one and in bulk: nothing indexed.
    expect(await checkAll(q, path, 400, [])).toEqual({ mark: 0, tail: 3100 });
    // Gaps in the tail, where the first chunk ends: the mark moves to jobs' seqs only.
    const raw = new Database(path);
    raw.exec("UPDATE jobs SET state = 'dead', finished_at = 5 WHERE seq BETWEEN 690 AND 720");
    raw.close();
    const gone = (await q.list({ state: 'dead', limit: 100 })).jobs.map((j) => j.id);
    expect((await q.deleteDead(gone)).length).toBe(31);
    // Between two jobs: a chunk only while the tail is SEARCH_TAIL_ROWS long or longer.
    expect(await backend.indexSearchTail(true)).toBe(true);
    const first = await checkAll(q, path, 400, []);
    expect(first).toEqual({ mark: 731, tail: 3100 - 31 - 700 });
    expect(await backend.indexSearchTail(true)).toBe(false);
    const second = await checkAll(q, path, 400, []);
    expect(second.mark).toBe(1431);
    expect(second.tail).toBeLessThan(SEARCH_TAIL_ROWS);
    expect(await backend.indexSearchTail(true)).toBe(false);
    expect(markOf(path).mark).toBe(1431);
    // Idle: chunk after chunk, to the newest job.
    let steps = 0;
    while (await backend.indexSearchTail(false)) steps++;
    expect(steps).toBe(2);
    expect(await checkAll(q, path, 400)).toEqual({ mark: 3100, tail: 0 });
    expect(await backend.indexSearchTail(false)).toBe(false);
    await q.close();
  });

  it('an insert that finds the tail past its cap indexes the oldest of it, its own jobs and a chunk more', async () => {
    const path = tempDb('cap.db');
    const q = new Queue(SqliteBackend.open(path, { searchTailCap: 50, searchChunkRows: 20 }));
    let n = 0;
    for (; n < 49; n++) await q.enqueue([job(n)]);
    expect(markOf(path)).toEqual({ mark: 0, last: 49 });
    await q.enqueue([job(n++)]);
    expect(await checkAll(q, path)).toEqual({ mark: 20, tail: 30 });
    await q.enqueue(Array.from({ length: 100 }, (_, k) => job(n + k)));
    n += 100;
    expect(await checkAll(q, path)).toEqual({ mark: 120, tail: 30 });
    await q.close();
  });

  it('a worker with nothing to claim brings the index up to date, and keeps it there', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    const box = sb;
    await box.queue.enqueue(bulk(5000));
    expect(markOf(box.db)).toEqual({ mark: 0, last: 5000 });
    // It serves another queue: every job stays pending, and the worker idle.
    box.startWorker('w1', ['--queue', 'default']);
    await waitFor(() => markOf(box.db).mark === 5000, 'the idle worker indexing the tail', 60_000);
    await box.queue.enqueue(bulk(10, 5000));
    // (The worker's own events took numbers of the sequence too: the new jobs' seqs lie beyond 5010.)
    await waitFor(() => { const m = markOf(box.db); return m.last > 5000 && m.mark === m.last; }, 'the idle worker indexing new jobs', 30_000);
    expect((await box.queue.list({ limit: 5, search: 'bulk job 5009' })).jobs.map((j) => j.command)).toEqual(['echo bulk job 5009']);
    expect((await box.queue.counts()).pending).toBe(5010);
  });

  it('enqueues go on while two idle workers index a long tail, each step holding the write lock briefly', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    const box = sb;
    for (let b = 0; b < 4; b++) await box.queue.enqueue(bulk(50_000, b * 50_000));
    box.startWorker('w1', ['--queue', 'default']);
    box.startWorker('w2', ['--queue', 'default']);
    await waitFor(() => markOf(box.db).mark > 0, 'the workers starting to index', 30_000);
    // One by one while they index: none fails, none waits long for the lock.
    const waits: number[] = [];
    let n = 0;
    while (markOf(box.db).mark < 200_000 - SEARCH_CHUNK_ROWS) {
      const t = performance.now();
      await box.queue.enqueue([{ id: `e-${n++}`, command: 'echo during', queue: 'bulk' }]);
      waits.push(performance.now() - t);
      await new Promise((res) => setTimeout(res, 2));
    }
    expect(n).toBeGreaterThan(20);
    expect(Math.max(...waits)).toBeLessThan(1000);
    await waitFor(() => { const m = markOf(box.db); return m.last > 200_000 && m.mark === m.last; }, 'the tail indexed, the jobs enqueued meanwhile too', 60_000);
    expect((await box.queue.list({ limit: 1, search: `e-${n - 1}` })).jobs.map((j) => j.id)).toEqual([`e-${n - 1}`]);
  });

  it('a worker kept busy indexes a chunk between two jobs once the tail is long', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    const box = sb;
    await box.queue.enqueue(bulk(2500));
    await box.queue.enqueue(Array.from({ length: 40 }, (_, k) => ({ id: `d-${k}`, command: 'sleep 0.05' })));
    box.startWorker('w1', ['--queue', 'default']);
    // Seen while its queue still holds jobs: it never had nothing to claim.
    const seen = await waitFor(
      async () => {
        const m = markOf(box.db);
        return m.mark > 0 ? { mark: m.mark, completed: (await box.queue.counts()).completed } : null;
      },
      'the busy worker indexing a chunk',
      60_000,
      5,
    );
    expect(seen.mark).toBe(SEARCH_CHUNK_ROWS);
    expect(seen.completed).toBeLessThan(40);
    // The rest, shorter than SEARCH_TAIL_ROWS, once its jobs are done and it is idle.
    await waitFor(async () => (await box.queue.counts()).completed === 40, 'the jobs completing', 60_000);
    await waitFor(() => markOf(box.db).mark === 2540, 'the rest indexed', 30_000);
  });

  it('a step that meets a write lock held by another connection fails neither the worker nor its jobs', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    const box = sb;
    const w = box.startWorker('w1', ['--queue', 'default']);
    await box.queue.enqueue([{ id: 'before', command: 'true' }]);
    await waitFor(async () => (await box.queue.get('before')).state === 'completed', 'the first job', 30_000);
    const other = new Database(box.db, { timeout: 20_000 });
    try {
      await box.queue.enqueue(bulk(3000));
      // Right after that commit, before the worker it woke can index (or between two of its chunks).
      other.exec('BEGIN EXCLUSIVE');
      const line = await w.waitLog((l) => l.event === 'search_index_deferred', 'the step meeting the lock', 30_000);
      expect(line.level).toBe('debug');
      expect(String(line.error)).toMatch(/locked/);
      expect(markOf(box.db).mark).toBeLessThan(markOf(box.db).last);
    } finally {
      if (other.inTransaction) other.exec('COMMIT');
      other.close();
    }
    // The worker runs on: a job enqueued now completes, and the tail is indexed after the pause.
    await box.queue.enqueue([{ id: 'after', command: 'true' }]);
    await waitFor(async () => (await box.queue.get('after')).state === 'completed', 'the next job', 30_000);
    await waitFor(() => { const m = markOf(box.db); return m.mark === m.last; }, 'the tail indexed after the lock', 30_000);
    expect(w.child.exitCode).toBeNull();
    expect(w.lines.filter((l) => l.level === 'error' && l.event !== 'db_error')).toEqual([]);
    expect((await box.queue.get('before')).attempts).toBe(1);
    expect((await box.queue.get('after')).attempts).toBe(1);
  });
});
