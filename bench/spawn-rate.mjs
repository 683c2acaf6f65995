// The raw spawn anchor, run in a fresh process of its own: spawn cost grows with the parent's
// memory, so measuring it inside the (by then large) bench process would flatter the workers.
import { spawn } from 'node:child_process';

const [total, concurrency] = process.argv.slice(2).map(Number);
let started = 0;
const t = performance.now();
const lane = async () => {
  while (started < total) {
    started++;
    await new Promise((resolve, reject) => {
      const c = spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore' });
      c.on('error', reject);
      c.on('exit', resolve);
    });
  }
};
await Promise.all(Array.from({ length: concurrency }, lane));
process.stdout.write(JSON.stringify({ rate: total / ((performance.now() - t) / 1000), rssMb: process.memoryUsage().rss / 1048576 }) + '\n');
