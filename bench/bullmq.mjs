// The anchor for the claim + complete figure: BullMQ on a local Redis, concurrency 1, no-op jobs.
// Runs only when `redis-server` is installed and the bullmq package is present; otherwise it
// says why it was skipped.
import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { tempDir, waitFor } from './lib.mjs';

function findRedis() {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => { s.end(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** Starts a throwaway redis-server on loopback; resolves with its port and a stop function. */
export async function startRedis() {
  const bin = findRedis();
  if (!bin) return { skipped: 'redis-server is not installed (apt-get install redis-server)' };
  const port = 20000 + Math.floor(Math.random() * 20000);
  const t = tempDir('queuectl-redis-');
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', t.dir], { stdio: 'ignore' });
  await waitFor(() => canConnect(port), { timeoutMs: 10_000, what: 'redis-server' });
  return { port, stop: () => { child.kill('SIGKILL'); t.cleanup(); } };
}

export async function bullmqRate(n) {
  let bullmq;
  try {
    bullmq = await import('bullmq');
  } catch {
    return { skipped: 'the bullmq package is not installed' };
  }
  const redis = await startRedis();
  if (redis.skipped) return redis;
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const queue = new bullmq.Queue('bench', { connection });
  try {
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'noop', data: { i } })));
    let done = 0;
    const t = performance.now();
    const finished = new Promise((resolve) => {
      const worker = new bullmq.Worker('bench', async () => {}, { connection, concurrency: 1 });
      worker.on('completed', () => {
        if (++done === n) resolve(worker);
      });
    });
    const worker = await finished;
    const rate = n / ((performance.now() - t) / 1000);
    await worker.close();
    return { rate };
  } finally {
    await queue.close();
    redis.stop();
  }
}
