import { afterEach, describe, expect, it, vi } from 'vitest';
import { runDashboard, terminalRefusal } from '../../src/ui/main.js';
import { tempDb } from './seed.js';

/** TERM=dumb cannot draw the dashboard: it refuses in one line and exits 1, before loading Ink. */
describe('TERM=dumb', () => {
  const saved = process.env.TERM;
  afterEach(() => {
    if (saved === undefined) delete process.env.TERM;
    else process.env.TERM = saved;
    vi.restoreAllMocks();
  });

  it('is refused with one line on stderr and exit code 1', async () => {
    const db = tempDb('queuectl-ui-dumb-');
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const out = vi.spyOn(process.stdout, 'write');
    process.env.TERM = 'dumb';
    try {
      expect(await runDashboard({ db: db.path, open: () => Promise.reject(new Error('not opened on a dumb terminal')) })).toBe(1);
    } finally {
      db.cleanup();
    }
    const text = written.join('');
    expect(text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(text).toMatch(/^queuectl: the dashboard cannot draw on TERM=dumb; /);
    // Nothing was drawn: no alternate screen, no escape sequence.
    expect(out).not.toHaveBeenCalled();
  });

  it('other terminals are not refused', () => {
    expect(terminalRefusal({ TERM: 'xterm-256color' })).toBeNull();
    expect(terminalRefusal({ TERM: 'screen' })).toBeNull();
    expect(terminalRefusal({ TERM: 'dumb' })).not.toBeNull();
  });
});
