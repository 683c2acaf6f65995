import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/** Space marks without moving; marks in other tabs are counted where they cannot be seen; Esc clears them. */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const s = () => m.dash.store.getState();
const selected = () => s().lists.jobs.jobs[s().lists.jobs.row]?.id;

beforeEach(async () => {
  db = tempDb('queuectl-ui-marks-');
  const q = openTestQueue(db.path);
  await seedEveryState(q);
  await q.close();
  m = await mountDashboard(db.path);
  await m.waitForFrame((f) => f.includes('c-done'), 'the first page');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

describe('marks', () => {
  it('Space marks the row under the cursor and leaves the cursor there', async () => {
    const before = selected();
    await m.press(' ');
    await m.waitForFrame((f) => f.includes('1 marked'), 'a mark');
    expect(selected()).toBe(before);
    expect(s().lists.jobs.marks).toEqual([before]);
    await m.press(' ');
    await m.waitForFrame((f) => !f.includes('marked'), 'the mark taken off again');
    expect(selected()).toBe(before);
  });

  it('says how many marked jobs are in other tabs, and Esc clears them all', async () => {
    await m.press('5', ' ');
    await m.waitForFrame((f) => f.includes('1 marked') && /●.*f-retrying/.test(f), 'f-retrying marked');
    await m.press('6', ' ');
    const dead = await m.waitForFrame((f) => f.includes('2 marked'), 'd-buried marked');
    expect(dead).toContain('2 marked (1 in other tabs)');
    await m.press('2');
    await m.waitForFrame((f) => rowOf(f, 'p-waiting') !== undefined && f.includes('2 marked (2 in other tabs)'), 'both counted from the pending tab');
    await m.press('1');
    const all = await m.waitForFrame((f) => rowOf(f, 'c-done') !== undefined && f.includes('2 marked'), 'the all tab');
    expect(all).not.toContain('in other tabs');
    await m.press(KEY.esc);
    await m.waitForFrame((f) => f.includes('cleared 2 marks') && !f.includes('marked'), 'the marks cleared');
    expect(s().lists.jobs.marks).toEqual([]);
  });

  it('* marks every job the filter matches, with a count, and the confirmation says what will happen', async () => {
    await m.press('/', 'e', 'c', 'h', 'o', KEY.enter);
    await m.waitForFrame((f) => rowOf(f, 'p-running') === undefined && rowOf(f, 'c-done') !== undefined, 'the filtered table');
    await m.press('*');
    await m.waitForFrame((f) => f.includes('marked 4 jobs matching "echo"') && f.includes('4 marked'), 'the marks and their count');
    expect([...s().lists.jobs.marks].sort()).toEqual(['c-done', 'd-buried', 'p-waiting', 'x-cancelled']);
    await m.press('c');
    await m.waitForFrame(() => s().modal?.kind === 'confirm', 'the question');
    expect(s().modal).toMatchObject({ message: 'Cancel 1 pending job; 3 marked jobs will be skipped (1 cancelled, 1 dead, 1 completed). Cancelled jobs never run.' });
  });
});
