// BullMQ + execa draining `sh -c true` jobs, run in a fresh process of its own (as a worker
// would be): `node bullmq-drain.mjs PORT JOBS CONCURRENCY`. Prints {rate, cpuMsPerJob, rssMb}.
import { Queue, Worker } from 'bullmq';
import { execa } from 'execa';

const [port, n, concurrency] = process.argv.slice(2).map(Number);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const name = `drain-${process.pid}`;
const queue = new Queue(name, { connection });
await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'sh', data: { i } })));
const rss0 = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const t = performance.now();
let done = 0;
const worker = await new Promise((resolve) => {
  const w = new Worker(name, () => execa('/bin/sh', ['-c', 'true']), {
    connection,
    concurrency,
    removeOnComplete: { count: 1000 },
  });
  w.on('completed', () => {
    if (++done === n) resolve(w);
  });
});
const seconds = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpu0);
const out = { rate: n / seconds, cpuMsPerJob: (cpu.user + cpu.system) / 1000 / n, rssMb: [rss0 / 1048576, process.memoryUsage().rss / 1048576] };
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
process.stdout.write(JSON.stringify(out) + '\n');
