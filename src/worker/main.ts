/**
 * The headless worker process: `node dist/worker/main.js [--id ID]... [--queue Q]`, running one
 * worker per `--id` (one, with a generated id, when none is given).
 * The database comes from QUEUECTL_DB (or MONGO_URI, or the default file), never from the
 * command line, where a MongoDB password would show in `ps`. Logs are JSON lines on stdout.
 */
import { loadDotEnv } from '../engine/open.js';
import { newWorkerId, runWorkerProcess } from './lifecycle.js';

function parseArgs(argv: string[]): { ids: string[]; queue?: string } {
  const out: { ids: string[]; queue?: string } = { ids: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (flag !== '--id' && flag !== '--queue') throw new Error(`unknown argument "${argv[i]}" (usage: main.js [--id ID]... [--queue Q])`);
    const value = inline ?? argv[++i];
    if (!value) throw new Error(`${flag} needs a value`);
    if (flag === '--queue') out.queue = value;
    else if (out.ids.includes(value)) throw new Error(`--id ${value} is given twice`);
    else out.ids.push(value);
  }
  return out;
}

let args: { ids: string[]; queue?: string };
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`queuectl worker: ${(e as Error).message}\n`);
  process.exit(2);
}
// A closed stdout (a log reader that went away) must not kill a worker holding a job.
process.stdout.on('error', () => {});
loadDotEnv();
void runWorkerProcess({ db: undefined, ids: args.ids.length > 0 ? args.ids : [newWorkerId()], queueName: args.queue ?? null }).then((code) => {
  process.exitCode = code;
  // Ending naturally lets piped logs drain; anything still holding the event loop open gets a moment, not forever.
  setTimeout(() => process.exit(), 2000).unref();
});
