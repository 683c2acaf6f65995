import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, configFromStored, parseConfigValue, resolveConfigKey } from '../../src/engine/config.js';
import { formatDuration, parseDuration } from '../../src/engine/duration.js';
import { UnknownConfigKeyError, ValidationError } from '../../src/engine/errors.js';
import { type JobInput, MAX_COMMAND_BYTES, normalizeJob, parseIsoTime, parseJobJson } from '../../src/engine/job-input.js';
import { defaultDbPath, resolveDbTarget } from '../../src/engine/open.js';

describe('config', () => {
  it('resolves canonical keys, dashed spellings and the older names', () => {
    expect(resolveConfigKey('max_retries')).toBe('max_retries');
    expect(resolveConfigKey('max-retries')).toBe('max_retries');
    expect(resolveConfigKey('default_max_retries')).toBe('max_retries');
    expect(resolveConfigKey('Backoff-Base')).toBe('backoff_base');
    expect(() => resolveConfigKey('colour')).toThrow(UnknownConfigKeyError);
  });
  it('validates values by key', () => {
    expect(parseConfigValue('max_retries', '4')).toBe(4);
    expect(parseConfigValue('backoff_base', '1.5')).toBe(1.5);
    expect(() => parseConfigValue('max_retries', '1.5')).toThrow(/whole number/);
    expect(() => parseConfigValue('max_retries', 'abc')).toThrow(/expected a number/);
    expect(() => parseConfigValue('lease_seconds', '0')).toThrow(/1\.\.86400/);
    expect(() => parseConfigValue('backoff_base', '')).toThrow(ValidationError);
  });
  it('falls back to defaults for stored values that no longer parse', () => {
    expect(configFromStored({ max_retries: '7', backoff_base: 'x', unknown: '1' })).toEqual({ ...DEFAULT_CONFIG, max_retries: 7 });
  });
});

describe('durations', () => {
  it('parses units and bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('1.5s')).toBe(1500);
    for (const bad of ['', 'abc', '5x', '-1s', 's5', '5m junk']) expect(() => parseDuration(bad), bad).toThrow(ValidationError);
  });
  it('formats compactly', () => {
    expect([850, 12_000, 185_000, 7_800_000, 360_000_000].map(formatDuration)).toEqual(['850ms', '12s', '3m05s', '2h10m', '4d4h']);
  });
});

describe('job input', () => {
  const now = Date.UTC(2030, 0, 1);
  it("parses the seed's JSON form", () => {
    expect(parseJobJson('{"id":"job-ok","command":"echo This will succeed"}')).toMatchObject({ id: 'job-ok', command: 'echo This will succeed' });
  });
  it('rejects what is not a job, with a reason', () => {
    expect(() => parseJobJson('{bad')).toThrow(/invalid JSON/);
    expect(() => parseJobJson('[1]')).toThrow(/expected a JSON object/);
    expect(() => parseJobJson('{"id":"x"}')).toThrow(/"command" is required/);
    expect(() => parseJobJson('{"command":"x","priority":"high"}')).toThrow(/"priority" must be a number/);
    expect(() => parseJobJson('{"command":"x","colour":1}')).toThrow(/unknown field "colour"/);
  });
  it('fills defaults from config and validates fields', () => {
    const job = normalizeJob({ command: ' echo hi ' }, { ...DEFAULT_CONFIG, max_retries: 9 }, now, '/work');
    expect(job).toMatchObject({ command: 'echo hi', max_retries: 9, priority: 0, run_at: now, queue: 'default', cwd: '/work', timeout_seconds: null });
    expect(job.id).toMatch(/^j-/);
    expect(normalizeJob({ command: 'x', run_at: '2031-01-01T00:00:00Z' }, DEFAULT_CONFIG, now, '/').run_at).toBe(Date.UTC(2031, 0, 1));
    expect(normalizeJob({ command: 'x', delay_ms: 5000 }, DEFAULT_CONFIG, now, '/').run_at).toBe(now + 5000);
    expect(() => normalizeJob({ command: '  ' }, DEFAULT_CONFIG, now, '/')).toThrow(/must not be empty/);
    expect(() => normalizeJob({ command: 'x', id: 'has space' }, DEFAULT_CONFIG, now, '/')).toThrow(/id "has space"/);
    expect(() => normalizeJob({ command: 'x', max_retries: -1 }, DEFAULT_CONFIG, now, '/')).toThrow(/max_retries/);
    expect(() => normalizeJob({ command: 'x', run_at: 'tomorrow' }, DEFAULT_CONFIG, now, '/')).toThrow(/ISO-8601/);
    expect(() => normalizeJob({ command: 'x', timeout_seconds: -3 }, DEFAULT_CONFIG, now, '/')).toThrow(/timeout_seconds/);
  });
  it('refuses what could not run as asked: huge commands, far schedules and timeouts, dates it would have to guess', () => {
    const bad = (input: Partial<JobInput>, re: RegExp) => expect(() => normalizeJob({ command: 'x', ...input }, DEFAULT_CONFIG, now, '/')).toThrow(re);
    expect(normalizeJob({ command: 'x'.repeat(MAX_COMMAND_BYTES) }, DEFAULT_CONFIG, now, '/').command).toHaveLength(MAX_COMMAND_BYTES);
    bad({ command: 'x'.repeat(MAX_COMMAND_BYTES + 1) }, /131072|131071 can be run/);
    bad({ command: 'é'.repeat(70_000) }, /bytes/);
    bad({ command: 'a\0b' }, /NUL/);
    bad({ timeout_seconds: 31_536_001 }, /timeout_seconds/);
    bad({ timeout_seconds: Number.POSITIVE_INFINITY }, /timeout_seconds/);
    bad({ delay_ms: 11 * 365 * 86_400_000 }, /ten years/);
    bad({ run_at: '2999-01-01T00:00:00Z' }, /ten years/);
    for (const guess of ['2031-01-01', '01/02/2031', '2031-02-30T10:00:00Z', '2031-13-01T00:00Z', 'Jan 2 2031', '2031-01-01T25:00']) bad({ run_at: guess }, /ISO-8601/);
    bad({ run_at: 1.5 }, /ISO-8601/);
    expect(parseIsoTime('2031-01-02T03:04:05.678+02:00')).toBe(Date.UTC(2031, 0, 2, 1, 4, 5, 678));
    expect(parseIsoTime('2031-01-02 03:04Z')).toBe(Date.UTC(2031, 0, 2, 3, 4));
    expect(parseIsoTime('2031-01-02T03:04')).toBe(new Date(2031, 0, 2, 3, 4).getTime());
  });
  it('makes ids that ascend within a millisecond and across, each checked only once per queue name', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => normalizeJob({ command: 'x' }, DEFAULT_CONFIG, now + Math.floor(i / 700), '/').id);
    for (const id of ids) expect(id).toMatch(/^j-[0-9a-z]+-[0-9a-f]{8}[0-9a-z]{4,}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // A queue name found valid once is not a pass for the next, different, name.
    expect(normalizeJob({ command: 'x', queue: 'ok' }, DEFAULT_CONFIG, now, '/').queue).toBe('ok');
    expect(() => normalizeJob({ command: 'x', queue: 'not ok' }, DEFAULT_CONFIG, now, '/')).toThrow(/queue "not ok"/);
    expect(() => normalizeJob({ command: 'x', queue: 'not ok' }, DEFAULT_CONFIG, now, '/')).toThrow(/queue "not ok"/);
  });
  it('reads config numbers as plain decimals only', () => {
    for (const v of ['0x10', '1e3', 'Infinity', '0b1', '1_000', '']) expect(() => parseConfigValue('max_retries', v)).toThrow(/expected a number/);
    expect(parseConfigValue('backoff_base', ' 1.25 ')).toBe(1.25);
    expect(parseConfigValue('max_retries', '+7')).toBe(7);
  });
});

describe('where data lives', () => {
  it('prefers --db, then QUEUECTL_DB, then MONGO_URI, then the data directory', () => {
    expect(resolveDbTarget('/x/a.db', { QUEUECTL_DB: '/y.db' })).toEqual({ kind: 'sqlite', path: '/x/a.db', named: true });
    expect(resolveDbTarget(undefined, { QUEUECTL_DB: '/y.db', MONGO_URI: 'mongodb://h/db' })).toEqual({ kind: 'sqlite', path: '/y.db', named: true });
    expect(resolveDbTarget(undefined, { MONGO_URI: 'mongodb://h/db' })).toEqual({ kind: 'mongo', uri: 'mongodb://h/db' });
    expect(resolveDbTarget(undefined, { XDG_DATA_HOME: '/data' })).toEqual({ kind: 'sqlite', path: '/data/queuectl/queue.db', named: false });
    expect(defaultDbPath({ HOME: '/home/u' })).toMatch(/\.local\/share\/queuectl\/queue\.db$/);
  });
});
