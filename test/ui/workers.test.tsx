import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerControl } from '../../src/store/controllers/index.js';
import { supervisorControl } from '../../src/commands/dashboard.js';
import { KEY, type Mounted, lines, mountDashboard } from './harness.js';
import { openTestQueue, tempDb } from './seed.js';

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits, with a deadline, until none of these processes is left. */
async function waitGone(pids: number[], ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(running)) {
    if (Date.now() > deadline) throw new Error(`processes still running: ${pids.filter(running).join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Scaling real worker processes from the keyboard: `+`, `-` and `s` (with its confirmation). */
describe.skipIf(!existsSync('dist/worker/main.js'))('scaling workers from the dashboard', () => {
  let db: ReturnType<typeof tempDb>;
  let m: Mounted;
  const pids: number[] = [];

  beforeAll(async () => {
    db = tempDb('queuectl-ui-workers-');
    const q = openTestQueue(db.path);
    const real = supervisorControl(q, db.path);
    // Remember every process started, so none outlives the test whatever happens.
    const workers: WorkerControl = {
      async start(count) {
        const started = await real.start(count);
        pids.push(...started.map((w) => w.pid));
        return started;
      },
      stop: (ids, onProgress) => real.stop(ids, onProgress),
    };
    m = await mountDashboard(db.path, { workers, columns: 120, rows: 30 });
    await m.waitForFrame((f) => f.includes(' 1 all '), 'the dashboard');
  });

  afterAll(async () => {
    await m?.unmount();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already exited, as it should have
      }
    }
    db?.cleanup();
  });

  const workerRows = (f: string) => lines(f).filter((l) => /^w-\S+ +\d+ /.test(l));

  it('+ starts worker processes that register and run jobs', async () => {
    await m.press(KEY.tab);
    await m.waitForFrame((f) => f.includes('no workers running'), 'the empty workers view');
    await m.press('+');
    const one = await m.waitForFrame((f) => /✓ started worker \S+ \(pid \d+\)/.test(f) && workerRows(f).length === 1, 'one worker', 30_000);
    expect(one).toContain('$ queuectl worker start --count 1');
    await m.press('+');
    await m.waitForFrame((f) => workerRows(f).length === 2 && f.includes('workers 0 busy 2 idle') && pids.length === 2, 'two idle workers', 30_000);
    for (const pid of pids) expect(() => process.kill(pid, 0)).not.toThrow();

    const q = openTestQueue(db.path);
    await q.enqueue([{ id: 'work-for-them', command: 'echo done by a real worker' }]);
    await q.close();
    await m.waitForFrame((f) => /last 1m ✓1 /.test(f), 'the job completed by a worker', 30_000);
  });

  it('- stops the selected worker gracefully; its process exits', async () => {
    const before = workerRows(m.frame());
    const selected = before[0].split(/ +/)[0];
    const pid = Number(before[0].split(/ +/)[1]);
    await m.press('-');
    const f = await m.waitForFrame((fr) => fr.includes(`✓ stopped worker ${selected}`) && workerRows(fr).length === 1, 'one worker left', 30_000);
    expect(f).toContain(`$ queuectl worker stop ${selected}`);
    // Its record goes first; the process exits a moment later (it closes the database).
    await waitGone([pid]);
  });

  it('s asks first, then stops every worker', async () => {
    await m.press('s');
    await m.waitForFrame((f) => f.includes('Stop all workers (1 running)?'), 'the question');
    await m.press('y');
    const f = await m.waitForFrame((fr) => fr.includes('✓ stopped worker') && fr.includes('no workers running'), 'no workers', 30_000);
    expect(f).toContain('$ queuectl worker stop');
    await waitGone(pids);
  });

  it('workers keep running after the dashboard is closed', async () => {
    await m.press('+');
    await m.waitForFrame((f) => workerRows(f).length === 1 && pids.length === 3, 'a new worker', 30_000);
    await m.unmount();
    const pid = pids[2];
    expect(() => process.kill(pid, 0)).not.toThrow();
    const q = openTestQueue(db.path);
    expect((await q.workers()).map((w) => w.pid)).toEqual([pid]);
    await q.close();
  });
});
