import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, configFromStored, parseConfigValue, resolveConfigKey } from '../../src/engine/config.js';
import { formatDuration, parseDuration } from '../../src/engine/duration.js';
import { UnknownConfigKeyError, ValidationError } from '../../src/engine/errors.js';
import { normalizeJob, parseJobJson } from '../../src/engine/job-input.js';
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
});

describe('where data lives', () => {
  it('prefers --db, then QUEUECTL_DB, then MONGO_URI, then the data directory', () => {
    expect(resolveDbTarget('/x/a.db', { QUEUECTL_DB: '/y.db' })).toEqual({ kind: 'sqlite', path: '/x/a.db' });
    expect(resolveDbTarget(undefined, { QUEUECTL_DB: '/y.db', MONGO_URI: 'mongodb://h/db' })).toEqual({ kind: 'sqlite', path: '/y.db' });
    expect(resolveDbTarget(undefined, { MONGO_URI: 'mongodb://h/db' })).toEqual({ kind: 'mongo', uri: 'mongodb://h/db' });
    expect(resolveDbTarget(undefined, { XDG_DATA_HOME: '/data' })).toEqual({ kind: 'sqlite', path: '/data/queuectl/queue.db' });
    expect(defaultDbPath({ HOME: '/home/u' })).toMatch(/\.local\/share\/queuectl\/queue\.db$/);
  });
});
