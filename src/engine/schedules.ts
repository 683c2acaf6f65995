/**
 * Schedules, the pure part: when a schedule fires, which of its due firings a check fires or
 * skips, and the id of the job a firing enqueues. No storage and no clock here: every function
 * takes the time it decides at, so the same inputs always give the same firings.
 *
 * Cron expressions are read by croner (five fields, or six with seconds first) in an IANA time
 * zone. Daylight saving follows croner (after Vixie cron): a fixed-time job such as `30 2 * * *`
 * whose time does not exist on a spring-forward day runs at the first valid time after the gap,
 * and once (at the first occurrence) when its time occurs twice; an interval job such as
 * `0 * * * *` skips the hour that does not exist and runs in both copies of a repeated hour.
 */
import { createRequire } from 'node:module';
import type { Cron } from 'croner';
import { ValidationError } from './errors.js';
import type { CatchUpPolicy, JobState, Schedule, ScheduleSpec } from './types.js';

/** Names become part of job ids (`<name>@<time>`): no `@`, so the id splits unambiguously. */
export const SCHEDULE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** `--catch-up all` enqueues at most this many missed firings (the newest); older ones are skipped. */
export const MAX_CATCH_UP = 100;
/**
 * With `--catch-up none` a firing still runs when it is found this late: a check happens about
 * once a second, and a worker busy starting, or a database slow for a moment, is not an outage.
 */
export const ON_TIME_MS = 60_000;
/** A schedule's job in one of these has not finished: with `--overlap skip`, no new firing runs meanwhile. */
export const UNFINISHED_STATES: readonly JobState[] = ['pending', 'failed', 'processing'];
/** The longest interval `--every` takes: a year. */
export const MAX_EVERY_MS = 366 * 86_400_000;

export function validateScheduleName(name: string): string {
  if (!SCHEDULE_NAME_RE.test(name)) {
    throw new ValidationError(`invalid schedule name "${name}": 1-64 letters, digits or ._:- starting with a letter or digit`);
  }
  return name;
}

/** An IANA time zone this runtime knows (Europe/Berlin, UTC), else a ValidationError. */
export function validateTimeZone(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new ValidationError(`invalid time zone "${tz}": expected an IANA name such as Europe/Berlin, America/New_York or UTC`);
  }
}

/** This process's time zone: what a cron expression given without --tz means to whoever typed it. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Croner, loaded on first use: the engine (and so every command, `status` and `enqueue` among
 * them) imports this module, and only schedules need the library.
 */
let CronClass: typeof Cron | undefined;

function cronOf(expr: string, tz: string): Cron {
  CronClass ??= (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron;
  return new CronClass(expr, { timezone: tz, paused: true, mode: '5-or-6-parts' });
}

/**
 * A cron schedule, checked: five fields (minute hour day month weekday) or six (seconds first),
 * a known time zone, and at least one firing to come. Croner would also take a date as a
 * one-off pattern; a schedule is for recurring work, so that is refused.
 */
export function cronSpec(expr: string, tz: string, now: number): ScheduleSpec {
  const cron = expr.trim().replace(/\s+/g, ' ');
  const fields = cron.split(' ').length;
  if (cron === '' || fields < 5 || fields > 6) {
    throw new ValidationError(`invalid cron expression "${expr}": expected five fields (minute hour day month weekday), or six with seconds first`);
  }
  const zone = validateTimeZone(tz);
  let c: Cron;
  try {
    c = cronOf(cron, zone);
  } catch (e) {
    throw new ValidationError(`invalid cron expression "${expr}": ${(e as Error).message.replace(/^CronPattern: /, '')}`);
  }
  if (c.nextRun(new Date(now)) === null) throw new ValidationError(`cron expression "${expr}" never fires`);
  return { kind: 'cron', cron, tz: zone };
}

/**
 * A fixed interval, in whole seconds (firing times, and so job ids, are whole seconds). The first
 * firing, the anchor, is one interval after the schedule was added (rounded up to a whole second):
 * `--every 5m` first runs in five minutes, as "every five minutes from now" reads.
 */
export function everySpec(everyMs: number, now: number): ScheduleSpec {
  if (!Number.isFinite(everyMs) || everyMs < 1000 || everyMs % 1000 !== 0 || everyMs > MAX_EVERY_MS) {
    throw new ValidationError('invalid interval for --every: whole seconds, from 1s to 366d (e.g. 30s, 5m, 1h, 1d)');
  }
  return { kind: 'every', every_ms: everyMs, anchor_at: Math.ceil(now / 1000) * 1000 + everyMs };
}

/** Croner instances are cheap but not free; a worker asks about the same few schedules every second. */
const crons = new Map<string, Cron>();
function cached(spec: Extract<ScheduleSpec, { kind: 'cron' }>): Cron {
  const key = `${spec.tz} ${spec.cron}`;
  let c = crons.get(key);
  if (!c) {
    if (crons.size > 500) crons.clear();
    c = cronOf(spec.cron, spec.tz);
    crons.set(key, c);
  }
  return c;
}

/** The first firing strictly after `after`; null when there is none. */
export function nextFiring(spec: ScheduleSpec, after: number): number | null {
  if (spec.kind === 'every') {
    if (after < spec.anchor_at) return spec.anchor_at;
    return spec.anchor_at + (Math.floor((after - spec.anchor_at) / spec.every_ms) + 1) * spec.every_ms;
  }
  return cached(spec).nextRun(new Date(after))?.getTime() ?? null;
}

/** The last firing strictly before `before`; null when there is none. */
export function previousFiring(spec: ScheduleSpec, before: number): number | null {
  if (spec.kind === 'every') {
    if (before <= spec.anchor_at) return null;
    return spec.anchor_at + Math.ceil((before - spec.anchor_at) / spec.every_ms - 1) * spec.every_ms;
  }
  return cached(spec).previousRuns(1, new Date(before))[0]?.getTime() ?? null;
}

/** The next `n` firings strictly after `after`. */
export function nextFirings(spec: ScheduleSpec, after: number, n: number): number[] {
  const out: number[] = [];
  let t: number | null = after;
  while (out.length < n && (t = nextFiring(spec, t)) !== null) out.push(t);
  return out;
}

/**
 * The newest due firings, oldest first: those in [from, now], at most `limit` of them, and
 * whether earlier ones were left out.
 */
export function dueFirings(spec: ScheduleSpec, from: number, now: number, limit: number): { due: number[]; more: boolean } {
  if (from > now) return { due: [], more: false };
  if (spec.kind === 'every') {
    // Arithmetic: a month without workers at `--every 1s` is millions of firings.
    const first = from <= spec.anchor_at ? spec.anchor_at : (nextFiring(spec, from - 1) as number);
    if (first > now) return { due: [], more: false };
    const count = Math.floor((now - first) / spec.every_ms) + 1;
    const take = Math.min(count, limit);
    const last = first + (count - 1) * spec.every_ms;
    return { due: Array.from({ length: take }, (_, i) => last - (take - 1 - i) * spec.every_ms), more: count > take };
  }
  const due: number[] = [];
  let t: number | null = from - 1;
  while ((t = nextFiring(spec, t)) !== null && t <= now) {
    due.push(t);
    if (due.length > limit) {
      // Many missed firings: walk back from now instead of forward through all of them.
      const back = cached(spec)
        .previousRuns(limit, new Date(now + 1))
        .map((d) => d.getTime())
        .filter((x) => x >= from && x <= now)
        .sort((a, b) => a - b);
      return { due: back, more: true };
    }
  }
  return { due, more: false };
}

/** What one check does with a schedule whose next firing has come. */
export interface FiringPlan {
  /** Firing times to enqueue a job for, oldest first. */
  fire: number[];
  /**
   * Due firings left out by the catch-up policy: the first and last of them, and how many were
   * counted (`more`: also others before, too many to count).
   */
  skipped: { count: number; more: boolean; first: number; last: number } | null;
  /** The first firing after `now`: where the schedule moves on to. */
  next_at: number | null;
}

/**
 * Due firings, by catch-up policy. The newest due firing is the one the schedule owes now;
 * the ones before it were missed (nothing checked while they came due).
 * - `all`: every missed firing runs too (at most MAX_CATCH_UP, the newest).
 * - `last`: one run for the whole missed period, like anacron: only the newest.
 * - `none`: the newest runs only if it is on time (within ON_TIME_MS); missed ones never run.
 */
export function planFirings(s: Pick<Schedule, 'spec' | 'next_at' | 'catch_up'>, now: number): FiringPlan {
  const next_at = nextFiring(s.spec, now);
  if (s.next_at === null || s.next_at > now) return { fire: [], skipped: null, next_at: s.next_at ?? next_at };
  // The same window whatever the policy, so the skipped ones are counted too (up to the bound).
  const { due, more } = dueFirings(s.spec, s.next_at, now, MAX_CATCH_UP);
  if (due.length === 0) return { fire: [], skipped: null, next_at };
  const newest = due[due.length - 1];
  let fire: number[];
  if (s.catch_up === 'all') fire = due;
  else if (s.catch_up === 'last') fire = [newest];
  else fire = now - newest <= ON_TIME_MS ? [newest] : [];
  const left = due.filter((t) => !fire.includes(t));
  let skipped: FiringPlan['skipped'] = null;
  if (more || left.length > 0) {
    const last = left.length > 0 ? left[left.length - 1] : (previousFiring(s.spec, due[0]) as number);
    skipped = { count: left.length, more, first: more ? s.next_at : left[0], last };
  }
  return { fire, skipped, next_at };
}

/** An instant as a job id carries it: ISO-8601 UTC, without milliseconds when it has none. */
function idTime(at: number): string {
  const iso = new Date(at).toISOString();
  return at % 1000 === 0 ? iso.replace('.000Z', 'Z') : iso;
}

/** The job of one firing: `<name>@2026-12-02T13:00:00Z`. The same firing always has the same id. */
export function firingJobId(name: string, at: number): string {
  return `${name}@${idTime(at)}`;
}

/** The job of `schedule run`: its time has milliseconds, so it never takes the id of a firing. */
export function runNowJobId(name: string, at: number): string {
  return `${name}@${new Date(at).toISOString()}`;
}

/** `cron 0 9 * * * Europe/Berlin`, `every 5m`: the spec as people read it. */
export function describeSpec(spec: ScheduleSpec): string {
  return spec.kind === 'cron' ? `cron ${spec.cron} ${spec.tz}` : `every ${formatEvery(spec.every_ms)}`;
}

function formatEvery(ms: number): string {
  let s = ms / 1000;
  const parts: string[] = [];
  for (const [unit, n] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${unit}`);
      s %= n;
    }
  }
  return parts.join('');
}

export function isCatchUpPolicy(v: string): v is CatchUpPolicy {
  return v === 'none' || v === 'last' || v === 'all';
}
