import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobThat } from './engine-helpers.js';
import { type Sandbox, cli, requireBuild, sandbox, withEngine } from './helpers.js';
import { cliInProcess } from './in-process.js';

/**
 * Every rejected command: one line on stderr starting `queuectl: `, no stack trace, exit code 2,
 * and the database exactly as it was (every job and every setting, compared before and after).
 */

let sb: Sandbox;
let bulk: string;
/** The database before any rejected command; since none may change it, every test compares with this. */
let baseline: Snapshot;

interface Snapshot {
  jobs: unknown;
  config: unknown;
}

/** Every job and every setting, read through the engine. */
function snapshot(s: Sandbox): Promise<Snapshot> {
  return withEngine(s.db, async (q) => ({ jobs: (await q.list({ limit: 10_000 })).jobs, config: await q.config() }));
}
beforeAll(async () => {
  requireBuild();
  sb = sandbox();
  cli(sb, ['enqueue', '{"id":"existing","command":"echo hi"}']);
  await jobThat(sb.db, 'finished', 'succeeded');
  bulk = join(sb.dir, 'bulk.jsonl');
  baseline = await snapshot(sb);
});
afterAll(() => sb.cleanup());

/**
 * Runs a command that must be rejected: in this process through the binary's own path, or as a
 * real process when it reads standard input.
 */
async function rejected(args: string[], message: RegExp, opts: { code?: number; input?: string } = {}): Promise<void> {
  const r = opts.input !== undefined ? cli(sb, args, { input: opts.input }) : await cliInProcess(sb, args);
  expect(r.stderr, `stderr of queuectl ${args.join(' ')}`).toMatch(message);
  expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
  expect(r.stderr).toMatch(/^queuectl: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(opts.code ?? 2);
  expect(r.stdout).toBe('');
  expect(await snapshot(sb)).toEqual(baseline);
}

describe('bad input exits 2 and changes nothing', () => {
  it('invalid JSON', () => rejected(['enqueue', '{"id": "x", "command": '], /^queuectl: invalid JSON: /));
  it('a JSON job that is not an object', () => rejected(['enqueue', '{'], /^queuectl: invalid JSON/));
  it('a word where JSON was expected points to --', () => rejected(['enqueue', 'echo'], /put it after --: queuectl enqueue -- echo/));
  it('missing command in the JSON', () => rejected(['enqueue', '{"id":"x"}'], /^queuectl: invalid job: "command" is required\n$/));
  it('an empty command', () => rejected(['enqueue', '{"command":"  "}'], /"command" must not be empty/));
  it('nothing after --', () => rejected(['enqueue', '--'], /^queuectl: missing command after --/));
  it('no job at all', () => rejected(['enqueue'], /^queuectl: missing job/));
  it('an unknown field', () => rejected(['enqueue', '{"command":"true","retries":2}'], /unknown field "retries"/));
  it('a field of the wrong type', () => rejected(['enqueue', '{"command":"true","priority":"high"}'], /"priority" must be a number/));
  it('a duplicate job id', () => rejected(['enqueue', '{"id":"existing","command":"true"}'], /^queuectl: a job with id "existing" already exists\n$/));
  it('a bad duration', () => rejected(['enqueue', '--delay', 'soon', '--', 'true'], /^queuectl: invalid --delay "soon" \(use e\.g\. 30s/));
  it('a bad timeout', () => rejected(['enqueue', '--timeout', '5 parsecs', '--', 'true'], /invalid --timeout "5 parsecs"/));
  it('a bad --run-at', () => rejected(['enqueue', '--run-at', 'tomorrowish', '--', 'true'], /invalid value "tomorrowish" for --run-at/));
  it('--delay with --run-at', () => rejected(['enqueue', '--delay', '1s', '--run-at', '2030-01-01T00:00:00Z', '--', 'true'], /--delay or --run-at, not both/));
  it('a bad --priority', () => rejected(['enqueue', '--priority', 'high', '--', 'true'], /invalid value "high" for --priority: expected a whole number/));
  it('a negative --max-retries', () => rejected(['enqueue', '--max-retries', '-1', '--', 'true'], /invalid value "-1" for --max-retries: expected 0\.\.1000/));
  it('a bad job id', () => rejected(['enqueue', '--id', 'has space', '--', 'true'], /id "has space" must be/));
  it('flags with a JSON job', () => rejected(['enqueue', '--priority', '2', '{"command":"true"}'], /--priority cannot be used with a JSON job/));

  it('an unknown config key', () => rejected(['config', 'set', 'nope', '1'], /^queuectl: unknown config key "nope" \(known keys: max_retries, /));
  it('an unknown config key on get', () => rejected(['config', 'get', 'nope'], /unknown config key "nope"/));
  it('a config value that is not a number', () => rejected(['config', 'set', 'max_retries', 'lots'], /^queuectl: invalid value "lots" for max_retries: expected a number\n$/));
  it('a config value out of range', () => rejected(['config', 'set', 'backoff-base', '0'], /invalid value "0" for backoff_base: expected 1\.\.1000/));
  it('a fractional config value where a whole one is needed', () => rejected(['config', 'set', 'default_max_retries', '1.5'], /for max_retries: expected a whole number/));

  for (const cmd of [['show'], ['logs'], ['retry'], ['cancel'], ['dlq', 'retry']]) {
    it(`an unknown job id (${cmd.join(' ')})`, () => rejected([...cmd, 'nope'], /^queuectl: no job with id "nope"\n$/));
  }
  it('retrying a completed job', () => rejected(['retry', 'finished'], /^queuectl: cannot retry job "finished": it is completed\n$/));
  it('retrying a pending job', () => rejected(['retry', 'existing'], /cannot retry job "existing": it is pending \(it is already waiting to run\)/));
  it('cancelling a completed job', () => rejected(['cancel', 'finished'], /cannot cancel job "finished": it is completed/));
  it('dlq retry of a job that is not dead', () => rejected(['dlq', 'retry', 'existing'], /cannot retry from the DLQ job "existing": it is pending/));
  it('dlq retry with neither an id nor --all', () => rejected(['dlq', 'retry'], /missing job id \(or --all/));

  it('an unknown state', () => rejected(['list', '--state', 'done'], /^queuectl: invalid value "done" for --state: expected one of pending, /));
  it('a bad --limit', () => rejected(['list', '--limit', '0'], /invalid value "0" for --limit/));
  it('a bad cursor', () => rejected(['list', '--cursor', '!!'], /invalid cursor "!!"/));
  it('--offset with --cursor', () => rejected(['list', '--offset', '1', '--cursor', 'a'], /--offset or --cursor, not both/));
  it('purging unfinished jobs', () => rejected(['purge', '--state', 'pending'], /cannot purge pending jobs/));
  it('purge without --state', () => rejected(['purge'], /^queuectl: missing --state/));
  it('purge with a bad --older-than', () => rejected(['purge', '--state', 'completed', '--older-than', 'ages'], /invalid --older-than "ages"/));
  it('a bad --count', () => rejected(['worker', 'start', '--count', 'many'], /invalid value "many" for --count/));
  it('a bad worker stop timeout', () => rejected(['worker', 'stop', '--timeout', 'forever'], /invalid --timeout "forever"/));

  it('an unknown option', () => rejected(['list', '--bogus'], /^queuectl: unknown option '--bogus'\n$/));
  it("an unknown option close to a known one: commander's suggestion on the same line", () => rejected(['list', '--jsn'], /^queuectl: unknown option '--jsn' \(Did you mean --json\?\)\n$/));
  it('an unknown option on a fast command', () => rejected(['status', '--verbose'], /^queuectl: unknown option '--verbose'\n$/));
  it('an unknown option to enqueue', () => rejected(['enqueue', '--prio', '3', '--', 'true'], /^queuectl: unknown option '--prio'/));
  it('an option missing its value', () => rejected(['enqueue', '--delay'], /^queuectl: option '--delay <duration>' argument missing\n$/));
  it('an unknown command', () => rejected(['frobnicate'], /^queuectl: unknown command 'frobnicate'\n$/));
  it('a missing argument', () => rejected(['show'], /^queuectl: missing required argument 'id'\n$/));
  it('too many arguments', () => rejected(['status', 'now'], /^queuectl: too many arguments for 'status'/));
});

describe('bulk enqueue is all or nothing', () => {
  it('a bad line names its line number and inserts nothing', async () => {
    writeFileSync(bulk, '{"id":"b1","command":"true"}\n\n{"id":"b2","command":"true"}\n{"id":"b3"}\n{"id":"b4","command":"true"}\n');
    await rejected(['enqueue', '--file', bulk], /^queuectl: invalid job on line 4: "command" is required\n$/);
  });
  it('invalid JSON on a line', async () => {
    writeFileSync(bulk, '{"id":"b1","command":"true"}\n{"id":"b2",\n');
    await rejected(['enqueue', '--file', bulk], /^queuectl: invalid JSON on line 2: /);
  });
  it('a duplicate id inside the file names both lines', async () => {
    writeFileSync(bulk, '{"id":"b1","command":"true"}\n{"id":"b2","command":"true"}\n{"id":"b1","command":"false"}\n');
    await rejected(['enqueue', '--file', bulk], /^queuectl: job id "b1" appears twice \(lines 1 and 3\)\n$/);
  });
  it('an id that already exists in the database', async () => {
    writeFileSync(bulk, '{"id":"b1","command":"true"}\n{"id":"existing","command":"true"}\n');
    await rejected(['enqueue', '--file', bulk], /^queuectl: a job with id "existing" already exists\n$/);
  });
  it('a bad line on standard input', async () => {
    await rejected(['enqueue', '--file', '-'], /invalid job on line 2: "max_retries" must be a whole number/, { input: '{"command":"true"}\n{"command":"true","max_retries":1.5}\n' });
  });
  it('an empty file', async () => {
    writeFileSync(bulk, '\n  \n');
    await rejected(['enqueue', '--file', bulk], /^queuectl: no jobs in .*bulk\.jsonl \(expected one JSON job per line\)\n$/);
  });
  it('a missing file', () => rejected(['enqueue', '--file', join(sb.dir, 'nope.jsonl')], /^queuectl: cannot read .*nope\.jsonl: ENOENT\n$/));
});

describe('as a real process', () => {
  // The same rejections through the built binary: the process exits with the code, one line on stderr.
  it.each([
    [['enqueue', '{"id":"x"}'], 2, /^queuectl: invalid job: "command" is required\n$/],
    [['list', '--bogus'], 2, /^queuectl: unknown option '--bogus'\n$/],
    [['status', '--verbose'], 2, /^queuectl: unknown option '--verbose'\n$/],
    [['show', 'nope'], 2, /^queuectl: no job with id "nope"\n$/],
  ] as const)('%j', async (args, code, message) => {
    const r = cli(sb, [...args]);
    expect(r).toMatchObject({ code, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(await snapshot(sb)).toEqual(baseline);
  });
});

describe('runtime failures exit 1', () => {
  it('a database that cannot be created', () => {
    const blocker = join(sb.dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const r = cli(sb, ['enqueue', '--', 'true'], { db: join(blocker, 'queue.db') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^queuectl: cannot open database .*not-a-dir\/queue\.db: /);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('a mistyped database path: commands that read fail instead of showing an empty queue, and create nothing', () => {
    const typo = join(sb.dir, 'typo.db');
    for (const args of [['status'], ['list'], ['show', 'x'], ['worker', 'list'], ['worker', 'stop'], ['config', 'list'], ['dlq', 'list'], ['retry', 'x']]) {
      const r = cli(sb, args, { db: typo });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`queuectl: no database at ${typo} (check the path; "queuectl enqueue" or "queuectl worker start" creates one)\n`);
      expect(existsSync(typo)).toBe(false);
    }
  });

  it('QUEUECTL_DEBUG=1 adds the stack trace', () => {
    const r = cli(sb, ['show', 'nope'], { env: { ...sb.env, QUEUECTL_DEBUG: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^queuectl: no job with id "nope"\nJobNotFoundError: .*\n\s+at /);
  });

  it('a rejected command never creates a database', () => {
    const fresh = join(sb.dir, 'fresh.db');
    expect(cli(sb, ['enqueue', '{bad'], { db: fresh }).code).toBe(2);
    expect(cli(sb, ['config', 'set', 'nope', '1'], { db: fresh }).code).toBe(2);
    expect(existsSync(fresh)).toBe(false);
  });
});
