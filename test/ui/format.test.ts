import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/engine/types.js';
import { shellQuote } from '../../src/store/cli-equivalent.js';
import { fitCommand } from '../../src/ui/components/StatusLine.js';
import { type Column, layoutColumns, runs } from '../../src/ui/components/Table.js';
import { age, compactCount, fit, outcomeText, sparkline, tailLines, whenText } from '../../src/ui/format.js';

const job = (patch: Partial<Job>): Job => ({
  id: 'j', command: 'true', state: 'pending', attempts: 0, max_retries: 3, priority: 0, run_at: 0, timeout_seconds: null,
  queue: 'default', cwd: '/', created_at: 0, updated_at: 0, started_at: null, finished_at: null, worker_id: null,
  lease_expires_at: null, exit_code: null, last_error: null, last_outcome: null, output: '', output_bytes: 0, ...patch,
});

describe('display strings', () => {
  it('fits text to a width, marking a cut', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abc', 5, 'right')).toBe('  abc');
    expect(fit('abcdef', 4)).toBe('abc…');
  });

  it('keeps counts and ages short', () => {
    expect([compactCount(999), compactCount(12_345), compactCount(1_000_030)]).toEqual(['999', '12.3k', '1.00M']);
    expect([age(5_000), age(125_000), age(7_300_000), age(200_000_000)]).toEqual(['<1m', '2m', '2h', '2d']);
  });

  it('says how a job ended, in the engine’s words', () => {
    expect(outcomeText(job({ last_outcome: 'exit', exit_code: 3 }))).toBe('exit 3');
    expect(outcomeText(job({ last_outcome: 'signal', last_error: 'killed by signal SIGKILL' }))).toBe('killed by signal SIGKILL');
    expect(outcomeText(job({ last_outcome: 'timed_out' }))).toBe('timed out');
    expect(outcomeText(job({ state: 'processing' }))).toBe('running');
  });

  it('shows how long a job has run, when it runs next, or how long it took', () => {
    expect(whenText(job({ state: 'processing', started_at: 1000 }), 66_000)).toBe('▶ 1m05s');
    expect(whenText(job({ state: 'failed', run_at: 10_000 }), 6_000)).toBe('in 4s');
    expect(whenText(job({ state: 'pending', run_at: 0 }), 6_000)).toBe('due');
    expect(whenText(job({ state: 'completed', started_at: 0, finished_at: 2500 }), 9_000)).toBe('2s');
  });

  it('draws a sparkline scaled to its largest value', () => {
    expect(sparkline([0, 1, 2, 4], 4)).toBe('▁▃▅█');
    expect(sparkline([0, 0], 4)).toBe('▁▁▁▁');
  });

  it('takes the tail of an output as printable lines', () => {
    expect(tailLines('a\r\nb\tc\n\x1b[31mred\x1b[0m\x07\n', 2)).toEqual(['b  c', 'red ']);
  });

  it('quotes for a shell only when needed, and drops --db from a command that does not fit', () => {
    expect(shellQuote('job-1')).toBe('job-1');
    expect(shellQuote("it's here")).toBe("'it'\\''s here'");
    const cmd = "queuectl retry j1 --db '/tmp/a b/q.db'";
    expect(fitCommand('retried j1', cmd, 200)).toBe(cmd);
    expect(fitCommand('retried j1', cmd, 40)).toBe('queuectl retry j1');
  });
});

describe('table layout', () => {
  const col = (key: string, p: Partial<Column<string>>): Column<string> => ({ key, title: key, text: (r) => r, ...p });

  it('fills the width exactly, dropping the least important columns first when narrow', () => {
    const cols = [col('id', { width: 10, priority: 10 }), col('cmd', { min: 10, flex: 1, priority: 9 }), col('pri', { width: 4, priority: 1 }), col('age', { width: 5, priority: 3 })];
    const wide = layoutColumns(cols, 60);
    expect(wide.map((c) => c.col.key)).toEqual(['id', 'cmd', 'pri', 'age']);
    expect(wide.reduce((n, c) => n + c.width, 0) + wide.length - 1).toBe(60);
    expect(layoutColumns(cols, 28).map((c) => c.col.key)).toEqual(['id', 'cmd', 'age']);
    expect(layoutColumns(cols, 21).map((c) => c.col.key)).toEqual(['id', 'cmd']);
  });

  it('joins neighbouring cells of one colour into one styled run', () => {
    expect(runs([{ text: 'a', color: undefined }, { text: 'b', color: undefined }, { text: 'c', color: 'red' }, { text: ' ', color: undefined }])).toEqual([
      { text: 'a b', color: undefined },
      { text: ' c  ', color: 'red' },
    ]);
  });
});
