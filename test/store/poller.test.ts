import { spawnSync } from 'node:child_process';
import { hostId, processStart } from '../../src/os/host.js';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';
import type { WorkerRecord } from '../../src/engine/types.js';
import { createDashboard, type Dashboard } from '../../src/store/dashboard.js';
import { detailFields } from '../../src/ui/views/JobDetailView.js';
import { openTestQueue, seedEveryState, seedMany, tempDb, waitFor } from '../ui/seed.js';

let db: ReturnType<typeof tempDb>;
let queue: Queue;
let dash: Dashboard;
const s = () => dash.store.getState();

beforeEach(() => {
  db = tempDb('queuectl-store-');
  queue = openTestQueue(db.path);
  dash = createDashboard(queue, { refreshMs: 60_000 });
});

afterEach(async () => {
  dash.poller.stop();
  await dash.poller.idle();
  await queue.close();
  db.cleanup();
});

function worker(id: string, patch: Partial<WorkerRecord>): WorkerRecord {
  const now = Date.now();
  return {
    id, pid: process.pid, host: hostname(), host_id: hostId(), pid_start: processStart(process.pid), clock_skew_ms: 0, queue: null, state: 'idle', current_job_id: null, job_started_at: null,
    started_at: now, heartbeat_at: now, jobs_done: 0, jobs_failed: 0, stop_requested: false, ...patch,
  };
}

describe('the poller', () => {
  it('fills the header, the workers and the visible page from the database', async () => {
    await seedEveryState(queue);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await queue.registerWorker(worker('w-ok', { state: 'busy', current_job_id: 'p-running' }));
    await queue.registerWorker(worker('w-stale', { heartbeat_at: Date.now() - 10 * 60_000 }));
    await queue.registerWorker(worker('w-dead', { pid: gone }));
    await dash.poller.refresh();
    expect(s().header.counts).toEqual({ pending: 1, waiting: 0, processing: 1, completed: 1, failed: 1, dead: 1, cancelled: 1 });
    expect(s().header.lastMinute).toEqual({ completed: 1, failed: 2 });
    const health = Object.fromEntries(s().workers.map((w) => [w.id, w.health]));
    expect(health).toEqual({ 'w-ok': 'ok', 'w-stale': 'stale', 'w-dead': 'dead' });
    expect(s().lists.jobs.loaded).toBe(true);
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['p-waiting', 'x-cancelled', 'p-running', 'd-buried', 'f-retrying', 'c-done']);
  });

  it('changes nothing in the store when nothing changed in the database', async () => {
    const fixed = Date.now();
    const still = new Queue(SqliteBackend.open(db.path), { now: () => fixed });
    await seedMany(queue, 30);
    const quiet = createDashboard(still, { refreshMs: 60_000 });
    await quiet.poller.refresh();
    await quiet.poller.refresh();
    let changes = 0;
    const unsubscribe = quiet.store.subscribe(() => changes++);
    for (let i = 0; i < 5; i++) await quiet.poller.refresh();
    expect(changes).toBe(0);
    await queue.enqueue([{ id: 'new-one', command: 'true' }]);
    await quiet.poller.refresh();
    expect(changes).toBeGreaterThan(0);
    expect(quiet.store.getState().lists.jobs.jobs[0].id).toBe('new-one');
    unsubscribe();
    await still.close();
  });

  it('refreshes soon after another process writes, without waiting for the period', async () => {
    dash.poller.start();
    await waitFor(() => s().header.counts !== null, 'the first tick');
    const other = openTestQueue(db.path);
    await other.enqueue([{ id: 'from-elsewhere', command: 'true' }]);
    await other.close();
    await waitFor(() => s().header.counts?.pending === 1, 'the change to be seen', 5000);
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['from-elsewhere']);
  });

  it('samples throughput for the sparkline once per period: attempts finished per second', async () => {
    const fast = createDashboard(queue, { refreshMs: 100 });
    fast.poller.start();
    try {
      await waitFor(() => fast.store.getState().header.counts !== null, 'the first tick');
      expect(fast.store.getState().header.history.every((v) => v === 0)).toBe(true);
      await queue.enqueue([{ id: 'quick', command: 'true' }]);
      const job = await queue.claim('w', null, 60_000);
      await queue.settle(job!, 'w', { outcome: 'succeeded', exit_code: 0, signal: null, error: null, output: '', output_bytes: 0, finished_at: Date.now() }, await queue.config());
      await waitFor(() => fast.store.getState().header.history.some((v) => v > 0), 'a sample above zero');
      expect(fast.store.getState().header.lastMinute).toEqual({ completed: 1, failed: 0 });
    } finally {
      fast.poller.stop();
      await fast.poller.idle();
    }
  });

  it('loads the open job with its attempts, and says so when it is gone', async () => {
    await seedEveryState(queue);
    s().openDetail('f-retrying');
    await dash.poller.refresh();
    expect(s().detail?.job?.state).toBe('failed');
    expect(s().detail?.attempts.map((a) => a.outcome)).toEqual(['exit']);
    s().openDetail('no-such-job');
    await dash.poller.refresh();
    expect(s().detail?.error).toBe('no job with id "no-such-job"');
  });

  it('loads what an open job waits for, and shows it among its fields', async () => {
    await seedEveryState(queue);
    await queue.enqueue([{ id: 'later', command: 'true', after: ['c-done', 'p-waiting'] }]);
    s().openDetail('later');
    await dash.poller.refresh();
    const d = s().detail!;
    expect(d.job?.state).toBe('waiting');
    expect(d.dependencies).toEqual([
      { id: 'c-done', state: 'completed' },
      { id: 'p-waiting', state: 'pending' },
    ]);
    const fields = Object.fromEntries(detailFields(d.job!, Date.now(), d.dependencies));
    expect(fields).toMatchObject({ after: 'c-done (completed), p-waiting (pending)', 'waiting for': 'p-waiting' });
  });
});

describe('moving through the whole history', () => {
  beforeEach(async () => {
    await seedMany(queue, 1000);
    s().setPageSize('jobs', 50);
    await dash.poller.refresh();
  });

  it('pages from the newest job to the oldest and back, one page at a time', async () => {
    const seen: string[] = [...s().lists.jobs.jobs.map((j) => j.id)];
    expect(seen[0]).toBe('bulk-1000');
    while (s().lists.jobs.next !== null) {
      await dash.controllers.nav.page(1);
      seen.push(...s().lists.jobs.jobs.map((j) => j.id));
    }
    expect(seen.length).toBe(1000);
    expect(new Set(seen).size).toBe(1000);
    expect(seen.at(-1)).toBe('bulk-0001');
    while (s().lists.jobs.prev !== null) await dash.controllers.nav.page(-1);
    expect(s().lists.jobs.jobs[0].id).toBe('bulk-1000');
  });

  it('G shows the oldest page with the cursor on the oldest job; g the newest', async () => {
    await dash.controllers.nav.edge('last');
    const l = s().lists.jobs;
    expect(l.jobs.length).toBe(50);
    expect(l.jobs[l.row].id).toBe('bulk-0001');
    expect(l.next).toBeNull();
    await dash.poller.refresh();
    expect(s().lists.jobs.jobs[s().lists.jobs.row].id).toBe('bulk-0001');
    await dash.controllers.nav.edge('first');
    expect(s().lists.jobs.jobs[s().lists.jobs.row].id).toBe('bulk-1000');
  });

  it('↓ past the last row opens the next page on its first row; ↑ past the first row the previous page on its last', async () => {
    for (let i = 0; i < 49; i++) await dash.controllers.nav.move(1);
    expect(s().lists.jobs.jobs[s().lists.jobs.row].id).toBe('bulk-0951');
    await dash.controllers.nav.move(1);
    expect(s().lists.jobs.jobs[s().lists.jobs.row].id).toBe('bulk-0950');
    expect(s().lists.jobs.row).toBe(0);
    await dash.controllers.nav.move(-1);
    expect(s().lists.jobs.jobs[s().lists.jobs.row].id).toBe('bulk-0951');
  });

  it('a page further down stays put while new jobs arrive', async () => {
    await dash.controllers.nav.page(1);
    const before = s().lists.jobs.jobs.map((j) => j.id);
    await queue.enqueue([{ id: 'brand-new', command: 'true' }]);
    await dash.poller.refresh();
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(before);
    await dash.controllers.nav.edge('first');
    expect(s().lists.jobs.jobs[0].id).toBe('brand-new');
  });

  it('filters by id or command text across the whole history, and Esc clears', async () => {
    dash.controllers.prompt.start('filter');
    await dash.controllers.prompt.edit('bulk-00');
    expect(s().lists.jobs.jobs.length).toBe(50);
    await dash.controllers.prompt.edit('bulk-000');
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['bulk-0009', 'bulk-0008', 'bulk-0007', 'bulk-0006', 'bulk-0005', 'bulk-0004', 'bulk-0003', 'bulk-0002', 'bulk-0001']);
    await dash.controllers.prompt.submit();
    expect(s().lists.jobs.search).toBe('bulk-000');
    expect(s().status?.command).toBe("queuectl list --search bulk-000");
    await dash.controllers.nav.clearFilter();
    expect(s().lists.jobs.search).toBe('');
    expect(s().lists.jobs.jobs[0].id).toBe('bulk-1000');
  });
});
