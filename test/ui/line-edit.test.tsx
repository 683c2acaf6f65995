import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_KEY } from '../../src/ui/keys.js';
import { complete } from '../../src/store/commands.js';
import { editField } from '../../src/ui/line-edit.js';
import { KEY, type Mounted, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

/** Text fields edit like a shell line; Tab completes in the `:` prompt. */
const CTRL = { a: '\x01', e: '\x05', u: '\x15', w: '\x17', k: '\x0b' } as const;
const HOME = '\x1b[H';
const END = '\x1b[F';

describe('editField', () => {
  const ed = (text: string, cursor: number, input: string, key: Partial<typeof NO_KEY> = {}) => editField({ text, cursor }, input, { ...NO_KEY, ...key });
  it('inserts at the cursor, moves, and deletes words and ends', () => {
    expect(ed('boom', 2, 'X')).toEqual({ text: 'boXom', cursor: 3 });
    expect(ed('boom', 2, '', { leftArrow: true })).toEqual({ text: 'boom', cursor: 1 });
    expect(ed('boom', 4, '', { rightArrow: true })).toEqual({ text: 'boom', cursor: 4 });
    expect(ed('boom', 2, '', { backspace: true })).toEqual({ text: 'bom', cursor: 1 });
    expect(ed('echo hello world', 16, 'w', { ctrl: true })).toEqual({ text: 'echo hello ', cursor: 11 });
    expect(ed('echo hello  ', 12, 'w', { ctrl: true })).toEqual({ text: 'echo ', cursor: 5 });
    expect(ed('echo hello', 5, 'u', { ctrl: true })).toEqual({ text: 'hello', cursor: 0 });
    expect(ed('echo hello', 4, 'k', { ctrl: true })).toEqual({ text: 'echo', cursor: 4 });
    expect(ed('echo', 4, 'a', { ctrl: true })).toEqual({ text: 'echo', cursor: 0 });
    expect(ed('echo', 0, 'e', { ctrl: true })).toEqual({ text: 'echo', cursor: 4 });
    expect(ed('echo', 2, '', { home: true })?.cursor).toBe(0);
    expect(ed('echo', 2, '', { end: true })?.cursor).toBe(4);
    expect(ed('echo', 2, '', { return: true })).toBeNull();
  });

  it('completes command names as far as they are unambiguous', () => {
    const names = ['jobs', 'workers', 'dlq', 'help', 'quit'];
    expect(complete('w', names).text).toBe('workers');
    expect(complete('zz', names).text).toBe('zz');
    expect(complete('', names).matches).toEqual(names);
  });
});

let db: ReturnType<typeof tempDb>;
let m: Mounted;
const s = () => m.dash.store.getState();

describe('text fields in the dashboard', () => {
  beforeEach(async () => {
    db = tempDb('queuectl-ui-edit-');
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

  it('the filter prompt: ← → Home End Ctrl-A Ctrl-E move the cursor, Ctrl-W and Ctrl-U delete', async () => {
    await m.press('/', 'b', 'm', KEY.left, 'o', 'o');
    await m.waitForFrame(() => s().prompt?.text === 'boom', 'typing in the middle');
    await m.waitForFrame((f) => rowOf(f, 'd-buried') !== undefined && rowOf(f, 'c-done') === undefined, 'the filter applied');
    await m.press(HOME, 'x', END, 'y');
    await m.waitForFrame(() => s().prompt?.text === 'xboomy', 'Home and End');
    await m.press(CTRL.a, KEY.right, CTRL.k);
    await m.waitForFrame(() => s().prompt?.text === 'x', 'Ctrl-A, →, Ctrl-K');
    await m.press(CTRL.e, ' ', 'e', 'c', 'h', 'o');
    await m.waitForFrame(() => s().prompt?.text === 'x echo', 'Ctrl-E then more text');
    await m.press(CTRL.w);
    await m.waitForFrame(() => s().prompt?.text === 'x ', 'Ctrl-W deleted the word');
    await m.press(CTRL.u);
    await m.waitForFrame(() => s().prompt?.text === '', 'Ctrl-U deleted to the start');
    await m.waitForFrame((f) => rowOf(f, 'c-done') !== undefined, 'the whole table');
  });

  it('the enqueue form edits a field in the middle', async () => {
    await m.press('e');
    await m.waitForFrame((f) => f.includes('Enqueue a job'), 'the form');
    await m.press('e', 'c', 'o', ' ', 'h', 'i', HOME, KEY.right, KEY.right, 'h', END, CTRL.w, 't', 'h', 'e', 'r', 'e');
    await m.waitForFrame(() => s().modal?.kind === 'enqueue' && s().modal?.values.command === 'echo there', 'the edited command');
  });

  it('Tab completes a view name in the : prompt', async () => {
    await m.press(':', 'w', KEY.tab);
    await m.waitForFrame(() => s().prompt?.text === 'workers', 'the completed name');
    await m.press(KEY.enter);
    await m.waitForFrame(() => s().view === 'workers' && s().prompt === null, 'the workers view');
    await m.press(':', 'd', KEY.tab, KEY.enter);
    await m.waitForFrame(() => s().view === 'dlq', 'the DLQ');
  });
});
