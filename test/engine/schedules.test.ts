import { describe, expect, it } from 'vitest';
import {
  MAX_CATCH_UP,
  ON_TIME_MS,
  cronSpec,
  dueFirings,
  everySpec,
  firingJobId,
  nextFiring,
  nextFirings,
  planFirings,
  previousFiring,
  runNowJobId,
  validateTimeZone,
} from '../../src/engine/schedules.js';
import type { ScheduleSpec } from '../../src/engine/types.js';

const at = (iso: string) => Date.parse(iso);
const isos = (ts: number[]) => ts.map((t) => new Date(t).toISOString());
const NOW = at('2026-01-01T00:00:00Z');

describe('schedule specs', () => {
  it('refuses bad cron expressions, time zones and intervals with one clear message', () => {
    expect(() => cronSpec('bogus', 'UTC', NOW)).toThrow(/five fields/);
    expect(() => cronSpec('61 * * * *', 'UTC', NOW)).toThrow(/invalid cron expression/);
    expect(() => cronSpec('2030-01-01T00:00:00', 'UTC', NOW)).toThrow(/five fields/);
    expect(() => cronSpec('0 0 0 * * * 2030', 'UTC', NOW)).toThrow(/five fields/);
    expect(() => cronSpec('0 0 30 2 *', 'UTC', NOW)).toThrow(/never fires/);
    expect(() => cronSpec('0 9 * * *', 'Mars/Olympus', NOW)).toThrow(/invalid time zone "Mars\/Olympus"/);
    expect(() => validateTimeZone('')).toThrow(/invalid time zone/);
    expect(() => everySpec(500, NOW)).toThrow(/whole seconds/);
    expect(() => everySpec(1500, NOW)).toThrow(/whole seconds/);
    expect(() => everySpec(400 * 86_400_000, NOW)).toThrow(/366d/);
    expect(cronSpec('  0   9 * * 1-5 ', 'Europe/Berlin', NOW)).toEqual({ kind: 'cron', cron: '0 9 * * 1-5', tz: 'Europe/Berlin' });
  });

  it('fires an interval first one interval after it was added, on a whole second', () => {
    const spec = everySpec(5000, at('2025-12-31T23:59:55.300Z'));
    expect(spec).toEqual({ kind: 'every', every_ms: 5000, anchor_at: at('2026-01-01T00:00:01Z') });
    expect(isos(nextFirings(spec, at('2026-01-01T00:00:00Z'), 3))).toEqual(['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:06.000Z', '2026-01-01T00:00:11.000Z']);
    expect(nextFiring(spec, at('2026-01-01T00:00:06Z'))).toBe(at('2026-01-01T00:00:11Z'));
    expect(previousFiring(spec, at('2026-01-01T00:00:11Z'))).toBe(at('2026-01-01T00:00:06Z'));
    expect(previousFiring(spec, at('2026-01-01T00:00:12Z'))).toBe(at('2026-01-01T00:00:11Z'));
  });

  it('gives each firing one job id, and run-now ids that never take a firing\'s', () => {
    expect(firingJobId('nightly', at('2026-12-02T13:00:00Z'))).toBe('nightly@2026-12-02T13:00:00Z');
    expect(runNowJobId('nightly', at('2026-12-02T13:00:00Z'))).toBe('nightly@2026-12-02T13:00:00.000Z');
  });
});

describe('daylight saving (croner\'s rules, fixed dates)', () => {
  const berlin = (cron: string) => cronSpec(cron, 'Europe/Berlin', NOW);
  const ny = (cron: string) => cronSpec(cron, 'America/New_York', NOW);

  it('runs a fixed-time job whose time does not exist right after the gap, and once when it occurs twice', () => {
    // Berlin, 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    expect(isos(nextFirings(berlin('30 2 * * *'), at('2026-03-28T00:00:00Z'), 3))).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first valid time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice, the job runs once.
    expect(isos(nextFirings(berlin('30 2 * * *'), at('2026-10-24T00:00:00Z'), 3))).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST) only
      '2026-10-26T01:30:00.000Z',
    ]);
    // New York, 8 March 2026 (spring forward) and 1 November 2026 (fall back).
    expect(isos(nextFirings(ny('30 2 * * *'), at('2026-03-07T12:00:00Z'), 2))).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
    expect(isos(nextFirings(ny('30 1 * * *'), at('2026-10-31T12:00:00Z'), 2))).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('skips the missing hour of an hourly job and runs in both copies of the repeated hour', () => {
    expect(isos(nextFirings(berlin('0 * * * *'), at('2026-03-29T00:30:00Z'), 3))).toEqual([
      '2026-03-29T01:00:00.000Z', // 03:00 CEST; 02:00 did not exist
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
    ]);
    expect(isos(nextFirings(berlin('0 * * * *'), at('2026-10-24T23:30:00Z'), 3))).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET, again
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
  });
});

describe('catch-up', () => {
  const hourly: ScheduleSpec = { kind: 'cron', cron: '0 * * * *', tz: 'UTC' };
  const from = at('2026-01-01T00:00:00Z');
  const now = at('2026-01-01T05:00:30Z');

  it('lists the due firings, bounded, without walking through millions of them', () => {
    expect(isos(dueFirings(hourly, from, now, 10).due)).toHaveLength(6);
    const secondly = everySpec(1000, from);
    const month = dueFirings(secondly, from, from + 30 * 86_400_000, 3);
    expect(month).toEqual({ due: [from + 30 * 86_400_000 - 2000, from + 30 * 86_400_000 - 1000, from + 30 * 86_400_000], more: true });
    const cronSecondly: ScheduleSpec = { kind: 'cron', cron: '* * * * * *', tz: 'UTC' };
    const day = dueFirings(cronSecondly, from, from + 86_400_000, 2);
    expect(day).toEqual({ due: [from + 86_400_000 - 1000, from + 86_400_000], more: true });
  });

  it('last: one run for the missed period; all: every missed firing (bounded); none: only an on-time firing', () => {
    const s = { spec: hourly, next_at: from };
    const last = planFirings({ ...s, catch_up: 'last' }, now);
    expect(isos(last.fire)).toEqual(['2026-01-01T05:00:00.000Z']);
    expect(last.skipped).toEqual({ count: 5, more: false, first: from, last: at('2026-01-01T04:00:00Z') });
    expect(last.next_at).toBe(at('2026-01-01T06:00:00Z'));

    expect(planFirings({ ...s, catch_up: 'all' }, now).fire).toHaveLength(6);
    expect(planFirings({ ...s, catch_up: 'all' }, now).skipped).toBeNull();

    const none = planFirings({ ...s, catch_up: 'none' }, now);
    expect(isos(none.fire)).toEqual(['2026-01-01T05:00:00.000Z']); // 30 s late: on time
    const late = planFirings({ ...s, catch_up: 'none' }, at('2026-01-01T05:00:00Z') + ON_TIME_MS + 1);
    expect(late.fire).toEqual([]);
    expect(late.skipped?.count).toBe(6);

    const long = planFirings({ spec: hourly, next_at: from, catch_up: 'all' }, from + 30 * 86_400_000);
    expect(long.fire).toHaveLength(MAX_CATCH_UP);
    expect(long.skipped).toMatchObject({ more: true, first: from, last: long.fire[0] - 3_600_000 });
  });

  it('does nothing before the next firing, and moves on past now', () => {
    expect(planFirings({ spec: hourly, next_at: now + 1, catch_up: 'last' }, now)).toEqual({ fire: [], skipped: null, next_at: now + 1 });
    expect(planFirings({ spec: hourly, next_at: from, catch_up: 'last' }, from)).toEqual({ fire: [from], skipped: null, next_at: from + 3_600_000 });
  });
});
