import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Queue } from '../../src/engine/queue.js';
import { KEY, type Mounted, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/** A tab switch or a cleared filter keeps the old rows, dimmed, until the new page is there. */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const s = () => m.dash.store.getState();

beforeEach(async () => {
  db = tempDb('queuectl-ui-flash-');
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

/** Holds every page read until `open()` is called, so the moment before the page arrives can be looked at. */
function holdPages(queue: Queue): { open(): void } {
  const list = queue.list.bind(queue);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  queue.list = async (...args: Parameters<Queue['list']>) => {
    await gate;
    return list(...args);
  };
  return {
    open() {
      queue.list = list;
      release();
    },
  };
}

describe('no loading flash', () => {
  it('a tab switch keeps the old rows, dimmed and marked loading, until the new page arrives', async () => {
    const held = holdPages(m.queue);
    await m.press('5');
    const waiting = await m.waitForFrame(() => s().lists.jobs.tab === 'failed', 'the tab switched');
    expect(s().lists.jobs.loaded).toBe(false);
    expect(rowOf(waiting, 'c-done')).toBeDefined();
    expect(rowOf(waiting, 'p-waiting')).toBeDefined();
    expect(waiting).toContain('loading…');
    expect(waiting).not.toMatch(/^loading…/m);
    held.open();
    await m.waitForFrame((f) => rowOf(f, 'f-retrying') !== undefined && rowOf(f, 'c-done') === undefined && !f.includes('loading…'), 'the failed tab');
  });

  it('clearing a filter keeps the filtered rows until the whole page arrives', async () => {
    await m.press('/', 'b', 'o', 'o', 'm', KEY.enter);
    await m.waitForFrame((f) => rowOf(f, 'd-buried') !== undefined && rowOf(f, 'c-done') === undefined, 'the filtered table');
    const held = holdPages(m.queue);
    await m.press(KEY.esc);
    const waiting = await m.waitForFrame(() => s().lists.jobs.search === '', 'the filter cleared');
    expect(rowOf(waiting, 'd-buried')).toBeDefined();
    expect(waiting).not.toMatch(/^ *loading…/m);
    held.open();
    await m.waitForFrame((f) => rowOf(f, 'c-done') !== undefined && !f.includes('loading…'), 'the whole table');
  });
});
