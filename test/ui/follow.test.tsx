import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedMany, tempDb } from './seed.js';

/** The selection is a job: it stays on that job while rows move, pages change and the window resizes. */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const list = () => m.dash.store.getState().lists.jobs;
const selected = () => list().jobs[list().row]?.id;

beforeEach(async () => {
  db = tempDb('queuectl-ui-follow-');
  const q = openTestQueue(db.path);
  await seedMany(q, 12);
  await q.close();
  // 15 rows: 7 jobs a page.
  m = await mountDashboard(db.path, { rows: 15 });
  await m.waitForFrame((f) => rowOf(f, 'bulk-12') !== undefined && list().pageSize === 7, 'the first page');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

/** `n` jobs enqueued from another process's handle in one go, so a refresh sees all or none. */
async function enqueueFromOutside(n: number, prefix: string): Promise<void> {
  const q = openTestQueue(db.path);
  await q.enqueue(Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${String(i + 1).padStart(2, '0')}`, command: `echo ${prefix} ${i + 1}`, delay_ms: 3_600_000 })));
  await q.close();
}

describe('the selection follows its job', () => {
  it('when new jobs push it off the newest page, the page moves with it and it keeps its row', async () => {
    await m.press('j', 'j');
    await m.waitForFrame(() => selected() === 'bulk-10', 'the third row selected');
    await enqueueFromOutside(20, 'new');
    await m.press(KEY.ctrlR);
    const f = await m.waitForFrame((fr) => m.dash.store.getState().header.counts?.pending === 32 && rowOf(fr, 'bulk-10') !== undefined, 'the refreshed page');
    expect(selected()).toBe('bulk-10');
    expect(list().row).toBe(2);
    expect(rowOf(f, 'new-20')).toBeUndefined();
    // Newer jobs lie above: the page says so.
    expect(f).toContain('▲');
    await m.press('j');
    await m.waitForFrame(() => selected() === 'bulk-09', 'the next job down');
  });

  it('stays on its job when the window shrinks past it and grows back', async () => {
    await m.press('j', 'j', 'j', 'j', 'j');
    await m.waitForFrame(() => selected() === 'bulk-07', 'the sixth row selected');
    m.resize(100, 11);
    const small = await m.waitForFrame(() => list().pageSize === 3 && list().jobs.length === 3, 'three rows a page');
    expect(selected()).toBe('bulk-07');
    expect(rowOf(small, 'bulk-07')).toBeDefined();
    m.resize(100, 15);
    const big = await m.waitForFrame(() => list().pageSize === 7 && list().jobs.length === 7, 'seven rows a page');
    expect(selected()).toBe('bulk-07');
    expect(rowOf(big, 'bulk-07')).toBeDefined();
  });

  it('when its job leaves the view, the nearest row is taken', async () => {
    await m.press('2');
    await m.waitForFrame((f) => list().tab === 'pending' && rowOf(f, 'bulk-12') !== undefined, 'the pending tab');
    await m.press('j', 'j');
    await m.waitForFrame(() => selected() === 'bulk-10', 'bulk-10 selected');
    const q = openTestQueue(db.path);
    await q.cancel('bulk-10');
    await q.close();
    await m.press(KEY.ctrlR);
    await m.waitForFrame((f) => rowOf(f, 'bulk-10') === undefined, 'the cancelled job gone from the pending tab');
    expect(list().row).toBe(2);
    expect(selected()).toBe('bulk-09');
  });
});
