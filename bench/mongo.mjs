// MongoDB figures next to SQLite's, in the same run: the claim + complete cycle and pickup
// latency. Uses MONGO_URI when set, else starts the bundled MongoDB-protocol test server
// (mongo-java-server, in memory: a functional stand-in whose speed is not MongoDB's).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, ROOT, fmt, internals, median, openSqliteQueue, percentile, report, skipped } from './lib.mjs';
import { claimCompleteInProcess } from './engine.mjs';
import { pickupLatencies } from './processes.mjs';

function startTestServer() {
  const port = String(27100 + Math.floor(Math.random() * 800));
  try {
    const out = execFileSync('bash', [join(ROOT, 'scripts/mongo-test-server/start.sh'), port], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const uri = /^MONGO_URI=(.*)$/m.exec(out)?.[1];
    const pid = Number(/^MONGO_PID=(\d+)$/m.exec(out)?.[1]);
    return { uri, stop: () => { try { process.kill(pid, 'SIGKILL'); } catch {} } };
  } catch (e) {
    return { skipped: `the test server did not start (${String(e.message).split('\n')[0]})` };
  }
}

export async function run(dir) {
  console.log('\n== MongoDB ==');
  const server = process.env.MONGO_URI ? { uri: process.env.MONGO_URI, stop: () => {} } : startTestServer();
  if (server.skipped) {
    skipped('mongo', 'claim + complete and pickup latency', server.skipped);
    return;
  }
  const which = process.env.MONGO_URI ? 'MONGO_URI' : 'mongo-java-server (in-memory test server; scans on every query)';
  const uri = server.uri.replace(/\/([^/?]*)(\?|$)/, `/queuectl_bench_${process.pid}$2`);
  const { openMongoBackend, Queue } = await internals();
  try {
    const N = 300;
    const mq = new Queue(await openMongoBackend(uri, { connectTimeoutMs: 5000 }));
    const mongoRate = await claimCompleteInProcess(mq, N);
    const sq = await openSqliteQueue(join(dir, 'mongo-compare.db'));
    const sqliteRate = await claimCompleteInProcess(sq, N);
    report('mongo', `claim + complete, no-op, 1 process (${N} jobs)`, `${fmt(mongoRate)}/s`, {
      anchor: `SQLite ${fmt(sqliteRate)}/s same run; server: ${which}`,
    });
    const mql = new Queue(await openMongoBackend(uri.replace(/queuectl_bench_/, 'queuectl_bench_limited_'), { connectTimeoutMs: 5000 }));
    const limitedRate = await claimCompleteInProcess(mql, N, { concurrency: 2 });
    report('mongo', `claim + complete, no-op, 1 process, queue limited to 2 at once (${N} jobs)`, `${fmt(limitedRate)}/s`, {
      anchor: `unlimited ${fmt(mongoRate)}/s, ratio ${fmt(limitedRate / mongoRate, 2)}`,
    });
    await mql.close();
    const sqliteDb = join(dir, 'mongo-compare.db');
    const sLat = await pickupLatencies(sq, sqliteDb, 50);
    const mLat = await pickupLatencies(mq, uri, 50);
    report('mongo', 'pickup latency, idle worker (50 jobs)', `p50 ${fmt(median(mLat), 1)} ms, p99 ${fmt(percentile(mLat, 99), 1)} ms`, {
      anchor: `SQLite p50 ${fmt(median(sLat), 1)} ms, p99 ${fmt(percentile(sLat, 99), 1)} ms`,
    });
    await mq.close();
    if (process.env.MONGO_URI) {
      const mongoose = (await import('mongoose')).default;
      const conn = await mongoose.createConnection(uri).asPromise();
      await conn.dropDatabase();
      await conn.close();
      const limited = await mongoose.createConnection(uri.replace(/queuectl_bench_/, 'queuectl_bench_limited_')).asPromise();
      await limited.dropDatabase();
      await limited.close();
    }
    await sq.close();
  } finally {
    server.stop();
  }
}
