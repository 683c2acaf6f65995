// One process of the multi-process claim + complete figure: claims no-op jobs until none is
// left and prints how many it settled, as JSON. Started by engine.mjs.
import { openSqliteQueue } from './lib.mjs';

const [path, id, startAtText] = process.argv.slice(2);
const q = await openSqliteQueue(path);
const cfg = await q.config();
const startAt = Number(startAtText);
while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 1));
const t = performance.now();
let n = 0;
for (;;) {
  const job = await q.claim(id, null, 30_000);
  if (!job) break;
  await q.settle(job, id, { outcome: 'succeeded', exit_code: 0, signal: null, error: null, output: '', output_bytes: 0, finished_at: Date.now() }, cfg);
  n++;
}
process.stdout.write(JSON.stringify({ n, ms: performance.now() - t, end: Date.now() }) + '\n');
await q.close();
