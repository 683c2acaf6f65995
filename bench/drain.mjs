// Drain speed side by side: N jobs of `sh -c true`, C at a time, run by
//   raw spawn     child_process.spawn with stdout/stderr piped and read, from a fresh process: what a
//                 Node program spawning each command itself reaches (the targets' anchor)
//   xargs -P      the OS ceiling: no pipes read, no bookkeeping
//   task-spooler  when `tsp` (or `ts`) is installed
//   BullMQ+execa  when `redis-server` is installed: one Node worker process, concurrency C
//   queuectl      C workers started by the supervisor, on a fresh SQLite file: one process each,
//                 and (on a machine with fewer cores than C) as many processes as cores, the C
//                 workers shared among them (`worker start --per-process`); and once more in one
//                 process each with Node spawning the commands instead of the launcher
//                 (QUEUECTL_LAUNCHER=off, as without a C compiler at install), for comparison
// in interleaved rounds (the order rotates each round), reporting medians and the ratio of each
// system to raw spawn. The machine may be shared: the load average is printed beside the figures.
//
// `node bench/drain.mjs [--full] [--jobs N] [--rounds R] [--concurrency C]` (after `npm run build`),
// or as the `drain` section of `npm run bench`. Quick by default (3 rounds of 1,000 jobs);
// --full runs 7 rounds of 2,000. `--systems xargs,tsp,bullmq,queuectl` picks some (raw spawn always runs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { DIST, fmt, internals, median, openSqliteQueue, report, skipped, tempDir, waitFor } from './lib.mjs';
import { startRedis } from './bullmq.mjs';

const here = (f) => new URL(f, import.meta.url).pathname;

function options(argv) {
  const full = argv.includes('--full');
  const num = (flag, dflt) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const i = argv.indexOf('--systems');
  // Raw spawn always runs: it is what the others are compared with.
  const systems = i >= 0 ? argv[i + 1].split(',') : null;
  return { jobs: num('--jobs', full ? 2000 : 1000), rounds: num('--rounds', full ? 7 : 3), concurrency: num('--concurrency', 4), systems };
}

// --- /proc readings ----------------------------------------------------------------------

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** CPU ms of a process itself and of its children it has reaped (utime+stime, cutime+cstime). */
function cpuOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { own: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return { own: 0, children: 0 };
  }
}

function rssMbOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The live children of `pid` (for a worker: its long-lived helpers, when idle). */
function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * The workers' CPU, with their long-lived helper processes counted as part of them ("own"), and
 * the commands they ran ("children": reaped by a worker or a helper).
 */
function sampleCpu(pids) {
  let own = 0;
  let children = 0;
  for (const pid of pids) {
    const c = cpuOf(pid);
    own += c.own;
    children += c.children;
  }
  return { own, children };
}

// --- the systems ---------------------------------------------------------------------------

function runJson(args, env) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: env ?? process.env });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function rawSpawn({ jobs, concurrency }) {
  const r = runJson([here('./spawn-rate.mjs'), String(jobs), String(concurrency)]);
  return { rate: r.rate, cpuOwn: r.cpuMsPerJob, rss: [r.rssMb, r.rssMb] };
}

function xargs({ jobs, concurrency }) {
  const t = performance.now();
  const r = spawnSync('sh', ['-c', `seq ${jobs} | xargs -P${concurrency} -n1 sh -c true`], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`xargs exited ${r.status}`);
  return { rate: jobs / ((performance.now() - t) / 1000) };
}

function findTsp() {
  for (const bin of ['tsp', 'ts']) {
    const r = spawnSync(bin, ['-V'], { encoding: 'utf8' });
    // moreutils also ships a `ts` (timestamps): only task-spooler's counts.
    if (r.status === 0 && /task spooler/i.test(`${r.stdout}${r.stderr}`)) return bin;
  }
  return null;
}

/**
 * Task-spooler as it is used: one `tsp sh -c true` call per job, each a client process that waits
 * in the background for its turn (the server accepts about a thousand at once, so the jobs cannot
 * all be queued up front). The clock runs from the first call to the end of the last job.
 */
function taskSpooler(bin, { jobs, concurrency }) {
  const t = tempDir('queuectl-tsp-');
  const env = { ...process.env, TS_SOCKET: join(t.dir, 'socket'), TMPDIR: t.dir, TS_SLOTS: String(concurrency), TS_MAXFINISHED: String(jobs + 100) };
  const tsp = (...args) => {
    const r = spawnSync(bin, args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout.trim();
  };
  try {
    const start = performance.now();
    // The clients stay in the background until their job ran: none may hold a pipe spawnSync waits on.
    const q = spawnSync('sh', ['-c', `i=0; while [ $i -lt ${jobs} ]; do "${bin}" sh -c true || exit 1; i=$((i+1)); done`], { env, stdio: 'ignore' });
    if (q.status !== 0) throw new Error(`queueing ${jobs} jobs in ${bin} failed`);
    const last = jobs - 1; // ids count from 0 on a fresh server
    for (let id = last; id > last - concurrency && id >= 0; id--) tsp('-w', String(id));
    return { rate: jobs / ((performance.now() - start) / 1000) };
  } finally {
    spawnSync(bin, ['-K'], { env, stdio: 'ignore' });
    t.cleanup();
  }
}

function bullmq(port, { jobs, concurrency }) {
  const r = runJson([here('./bullmq-drain.mjs'), String(port), String(jobs), String(concurrency)]);
  return { rate: r.rate, cpuOwn: r.cpuMsPerJob, rss: r.rssMb };
}

/**
 * queuectl: `concurrency` workers started as `worker start --count C --per-process K` starts
 * them; the drain is watched in-process.
 */
async function queuectl(dir, round, { jobs, concurrency }, perProcess, env = {}) {
  const { startWorkers, stopWorkers } = await internals();
  const db = join(dir, `drain-${round}-${perProcess}-${Object.keys(env).join('')}.db`);
  const q = await openSqliteQueue(db);
  try {
    // The workers take this process's environment (plus `env`) as they start.
    const saved = { ...process.env };
    Object.assign(process.env, env);
    let started;
    try {
      started = await startWorkers({ db, count: concurrency, perProcess, queue: null, logDir: join(dir, 'logs') });
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
    try {
      // Idle, registered workers: whatever long-lived helpers they run are children by now.
      const procs = [...new Set(started.map((w) => w.pid))];
      const pids = procs.flatMap((pid) => [pid, ...childrenOf(pid)]);
      const rssOf = () => procs.reduce((s, pid) => s + rssMbOf(pid) + childrenOf(pid).reduce((a, c) => a + rssMbOf(c), 0), 0) / procs.length;
      const rssBefore = rssOf();
      const cpu0 = sampleCpu(pids);
      const t = performance.now();
      await q.enqueueBulk(Array.from({ length: jobs }, () => ({ command: 'true', cwd: dir })));
      await waitFor(async () => (await q.counts()).completed >= jobs, { timeoutMs: 600_000, intervalMs: 10, what: 'the drain' });
      const rate = jobs / ((performance.now() - t) / 1000);
      const cpu1 = sampleCpu(pids);
      const rssAfter = rssOf();
      return { rate, cpuOwn: (cpu1.own - cpu0.own) / jobs, cpuChildren: (cpu1.children - cpu0.children) / jobs, rss: [rssBefore, rssAfter] };
    } finally {
      await stopWorkers(q, { timeoutMs: 30_000, force: false });
    }
  } finally {
    await q.close();
  }
}

// --- the run ---------------------------------------------------------------------------------

export async function run(dir, argv = process.argv.slice(2)) {
  const opts = options(argv);
  console.log(`\n== drain: ${fmt(opts.jobs)} jobs of \`sh -c true\`, ${opts.concurrency} at a time, ${opts.rounds} interleaved rounds ==`);
  const load0 = loadavg();
  const systems = [
    { name: 'raw spawn, pipes read', run: () => rawSpawn(opts) },
    { name: `xargs -P${opts.concurrency}`, run: () => xargs(opts) },
  ];
  const skips = [];
  const want = (name) => !opts.systems || opts.systems.includes(name);
  if (!want('xargs')) systems.pop();
  const tsp = want('tsp') ? findTsp() : null;
  if (tsp) systems.push({ name: 'task-spooler', run: () => taskSpooler(tsp, opts) });
  else if (want('tsp')) skips.push(['task-spooler', 'tsp is not installed (apt-get install task-spooler)']);
  let redis = null;
  let haveBull = want('bullmq');
  try {
    if (haveBull) await import('bullmq');
  } catch {
    if (haveBull) skips.push(['BullMQ + execa', 'the bullmq package is not installed']);
    haveBull = false;
  }
  if (haveBull) {
    redis = await startRedis();
    if (redis.skipped) {
      skips.push(['BullMQ + execa', redis.skipped]);
      redis = null;
    } else {
      systems.push({ name: 'BullMQ + execa', run: () => bullmq(redis.port, opts) });
    }
  }
  const shared = Math.ceil(opts.concurrency / availableParallelism());
  if (want('queuectl')) {
    systems.push({ name: `queuectl, ${opts.concurrency} workers`, run: (round) => queuectl(dir, round, opts, 1) });
    // Without the launcher (no C compiler at install, or QUEUECTL_LAUNCHER=off): for comparison, no target.
    systems.push({
      name: `queuectl, ${opts.concurrency} workers, spawned by Node`,
      info: true,
      run: (round) => queuectl(dir, round, opts, 1, { QUEUECTL_LAUNCHER: 'off' }),
    });
    if (shared > 1) {
      const procs = Math.ceil(opts.concurrency / shared);
      systems.push({ name: `queuectl, ${opts.concurrency} workers in ${procs} processes`, run: (round) => queuectl(dir, round, opts, shared) });
    }
  }

  const results = new Map(systems.map((s) => [s.name, []]));
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order = systems.map((_, i) => systems[(i + round) % systems.length]);
      const line = [];
      for (const s of order) {
        if (process.env.BENCH_VERBOSE) console.log(`    ${s.name}…`);
        const r = await s.run(round);
        results.get(s.name).push(r);
        line.push(`${s.name} ${fmt(r.rate)}/s`);
      }
      console.log(`  round ${round + 1}: ${line.join(', ')}`);
    }
  } finally {
    redis?.stop();
  }
  const load1 = loadavg();

  const raw = results.get(systems[0].name);
  const rawRates = raw.map((r) => r.rate);
  const rows = systems.map((s) => {
    const rs = results.get(s.name);
    const rates = rs.map((r) => r.rate);
    // Per round, against the raw spawn of the same round: load that drifts between rounds cancels out.
    const ratio = median(rs.map((r, i) => r.rate / rawRates[i]));
    const cpu = rs[0].cpuOwn === undefined ? '' : `${fmt(median(rs.map((r) => r.cpuOwn)), 2)}${rs[0].cpuChildren === undefined ? '' : ` + ${fmt(median(rs.map((r) => r.cpuChildren)), 2)} sh`}`;
    const rss = rs[0].rss ? `${fmt(median(rs.map((r) => r.rss[0])))} → ${fmt(median(rs.map((r) => r.rss[1])))}` : '';
    return { name: s.name, info: s.info, rate: median(rates), ratio, cpu, rss };
  });
  const w = Math.max(...rows.map((r) => r.name.length), 8);
  console.log(`\n  ${'system'.padEnd(w)}  ${'jobs/s'.padStart(7)}  ${'× raw'.padStart(6)}  ${'CPU ms/job'.padStart(16)}  RSS MB (per process, before → after)`);
  for (const r of rows) console.log(`  ${r.name.padEnd(w)}  ${fmt(r.rate).padStart(7)}  ${fmt(r.ratio, 2).padStart(6)}  ${r.cpu.padStart(16)}  ${r.rss}`);
  for (const [name, why] of skips) console.log(`  ${name.padEnd(w)}  skipped: ${why}`);
  console.log(`  load average ${load0.map((l) => fmt(l, 2)).join(' ')} before, ${load1.map((l) => fmt(l, 2)).join(' ')} after (2 cores: above ~0.5 others were running too)`);

  const others = rows.filter((r) => /task-spooler|BullMQ/.test(r.name));
  // Each way of running the C workers is held to the targets on its own.
  for (const qc of rows.filter((r) => r.name.startsWith('queuectl'))) {
    const how = qc.name.replace(/^queuectl, /, '');
    if (qc.info) {
      report('drain', `queuectl drain, ${how} (${fmt(opts.jobs)} jobs, median of ${opts.rounds})`, `${fmt(qc.rate)}/s`, {
        anchor: `${fmt(qc.ratio, 2)} × raw spawn with pipes read; worker CPU ${qc.cpu} ms/job`,
      });
      continue;
    }
    report('drain', `queuectl drain, ${how} (${fmt(opts.jobs)} jobs, median of ${opts.rounds})`, `${fmt(qc.rate)}/s`, {
      anchor: `${fmt(qc.ratio, 2)} × raw spawn with pipes read (${fmt(median(rawRates))}/s); worker CPU ${qc.cpu} ms/job`,
      target: '≥ 0.9 × raw spawn',
      ok: qc.ratio >= 0.9,
    });
    for (const o of others) {
      report('drain', `queuectl (${how}) vs ${o.name}`, `${fmt(qc.rate / o.rate, 2)} ×`, { anchor: `${fmt(o.rate)}/s`, target: '> 1 ×', ok: qc.rate > o.rate });
    }
  }
  for (const [name, why] of skips) skipped('drain', `queuectl vs ${name}`, why);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!existsSync(join(DIST, 'worker/main.js'))) {
    console.error('bench: dist/ is missing: run "npm run build" first');
    process.exit(2);
  }
  const t = tempDir();
  try {
    await run(t.dir);
  } finally {
    t.cleanup();
  }
}
