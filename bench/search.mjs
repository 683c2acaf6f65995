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

async function sqlite(dir) {
  const path = join(dir, 'large.db');
  if (!existsSync(path)) {
    const t0 = performance.now();
    await buildLargeDb(path);
    console.log(`  (fixture built in ${fmt((performance.now() - t0) / 1000, 1)} s)`);
  }
  const q = await openSqliteQueue(path);
  const S = '1M search';
  for (const [label, term] of TERMS) {
    await measure(S, `first page, ${label}`, () => q.list({ limit: 50, search: term }));
    await measure(S, `first page, dead, ${label}`, () => q.list({ limit: 50, search: term, state: 'dead' }));
    await measure(S, `DLQ order (latest death first), ${label}`, () => q.list({ limit: 50, search: term, state: 'dead', order: 'finished' }));
    await measure(S, `counts per state, ${label}`, () => q.countMatches({ search: term }));
  }
  const first = await q.list({ limit: 50, search: 'job 5' });
  const mid = await q.list({ limit: 50, search: 'job 5', cursor: (LARGE_N / 2).toString(36) });
  await measure(S, 'a page by cursor mid-way, "job 5"', () => q.list({ limit: 50, search: 'job 5', cursor: mid.next_cursor ?? first.next_cursor }));
  // Terms of 1-2 characters have no trigram: they read jobs newest first (see search.ts).
  await measure(S, 'first page, 1-char term "7" (no index: read until full)', () => q.list({ limit: 50, search: '7' }), { target: null });
  const scan = await timeEach(() => q.list({ limit: 50, search: '#!' }), 5, 1);
  report(S, 'first page, 2-char term in no job "#!" (a full read)', `p50 ${fmt(median(scan), 1)} ms`, { anchor: 'the cost every search had before the index' });
  await q.close();

  // What the index costs: building it over 1M existing jobs (migration 8 does this once), its
  // size, and enqueueing with it. The build leaves out the newest jobs, as many as the unindexed
  // tail may hold (search-index.ts): searches then read the longest tail they can meet.
  const { SEARCH_TAIL_ROWS } = await internals();
  const tail = SEARCH_TAIL_ROWS - 1;
  const db = new Database(path);
  const t0 = performance.now();
  db.exec(`BEGIN IMMEDIATE; DELETE FROM jobs_search;
    INSERT INTO jobs_search (rowid, id, command) SELECT -seq, id, command FROM jobs WHERE seq <= (SELECT MAX(seq) - ${tail} FROM jobs) ORDER BY seq DESC;
    UPDATE jobs_search_mark SET seq = (SELECT MAX(seq) - ${tail} FROM jobs); COMMIT;`);
  report(S, 'building the index over 1M jobs (the upgrade)', `${fmt((performance.now() - t0) / 1000, 1)} s`);
  const pages = (name) => db.prepare("SELECT COUNT(*) FROM dbstat WHERE name LIKE ?").pluck().get(name);
  try {
    const size = db.pragma('page_size', { simple: true });
    report(S, 'index size', `${fmt((pages('jobs_search%') * size) / 1e6, 0)} MB`, { anchor: `jobs table and its indexes: ${fmt(((pages('jobs') + pages('jobs_%') - pages('jobs_search%') + pages('sqlite_autoindex_jobs%')) * size) / 1e6, 0)} MB` });
  } catch {
    // dbstat is not compiled into every SQLite
  }
  db.close();
  const qt = await openSqliteQueue(path);
  const T = `1M search, ${fmt(tail)} newest unindexed`;
  for (const [label, term] of TERMS) {
    await measure(T, `first page, ${label}`, () => qt.list({ limit: 50, search: term }));
    await measure(T, `first page, dead, ${label}`, () => qt.list({ limit: 50, search: term, state: 'dead' }));
    await measure(T, `DLQ order (latest death first), ${label}`, () => qt.list({ limit: 50, search: term, state: 'dead', order: 'finished' }));
    await measure(T, `counts per state, ${label}`, () => qt.countMatches({ search: term }));
  }
  await qt.close();
  const fresh = async (withIndex) => {
    const p = join(dir, `enqueue-${withIndex}.db`);
    await (await openSqliteQueue(p)).close();
    // Without: a mark no seq reaches, so no insert ever finds a tail to index.
    if (!withIndex) new Database(p).exec('UPDATE jobs_search_mark SET seq = 1e15').close();
    const q2 = await openSqliteQueue(p);
    const cfg = await q2.config();
    const N = 50_000;
    const t = performance.now();
    for (let i = 0; i < N; i += 5000) await q2.enqueueBulk(Array.from({ length: 5000 }, (_, k) => ({ command: `echo job ${i + k}` })), cfg);
    const rate = N / ((performance.now() - t) / 1000);
    await q2.close();
    return rate;
  };
  const without = await fresh(false);
  const withIdx = await fresh(true);
  report(S, 'bulk enqueue, 50,000 jobs in batches of 5,000', `${fmt(withIdx)}/s`, { anchor: `${fmt(without)}/s without indexing` });
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
