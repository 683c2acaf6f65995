/**
 * A worker on a database file watches it for changes only while it waits for work: while it runs
 * jobs every commit would wake it for nothing. The watch is seen from outside, in the inotify
 * watches /proc lists for the worker's process, so nothing here depends on timing.
 */
import { readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, it } from 'vitest';
import { waitFor } from './helpers.js';
import { Sandbox, requireBuild } from './harness.js';

beforeAll(requireBuild);

let box: Sandbox;
afterEach(async () => {
  await box?.cleanup();
});

/** Whether process `pid` holds an inotify watch on the directory `dir`. */
function watches(pid: number, dir: string): boolean {
  const ino = `ino:${statSync(dir).ino.toString(16)} `;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== 'anon_inode:inotify') continue;
    const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    if (info.split('\n').some((l) => l.startsWith('inotify wd:') && l.includes(ino))) return true;
  }
  return false;
}

describe('the watch for changes of a worker on a database file', () => {
  it('is held while idle, dropped while running a job, and taken again when the queue is empty', async () => {
    box = await new Sandbox().open();
    const w = box.startWorker('w-watch');
    await w.waitLog((l) => l.event === 'worker_started', 'the worker to start');
    await waitFor(() => watches(w.pid, box.dir), 'the idle worker to watch the database directory');

    // A job that runs until this test lets it end.
    await box.queue.enqueue([{ id: 'held', command: 'while [ ! -e go ]; do sleep 0.05; done' }]);
    await w.waitLog((l) => l.event === 'job_started' && l.job === 'held', 'the job to start');
    await waitFor(() => !watches(w.pid, box.dir), 'the busy worker to drop its watch');

    writeFileSync(join(box.dir, 'go'), '');
    await waitFor(async () => (await box.queue.counts()).completed === 1, 'the job to complete');
    await waitFor(() => watches(w.pid, box.dir), 'the worker, idle again, to watch again');

    await box.queue.enqueue([{ id: 'next', command: 'true' }]);
    await waitFor(async () => (await box.queue.counts()).completed === 2, 'the next job to complete');
    await waitFor(() => watches(w.pid, box.dir), 'the worker to watch after that job as well');
  });
});
