// A worker's own CPU per job, split into user and system time, with its minor page faults per job,
// for one build or several side by side (interleaved rounds, the order alternating), so that a
// change to the worker can be measured on a shared, loaded machine:
//
//   node bench/worker-cpu.mjs [--jobs N] [--rounds R] [--workers W] [BUILD_DIR[|node flags[|VAR=value ...]]]...
//
// BUILD_DIR is a copy of dist/ (default: dist/ itself); "dir|--flag" adds node flags to that one,
// "dir||QUEUECTL_LAUNCHER=off" sets its workers' environment. A worker's launcher (its child
// process) is counted as part of the worker.
// Each round starts W idle workers on a fresh SQLite file, enqueues N jobs of `sh -c true` and
// reads the workers' /proc/<pid>/stat before and after the drain. Fork-heavy processes pay a page
// fault for every page they write after each fork, so faults per job is a steadier signal than
// CPU time when the machine is busy. Run `npm run build` first.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DIST, median, openSqliteQueue, tempDir } from './lib.mjs';

const argv = process.argv.slice(2);
const take = (flag, dflt) => {
  const i = argv.indexOf(flag);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return Number(v);
};
const jobs = take('--jobs', 1000);
const rounds = take('--rounds', 3);
const workers = take('--workers', 1);
const builds = argv.length > 0 ? argv : [DIST];

// As supervisor.ts starts workers (WORKER_NODE_OPTIONS).
const NODE_OPTIONS = ['--optimize-for-size', '--no-opt'];
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stat(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * TICK_MS, sys: Number(f[12]) * TICK_MS, faults: Number(f[7]) };
}

function childrenOf(pid) {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

function total(pids) {
  return pids.map(stat).reduce((a, b) => ({ user: a.user + b.user, sys: a.sys + b.sys, faults: a.faults + b.faults }));
}

async function round(build, r) {
  const [dir, flags = '', vars = ''] = build.split('|');
  const extraEnv = Object.fromEntries(vars.split(' ').filter(Boolean).map((v) => v.split(/=(.*)/s, 2)));
  const t = tempDir('queuectl-worker-cpu-');
  const db = join(t.dir, 'q.db');
  const q = await openSqliteQueue(db);
  const children = [];
  try {
    for (let w = 0; w < workers; w++) {
      const args = [...NODE_OPTIONS, ...flags.split(' ').filter(Boolean), resolve(dir, 'worker/main.js'), '--id', `cpu-${r}-${w}`];
      children.push(spawn(process.execPath, args, { env: { ...process.env, ...extraEnv, QUEUECTL_DB: db }, stdio: 'ignore', cwd: t.dir }));
    }
    // Registered and idle before the clock starts.
    for (;;) {
      if ((await q.backend.listWorkers()).length >= workers) break;
      await sleep(20);
    }
    await sleep(300);
    const pids = children.flatMap((c) => [c.pid, ...childrenOf(c.pid)]);
    const before = total(pids);
    const started = performance.now();
    await q.enqueueBulk(Array.from({ length: jobs }, () => ({ command: 'true', cwd: t.dir })));
    while ((await q.counts()).completed < jobs) await sleep(20);
    const seconds = (performance.now() - started) / 1000;
    const after = total(pids);
    return {
      user: (after.user - before.user) / jobs,
      sys: (after.sys - before.sys) / jobs,
      faults: (after.faults - before.faults) / jobs,
      rate: jobs / seconds,
    };
  } finally {
    const exited = children.map((c) => new Promise((res) => (c.exitCode !== null ? res() : c.once('exit', res))));
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(exited);
    await q.close();
    t.cleanup();
  }
}

const results = new Map(builds.map((b) => [b, []]));
for (let r = 0; r < rounds; r++) {
  for (const b of r % 2 ? [...builds].reverse() : builds) {
    const x = await round(b, r);
    results.get(b).push(x);
    console.log(`round ${r + 1} ${b}: ${x.user.toFixed(2)} user + ${x.sys.toFixed(2)} sys = ${(x.user + x.sys).toFixed(2)} ms/job, ${x.faults.toFixed(0)} faults/job, ${x.rate.toFixed(0)} jobs/s`);
  }
}
console.log(`\nmedians, ${jobs} jobs × ${rounds} rounds, ${workers} worker(s):`);
for (const [b, xs] of results) {
  const m = (k) => median(xs.map(k));
  console.log(`  ${b}: ${m((x) => x.user).toFixed(2)} user + ${m((x) => x.sys).toFixed(2)} sys = ${m((x) => x.user + x.sys).toFixed(2)} ms/job, ${m((x) => x.faults).toFixed(0)} faults/job, ${m((x) => x.rate).toFixed(0)} jobs/s`);
}
