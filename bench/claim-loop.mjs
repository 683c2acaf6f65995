// One process of the multi-process claim + complete figure: claims no-op jobs as a worker does
// (engine.mjs drainInProcess) until none is left and prints how many it settled, as JSON. Started by engine.mjs.
import { drainInProcess } from './engine.mjs';
import { openSqliteQueue } from './lib.mjs';

const [path, id, startAtText] = process.argv.slice(2);
const q = await openSqliteQueue(path);
const cfg = await q.config();
const startAt = Number(startAtText);
while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 1));
const t = performance.now();
const { done: n } = await drainInProcess(q, cfg, id);
process.stdout.write(JSON.stringify({ n, ms: performance.now() - t, end: Date.now() }) + '\n');
await q.close();
