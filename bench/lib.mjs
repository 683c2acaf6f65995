// Shared helpers for the benchmarks: temp databases, statistics, and the report table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const DIST = join(ROOT, 'dist');

export function tempDir(prefix = 'queuectl-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let built;

/**
 * The engine and dashboard modules (bench/internals.ts), bundled from the sources into
 * dist-bench/ once per run; processes a benchmark starts reuse that build.
 */
export function internals() {
  built ??= (async () => {
    const out = join(ROOT, 'dist-bench');
    if (process.env.QUEUECTL_BENCH_INTERNALS !== out) {
      const { build } = await import('rolldown');
      const { default: config, libraryPlugins } = await import(join(ROOT, 'rolldown.config.js'));
      await build({
        input: join(ROOT, 'bench/internals.ts'),
        platform: 'node',
        external: config.external,
        transform: config.transform,
        plugins: libraryPlugins,
        logLevel: 'silent',
        output: { dir: out, format: 'esm', entryFileNames: 'internals.js', chunkFileNames: '[name]-[hash].js' },
      });
      process.env.QUEUECTL_BENCH_INTERNALS = out;
    }
    return import(join(out, 'internals.js'));
  })();
  return built;
}

export async function openSqliteQueue(path) {
  const { SqliteBackend, Queue } = await internals();
  return new Queue(SqliteBackend.open(path));
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (values) => percentile(values, 50);

/** Runs `fn` `n` times (after `warm` warm-ups) and returns each duration in ms. */
export async function timeEach(fn, n, warm = 3) {
  for (let i = 0; i < warm; i++) await fn(i);
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor(check, { timeoutMs = 60_000, intervalMs = 5, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const rows = [];

/**
 * Records one figure. `target` is a human description; `ok` says whether it met it (null when
 * there is no target or it was skipped). Printed together at the end.
 */
export function report(section, figure, value, { anchor = '', target = '', ok = null } = {}) {
  rows.push({ section, figure, value, anchor, target, ok });
  const mark = ok === null ? ' ' : ok ? '✓' : '✗';
  console.log(`  ${mark} ${figure}: ${value}${anchor ? `  (${anchor})` : ''}${target ? `  target ${target}` : ''}`);
}

export function skipped(section, figure, why) {
  rows.push({ section, figure, value: 'skipped', anchor: why, target: '', ok: null });
  console.log(`  - ${figure}: skipped (${why})`);
}

export function printSummary() {
  console.log('\n== summary ==');
  const w = Math.max(...rows.map((r) => r.figure.length), 10);
  for (const r of rows) {
    const mark = r.ok === null ? ' ' : r.ok ? '✓' : '✗';
    console.log(`${mark} ${r.section.padEnd(10)} ${r.figure.padEnd(w)}  ${r.value}${r.anchor ? `  (${r.anchor})` : ''}${r.target ? `  [target ${r.target}]` : ''}`);
  }
  const met = rows.filter((r) => r.ok === true).length;
  const missed = rows.filter((r) => r.ok === false).length;
  console.log(`\n${met} targets met, ${missed} missed, ${rows.filter((r) => r.value === 'skipped').length} skipped`);
  return rows;
}

export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n));
