import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmuxServer, type TmuxPane, hasTmux, isInverse, styledLine, cells } from './tmux-pane.js';
import { openTestQueue, seedDead, seedFinished, seedMany, tempDb } from './seed.js';

/**
 * Queues, DLQ delete, re-run, sort, the position line and the pager, in a real terminal: tmux runs
 * `queuectl dashboard`, send-keys drives it, capture-pane (with styles) reads it.
 */
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

/** Whether the text on the line is drawn in a colour. */
function coloured(styled: string, lineNeedle: string, needle: string): boolean {
  const line = styledLine(styled, lineNeedle, 200);
  if (!line) return false;
  const cs = cells(line);
  const at = cs.findIndex((_, i) => cs.slice(i, i + needle.length).map((c) => c.ch).join('') === needle);
  return at >= 0 && cs.slice(at, at + needle.length).every((c) => c.color);
}

describe.skipIf(!hasTmux || !existsSync(CLI))('queues, DLQ delete, re-run, sort, position and pager (tmux)', () => {
  const tmux = new TmuxServer('ui-queues');
  let db: ReturnType<typeof tempDb>;
  let pane: TmuxPane;

  beforeAll(async () => {
    db = tempDb('queuectl-queues-');
    const q = openTestQueue(db.path);
    await seedMany(q, 1200);
    await seedDead(q, 3);
    await seedFinished(q, 'report', 'echo report', Array.from({ length: 200 }, (_, i) => `report line ${i + 1}`).join('\n') + '\n');
    await q.enqueue([{ id: 'mail-1', command: 'echo mail', queue: 'mail', delay_ms: 3_600_000 }]);
    await q.setQueuePaused('mail', true);
    await q.close();
    pane = tmux.pane('dash', ['node', CLI, 'dashboard', '--db', db.path], { TERM: 'xterm-256color', PAGER: 'less -R' }, { columns: 130, rows: 30 });
  });

  afterAll(() => {
    tmux.kill();
    db?.cleanup();
  });

  const step = (keys: string[], test: (t: string, st: string) => boolean, what: string) => {
    pane.keys(...keys);
    return pane.waitFor(test, what);
  };

  it('shows the queue column, paused queues in the header, and the position with separators', async () => {
    const { text, styled } = await pane.waitFor((t) => t.includes('mail-1') && t.includes('rows 1–'), 'the first screen');
    const lines = text.split('\n');
    expect(lines[0] + lines[1]).toContain('⏸ paused: mail');
    expect(coloured(styled, '⏸ paused: mail', '⏸ paused: mail')).toBe(true);
    expect(lines.find((l) => l.includes('QUEUE') && l.includes('COMMAND'))).toBeDefined();
    expect(lines.find((l) => l.includes(' mail-1 '))).toMatch(/ mail\b/);
    // 1,200 waiting + 3 dead + 1 completed + 1 in mail.
    expect(text).toMatch(/rows 1–\d+ of 1,205/);
    const page = Number(/rows 1–(\d+)/.exec(text)![1]);
    const next = await step(['PageDown'], (t) => t.includes(`rows ${page + 1}–${2 * page} of 1,205`), 'the second page');
    expect(next.text).toContain(`rows ${page + 1}–`);
    await step(['G'], (t) => new RegExp(`rows ${(1205 - page + 1).toLocaleString('en-US')}–1,205 of 1,205`).test(t), 'the last page');
    await step(['g'], (t) => /rows 1–\d+ of 1,205/.test(t), 'back to the first page');
  });

  it('sorts oldest first with O, and says the order in the title', async () => {
    const { text } = await step(['O'], (t) => t.includes('by created, oldest first') && t.includes(' bulk-0001 '), 'oldest first');
    expect(text).toMatch(/rows 1–\d+ of 1,205/);
    await step(['O'], (t) => !t.includes('oldest first') && t.includes('mail-1'), 'newest first again');
  });

  it('filters to one queue with :queue and Tab completion; Esc shows every queue again', async () => {
    pane.keys(':');
    await pane.waitFor((t) => t.split('\n').some((l) => l.startsWith(':')), 'the command prompt');
    pane.literal('queue ma');
    pane.keys('Tab');
    await pane.waitFor((t) => t.includes(':queue mail'), 'the queue name completed');
    const { text } = await step(['Enter'], (t) => t.includes('queue mail') && t.includes('rows 1–1 of 1') && !t.includes('bulk-'), 'the mail queue only');
    expect(text).toContain('mail-1');
    await step(['Escape'], (t) => t.includes('bulk-') && t.includes('of 1,205'), 'every queue again');
  });

  it('lists queues with :queues and pauses / resumes with p, showing the command', async () => {
    pane.keys(':');
    await pane.waitFor((t) => t.split('\n').some((l) => l.startsWith(':')), 'the command prompt');
    pane.literal('queues');
    const { text } = await step(['Enter'], (t) => t.includes('QUEUES') && t.includes('paused'), 'the queues view');
    const mail = text.split('\n').find((l) => l.startsWith('mail '));
    expect(mail).toMatch(/^mail +paused +1 /);
    // Select the mail queue (queues are sorted by name: default, mail, seed-…).
    await step(['j'], (_t, st) => isInverse(st, 'mail'), 'mail selected');
    const resumed = await step(['p'], (t) => t.includes('resumed queue mail') && t.includes('queuectl queue resume mail'), 'resumed');
    expect(resumed.text.split('\n').find((l) => l.startsWith('mail '))).toMatch(/^mail +active/);
    expect(resumed.text.split('\n').slice(0, 2).join('\n')).not.toContain('paused: mail');
    await step(['p'], (t) => t.includes('paused queue mail') && t.includes('queuectl queue pause mail') && t.includes('⏸ paused: mail'), 'paused again');
    await step(['Enter'], (t) => t.includes('queue mail') && t.includes('mail-1') && !t.includes('bulk-'), "the queue's jobs");
    await step(['Escape'], (t) => t.includes('bulk-'), 'every queue');
  });

  it('re-runs a completed job as a copy after asking', async () => {
    await step(['4'], (t) => t.split('\n').some((l) => l.includes(' report ')), 'the completed tab');
    const ask = await step(['a'], (t) => t.includes('Re-run report as a copy?'), 'the confirmation');
    expect(ask.text).toContain('report.rerun-N');
    await step(['y'], (t) => t.includes('enqueued report.rerun-1, a copy of report') && t.includes('queuectl rerun report'), 'the result');
    await step(['1'], (t) => t.includes('report.rerun-1'), 'the copy listed');
  });

  it('opens the output in the pager from details, and q comes back to the dashboard intact', async () => {
    await step(['4'], (t) => t.split('\n').some((l) => l.includes(' report ')), 'the completed tab');
    await step(['Enter'], (t) => t.includes('report line 200'), 'the details');
    const inPager = await step(['v'], (t) => t.includes('report line 1\n') && !t.includes('queuectl'), 'the pager');
    expect(inPager.text.split('\n')[0]).toBe('report line 1');
    const back = await step(['q'], (t) => t.includes('report line 200') && t.includes('queuectl'), 'back from the pager');
    expect(back.text.split('\n')[0]).toMatch(/^queuectl /);
    // Keys work again, and Esc goes back to the table.
    await step(['Escape'], (t) => t.includes('rows 1–'), 'the table');
  });

  it('deletes one dead job, then all of them, asking first and showing the commands', async () => {
    await step(['Tab', 'Tab'], (t) => t.includes('DLQ') && t.includes('dead-03'), 'the DLQ');
    const ask = await step(['d'], (t) => t.includes('Delete dead job dead-03 and its history?'), 'the confirmation');
    expect(ask.text).toContain('y');
    await step(['y'], (t) => t.includes('deleted dead-03') && t.includes('queuectl dlq delete dead-03'), 'one deleted');
    await step(['D'], (t) => t.includes('Delete every dead job (2 dead jobs)'), 'delete all asked');
    await step(['y'], (t) => t.includes('deleted 2 dead jobs') && t.includes('queuectl dlq delete --all') && t.includes('the dead letter queue is empty'), 'all deleted');
  });
});
