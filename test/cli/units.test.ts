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
  const read = (argv: string[]) => {
    const p = parseFast(argv);
    return p && { path: p.spec.path, args: p.call.args, opts: p.call.opts };
  };

  it('takes the plain forms of the commands, with their defaults', () => {
    expect(read(['status'])).toEqual({ path: 'status', args: [], opts: {} });
    expect(read(['--db', 'x.db', 'status', '--json'])).toEqual({ path: 'status', args: [], opts: { db: 'x.db', json: true } });
    expect(read(['status', '--db=y.db'])).toMatchObject({ opts: { db: 'y.db' } });
    expect(read(['enqueue', '{"command":"true"}', '--json'])).toEqual({ path: 'enqueue', args: [['{"command":"true"}']], opts: { json: true } });
    expect(read(['enqueue', '--priority', '-3', '--max-retries=2', '--', 'echo', '--json'])).toEqual({
      path: 'enqueue',
      args: [['echo', '--json']],
      opts: { priority: '-3', maxRetries: '2' },
    });
    expect(read(['list'])).toEqual({ path: 'list', args: [], opts: { limit: '50' } });
    expect(read(['show', 'j1', '--json'])).toEqual({ path: 'show', args: ['j1'], opts: { json: true } });
    expect(read(['worker', 'list'])).toEqual({ path: 'worker list', args: [], opts: {} });
    expect(read(['purge', '--state', 'dead', '--state=completed'])).toEqual({ path: 'purge', args: [], opts: { state: ['dead', 'completed'] } });
    expect(read(['logs', '-f', 'j1'])).toEqual({ path: 'logs', args: ['j1'], opts: { follow: true } });
    expect(read(['ui'])).toEqual({ path: 'dashboard', args: [], opts: { refresh: '1s' } });
  });

  it('leaves everything else to commander', () => {
    for (const argv of [
      [],
      ['status', '--help'],
      ['status', '-h'],
      ['status', 'extra'],
      ['status', '--bogus'],
      ['status', '--json=1'],
      ['--json', 'status'],
      ['enqueue', '--delay'],
      ['enqueue', '-f', 'x'],
      ['enqueue', '--prio', '2'],
      ['enqueue', '--id', '--db', 'x', '--', 'true'],
      ['show'],
      ['show', 'a', 'b'],
      ['worker'],
      ['worker', 'bogus'],
      ['completion', 'bash'],
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
