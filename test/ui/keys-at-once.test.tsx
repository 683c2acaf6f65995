import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/**
 * Keys that arrive in one piece (a paste, fast typing, a slow link) do exactly what the same keys
 * typed one by one do: each is handled in the state the key before it left.
 */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const s = () => m.dash.store.getState();

beforeEach(async () => {
  db = tempDb('queuectl-ui-keys-');
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

async function jobState(id: string): Promise<string> {
  const q = openTestQueue(db.path);
  try {
    return (await q.get(id)).state;
  } finally {
    await q.close();
  }
}

async function total(): Promise<number> {
  const q = openTestQueue(db.path);
  try {
    return Object.values(await q.counts()).reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

describe('keys sent at once', () => {
  it('/re on a selected dead job types "re" into the filter and does nothing else', async () => {
    await m.press('6');
    await m.waitForFrame((f) => rowOf(f, 'd-buried') !== undefined && rowOf(f, 'c-done') === undefined, 'the dead tab');
    m.type('/re');
    const f = await m.waitForFrame((fr) => fr.includes('/re') && s().prompt?.text === 're', 'the filter prompt holding "re"');
    expect(s().prompt).toMatchObject({ kind: 'filter', text: 're' });
    expect(s().modal).toBeNull();
    expect(s().status).toBeNull();
    expect(f).not.toContain('retried');
    expect(f).not.toContain('Enqueue a job');
    expect(await jobState('d-buried')).toBe('dead');
  });

  it(':jobs and Enter from the workers view switches to the jobs view and enqueues nothing', async () => {
    const before = await total();
    await m.press(KEY.tab);
    await m.waitForFrame((f) => f.includes('WORKERS'), 'the workers view');
    m.type(':jobs\r');
    await m.waitForFrame((f) => f.includes(' 1 all ') && !f.includes('WORKERS'), 'the jobs view');
    expect(s().view).toBe('jobs');
    expect(s().prompt).toBeNull();
    expect(s().modal).toBeNull();
    expect(s().status).toBeNull();
    expect(s().workers).toEqual([]);
    expect(await total()).toBe(before);
  });

  it('e, a command and Enter enqueue exactly that command', async () => {
    const before = await total();
    m.type('eecho typed at once\t7\r');
    const f = await m.waitForFrame((fr) => fr.includes('✓ enqueued'), 'the new job');
    expect(s().status?.command).toBe(`queuectl enqueue --priority 7 --db ${db.path} -- 'echo typed at once'`);
    expect(f).toMatch(/pending +echo typed at once/);
    expect(await total()).toBe(before + 1);
  });

  it('keys after an arrow key in the same piece act on the screen the arrow led to', async () => {
    // ↓ then Enter then Esc then →: the second job's details open and close, then the pending tab shows.
    m.type(`j\r${KEY.down}`);
    await m.waitForFrame(() => s().detail?.id === 'x-cancelled', 'the second job’s details');
    // In the details ↓ scrolls the output; nothing opens or moves in the table beneath.
    expect(s().lists.jobs.row).toBe(1);
    m.type(`${KEY.esc}${KEY.right}`);
    await m.waitForFrame((f) => s().detail === null && s().lists.jobs.tab === 'pending' && rowOf(f, 'p-waiting') !== undefined, 'the pending tab');
  });
});
