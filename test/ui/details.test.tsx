import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, lines, mountDashboard } from './harness.js';
import { openTestQueue, seedFinished, tempDb, waitFor } from './seed.js';

/** The details screen: the whole command, output that scrolls from anywhere, wrap and sideways scroll, times that tick. */
let db: ReturnType<typeof tempDb>;
let m: Mounted;
const s = () => m.dash.store.getState();

const COMMAND = `sh -c '${Array.from({ length: 30 }, (_, i) => `echo part${i}`).join('; ')}' # END-OF-COMMAND`;
const LONG = `LONG-START ${'x'.repeat(150)} LONG-END`;
const OUTPUT = Array.from({ length: 200 }, (_, i) => `line ${String(i + 1).padStart(3, '0')}`).join('\n') + `\n${LONG}\n`;

beforeEach(async () => {
  db = tempDb('queuectl-ui-details-');
  const q = openTestQueue(db.path);
  await seedFinished(q, 'long-one', COMMAND, OUTPUT);
  await q.close();
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

async function open(options: { refreshMs?: number } = {}) {
  m = await mountDashboard(db.path, { columns: 100, rows: 30, ...options });
  await m.waitForFrame((f) => f.includes('long-one'), 'the job');
  await m.press(KEY.enter);
  return m.waitForFrame((f) => f.includes('line 200') && f.includes('attempts'), 'the details at the end of the output');
}

/** The first output line shown ("line 007"), if any. */
const firstOutput = (f: string) => lines(f).find((l) => /^line \d{3}$/.test(l));

describe('the details screen', () => {
  it('shows the whole command, wrapped, with nothing cut', async () => {
    const f = await open();
    expect(f).toContain('END-OF-COMMAND');
    const commandLines = lines(f).filter((l) => l.startsWith('command ') || /^ {8}\S/.test(l));
    expect(commandLines.length).toBeGreaterThan(1);
    expect(commandLines.join('')).not.toContain('…');
    // Frame lines lose trailing blanks, so blanks at a wrap are not compared.
    expect(commandLines.map((l) => l.slice(8)).join('').replace(/ /g, '')).toBe(COMMAND.replace(/ /g, ''));
  });

  it('scrolls the output from any position: after g, and after k past the top', async () => {
    await open();
    await m.press('g');
    await m.waitForFrame((f) => firstOutput(f) === 'line 001', 'the top of the output');
    await m.press('j');
    await m.waitForFrame((f) => firstOutput(f) === 'line 002', 'one line down');
    await m.press(KEY.down);
    await m.waitForFrame((f) => firstOutput(f) === 'line 003', 'one more with ↓');
    await m.press(KEY.pageDown);
    const paged = await m.waitForFrame((f) => Number(firstOutput(f)?.slice(5)) > 4, 'a page down');
    const afterPage = Number(firstOutput(paged)?.slice(5));
    await m.press('g', 'k', 'k', 'k', 'j');
    await m.waitForFrame((f) => firstOutput(f) === 'line 002', 'k past the top then j moves down at once');
    expect(afterPage).toBeGreaterThan(4);
  });

  it('cuts long lines by default, scrolls them sideways with ←/→, and wraps them with w', async () => {
    const f = await open();
    expect(f).toContain('LONG-START');
    expect(f).not.toContain('LONG-END');
    await m.press(KEY.right, KEY.right);
    await m.waitForFrame((fr) => fr.includes('LONG-END') && !fr.includes('LONG-START'), 'the end of the long line');
    await m.press(KEY.left, KEY.left);
    await m.waitForFrame((fr) => fr.includes('LONG-START') && !fr.includes('LONG-END'), 'back to its start');
    await m.press('w');
    await m.waitForFrame((fr) => fr.includes('LONG-START') && fr.includes('LONG-END') && fr.includes('wrapped'), 'the long line wrapped');
    await m.press('w');
    await m.waitForFrame((fr) => fr.includes('LONG-START') && !fr.includes('LONG-END'), 'cut again');
  });

  it('moves its clock on every second while open, without waiting for a refresh', async () => {
    // Refreshes are a minute apart here: only the clock can change what is shown.
    await open({ refreshMs: 60_000 });
    const seen = new Set<number>([s().now]);
    await waitFor(() => {
      seen.add(s().now);
      return seen.size >= 3;
    }, 'two ticks of the clock', 5000);
  });
});
