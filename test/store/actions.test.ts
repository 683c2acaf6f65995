import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Queue } from '../../src/engine/queue.js';
import { createDashboard, type Dashboard } from '../../src/store/dashboard.js';
import { EMPTY_FORM, type EnqueueFormValues } from '../../src/store/enqueue-form.js';
import { commandHandlers, runPromptCommand } from '../../src/ui/input.js';
import { openTestQueue, seedEveryState, tempDb } from '../ui/seed.js';

let db: ReturnType<typeof tempDb>;
let queue: Queue;
let dash: Dashboard;
const s = () => dash.store.getState();

beforeEach(async () => {
  db = tempDb('queuectl-actions-');
  queue = openTestQueue(db.path);
  await seedEveryState(queue);
  dash = createDashboard(queue, { refreshMs: 60_000, db: db.path });
  await dash.poller.refresh();
});

afterEach(async () => {
  await dash.poller.idle();
  await queue.close();
  db.cleanup();
});

/** Puts the cursor on a job of the jobs table. */
function select(id: string): void {
  const row = s().lists.jobs.jobs.findIndex((j) => j.id === id);
  expect(row).toBeGreaterThanOrEqual(0);
  s().setRow('jobs', row);
}

describe('retry', () => {
  it('runs a failed job now, as queuectl retry does', async () => {
    const before = await queue.get('f-retrying');
    select('f-retrying');
    await dash.controllers.jobs.retry();
    const after = await queue.get('f-retrying');
    expect(after.state).toBe('failed');
    expect(after.run_at).toBeLessThanOrEqual(Date.now());
    expect(after.run_at).toBeLessThanOrEqual(before.run_at);
    expect(s().status).toEqual({ text: 'retried f-retrying', tone: 'ok', command: `queuectl retry f-retrying --db ${db.path}` });
  });

  it('puts a dead job back to pending with its attempts reset, as queuectl dlq retry does', async () => {
    select('d-buried');
    await dash.controllers.jobs.retry();
    expect(await queue.get('d-buried')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(s().status?.command).toBe(`queuectl dlq retry d-buried --db ${db.path}`);
    expect(s().header.counts?.dead).toBe(0);
  });

  it('says at once, in red, that a completed job cannot be retried', async () => {
    select('c-done');
    await dash.controllers.jobs.retry();
    expect(s().status).toMatchObject({ tone: 'error', text: 'cannot retry c-done: it is completed' });
    expect((await queue.get('c-done')).state).toBe('completed');
  });
});

describe('cancel', () => {
  it('asks first; no leaves the job alone, yes cancels it', async () => {
    select('p-waiting');
    await dash.controllers.jobs.askCancel();
    expect(s().modal).toMatchObject({ kind: 'confirm', action: { kind: 'cancel', ids: ['p-waiting'] } });
    await dash.controllers.confirm.answer(false);
    expect(s().modal).toBeNull();
    expect((await queue.get('p-waiting')).state).toBe('pending');
    await dash.controllers.jobs.askCancel();
    await dash.controllers.confirm.answer(true);
    expect((await queue.get('p-waiting')).state).toBe('cancelled');
    expect(s().status).toMatchObject({ tone: 'ok', text: 'cancelled p-waiting', command: `queuectl cancel p-waiting --db ${db.path}` });
  });

  it('acts on every marked row, and the marks are spent', async () => {
    select('p-waiting');
    dash.controllers.nav.toggleMark();
    select('f-retrying');
    dash.controllers.nav.toggleMark();
    expect(s().lists.jobs.marks).toEqual(['p-waiting', 'f-retrying']);
    await dash.controllers.jobs.askCancel();
    expect(s().modal).toMatchObject({ message: 'Cancel 1 pending job and 1 failed job. Cancelled jobs never run.' });
    await dash.controllers.confirm.answer(true);
    expect((await queue.get('p-waiting')).state).toBe('cancelled');
    expect((await queue.get('f-retrying')).state).toBe('cancelled');
    expect(s().lists.jobs.marks).toEqual([]);
    expect(s().status?.text).toBe('cancelled 2 jobs');
  });
});

it('R retries the whole DLQ after confirmation', async () => {
  await queue.enqueue([{ id: 'second-dead', command: 'false', max_retries: 0, queue: 'only-this' }]);
  const j = await queue.claim('w', 'only-this', 60_000);
  await queue.settle(j!, 'w', { outcome: 'exit', exit_code: 1, signal: null, error: 'exit 1', output: '', output_bytes: 0, finished_at: Date.now() }, await queue.config());
  await dash.controllers.nav.setView('dlq');
  expect(s().lists.dlq.jobs.length).toBe(2);
  dash.controllers.jobs.askRetryAll();
  expect(s().modal).toMatchObject({ kind: 'confirm', action: { kind: 'retry-all' } });
  await dash.controllers.confirm.answer(true);
  expect((await queue.counts()).dead).toBe(0);
  expect(s().status).toMatchObject({ text: 'moved 2 dead jobs back to pending', command: `queuectl dlq retry --all --db ${db.path}` });
  expect(s().lists.dlq.jobs).toEqual([]);
});

describe('the enqueue form', () => {
  const form = (v: Partial<EnqueueFormValues>): EnqueueFormValues => ({ ...EMPTY_FORM, ...v });

  it('enqueues a job with every field and shows the command that does the same', async () => {
    dash.controllers.jobs.openEnqueue();
    const before = Date.now();
    const ok = await dash.controllers.jobs.submitEnqueue(form({ command: 'echo hi there', priority: '7', maxRetries: '2', delay: '5m', timeout: '30s' }));
    expect(ok).toBe(true);
    expect(s().modal).toBeNull();
    const id = s().status!.text.replace('enqueued ', '');
    const job = await queue.get(id);
    expect(job).toMatchObject({ command: 'echo hi there', priority: 7, max_retries: 2, timeout_seconds: 30, state: 'pending' });
    expect(job.run_at).toBeGreaterThanOrEqual(before + 300_000);
    expect(s().status?.command).toBe(`queuectl enqueue --priority 7 --max-retries 2 --delay 5m --timeout 30s --db ${db.path} -- 'echo hi there'`);
  });

  const invalid: Array<[string, Partial<EnqueueFormValues>, string[], string]> = [
    ['an empty command', { command: '  ' }, ['--', '  '], 'invalid job: "command" must not be empty'],
    ['a priority that is not a number', { command: 'true', priority: 'high' }, ['--priority', 'high'], 'invalid value "high" for --priority: expected a whole number'],
    ['a priority out of range', { command: 'true', priority: '9999999' }, ['--priority', '9999999'], 'invalid value "9999999" for --priority: expected -1000000..1000000'],
    ['negative max retries', { command: 'true', maxRetries: '-1' }, ['--max-retries', '-1'], 'invalid value "-1" for --max-retries: expected 0..1000'],
    ['a bad delay', { command: 'true', delay: 'soon' }, ['--delay', 'soon'], 'invalid --delay "soon" (use e.g. 30s, 5m, 2h, 1d, 500ms)'],
    ['a bad timeout', { command: 'true', timeout: '5 minutes' }, ['--timeout', '5 minutes'], 'invalid --timeout "5 minutes" (use e.g. 30s, 5m, 2h, 1d, 500ms)'],
  ];

  for (const [what, values, , message] of invalid) {
    it(`keeps the form open on ${what}, with the CLI's message, and enqueues nothing`, async () => {
      dash.controllers.jobs.openEnqueue();
      const before = await queue.counts();
      expect(await dash.controllers.jobs.submitEnqueue(form(values))).toBe(false);
      expect(s().modal).toMatchObject({ kind: 'enqueue', error: message, busy: false });
      expect(await queue.counts()).toEqual(before);
    });
  }

  it.skipIf(!existsSync('dist/cli.js'))('gives the very messages `queuectl enqueue` prints for the same input', () => {
    for (const [, values, args, message] of invalid) {
      const flags = args[0] === '--' ? ['--', values.command ?? ''] : [...args, '--', 'true'];
      const r = spawnSync(process.execPath, ['dist/cli.js', 'enqueue', '--db', db.path, ...flags], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe(`queuectl: ${message}`);
    }
  });
});

describe('command mode', () => {
  it(':workers and :dlq switch views through the bindings table, :queue takes its argument, an unknown command is an error, :q quits as q does', async () => {
    const handlers = commandHandlers(dash.store, dash.controllers, () => ({ body: 20, width: 100 }));
    dash.controllers.prompt.start('command');
    await dash.controllers.prompt.edit('workers');
    await handlers.prompt['prompt-submit']!();
    expect(s().view).toBe('workers');
    expect(s().prompt).toBeNull();
    await runPromptCommand(dash.store, handlers, 'dlq');
    expect(s().view).toBe('dlq');
    await runPromptCommand(dash.store, handlers, ':queue nightly');
    expect([s().lists.jobs.queue, s().lists.dlq.queue]).toEqual(['nightly', 'nightly']);
    await runPromptCommand(dash.store, handlers, 'frobnicate');
    expect(s().status).toMatchObject({ tone: 'error', text: 'unknown command :frobnicate (try :jobs :workers :dlq :queues :queue [NAME] :schedules :help :q; Tab completes)' });
    expect(s().quit).toBe(false);
    await runPromptCommand(dash.store, handlers, 'q');
    expect(s().quit).toBe(true);
  });
});
