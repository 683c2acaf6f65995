// The raw spawn anchor, run in a fresh process of its own: spawn cost grows with the parent's
// memory, so measuring it inside the (by then large) bench process would flatter the workers.
// Output is piped and read, as a job runner must: `node spawn-rate.mjs TOTAL CONCURRENCY`.
import { spawn } from 'node:child_process';

const [total, concurrency] = process.argv.slice(2).map(Number);
let started = 0;
const cpu0 = process.cpuUsage();
const t = performance.now();
const lane = async () => {
  while (started < total) {
    started++;
    await new Promise((resolve, reject) => {
      const c = spawn('/bin/sh', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks = [];
      c.stdout.on('data', (d) => chunks.push(d));
      c.stderr.on('data', (d) => chunks.push(d));
      c.on('error', reject);
      c.on('close', resolve);
    });
  }
};
await Promise.all(Array.from({ length: concurrency }, lane));
const seconds = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({ rate: total / seconds, cpuMsPerJob: (cpu.user + cpu.system) / 1000 / total, rssMb: process.memoryUsage().rss / 1048576 }) + '\n',
);
