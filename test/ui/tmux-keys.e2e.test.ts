import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestQueue, seedEveryState, tempDb } from './seed.js';
import { TmuxServer, hasColor, hasTmux, isInverse } from './tmux-pane.js';

/**
 * The dashboard in tmux as an operator's terminal runs it: its styles read back with
 * `capture-pane -e`, and keys sent the way a paste or fast typing delivers them.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'dist/cli.js');

describe.skipIf(!hasTmux || !existsSync(CLI))('the dashboard in a real terminal: styles and keys sent at once', () => {
  const tmux = new TmuxServer('ui-keys');
  const dbs: Array<ReturnType<typeof tempDb>> = [];

  async function seeded(): Promise<string> {
    const db = tempDb('queuectl-e2e-keys-');
    dbs.push(db);
    const q = openTestQueue(db.path);
    await seedEveryState(q);
    await q.close();
    return db.path;
  }

  /** The dashboard in its own pane, with exactly this environment: no CI variable unless listed. */
  async function dashboard(name: string, env: Record<string, string>) {
    const path = await seeded();
    const pane = tmux.pane(name, ['node', CLI, 'dashboard', '--db', path], { TERM: 'xterm-256color', ...env });
    await pane.waitFor((t) => t.includes('c-done') && t.includes(' 1 all 6 ') && t.includes('q quit'), 'the first screen with its counts');
    return { pane, path };
  }

  beforeAll(() => {
    // Whatever runs the tests may set CI; the panes get their environment from `env -i` anyway.
    expect(process.env.NO_COLOR).toBeUndefined();
  });

  afterAll(() => {
    tmux.kill();
    for (const db of dbs) db.cleanup();
  });

  it('writes colour and inverse in a 256-colour terminal: the selected row and the active tab stand out, and j moves the selection', async () => {
    const { pane } = await dashboard('styled', { COLORTERM: 'truecolor' });
    const first = await pane.waitFor((_, s) => isInverse(s, 'p-waiting'), 'the first row selected');
    expect(hasColor(first.styled)).toBe(true);
    expect(isInverse(first.styled, ' 1 all 6 ')).toBe(true);
    expect(isInverse(first.styled, ' 2 pending 1 ')).toBe(false);
    expect(isInverse(first.styled, 'x-cancelled')).toBe(false);
    pane.keys('j');
    const moved = await pane.waitFor((_, s) => isInverse(s, 'x-cancelled'), 'the selection on the second row');
    expect(isInverse(moved.styled, 'p-waiting')).toBe(false);
    pane.keys('2');
    await pane.waitFor((_, s) => isInverse(s, ' 2 pending 1 ') && !isInverse(s, ' 1 all 6 '), 'the pending tab shown active');
  });

  it('with NO_COLOR writes no colour, yet the selected row and the active tab still stand out (inverse)', async () => {
    const { pane } = await dashboard('plain', { NO_COLOR: '1' });
    const first = await pane.waitFor((_, s) => isInverse(s, 'p-waiting'), 'the first row selected');
    expect(hasColor(first.styled)).toBe(false);
    expect(isInverse(first.styled, ' 1 all 6 ')).toBe(true);
    pane.keys('j');
    const moved = await pane.waitFor((_, s) => isInverse(s, 'x-cancelled'), 'the selection on the second row');
    expect(isInverse(moved.styled, 'p-waiting')).toBe(false);
  });

  it('keys sent in one piece (send-keys -l) do what the same keys typed slowly do', async () => {
    const { pane, path } = await dashboard('keys', {});
    pane.keys('6');
    await pane.waitFor((t) => /^ *d-buried /m.test(t) && !t.includes('c-done'), 'the dead tab');
    pane.literal('/re');
    const typed = await pane.waitFor((t) => /^\/re /m.test(t), 'the filter prompt holding "re"');
    expect(typed.text).not.toContain('retried');
    expect(typed.text).not.toContain('Enqueue a job');
    const q = openTestQueue(path);
    expect((await q.get('d-buried')).state).toBe('dead');
    pane.keys('Escape');
    await pane.waitFor((t) => !/^\/re /m.test(t) && /^ *d-buried /m.test(t), 'the prompt closed');
    pane.keys('Tab');
    await pane.waitFor((t) => t.includes('WORKERS'), 'the workers view');
    pane.literal(':jobs\r');
    const jobs = await pane.waitFor((t) => t.includes(' 1 all ') && !t.includes('WORKERS'), 'the jobs view by name');
    expect(jobs.text).not.toContain('enqueued');
    expect(Object.values(await q.counts()).reduce((a, b) => a + b, 0)).toBe(6);
    await q.close();
  });

  it('on TERM=dumb refuses in one line and exits 1, leaving the terminal as it was', async () => {
    const path = await seeded();
    const script = `node ${CLI} dashboard --db ${path}; echo "exit=$?"; sleep 60`;
    const pane = tmux.pane('dumb', ['sh', '-c', script], { TERM: 'dumb' });
    const { text } = await pane.waitFor((t) => t.includes('exit='), 'the exit code');
    const shown = text.split('\n').filter((l) => l.trim() !== '');
    expect(shown).toEqual([expect.stringMatching(/^queuectl: the dashboard cannot draw on TERM=dumb; /), 'exit=1']);
  });
});
