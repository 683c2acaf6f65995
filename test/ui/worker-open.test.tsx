import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostId, processStart } from '../../src/os/host.js';
import { KEY, type Mounted, mountDashboard } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/** Enter on a worker opens the job it runs; Esc comes back to the workers. */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const s = () => m.dash.store.getState();

beforeEach(async () => {
  db = tempDb('queuectl-ui-wopen-');
  const q = openTestQueue(db.path);
  await seedEveryState(q);
  const now = Date.now();
  const base = { pid: process.pid, host: hostname(), host_id: hostId(), pid_start: processStart(process.pid), clock_skew_ms: 0, queue: null, started_at: now, jobs_failed: 0, stop_requested: false, heartbeat_at: now, jobs_done: 0 };
  await q.registerWorker({ ...base, id: 'w-busy', state: 'busy', current_job_id: 'p-running', job_started_at: now });
  await q.registerWorker({ ...base, id: 'w-idle', state: 'idle', current_job_id: null, job_started_at: null });
  await q.close();
  m = await mountDashboard(db.path);
  await m.waitForFrame((f) => f.includes('c-done'), 'the first page');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

describe('the workers view', () => {
  it('Enter opens the job the selected worker runs, and Esc comes back to the workers', async () => {
    await m.press(KEY.tab);
    await m.waitForFrame((f) => f.includes('w-busy') && f.includes('w-idle'), 'the workers');
    const row = s().workers.findIndex((w) => w.id === 'w-busy');
    for (let i = s().workersRow; i < row; i++) await m.press('j');
    for (let i = s().workersRow; i > row; i--) await m.press('k');
    await m.waitForFrame(() => s().workers[s().workersRow]?.id === 'w-busy', 'w-busy selected');
    await m.press(KEY.enter);
    await m.waitForFrame((f) => s().detail?.id === 'p-running' && f.includes('sleep 1000') && f.includes('attempts'), 'the running job’s details');
    await m.press(KEY.esc);
    await m.waitForFrame((f) => s().detail === null && f.includes('w-idle'), 'the workers again');
    expect(s().view).toBe('workers');
    const idle = s().workers.findIndex((w) => w.id === 'w-idle');
    for (let i = s().workersRow; i < idle; i++) await m.press('j');
    for (let i = s().workersRow; i > idle; i--) await m.press('k');
    await m.waitForFrame(() => s().workers[s().workersRow]?.id === 'w-idle', 'w-idle selected');
    await m.press(KEY.enter);
    await m.waitForFrame((f) => f.includes('worker w-idle runs no job'), 'the note');
    expect(s().detail).toBeNull();
  });
});
