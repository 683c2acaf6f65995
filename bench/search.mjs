// Text search (`list --search`, the dashboard's `/`) over 1,000,000 jobs: a filtered page and
// the filtered counts per state must not cost a scan. The large fixture's commands are
// `echo job <n>`: "echo" is in every job, "job 987654" in one, "rsync" in none, and
// "job 99999999" in none although each of its trigrams is common.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fmt, internals, median, openSqliteQueue, percentile, report, skipped, timeEach } from './lib.mjs';
import { LARGE_N, buildLargeDb } from './large.mjs';

const TERMS = [
  ['common (every job)', 'echo'],
  ['rare (1 job)', 'job 987654'],
  ['no match', 'rsync'],
  ['no match, common trigrams', 'job 99999999'],
];

async function measure(section, figure, fn, { n = 200, target = 20 } = {}) {
  const times = await timeEach(fn, n, 3);
  const p99 = percentile(times, 99);
  report(section, figure, `p50 ${fmt(median(times), 2)} ms, p99 ${fmt(p99, 2)} ms`, target === null ? {} : { target: `p99 ≤ ${target} ms`, ok: p99 <= target });
}

/** Every figure of a term: first page, of one state, latest death first, counts per state. */
async function measureTerms(q, S, { target = 20, only = null } = {}) {
  for (const [label, term] of TERMS) {
    await measure(S, `first page, ${label}`, () => q.list({ limit: 50, search: term }), { target });
    if (only === 'page+counts') {
      await measure(S, `counts per state, ${label}`, () => q.countMatches({ search: term }), { target });
      continue;
    }
    await measure(S, `first page, dead, ${label}`, () => q.list({ limit: 50, search: term, state: 'dead' }), { target });
    await measure(S, `DLQ order (latest death first), ${label}`, () => q.list({ limit: 50, search: term, state: 'dead', order: 'finished' }), { target });
    await measure(S, `counts per state, ${label}`, () => q.countMatches({ search: term }), { target });
  }
}

async function sqlite(dir) {
  const path = join(dir, 'large.db');
  if (!existsSync(path)) {
    const t0 = performance.now();
    await buildLargeDb(path);
    console.log(`  (fixture built in ${fmt((performance.now() - t0) / 1000, 1)} s)`);
  }
  // Enqueues leave their jobs outside the index (search-index.ts): the fixture's million jobs
  // are all in the unindexed tail. Running workers index it, a chunk per step; the same steps
  // here (a no-op for what an earlier section already indexed).
  const { SEARCH_CHUNK_ROWS, SEARCH_TAIL_ROWS } = await internals();
  const q = await openSqliteQueue(path);
  const before = new Database(path, { readonly: true });
  const unindexed = before.prepare('SELECT MAX(seq) - (SELECT seq FROM jobs_search_mark) FROM jobs').pluck().get();
  before.close();
  const t1 = performance.now();
  let steps = 0;
  while (await q.backend.indexSearchTail(false)) steps++;
  const indexMs = performance.now() - t1;
  if (unindexed > 100_000) {
    report('1M search', `indexing ${fmt(unindexed)} enqueued jobs as idle workers do (${fmt(steps + 1)} steps of ≤ ${fmt(SEARCH_CHUNK_ROWS)})`, `${fmt(indexMs / 1000, 1)} s`, {
      anchor: `${fmt((indexMs * 1000) / unindexed, 1)} µs a job, each step ${fmt(indexMs / (steps + 1), 1)} ms of write lock`,
    });
  }
  const S = '1M search, index caught up by workers\' steps';
  await measureTerms(q, S);
  const first = await q.list({ limit: 50, search: 'job 5' });
  const mid = await q.list({ limit: 50, search: 'job 5', cursor: (LARGE_N / 2).toString(36) });
  await measure(S, 'a page by cursor mid-way, "job 5"', () => q.list({ limit: 50, search: 'job 5', cursor: mid.next_cursor ?? first.next_cursor }));
  // From the middle: a term in every job (its page lies next to the cursor), and one whose next
  // match is 370,000 jobs away (`job 12`: the next older is job 129999).
  const middle = (LARGE_N / 2).toString(36);
  await measure(S, 'a page by cursor mid-way, "echo" (every job)', () => q.list({ limit: 50, search: 'echo', cursor: middle }));
  await measure(S, 'a page by cursor mid-way, "job 12" (next match 370,000 jobs on)', () => q.list({ limit: 50, search: 'job 12', cursor: middle }));
  // Terms of 1-2 characters have no trigram: they read jobs newest first (see search.ts).
  await measure(S, 'first page, 1-char term "7" (no index: read until full)', () => q.list({ limit: 50, search: '7' }), { target: null });
  const scan = await timeEach(() => q.list({ limit: 50, search: '#!' }), 5, 1);
  report(S, 'first page, 2-char term in no job "#!" (a full read)', `p50 ${fmt(median(scan), 1)} ms`, { anchor: 'the cost every search had before the index' });
  await q.close();

  // What the index costs: building it over 1M existing jobs in one statement (migration 8 does
  // this once), its size. The build leaves out the newest 50,000 jobs: a search then tests them
  // one by one (about what 50,000 enqueued since the workers last had time cost).
  const LONG = 50_000;
  const db = new Database(path);
  const t0 = performance.now();
  db.exec(`BEGIN IMMEDIATE; DELETE FROM jobs_search;
    INSERT INTO jobs_search (rowid, id, command) SELECT -seq, id, command FROM jobs WHERE seq <= (SELECT MAX(seq) - ${LONG} FROM jobs) ORDER BY seq DESC;
    UPDATE jobs_search_mark SET seq = (SELECT MAX(seq) - ${LONG} FROM jobs); COMMIT;`);
  report('1M search', 'building the index over 1M jobs in one statement (the upgrade)', `${fmt((performance.now() - t0) / 1000, 1)} s`);
  const pages = (name) => db.prepare("SELECT COUNT(*) FROM dbstat WHERE name LIKE ?").pluck().get(name);
  try {
    const size = db.pragma('page_size', { simple: true });
    report('1M search', 'index size', `${fmt((pages('jobs_search%') * size) / 1e6, 0)} MB`, { anchor: `jobs table and its indexes: ${fmt(((pages('jobs') + pages('jobs_%') - pages('jobs_search%') + pages('sqlite_autoindex_jobs%')) * size) / 1e6, 0)} MB` });
  } catch {
    // dbstat is not compiled into every SQLite
  }
  const ql = await openSqliteQueue(path);
  await measureTerms(ql, `1M search, ${fmt(LONG)} newest unindexed`, { target: null, only: 'page+counts' });
  await ql.close();

  // The longest tail busy workers leave: one short of SEARCH_TAIL_ROWS (indexed here in one statement).
  const tail = SEARCH_TAIL_ROWS - 1;
  db.exec(`BEGIN IMMEDIATE;
    INSERT INTO jobs_search (rowid, id, command) SELECT -seq, id, command FROM jobs WHERE seq > (SELECT seq FROM jobs_search_mark) AND seq <= (SELECT MAX(seq) - ${tail} FROM jobs) ORDER BY seq DESC;
    UPDATE jobs_search_mark SET seq = (SELECT MAX(seq) - ${tail} FROM jobs); COMMIT;`);
  db.close();
  const qt = await openSqliteQueue(path);
  await measureTerms(qt, `1M search, ${fmt(tail)} newest unindexed (the longest busy workers leave)`);
  // Left as running workers would leave it, for the sections after this one.
  while (await qt.backend.indexSearchTail(false));
  await qt.close();

  // Enqueueing indexes nothing now; what indexing the same jobs costs the workers after.
  const p = join(dir, 'enqueue-search.db');
  const q2 = await openSqliteQueue(p);
  const cfg = await q2.config();
  const N = 50_000;
  const t = performance.now();
  for (let i = 0; i < N; i += 5000) await q2.enqueueBulk(Array.from({ length: 5000 }, (_, k) => ({ command: `echo job ${i + k}` })), cfg);
  const rate = N / ((performance.now() - t) / 1000);
  const t2 = performance.now();
  while (await q2.backend.indexSearchTail(false));
  const after = performance.now() - t2;
  await q2.close();
  report('1M search', 'bulk enqueue, 50,000 jobs in batches of 5,000', `${fmt(rate)}/s`, { anchor: `indexed after by workers' steps: ${fmt((after * 1000) / N, 1)} µs a job` });
}

async function mongo() {
  const uri = process.env.MONGO_URI;
  if (!uri) {
    skipped('mongo search', 'filtered pages', 'MONGO_URI not set');
    return;
  }
  const { openMongoBackend, Queue } = await internals();
  const N = Number(process.env.SEARCH_MONGO_N ?? 50_000);
  const S = `mongo search ${fmt(N)}`;
  const target = uri.replace(/\/([^/?]*)(\?|$)/, `/queuectl_search_${process.pid}$2`);
  const backend = await openMongoBackend(target, { connectTimeoutMs: 5000 });
  const q = new Queue(backend);
  try {
    const cfg = await q.config();
    for (let i = 0; i < N; i += 5000) await q.enqueueBulk(Array.from({ length: Math.min(5000, N - i) }, (_, k) => ({ command: `echo job ${i + k}` })), cfg);
    const terms = [['common (every job)', 'echo'], ['rare (1 job)', `job ${N - 7}`], ['no match', 'rsync']];
    for (const [label, term] of terms) {
      await measure(S, `first page, ${label}`, () => q.list({ limit: 50, search: term }), { n: 30, target: null });
      await measure(S, `counts per state, ${label}`, () => q.countMatches({ search: term }), { n: 10, target: null });
    }
    // For contrast, the regex over id and command that listings used before the trigram field.
    const { default: mongoose } = await import('mongoose');
    const conn = await mongoose.createConnection(target).asPromise();
    const jobs = conn.db.collection('jobs');
    for (const [label, term] of terms) {
      const re = new RegExp(term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      await measure(S, `before: regex page, ${label}`, () => jobs.find({ $or: [{ _id: re }, { command: re }] }).sort({ seq: -1 }).limit(51).toArray(), { n: 30, target: null });
    }
    await conn.dropDatabase();
    await conn.close();
  } finally {
    await backend.close();
  }
}

export async function run(dir) {
  console.log('\n== search, 1,000,000 jobs ==');
  await sqlite(dir);
  console.log('\n== search, MongoDB ==');
  await mongo();
}
