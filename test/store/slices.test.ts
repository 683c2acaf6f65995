import { describe, expect, it } from 'vitest';
import { pendingJob } from '../../src/engine/job-input.js';
import type { Job } from '../../src/engine/types.js';
import { emptyList, withPage } from '../../src/store/slices/lists.js';
import { createDashboardStore } from '../../src/store/store.js';
import type { WorkerRow } from '../../src/store/types.js';

function job(id: string, patch: Partial<Job> = {}): Job {
  const made = pendingJob({ id, command: `echo ${id}`, max_retries: 3, priority: 0, run_at: 0, timeout_seconds: null, queue: 'default', cwd: '/', created_at: 0 });
  return { ...made, ...patch };
}

const page = (ids: string[], next: string | null = null, prev: string | null = null) => ({ jobs: ids.map((id) => job(id)), next, prev });

describe('the lists slice', () => {
  it('keeps the selected job selected when a refresh moves it down the page', () => {
    let l = withPage(emptyList('all'), {}, page(['c', 'b', 'a']));
    l = { ...l, row: 1 };
    const after = withPage(l, {}, page(['e', 'd', 'c', 'b', 'a']));
    expect(after.jobs[after.row].id).toBe('b');
  });

  it('clamps the row when the selected job left the page', () => {
    const l = { ...withPage(emptyList('all'), {}, page(['c', 'b', 'a'])), row: 2 };
    const after = withPage(l, {}, page(['x']));
    expect(after.row).toBe(0);
  });

  it('returns the same object when a refresh finds nothing new', () => {
    const l = withPage(emptyList('all'), {}, page(['c', 'b', 'a'], 'cur'));
    expect(withPage(l, {}, page(['c', 'b', 'a'], 'cur'))).toBe(l);
    const changed = withPage(l, {}, { jobs: [job('c', { state: 'processing', updated_at: 5 }), job('b'), job('a')], next: 'cur', prev: null });
    expect(changed).not.toBe(l);
    expect(changed.jobs[0].state).toBe('processing');
  });

  it('drops a page fetched for an older query, and a tab change starts over on the newest page', () => {
    const store = createDashboardStore({ db: 'x' });
    const s = () => store.getState();
    const v0 = s().lists.jobs.version;
    s().setPage('jobs', v0, {}, page(['b', 'a'], 'n1'));
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['b', 'a']);
    s().setTab('failed');
    // The old rows stay, not loaded, until the new page arrives: no empty flash.
    expect(s().lists.jobs).toMatchObject({ tab: 'failed', row: 0, anchor: {}, loaded: false });
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['b', 'a']);
    s().setPage('jobs', v0, {}, page(['late']));
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['b', 'a']);
    s().setPage('jobs', s().lists.jobs.version, {}, page(['f1']));
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['f1']);
  });

  it('moving to another page bumps the version, so a refresh of the old page cannot undo it', () => {
    const store = createDashboardStore({ db: 'x' });
    const s = () => store.getState();
    const v = s().lists.jobs.version;
    s().setPage('jobs', v, {}, page(['d', 'c'], 'c'));
    const atFirst = s().lists.jobs.version;
    s().setPage('jobs', atFirst, { cursor: 'c', direction: 'after' }, page(['b', 'a'], null, 'b'));
    expect(s().lists.jobs.version).toBe(atFirst + 1);
    s().setPage('jobs', atFirst, {}, page(['d', 'c'], 'c'));
    expect(s().lists.jobs.jobs.map((j) => j.id)).toEqual(['b', 'a']);
  });

  it('marks toggle on and off and are cleared together', () => {
    const store = createDashboardStore({ db: 'x' });
    const s = () => store.getState();
    s().toggleMark('jobs', 'a');
    s().toggleMark('jobs', 'b');
    s().toggleMark('jobs', 'a');
    expect(s().lists.jobs.marks).toEqual(['b']);
    s().clearMarks('jobs');
    expect(s().lists.jobs.marks).toEqual([]);
  });
});

describe('the monitor slice', () => {
  it('replaces counts only when they change', () => {
    const store = createDashboardStore({ db: 'x' });
    let changes = 0;
    store.subscribe(() => changes++);
    const counts = { pending: 1, waiting: 0, processing: 0, completed: 2, failed: 0, dead: 0, cancelled: 0 };
    store.getState().setCounts(counts);
    store.getState().setCounts({ ...counts });
    expect(changes).toBe(1);
    store.getState().setCounts({ ...counts, pending: 2 });
    expect(changes).toBe(2);
  });

  it('keeps a quiet history as it is, and shifts in new samples', () => {
    const store = createDashboardStore({ db: 'x' });
    const s = () => store.getState();
    const quiet = s().header.history;
    expect(quiet.length).toBe(120);
    s().pushHistory(0);
    expect(s().header.history).toBe(quiet);
    s().pushHistory(4);
    expect(s().header.history.length).toBe(120);
    expect(s().header.history.at(-1)).toBe(4);
  });

  it('keeps the workers cursor on the table when workers leave', () => {
    const store = createDashboardStore({ db: 'x' });
    const s = () => store.getState();
    const w = (id: string): WorkerRow => ({
      id, pid: 1, host: 'h', host_id: 'h-id', pid_start: null, clock_skew_ms: 0, queue: null, state: 'idle', current_job_id: null, job_started_at: null,
      started_at: 0, heartbeat_at: 0, jobs_done: 0, jobs_failed: 0, stop_requested: false, health: 'ok',
    });
    s().setWorkers([w('a'), w('b'), w('c')]);
    s().setWorkersRow(2);
    s().setWorkers([w('a')]);
    expect(s().workersRow).toBe(0);
  });
});
