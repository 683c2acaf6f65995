import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestQueue, seedEveryState, seedMany, tempDb, waitFor } from './seed.js';

/**
 * The dashboard in a real terminal: tmux runs a shell, the shell runs `queuectl dashboard` on a
 * temporary database with jobs in every state, send-keys drives it, capture-pane reads the screen.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'dist/cli.js');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `queuectl-ui-e2e-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

const screen = () => tmux('capture-pane', '-p', '-t', 'dash');
const paneFlag = (name: string) => tmux('display-message', '-p', '-t', 'dash', `#{${name}}`).trim();
const keys = (...k: string[]) => tmux('send-keys', '-t', 'dash', ...k);

async function waitForScreen(test: (s: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  let last = '';
  try {
    return await waitFor(() => {
      last = screen();
      return test(last) ? last : '';
    }, what, timeoutMs, 50);
  } catch {
    throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
  }
}

/** Sends one key and waits for the screen it leads to (keys sent together could merge, as Esc+Tab does). */
async function step(key: string, test: (s: string) => boolean, what: string): Promise<string> {
  keys(key);
  return waitForScreen(test, what);
}

const rowStarting = (s: string, id: string) => s.split('\n').find((l) => l.slice(0, 30).includes(` ${id} `));

describe.skipIf(!hasTmux || !existsSync(CLI))('the dashboard in a real terminal (tmux)', () => {
  let db: ReturnType<typeof tempDb>;

  beforeAll(async () => {
    db = tempDb('queuectl-e2e-');
    const q = openTestQueue(db.path);
    await seedMany(q, 40);
    await seedEveryState(q);
    await q.close();
    tmux('new-session', '-d', '-s', 'dash', '-x', '120', '-y', '35', '-c', ROOT, 'bash --norc --noprofile');
    keys('clear', 'Enter');
    keys(`echo before-the-dashboard; node ${CLI} dashboard --db ${db.path}`, 'Enter');
  });

  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    db?.cleanup();
  });

  it('opens full screen with the header, the state tabs and jobs in every state', async () => {
    const s = await waitForScreen((x) => x.includes('c-done') && x.includes('cancelled 1') && x.includes('q quit'), 'the first screen');
    expect(paneFlag('alternate_on')).toBe('1');
    const lines = s.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^queuectl ${db.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +workers 0 busy 0 idle`));
    expect(lines[1]).toMatch(/pending 41 +processing 1 +completed 1 +failed 1 +dead 1 +cancelled 1 +last 1m ✓1 ✗2/);
    expect(lines[2]).toMatch(/1 all 46 +2 pending 41 +3 processing 1 +4 completed 1 +5 failed 1 +6 dead 1/);
    for (const [id, state] of [['p-waiting', 'pending'], ['p-running', 'processing'], ['c-done', 'completed'], ['f-retrying', 'failed'], ['d-buried', 'dead'], ['x-cancelled', 'cancelled']]) {
      expect(rowStarting(s, id)).toContain(state);
    }
    expect(s).not.toContain('before-the-dashboard');
  });

  it('is driven by keys: tabs, details, help, views, paging', async () => {
    await step('6', (x) => rowStarting(x, 'd-buried') !== undefined && rowStarting(x, 'c-done') === undefined, 'the dead tab');
    const detail = await step('Enter', (x) => x.includes('boom: the last words') && x.includes('max_retries 0'), 'the details');
    expect(detail).toMatch(/1 .* exit 7 +w-seed/);
    await step('Escape', (x) => !x.includes('max_retries 0') && rowStarting(x, 'd-buried') !== undefined, 'back to the table');
    await step('1', (x) => rowStarting(x, 'c-done') !== undefined, 'the all tab');
    await step('G', (x) => rowStarting(x, 'bulk-01') !== undefined, 'the oldest page');
    await step('g', (x) => rowStarting(x, 'p-waiting') !== undefined, 'the newest page');
    const help = await step('?', (x) => x.includes('Keys — jobs view'), 'the help screen');
    expect(help).toContain('retry: a failed job runs now, a dead job goes back to pending');
    await step('Escape', (x) => !x.includes('Keys — jobs view'), 'help closed');
    await step('Tab', (x) => x.includes('WORKERS') && x.includes('no workers running'), 'the workers view');
    const dlq = await step('Tab', (x) => x.includes(' DLQ ') && x.includes('boom: the last words'), 'the DLQ view');
    expect(rowStarting(dlq, 'd-buried')).toMatch(/exit 7/);
    await step('r', (x) => x.includes('✓ retried d-buried') && x.includes('the dead letter queue is empty'), 'the revived job');
    await step(':', (x) => x.includes('jobs · workers · dlq'), 'command mode');
    keys('-l', 'jobs');
    await step('Enter', (x) => x.includes(' 1 all ') && rowStarting(x, 'd-buried')?.includes('pending') === true, 'the jobs view by name');
  });

  it('adapts to a resize down to 80×24', async () => {
    tmux('resize-window', '-t', 'dash', '-x', '80', '-y', '24');
    const s = await waitForScreen((x) => {
      const l = x.split('\n');
      return l[0].startsWith('queuectl ') && l.some((y) => y.includes('q quit')) && l.length <= 25;
    }, 'the 80×24 layout');
    const lines = s.split('\n');
    expect(lines[0]).toContain('workers 0 busy 0 idle');
    expect(lines.findIndex((l) => l.includes('q quit'))).toBe(22);
    expect(s).toContain('c-done');
    tmux('resize-window', '-t', 'dash', '-x', '120', '-y', '35');
    await waitForScreen((x) => x.split('\n').findIndex((l) => l.includes('q quit')) === 33, 'the 120×35 layout again');
  });

  it('q leaves a clean shell: the alternate screen is left and the cursor shown', async () => {
    keys('q');
    await waitForScreen((x) => x.includes('before-the-dashboard'), 'the shell again');
    keys('echo "exit=$?"', 'Enter');
    const s = await waitForScreen((x) => x.includes('exit=0'), 'the exit status');
    expect(s).not.toContain('queuectl /');
    expect(s).not.toContain('q quit');
    expect(paneFlag('alternate_on')).toBe('0');
    expect(paneFlag('cursor_flag')).toBe('1');
  });

  for (const [how, press] of [['Ctrl-C', ['C-c']], [':q', [':', 'q', 'Enter']]] as const) {
    it(`${how} also leaves cleanly, with exit status 0`, async () => {
      keys('clear', 'Enter');
      keys(`node ${CLI} dashboard --db ${db.path}`, 'Enter');
      await waitForScreen((x) => x.includes('q quit') && x.includes('c-done'), 'the dashboard again');
      for (const k of press) {
        keys(k);
        if (k === ':') await waitForScreen((x) => x.includes('jobs · workers · dlq'), 'command mode');
      }
      await waitFor(() => paneFlag('alternate_on') === '0', 'the alternate screen to be left');
      keys('echo "exit=$?"', 'Enter');
      const s = await waitForScreen((x) => /exit=\d+/.test(x), 'the exit status');
      expect(s).toContain('exit=0');
      expect(s).not.toContain('q quit');
      expect(paneFlag('cursor_flag')).toBe('1');
    });
  }

  it('SIGTERM also restores the terminal', async () => {
    keys('clear', 'Enter');
    keys(`node ${CLI} dashboard --db ${db.path}`, 'Enter');
    await waitForScreen((x) => x.includes('q quit'), 'the dashboard again');
    const shell = paneFlag('pane_pid');
    const child = execFileSync('ps', ['-o', 'pid=', '--ppid', shell], { encoding: 'utf8' }).trim().split(/\s+/)[0];
    process.kill(Number(child), 'SIGTERM');
    await waitFor(() => paneFlag('alternate_on') === '0', 'the alternate screen to be left');
    keys('echo "exit=$?"', 'Enter');
    const s = await waitForScreen((x) => /exit=\d+/.test(x), 'the exit status');
    expect(s).toContain('exit=143');
    expect(s).not.toContain('q quit');
    expect(paneFlag('cursor_flag')).toBe('1');
  });
});
