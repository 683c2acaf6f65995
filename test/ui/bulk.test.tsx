import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedDead, seedEveryState, tempDb } from './seed.js';

/**
 * Marks are job ids: they hold across pages, tabs and refreshes, and r / c act on every marked job,
 * each through its own engine call, going on past failures and saying which failed and why.
 */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const s = () => m.dash.store.getState();

async function stateOf(id: string): Promise<string> {
  const q = openTestQueue(db.path);
  try {
    return (await q.get(id)).state;
  } finally {
    await q.close();
  }
}

beforeEach(async () => {
  db = tempDb('queuectl-ui-bulk-');
  const q = openTestQueue(db.path);
  await seedEveryState(q);
  await seedDead(q, 12);
  await q.close();
  // 15 rows: 7 jobs a page in the jobs view, 4 in the DLQ.
  m = await mountDashboard(db.path, { rows: 15 });
  await m.waitForFrame((f) => f.includes('dead-12') && m.dash.store.getState().lists.jobs.pageSize === 7, 'the first page');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

describe('bulk actions over marked jobs', () => {
  it('r in the DLQ asks, then retries marked jobs from two pages, names the one it skipped and why, and keeps only its mark; Esc clears marks', async () => {
    await m.press(KEY.tab, KEY.tab);
    await m.waitForFrame((f) => f.includes('DLQ') && rowOf(f, 'dead-12') !== undefined && s().lists.dlq.pageSize === 4, 'the DLQ');
    await m.press(' ');
    await m.waitForFrame((f) => f.includes('1 marked'), 'one mark');
    await m.press(KEY.pageDown);
    await m.waitForFrame((f) => rowOf(f, 'dead-12') === undefined && rowOf(f, 'dead-07') !== undefined, 'the second page');
    await m.press('j', ' ', 'j', ' ');
    await m.waitForFrame((f) => f.includes('3 marked'), 'three marks over two pages');
    expect(s().lists.dlq.marks).toEqual(['dead-12', 'dead-07', 'dead-06']);
    // Meanwhile one marked job is retried from the CLI: it is pending now, and a refresh keeps the marks.
    const q = openTestQueue(db.path);
    await q.revive('dead-06');
    await q.close();
    await m.press(KEY.ctrlR);
    await m.waitForFrame((f) => rowOf(f, 'dead-06') === undefined && f.includes('3 marked'), 'the refreshed page, marks kept');
    await m.press('r');
    // The question says what will happen, from each marked job's state now.
    await m.waitForFrame((fr) => fr.includes('Retry 2 dead jobs; 1 marked job is pending and will be skipped.'), 'the plan');
    await m.press('y');
    const f = await m.waitForFrame((fr) => fr.includes('retried 2 jobs'), 'the report');
    expect(s().status?.text).toBe('retried 2 jobs; skipped: dead-06 (pending)');
    expect(s().status?.command).toBe(`queuectl dlq retry dead-12 --db ${db.path} && queuectl dlq retry dead-07 --db ${db.path}`);
    expect(await stateOf('dead-12')).toBe('pending');
    expect(await stateOf('dead-07')).toBe('pending');
    expect(s().lists.dlq.marks).toEqual(['dead-06']);
    expect(f).toContain('1 marked');
    await m.press(KEY.esc);
    const cleared = await m.waitForFrame((fr) => !fr.includes('marked') && fr.includes('cleared 1 mark'), 'the marks cleared');
    expect(s().lists.dlq.marks).toEqual([]);
    expect(cleared).not.toContain('●');
  });

  it('c over marks on the newest and the oldest page says what it will skip, cancels what it can and names each job it skipped', async () => {
    await m.press(' ');
    await m.waitForFrame((f) => f.includes('1 marked'), 'dead-12 marked');
    await m.press('G');
    await m.waitForFrame((f) => rowOf(f, 'c-done') !== undefined && s().lists.jobs.jobs[s().lists.jobs.row]?.id === 'c-done', 'the oldest page');
    await m.press(' ', 'k', ' ');
    await m.waitForFrame((f) => f.includes('3 marked'), 'three marks');
    await m.press('2');
    const pendingTab = await m.waitForFrame((f) => rowOf(f, 'p-waiting') !== undefined && rowOf(f, 'c-done') === undefined, 'the pending tab');
    expect(s().lists.jobs.marks).toEqual(['dead-12', 'c-done', 'f-retrying']);
    // None of the three is pending: the page says so, so the marks never act unseen.
    expect(pendingTab).toContain('3 marked (3 in other tabs)');
    await m.press('c');
    await m.waitForFrame((f) => f.includes('Cancel 1 failed job; 2 marked jobs will be skipped'), 'the question');
    expect(s().modal).toMatchObject({ message: 'Cancel 1 failed job; 2 marked jobs will be skipped (1 dead, 1 completed). Cancelled jobs never run.' });
    await m.press('y');
    await m.waitForFrame((f) => f.includes('cancelled f-retrying'), 'the report');
    expect(s().status).toMatchObject({ tone: 'ok', text: 'cancelled f-retrying; skipped: dead-12 (dead), c-done (completed)', command: `queuectl cancel f-retrying --db ${db.path}` });
    expect(await stateOf('f-retrying')).toBe('cancelled');
    expect(await stateOf('dead-12')).toBe('dead');
    expect(s().lists.jobs.marks).toEqual(['dead-12', 'c-done']);
  });
});
