import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOB_STATES } from '../../src/engine/types.js';
import { tabCountText } from '../../src/ui/views/JobsView.js';
import { type Mounted, mountDashboard } from './harness.js';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';

let db: ReturnType<typeof tempDb>;
let m: Mounted;

beforeEach(async () => {
  db = tempDb();
  const q = openTestQueue(db.path);
  await seedEveryState(q);
  await q.close();
  m = await mountDashboard(db.path, { columns: 140 });
  await m.waitForFrame((f) => f.includes('c-done'), 'the first page');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

const tabsLine = (f: string) => f.split('\n').find((l) => l.includes('1 all')) ?? '';

describe('tab counts with a filter', () => {
  it('count the jobs the filter matches, per state, follow new jobs, and return to every job when it is cleared', async () => {
    expect(tabsLine(m.frame())).toMatch(/1 all 6 +2 pending 1 +3 processing 1 +4 completed 1 +5 failed 1 +6 dead 1 +7 cancelled 1/);
    // "echo" is in the commands of the completed, dead, cancelled and waiting jobs.
    await m.press('/', 'E', 'C', 'H', 'O');
    await m.waitForFrame(
      (f) => /1 all 4 +2 pending 1 +3 processing 0 +4 completed 1 +5 failed 0 +6 dead 1 +7 cancelled 1/.test(tabsLine(f)),
      'the filtered counts',
    );
    // Another process enqueues a matching job: the next refresh counts it.
    const q = openTestQueue(db.path);
    await q.enqueue([{ id: 'late', command: 'echo late', delay_ms: 3_600_000 }]);
    await q.close();
    await m.waitForFrame((f) => /1 all 5 +2 pending 2 /.test(tabsLine(f)), 'the new match counted');
    // A short term (no trigram) is counted the same way.
    await m.press('\x1b');
    await m.press('/', 'x', '-');
    await m.waitForFrame((f) => /1 all 1 +2 pending 0 .*7 cancelled 1/.test(tabsLine(f)), 'the counts of a short term');
    await m.press('\x1b');
    await m.waitForFrame((f) => /1 all 7 +2 pending 2 +3 processing 1/.test(tabsLine(f)), 'the counts of every job again');
  });

  it('show the matched dead jobs in the DLQ header', async () => {
    await m.press('\t', '\t');
    await m.waitForFrame((f) => f.includes('1 dead · R retries them all'), 'the DLQ');
    await m.press('/', 'b', 'o', 'o', 'm');
    await m.waitForFrame((f) => f.includes('1 dead match'), 'the DLQ filtered');
    await m.press('\x1b');
    await m.press('/', 'z', 'z', 'z');
    await m.waitForFrame((f) => f.includes('0 dead match'), 'no dead match');
  });
});

describe('a tab count', () => {
  it('reads N+ when counting stopped at its bound', () => {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<(typeof JOB_STATES)[number], number>;
    counts.completed = 10_000;
    counts.dead = 1;
    expect(tabCountText('completed', counts, false)).toBe(' 10.0k+');
    expect(tabCountText('all', counts, false)).toBe(' 10.0k+');
    expect(tabCountText('dead', counts, true)).toBe(' 1');
    expect(tabCountText('dead', null)).toBe('');
  });
});
