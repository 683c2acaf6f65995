/**
 * Shared by the fault cases: commands that record every run and catch two copies of one job
 * running at once, and the faults themselves (a lock held on the database, a shifted clock).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from '../worker/helpers.js';

export const SKEW_PRELOAD = resolve(import.meta.dirname, 'skew-clock.cjs');

/**
 * A job command that appends a line to `runs-<job id>` each time it starts, and holds an
 * exclusive lock on `lock-<job id>` while it runs for `seconds`: a second copy of the same job
 * that starts while the first still runs cannot take the lock and writes to `overlaps`.
 */
export function guardedCommand(dir: string, seconds: number): string {
  const d = JSON.stringify(dir);
  return (
    `echo "$$" >> ${d}/runs-$QUEUECTL_JOB_ID; ` +
    `flock -n -E 99 ${d}/lock-$QUEUECTL_JOB_ID sleep ${seconds}; rc=$?; ` +
    `if [ $rc = 99 ]; then echo "$QUEUECTL_JOB_ID" >> ${d}/overlaps; fi; exit $rc`
  );
}

/** How many times each job's command started, by job id. */
export function runCounts(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('runs-')) continue;
    out[f.slice(5)] = readFileSync(join(dir, f), 'utf8').trim().split('\n').length;
  }
  return out;
}

/** Jobs of which two copies ran at once. */
export function overlaps(dir: string): string[] {
  const f = join(dir, 'overlaps');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
}

/**
 * Another process holding `BEGIN EXCLUSIVE` on the database for `ms`: every write (and, with
 * the write-ahead log, nothing else) waits. Resolves once the lock is held.
 */
export async function holdExclusiveLock(db: string, ms: number): Promise<{ released: Promise<void>; child: ChildProcess }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1], { timeout: 20000 });
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', script, db, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: resolve(import.meta.dirname, '../..') });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const released = new Promise<void>((res) => child.on('exit', () => res()));
  await waitFor(() => out.includes('locked'), 'the exclusive lock', 25_000);
  return { released, child };
}
