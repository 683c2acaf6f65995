import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describePlan, bulkPlan, canRetry } from '../../src/store/validity.js';
import { KEY, type Mounted, lines, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/** Confirmations and hints only for what the selected job's state allows. */
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
  db = tempDb('queuectl-ui-valid-');
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

const footer = (f: string) => lines(f).filter((l) => l !== '').at(-1) ?? '';

describe('actions that cannot work are refused at once', () => {
  it('c on a completed job says it cannot be cancelled, without asking', async () => {
    await m.press('4');
    await m.waitForFrame((f) => rowOf(f, 'c-done') !== undefined && rowOf(f, 'p-waiting') === undefined, 'the completed tab');
    await m.press('c');
    const f = await m.waitForFrame((fr) => fr.includes('cannot cancel c-done: it is completed'), 'the refusal');
    expect(s().modal).toBeNull();
    expect(f).not.toContain('Confirm');
  });

  it('c on a running job asks, then marks it so its worker stops the command', async () => {
    await m.press('3');
    await m.waitForFrame((f) => rowOf(f, 'p-running') !== undefined && rowOf(f, 'c-done') === undefined, 'the processing tab');
    await m.press('c');
    await m.waitForFrame((f) => f.includes('Cancel job p-running?'), 'the question');
    await m.press('y');
    const q = openTestQueue(db.path);
    try {
      for (const deadline = Date.now() + 10_000; !(await q.get('p-running')).cancel_requested; ) {
        if (Date.now() > deadline) throw new Error('the running job was not marked for cancelling');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await q.close();
    }
  });

  it('r on a pending job says it cannot be retried', async () => {
    await m.press('2');
    await m.waitForFrame((f) => rowOf(f, 'p-waiting') !== undefined && rowOf(f, 'c-done') === undefined, 'the pending tab');
    await m.press('r');
    await m.waitForFrame((fr) => fr.includes('cannot retry p-waiting: it is pending'), 'the refusal');
  });

  it('Enter does not answer a confirmation; only y does', async () => {
    await m.press('2');
    await m.waitForFrame((f) => rowOf(f, 'p-waiting') !== undefined && rowOf(f, 'c-done') === undefined, 'the pending tab');
    await m.press('c');
    const q = await m.waitForFrame((f) => f.includes('Cancel job p-waiting?'), 'the question');
    expect(q).toContain('y yes');
    expect(q).not.toContain('Enter');
    await m.press(KEY.enter);
    await m.press('n');
    await m.waitForFrame((f) => f.includes('nothing done'), 'the answer no');
    expect(await stateOf('p-waiting')).toBe('pending');
  });

  it('the footer offers r and c only when the selected job allows them', async () => {
    await m.press('4');
    const done = await m.waitForFrame((f) => rowOf(f, 'c-done') !== undefined && rowOf(f, 'p-waiting') === undefined, 'the completed tab');
    expect(footer(done)).not.toMatch(/r retry|c cancel/);
    await m.press('5');
    const failed = await m.waitForFrame((f) => rowOf(f, 'f-retrying') !== undefined && rowOf(f, 'c-done') === undefined, 'the failed tab');
    expect(footer(failed)).toMatch(/r retry .*c cancel/);
  });
});

describe('the details title', () => {
  const title = async (tab: string, id: string) => {
    await m.press(tab);
    await m.waitForFrame((f) => rowOf(f, id) !== undefined && lines(f).filter((l) => / [a-z]-[a-z]+ /.test(l.slice(0, 30))).length === 1, `the tab of ${id}`);
    await m.press(KEY.enter);
    const f = await m.waitForFrame((fr) => fr.includes('attempts') && fr.includes('Esc back'), `the details of ${id}`);
    await m.press(KEY.esc);
    await m.waitForFrame(() => s().detail === null, 'the table again');
    return lines(f).find((l) => l.includes('Esc back')) ?? '';
  };

  it('offers only the actions valid in the job’s state', async () => {
    expect(await title('5', 'f-retrying')).toMatch(/r retry · c cancel/);
    const dead = await title('6', 'd-buried');
    expect(dead).toContain('r dlq retry');
    expect(dead).not.toContain('c cancel');
    const pending = await title('2', 'p-waiting');
    expect(pending).toContain('c cancel');
    expect(pending).not.toContain('r ');
    const done = await title('4', 'c-done');
    expect(done).not.toMatch(/ r |c cancel/);
  });
});

describe('bulk confirmations list what will happen', () => {
  it('says how many jobs of each state will be acted on and which will be skipped', async () => {
    const plan = bulkPlan(
      [...Array.from({ length: 12 }, (_, i) => ({ id: `d${i}`, state: 'dead' as const })), { id: 'c1', state: 'completed' as const }, { id: 'c2', state: 'completed' as const }],
      canRetry,
    );
    expect(describePlan('retry', plan)).toBe('retry 12 dead jobs; 2 marked jobs are completed and will be skipped');
  });

  it('a bulk cancel where nothing applies says so without asking', async () => {
    await m.press('4', ' ');
    await m.waitForFrame((f) => f.includes('1 marked'), 'a mark on c-done');
    await m.press('c');
    await m.waitForFrame((f) => f.includes('the marked job c-done cannot be cancelled: it is completed'), 'the refusal');
    expect(s().modal).toBeNull();
  });
});
