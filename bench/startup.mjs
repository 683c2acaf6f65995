// Whole-process start-up of the everyday CLI commands, as a ratio to `node -e 0`. Each round
// runs the baseline and every command once, in turn, so a machine that gets busier or quieter
// during the run moves both sides alike; the figure is the median over the rounds.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, fmt, median, openSqliteQueue, report } from './lib.mjs';

const TARGET = 1.25;

function once(args, env) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Medians (ms) of each command and of the baseline over `rounds` interleaved rounds. */
export function measure(commands, rounds, env = process.env) {
  const times = { base: [], ...Object.fromEntries(commands.map((c) => [c.name, []])) };
  for (let i = 0; i < rounds + 2; i++) {
    const warm = i < 2;
    const b = once(['-e', '0'], env);
    if (!warm) times.base.push(b);
    for (const c of commands) {
      const ms = once(c.args, c.env ? { ...env, ...c.env } : env);
      if (!warm) times[c.name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export async function run(dir) {
  console.log('\n== start-up ==');
  const db = join(dir, 'startup.db');
  const q = await openSqliteQueue(db);
  await q.enqueue(Array.from({ length: 200 }, (_, i) => ({ id: `job-${i}`, command: 'true' })));
  await q.close();
  const cli = join(DIST, 'cli.js');
  let n = 0;
  const commands = [
    { name: 'status', args: [cli, 'status', '--db', db] },
    // A new id each time; the generator below hands one per call.
    { name: 'enqueue -- true', get args() { return [cli, 'enqueue', '--db', db, '--id', `e-${process.pid}-${n++}`, '--', 'true']; } },
    { name: 'list --limit 20', args: [cli, 'list', '--db', db, '--limit', '20'] },
    { name: 'show', args: [cli, 'show', 'job-7', '--db', db] },
    { name: 'worker list', args: [cli, 'worker', 'list', '--db', db] },
    // The first run after an install compiles from source and writes the code cache; every later run reads it.
    { name: 'status, no cache', title: '`queuectl status` whole process, code cache off', args: [cli, 'status', '--db', db], env: { QUEUECTL_COMPILE_CACHE: 'off' }, info: true },
  ];
  const rounds = Number(process.env.QUEUECTL_BENCH_ROUNDS ?? 30);
  const m = measure(commands, rounds);
  for (const c of commands) {
    const ratio = m[c.name] / m.base;
    if (c.info) {
      report('start-up', c.title, `${fmt(m[c.name], 1)} ms`, {
        anchor: `node -e 0 ${fmt(m.base, 1)} ms, ratio ${fmt(ratio, 2)}, median of ${rounds} interleaved`,
      });
      continue;
    }
    report('start-up', `\`queuectl ${c.name}\` whole process`, `${fmt(m[c.name], 1)} ms`, {
      anchor: `node -e 0 ${fmt(m.base, 1)} ms, ratio ${fmt(ratio, 2)}, median of ${rounds} interleaved`,
      target: `≤ ${TARGET} ×`,
      ok: ratio <= TARGET,
    });
  }
}
