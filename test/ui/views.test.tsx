import { hostname } from 'node:os';
import { hostId, processStart } from '../../src/os/host.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helpLines } from '../../src/ui/keys.js';
import { KEY, type Mounted, lines, mountDashboard, rowOf } from './harness.js';
import { openTestQueue, seedEveryState, seedMany, tempDb } from './seed.js';

let db: ReturnType<typeof tempDb>;
let m: Mounted;

beforeEach(async () => {
  db = tempDb();
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

const ALL = ['p-waiting', 'x-cancelled', 'p-running', 'd-buried', 'f-retrying', 'c-done'];
const shownIds = (frame: string) => ALL.filter((id) => rowOf(frame, id) !== undefined);

describe('the jobs view', () => {
  it('shows the database, the counts per state, and a row per job with its columns', () => {
    const f = m.frame();
    expect(lines(f)[0]).toContain(db.path);
    expect(f).toMatch(/pending 1 +processing 1 +completed 1 +failed 1 +dead 1 +cancelled 1/);
    expect(f).toMatch(/last 1m ✓1 ✗2/);
    expect(shownIds(f)).toEqual(ALL);
    expect(rowOf(f, 'd-buried')).toMatch(/d-buried +dead +sh -c "echo.* +1\/1 +0 .*exit 7/);
    expect(rowOf(f, 'p-running')).toMatch(/processing +sleep 1000 +1\/4 .*▶ .*running/);
    expect(rowOf(f, 'p-waiting')).toMatch(/pending .* 5 default +in 59m/);
  });

  it('switches state tabs with the number keys and with ←/→, cancelled included', async () => {
    await m.press('5');
    await m.waitForFrame((f) => shownIds(f).join() === 'f-retrying', 'the failed tab');
    await m.press('6');
    await m.waitForFrame((f) => shownIds(f).join() === 'd-buried', 'the dead tab');
    await m.press(KEY.left);
    await m.waitForFrame((f) => shownIds(f).join() === 'f-retrying', 'back to the failed tab');
    await m.press(KEY.right, KEY.right);
    await m.waitForFrame((f) => shownIds(f).join() === 'x-cancelled' && f.includes(' 7 canc 1'), 'the cancelled tab');
    await m.press(KEY.right);
    await m.waitForFrame((f) => f.includes('no waiting jobs') && f.includes(' 8 wait 0'), 'the waiting tab, last');
    await m.press(KEY.right);
    await m.waitForFrame((f) => shownIds(f).join() === ALL.join(), 'round to the all tab');
    await m.press('7');
    await m.waitForFrame((f) => shownIds(f).join() === 'x-cancelled', 'the cancelled tab with 7');
    await m.press('3');
    await m.waitForFrame((f) => shownIds(f).join() === 'p-running', 'the processing tab');
  });

  it('opens a job’s details with Enter, with its attempts and output, and Esc goes back', async () => {
    await m.press('6');
    await m.waitForFrame((f) => shownIds(f).join() === 'd-buried', 'the dead tab');
    await m.press(KEY.enter);
    const f = await m.waitForFrame((fr) => fr.includes('boom: the last words') && fr.includes('attempts'), 'the details');
    expect(f).toContain('1 of 1 (max_retries 0)');
    expect(f).toMatch(/1 .* exit 7 +w-seed/);
    expect(f).toContain('last error   exited with code 7');
    expect(f).toContain('line one');
    await m.press(KEY.esc);
    await m.waitForFrame((fr) => !fr.includes('boom: the last words') && fr.includes('d-buried'), 'the table again');
  });

  it('follows the output of a running job as it grows', async () => {
    await m.press('3', KEY.enter);
    await m.waitForFrame((f) => f.includes('following live'), 'the running job’s details');
    const q = openTestQueue(db.path);
    const job = await q.get('p-running');
    await q.extendLease(job, 'w-seed', 60_000, { text: 'step 1\nstep 2 of the long job\n', bytes: 29 });
    await m.waitForFrame((f) => f.includes('step 2 of the long job'), 'the new output');
    await q.extendLease(job, 'w-seed', 60_000, { text: 'step 1\nstep 2 of the long job\nstep 3 arrives\n', bytes: 44 });
    await m.waitForFrame((f) => f.includes('step 3 arrives'), 'more output');
    await q.close();
  });
});

describe('filtering', () => {
  it('/ filters by id or command as typed, Enter keeps it, Esc clears it', async () => {
    await m.press('/', 'b', 'o', 'o', 'm');
    await m.waitForFrame((f) => shownIds(f).join() === 'd-buried' && f.includes('/boom'), 'the filtered table');
    await m.press(KEY.enter);
    const kept = await m.waitForFrame((f) => f.includes('filter: boom'), 'the kept filter');
    expect(kept).toContain(`$ queuectl list --search boom --db ${db.path}`);
    expect(shownIds(kept)).toEqual(['d-buried']);
    await m.press('/', KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, 'x', '-');
    await m.waitForFrame((f) => shownIds(f).join() === 'x-cancelled', 'a filter by id');
    await m.press(KEY.esc);
    await m.waitForFrame((f) => shownIds(f).join() === ALL.join(), 'the whole table');
  });

  it('says when nothing matches', async () => {
    await m.press('/', 'z', 'z', 'z');
    await m.waitForFrame((f) => f.includes('no jobs match "zzz"'), 'the empty message');
  });
});

describe('paging', () => {
  it('PgDn/PgUp, G and g move through a history longer than the screen', async () => {
    const q = openTestQueue(db.path);
    await seedMany(q, 200);
    await q.close();
    await m.press(KEY.ctrlR);
    // The selection stays on its job as newer ones arrive above it; g goes to the newest.
    await m.waitForFrame((f) => rowOf(f, 'p-waiting') !== undefined && f.includes('▲'), 'the selected job kept in sight');
    await m.press('g');
    await m.waitForFrame((f) => rowOf(f, 'bulk-200') !== undefined, 'the newest bulk job');
    await m.press(KEY.pageDown);
    const second = await m.waitForFrame((f) => rowOf(f, 'bulk-200') === undefined && /bulk-1\d\d/.test(f), 'the second page');
    expect(second).toContain('▲▼');
    await m.press('G');
    const last = await m.waitForFrame((f) => rowOf(f, 'c-done') !== undefined, 'the oldest page');
    expect(lines(last).filter((l) => / (bulk-\d+|[a-z]-[a-z]+) /.test(l.slice(0, 30))).at(-1)).toContain('c-done');
    await m.press(KEY.pageUp);
    await m.waitForFrame((f) => rowOf(f, 'c-done') === undefined, 'a newer page');
    await m.press('g');
    await m.waitForFrame((f) => rowOf(f, 'bulk-200') !== undefined, 'the newest page again');
  });
});

describe('actions with their confirmations', () => {
  it('r retries the selected failed job and shows the command', async () => {
    await m.press('5');
    await m.waitForFrame((f) => shownIds(f).join() === 'f-retrying', 'the failed tab');
    await m.press('r');
    const f = await m.waitForFrame((fr) => fr.includes('✓ retried f-retrying'), 'the status line');
    expect(f).toContain(`$ queuectl retry f-retrying --db ${db.path}`);
  });

  it('c asks before cancelling: n keeps the job, y cancels it', async () => {
    await m.press('2');
    await m.waitForFrame((f) => shownIds(f).join() === 'p-waiting', 'the pending tab');
    await m.press('c');
    await m.waitForFrame((f) => f.includes('Cancel job p-waiting? It will never run.'), 'the question');
    await m.press('n');
    await m.waitForFrame((f) => f.includes('nothing done') && rowOf(f, 'p-waiting') !== undefined, 'the job left alone');
    await m.press('c');
    await m.waitForFrame((f) => f.includes('Cancel job p-waiting?'), 'the question again');
    await m.press('y');
    const f = await m.waitForFrame((fr) => fr.includes('✓ cancelled p-waiting'), 'the cancellation');
    expect(f).toContain(`$ queuectl cancel p-waiting --db ${db.path}`);
    expect(f).toContain('no pending jobs');
  });

  it('R in the DLQ asks, then moves every dead job back to pending', async () => {
    await m.press(KEY.tab, KEY.tab);
    await m.waitForFrame((f) => f.includes('DLQ') && f.includes('boom: the last words'), 'the DLQ with the output tail');
    await m.press('R');
    await m.waitForFrame((f) => f.includes('Retry every job in the DLQ (1 dead job)?'), 'the question');
    await m.press('y');
    await m.waitForFrame((f) => f.includes('moved 1 dead job back to pending') && f.includes('the dead letter queue is empty'), 'an empty DLQ');
  });

  it('space marks rows, and r acts on every marked row', async () => {
    await m.press('5', ' ');
    await m.waitForFrame((f) => f.includes('1 marked') && /●.*f-retrying/.test(f), 'a mark');
    await m.press('6', ' ');
    await m.waitForFrame((f) => f.includes('2 marked'), 'two marks');
    await m.press('r');
    await m.waitForFrame((fr) => fr.includes('Retry 1 failed job and 1 dead job.'), 'the plan');
    await m.press('y');
    const f = await m.waitForFrame((fr) => fr.includes('retried 2 jobs'), 'both retried');
    expect(f).toContain('$ queuectl retry f-retrying && queuectl dlq retry d-buried');
    expect(m.dash.store.getState().status?.command).toBe(`queuectl retry f-retrying --db ${db.path} && queuectl dlq retry d-buried --db ${db.path}`);
  });
});

describe('the enqueue form', () => {
  it('enqueues a valid job and shows it with the matching command', async () => {
    await m.press('e');
    await m.waitForFrame((f) => f.includes('Enqueue a job'), 'the form');
    await m.press('echo from the form', KEY.tab, '9', KEY.tab, '1', KEY.tab, '10m', KEY.tab, '30s', KEY.enter);
    const f = await m.waitForFrame((fr) => fr.includes('✓ enqueued'), 'the new job');
    expect(f).toContain('$ queuectl enqueue --priority 9 --max-retries 1 --delay 10m');
    expect(m.dash.store.getState().status?.command).toBe(`queuectl enqueue --priority 9 --max-retries 1 --delay 10m --timeout 30s --db ${db.path} -- 'echo from the form'`);
    expect(f).toMatch(/pending +echo from the form +0\/2 +9 in (9m5\d|10m00)s/);
  });

  it('keeps the form open with the CLI’s message on bad input, and Esc closes it', async () => {
    await m.press('e');
    await m.waitForFrame((f) => f.includes('Enqueue a job'), 'the form');
    await m.press('true', KEY.down, KEY.down, 'x', KEY.down, 'later', KEY.enter);
    await m.waitForFrame((f) => f.includes('✗ invalid value "x" for --max-retries: expected a whole number'), 'the max retries error');
    await m.press(KEY.up, KEY.backspace, '2', KEY.enter);
    await m.waitForFrame((f) => f.includes('✗ invalid --delay "later"'), 'the delay error');
    await m.press(KEY.esc);
    const f = await m.waitForFrame((fr) => !fr.includes('Enqueue a job'), 'the form closed');
    expect(f).toMatch(/pending 1 /);
  });
});

describe('help, command mode and views', () => {
  it('? lists every binding of the current view from the bindings table', async () => {
    await m.press('?');
    const f = await m.waitForFrame((fr) => fr.includes('Keys — jobs view'), 'the help screen');
    // The list may be longer than the screen: read it while scrolling to its end.
    let seen = f;
    for (let i = 0; i < 40 && !seen.includes(helpLines('jobs').at(-1)!.description.slice(0, 40)); i++) {
      await m.press('j');
      seen += m.frame();
    }
    for (const l of helpLines('jobs')) expect(seen).toContain(l.description.slice(0, 40));
    await m.press(KEY.esc);
    await m.waitForFrame((fr) => !fr.includes('Keys — jobs view') && fr.includes('c-done'), 'the jobs view');
    await m.press(KEY.tab, '?');
    await m.waitForFrame((fr) => fr.includes('Keys — workers view') && fr.includes('stop every worker gracefully'), 'the workers help');
  });

  it(': switches views by name and reports an unknown command', async () => {
    await m.press(':', 'd', 'l', 'q', KEY.enter);
    await m.waitForFrame((f) => f.includes('DLQ') && f.includes('d-buried'), 'the DLQ');
    await m.press(':', 'n', 'o', 'p', 'e', KEY.enter);
    await m.waitForFrame((f) => f.includes('✗ unknown command :nope'), 'the error');
    await m.press(':', 'j', 'o', 'b', 's', KEY.enter);
    await m.waitForFrame((f) => f.includes(' 1 all '), 'the jobs view');
    await m.press(':', 'q', KEY.enter);
    await m.waitForFrame(() => m.dash.store.getState().quit, 'the quit request');
  });

  it('the workers view shows each worker and marks stale ones', async () => {
    const q = openTestQueue(db.path);
    const now = Date.now();
    const base = { pid: process.pid, host: hostname(), host_id: hostId(), pid_start: processStart(process.pid), clock_skew_ms: 0, queue: null, started_at: now, jobs_failed: 1, stop_requested: false };
    await q.registerWorker({ ...base, id: 'w-busy', state: 'busy', current_job_id: 'p-running', job_started_at: now - 3 * 3_600_000 - 30_000, heartbeat_at: now, jobs_done: 12 });
    await q.registerWorker({ ...base, id: 'w-quiet', state: 'idle', current_job_id: null, job_started_at: null, heartbeat_at: now - 600_000, jobs_done: 3 });
    await q.close();
    await m.press(KEY.tab);
    const f = await m.waitForFrame((fr) => fr.includes('w-busy') && fr.includes('w-quiet'), 'the workers');
    const busy = lines(f).find((l) => l.startsWith('w-busy'))!;
    // Durations far from a rounding edge; the last column may be cut where pids are wide.
    expect(busy).toMatch(new RegExp(`w-busy +${process.pid} +\\S+ +\\* +busy +p-running +3h0[01]m +12 +1 +(now|\\d+s)`));
    expect(lines(f).find((l) => l.startsWith('w-quiet'))).toMatch(/idle\? .* (9m5\ds|10m0\ds)/);
    expect(f).toContain('1 stale or dead');
    expect(lines(f)[0]).toContain('workers 1 busy 0 idle 1 lost');
  });
});

it('adapts to the terminal size, from 80×24 up, and to resizes', async () => {
  m.resize(80, 24);
  const small = await m.waitForFrame((f) => lines(f).length <= 23 && m.dash.store.getState().lists.jobs.pageSize === 16, 'the 80×24 layout');
  expect(Math.max(...lines(small).map((l) => [...l].length))).toBeLessThanOrEqual(80);
  expect(shownIds(small)).toEqual(ALL);
  m.resize(160, 50);
  const big = await m.waitForFrame((f) => lines(f).length === 49 && m.dash.store.getState().lists.jobs.pageSize === 42, 'the 160×50 layout');
  expect(big).toMatch(/pending 1 +processing 1 +completed 1/);
  expect(lines(big).at(-1)).toContain('q quit');
});
