import { describe, expect, it } from 'vitest';
import { commandFromWords } from '../../src/commands/enqueue.js';
import { parseFast } from '../../src/commands/fast-path.js';
import { relative, renderTable, shortSpan, tries, truncate, visibleLength } from '../../src/commands/format.js';
import { TailPrinter } from '../../src/commands/logs.js';
import { splitDashDash } from '../../src/commands/table.js';

describe('format', () => {
  it('truncates to one line with an ellipsis', () => {
    expect(truncate('echo  a\n b', 20)).toBe('echo a b');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
    expect(truncate('abc', 1)).toBe('…');
  });

  it('says times relative to now', () => {
    const now = 1_000_000_000;
    expect(relative(now + 400, now)).toBe('now');
    expect(relative(now - 3_000, now)).toBe('3s ago');
    expect(relative(now + 4_200, now)).toBe('in 4s');
    expect(relative(now - 125_000, now)).toBe('2m ago');
    expect(relative(now + 3 * 3_600_000, now)).toBe('in 3h');
    expect(relative(null, now)).toBe('-');
    expect(shortSpan(2 * 86_400_000)).toBe('2d');
  });

  it('shows attempts against the attempts allowed', () => {
    expect(tries({ attempts: 2, max_retries: 3 })).toBe('2/4');
  });

  it('aligns columns, counting only visible characters, and shrinks what may shrink', () => {
    const table = renderTable(
      [{ header: 'ID' }, { header: 'N', align: 'right' }, { header: 'COMMAND', shrink: true, min: 8 }],
      [
        ['a', '1', 'short'],
        ['\x1b[31mlonger\x1b[39m', '100', 'a very long command that does not fit'],
      ],
      30,
    );
    const lines = table.trimEnd().split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['ID        N  COMMAND', 'a         1  short', 'longer  100  a very long comm…']);
    expect(Math.max(...lines.map((l) => visibleLength(l)))).toBeLessThanOrEqual(30);
  });
});

describe('enqueue command words', () => {
  it('keeps one word as a shell snippet and quotes several as arguments', () => {
    expect(commandFromWords(['echo hi && ls | wc -l'])).toBe('echo hi && ls | wc -l');
    expect(commandFromWords(['echo', 'a b', "it's", '$HOME', 'plain-word_1.txt'])).toBe(`echo 'a b' 'it'\\''s' '$HOME' plain-word_1.txt`);
  });

  it('splits the words after -- from the others', () => {
    expect(splitDashDash(['enqueue', '{"command":"x"}'], ['{"command":"x"}'])).toEqual({ positional: ['{"command":"x"}'], command: null });
    expect(splitDashDash(['enqueue', '--id', 'a', '--', 'echo', '--id'], ['echo', '--id'])).toEqual({ positional: [], command: ['echo', '--id'] });
    expect(splitDashDash(['enqueue', 'x', '--', 'echo'], ['x', 'echo'])).toEqual({ positional: ['x'], command: ['echo'] });
    expect(splitDashDash(['enqueue', '--'], [])).toEqual({ positional: [], command: [] });
  });
});

describe('the fast path parser', () => {
  it('takes the plain forms of status and enqueue', () => {
    expect(parseFast(['status'])).toEqual({ command: 'status', options: {}, positional: [], rest: null });
    expect(parseFast(['--db', 'x.db', 'status', '--json'])).toEqual({ command: 'status', options: { db: 'x.db', json: true }, positional: [], rest: null });
    expect(parseFast(['status', '--db=y.db'])).toMatchObject({ options: { db: 'y.db' } });
    expect(parseFast(['enqueue', '{"command":"true"}', '--json'])).toEqual({ command: 'enqueue', options: { json: true }, positional: ['{"command":"true"}'], rest: null });
    expect(parseFast(['enqueue', '--priority', '-3', '--max-retries=2', '--', 'echo', '--json'])).toEqual({
      command: 'enqueue',
      options: { priority: '-3', maxRetries: '2' },
      positional: [],
      rest: ['echo', '--json'],
    });
  });

  it('leaves everything else to commander', () => {
    for (const argv of [
      [],
      ['list'],
      ['status', '--help'],
      ['status', '-h'],
      ['status', 'extra'],
      ['status', '--bogus'],
      ['status', '--json=1'],
      ['--json', 'status'],
      ['enqueue', '--delay'],
      ['enqueue', '-f', 'x'],
      ['enqueue', '--prio', '2'],
      ['--db'],
      ['--', 'status'],
      ['status', '--', 'x'],
      ['--version'],
    ]) {
      expect(parseFast(argv), argv.join(' ')).toBeNull();
    }
  });
});

describe('TailPrinter', () => {
  function printer() {
    const out: string[] = [];
    const p = new TailPrinter(
      (b) => out.push(b.toString()),
      (l) => out.push(`<${l}>`),
    );
    return { p, out };
  }

  it('prints only what is new as the output grows', () => {
    const { p, out } = printer();
    p.feed({ output: 'ab', output_bytes: 2 });
    p.feed({ output: 'ab', output_bytes: 2 });
    p.feed({ output: 'abcd', output_bytes: 4 });
    expect(out).toEqual(['ab', 'cd']);
  });

  it('marks bytes that fell out of the tail before they were printed', () => {
    const { p, out } = printer();
    p.feed({ output: 'abcd', output_bytes: 4 });
    // 4 bytes were printed; the tail now holds bytes 6..10, so bytes 4 and 5 were lost
    p.feed({ output: 'ghij', output_bytes: 10 });
    expect(out).toEqual(['abcd', '<[… 2 bytes skipped]>', 'ghij']);
    p.feed({ output: 'ijkl', output_bytes: 12 });
    expect(out.slice(3)).toEqual(['kl']);
  });

  it('starts over after a reset, for a new attempt', () => {
    const { p, out } = printer();
    p.feed({ output: 'first\n', output_bytes: 6 });
    p.reset();
    p.feed({ output: 'sec', output_bytes: 3 });
    expect(out).toEqual(['first\n', 'sec']);
  });

  it('counts bytes, not characters', () => {
    const { p, out } = printer();
    p.feed({ output: 'é', output_bytes: 2 });
    p.feed({ output: 'éa', output_bytes: 3 });
    expect(out).toEqual(['é', 'a']);
  });
});
