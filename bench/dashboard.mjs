// The dashboard over 1,000,000 jobs: one refresh tick (queries, then the render it causes),
// its CPU while idle-refreshing and its memory as a real process in tmux, and how fast a key
// press shows on the screen.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { DIST, fmt, internals, median, openSqliteQueue, percentile, report, skipped, waitFor } from './lib.mjs';
import { buildLargeDb } from './large.mjs';

class FakeTerminal extends Writable {
  columns = 120;
  rows = 35;
  isTTY = true;
  _write(_chunk, _enc, cb) {
    cb();
  }
}

class FakeKeyboard extends EventEmitter {
  isTTY = true;
  setRawMode() {}
  setEncoding() {}
  read() {
    return null;
  }
  ref() {}
  unref() {}
  resume() {}
  pause() {}
}

async function tickFigures(path) {
  process.env.NODE_ENV = 'production';
  const { createDashboard, App, DashboardContext, ColorContext, React, render } = await internals();
  const q = await openSqliteQueue(path);
  const dash = createDashboard(q, { refreshMs: 3_600_000 });
  let renderedAt = 0;
  const stdout = new FakeTerminal();
  const ui = render(
    React.createElement(ColorContext.Provider, { value: true },
      React.createElement(DashboardContext.Provider, { value: { store: dash.store, controllers: dash.controllers } }, React.createElement(App))),
    { stdout, stdin: new FakeKeyboard(), debug: false, patchConsole: false, exitOnCtrlC: false, maxFps: 1000, onRender: () => (renderedAt = performance.now()) },
  );
  const quiet = [];
  const busy = [];
  await dash.poller.refresh();
  for (let i = 0; i < 60; i++) {
    // A quiet tick: nothing changed, so nothing is rendered.
    let t = performance.now();
    await dash.poller.refresh();
    quiet.push(performance.now() - t);
    // A tick after a change: a new job arrives, the counts and the first page are redrawn.
    await q.enqueue([{ command: `echo tick ${i}` }]);
    renderedAt = 0;
    t = performance.now();
    await dash.poller.refresh();
    // From the start of the tick to the end of the frame it caused (React, layout, output).
    await waitFor(() => renderedAt > 0, { timeoutMs: 5000, intervalMs: 1, what: 'a render' });
    busy.push(renderedAt - t);
  }
  ui.unmount();
  await q.close();
  return { quiet, busy };
}

class CountingTerminal extends FakeTerminal {
  bytes = 0;
  _write(chunk, _enc, cb) {
    this.bytes += chunk.length;
    cb();
  }
}

/**
 * Bytes the dashboard writes to its terminal per second, rendered as in production (incremental
 * frames, the frame-start correction): idle (nothing changes but the clock), then busy (a job
 * enqueued and one finished every 200 ms).
 */
async function bytesFigures(path, seconds = 8) {
  process.env.NODE_ENV = 'production';
  const { createDashboard, App, DashboardContext, ColorContext, RENDER_OPTIONS, correctFrameStart, React, render } = await internals();
  const q = await openSqliteQueue(path);
  const dash = createDashboard(q, { refreshMs: 1000 });
  const term = new CountingTerminal();
  const ui = render(
    React.createElement(ColorContext.Provider, { value: true },
      React.createElement(DashboardContext.Provider, { value: { store: dash.store, controllers: dash.controllers } }, React.createElement(App))),
    { ...RENDER_OPTIONS, stdout: correctFrameStart(term), stdin: new FakeKeyboard(), patchConsole: false, exitOnCtrlC: false },
  );
  dash.poller.start();
  await new Promise((r) => setTimeout(r, 3000));
  let from = term.bytes;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const idle = (term.bytes - from) / seconds;
  const cfg = await q.config();
  let i = 0;
  const churn = setInterval(() => {
    void (async () => {
      await q.enqueue([{ command: `echo busy ${i++}` }], cfg);
      const job = await q.claim('bench-w', null, 60_000);
      if (job) await q.settle(job, 'bench-w', { outcome: 'succeeded', exit_code: 0, signal: null, error: null, output: 'ok\n', output_bytes: 3, finished_at: Date.now() }, cfg);
    })();
  }, 200);
  await new Promise((r) => setTimeout(r, 1000));
  from = term.bytes;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const busy = (term.bytes - from) / seconds;
  clearInterval(churn);
  dash.poller.stop();
  await dash.poller.idle();
  ui.unmount();
  await q.close();
  return { idle, busy };
}

function tmux(socket, ...args) {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuTicks: Number(f[11]) + Number(f[12]) };
}

function procMem(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/**
 * From starting the dashboard in a tmux pane to the screen showing the counts and the first page,
 * with the code cache in `cache` (XDG_CACHE_HOME). Leaves the dashboard running in `socket`.
 */
async function firstFrame(socket, path, cache) {
  const started = performance.now();
  tmux(socket, 'new-session', '-d', '-x', '120', '-y', '35', `env XDG_CACHE_HOME=${cache} ${process.execPath} ${join(DIST, 'cli.js')} dashboard --db ${path}`);
  const pane = () => tmux(socket, 'capture-pane', '-p');
  await waitFor(() => /pending/.test(pane()) && /completed/.test(pane()) && /rows 1–/.test(pane()), { timeoutMs: 30_000, intervalMs: 5, what: 'the dashboard' });
  return performance.now() - started;
}

async function processFigures(path) {
  if (spawnSync('tmux', ['-V']).status !== 0) return { skipped: 'tmux is not installed' };
  // The first start after an install compiles the dashboard's code and caches it as it quits;
  // every later start reads the cache.
  const cache = mkdtempSync(join(tmpdir(), 'queuectl-bench-cache-'));
  const cold = `queuectl-bench-cold-${process.pid}`;
  let coldMs;
  try {
    coldMs = await firstFrame(cold, path, cache);
    tmux(cold, 'send-keys', 'q');
    await waitFor(() => spawnSync('tmux', ['-L', cold, 'has-session']).status !== 0, { timeoutMs: 10_000, intervalMs: 10, what: 'the dashboard to quit' });
  } finally {
    spawnSync('tmux', ['-L', cold, 'kill-server']);
  }
  const socket = `queuectl-bench-${process.pid}`;
  try {
    const firstFrameMs = await firstFrame(socket, path, cache);
    const pane = () => tmux(socket, 'capture-pane', '-p');
    const pid = Number(tmux(socket, 'list-panes', '-F', '#{pane_pid}').trim());
    await new Promise((r) => setTimeout(r, 3000));
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
    const before = procStat(pid).cpuTicks;
    const t = Date.now();
    await new Promise((r) => setTimeout(r, 20_000));
    const cpu = ((procStat(pid).cpuTicks - before) / hz) / ((Date.now() - t) / 1000);
    const mem = procMem(pid);
    // Key press → screen: switch state tabs and wait for the highlighted tab to change.
    const keyMs = [];
    for (let i = 0; i < 20; i++) {
      const key = i % 2 === 0 ? '2' : '1';
      const before = pane();
      const t0 = performance.now();
      tmux(socket, 'send-keys', key);
      await waitFor(() => pane() !== before, { timeoutMs: 5000, intervalMs: 1, what: 'the key press to show' });
      keyMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 300));
    }
    tmux(socket, 'send-keys', 'q');
    return { cpu, mem, keyMs, firstFrameMs, coldMs };
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    rmSync(cache, { recursive: true, force: true });
  }
}

export async function run(dir) {
  console.log('\n== dashboard over 1,000,000 jobs ==');
  const path = join(dir, 'large.db');
  if (!existsSync(path)) await buildLargeDb(path);
  const { quiet, busy } = await tickFigures(path);
  report('dashboard', 'refresh tick, nothing changed (queries only, no render)', `p50 ${fmt(median(quiet), 2)} ms, p99 ${fmt(percentile(quiet, 99), 2)} ms`, {
    target: '≤ 50 ms',
    ok: percentile(quiet, 99) <= 50,
  });
  report('dashboard', 'refresh tick after a change (queries + render)', `p50 ${fmt(median(busy), 1)} ms, p99 ${fmt(percentile(busy, 99), 1)} ms`, {
    target: '≤ 50 ms',
    ok: median(busy) <= 50,
  });
  const b = await bytesFigures(path);
  report('dashboard', 'bytes written to the terminal, idle (120×35)', `${fmt(b.idle / 1024, 2)} KB/s`, { target: '≤ 2 KB/s', ok: b.idle <= 2048 });
  report('dashboard', 'bytes written to the terminal, busy (a job in and one done every 200 ms)', `${fmt(b.busy / 1024, 2)} KB/s`, { target: '≤ 20 KB/s', ok: b.busy <= 20 * 1024 });
  const p = await processFigures(path);
  if (p.skipped) {
    skipped('dashboard', 'idle CPU, memory, key latency', p.skipped);
    return;
  }
  report('dashboard', 'CPU while idle-refreshing (1 s), 20 s sample', `${fmt(p.cpu * 100, 1)}% of a core`, { target: '≤ 5%', ok: p.cpu <= 0.05 });
  report('dashboard', 'first frame (process start → counts and first page on screen)', `${fmt(p.firstFrameMs, 0)} ms`, {
    anchor: `the first start after an install, compiling the code it then caches: ${fmt(p.coldMs, 0)} ms`,
    target: '≤ 500 ms',
    ok: p.firstFrameMs <= 500,
  });
  report('dashboard', 'memory (RSS now / peak)', `${fmt(p.mem.rssMb)} MB / ${fmt(p.mem.hwmMb)} MB`, { target: '≤ 150 MB', ok: p.mem.hwmMb <= 150 });
  report('dashboard', 'key press → screen changed (through tmux)', `p50 ${fmt(median(p.keyMs), 1)} ms, p99 ${fmt(percentile(p.keyMs, 99), 1)} ms`, {
    target: 'within a frame (33 ms at 30 fps)',
    ok: median(p.keyMs) <= 33,
  });
}
