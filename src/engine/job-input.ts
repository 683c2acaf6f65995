import type { Config } from './config.js';
import { parseDuration } from './duration.js';
import { MAX_DEPENDENCIES } from './dependencies.js';
import { ValidationError } from './errors.js';
import type { Job, NewJob } from './types.js';

/** A job as a caller describes it: only `command` is required. */
export interface JobInput {
  id?: string;
  command: string;
  max_retries?: number;
  priority?: number;
  /** ISO-8601 time or epoch milliseconds. */
  run_at?: string | number;
  /** Milliseconds from now; an alternative to `run_at`. */
  delay_ms?: number;
  timeout_seconds?: number | null;
  queue?: string;
  cwd?: string;
  /** While a job with this key is active (or within `unique_for_ms` of its creation), another is not enqueued. */
  unique_key?: string;
  /** Milliseconds from creation during which the key stays held whatever the job's state. */
  unique_for_ms?: number;
  /** Ids of jobs that must complete before this one runs. */
  after?: string[];
}

const JSON_FIELDS = new Set(['id', 'command', 'max_retries', 'priority', 'run_at', 'timeout_seconds', 'queue', 'cwd', 'delay_ms', 'unique_key', 'unique_for', 'after']);
/** The longest unique key, and the longest window one may be held for (a year). */
export const MAX_UNIQUE_KEY_LENGTH = 256;
export const MAX_UNIQUE_FOR_MS = 365 * 86_400_000;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;
export const QUEUE_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Parses the seed's JSON form, `{"id": "...", "command": "..."}`, into a JobInput. */
export function parseJobJson(text: string, where = ''): JobInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new ValidationError(`invalid JSON${where}: ${detail}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`invalid job${where}: expected a JSON object like {"command": "echo hi"}`);
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!JSON_FIELDS.has(k)) throw new ValidationError(`invalid job${where}: unknown field "${k}"`);
  }
  const str = (k: string) => {
    const v = obj[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new ValidationError(`invalid job${where}: "${k}" must be a string`);
    return v;
  };
  const num = (k: string) => {
    const v = obj[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') throw new ValidationError(`invalid job${where}: "${k}" must be a number`);
    return v;
  };
  const runAt = obj.run_at;
  if (runAt !== undefined && runAt !== null && typeof runAt !== 'string' && typeof runAt !== 'number') {
    throw new ValidationError(`invalid job${where}: "run_at" must be an ISO-8601 time`);
  }
  const command = str('command');
  if (command === undefined) throw new ValidationError(`invalid job${where}: "command" is required`);
  // "unique_for": a duration as the flags write it ("10m"), or a number of seconds.
  const uniqueFor = obj.unique_for;
  let uniqueForMs: number | undefined;
  if (typeof uniqueFor === 'number') uniqueForMs = Math.round(uniqueFor * 1000);
  else if (typeof uniqueFor === 'string') uniqueForMs = parseDuration(uniqueFor, `"unique_for"${where}`);
  else if (uniqueFor !== undefined && uniqueFor !== null) {
    throw new ValidationError(`invalid job${where}: "unique_for" must be a duration such as "10m" or a number of seconds`);
  }
  const after = obj.after;
  if (after !== undefined && after !== null && (!Array.isArray(after) || after.some((a) => typeof a !== 'string'))) {
    throw new ValidationError(`invalid job${where}: "after" must be an array of job ids`);
  }
  return {
    id: str('id'),
    command,
    max_retries: num('max_retries'),
    priority: num('priority'),
    run_at: (runAt ?? undefined) as string | number | undefined,
    delay_ms: num('delay_ms'),
    timeout_seconds: num('timeout_seconds'),
    queue: str('queue'),
    cwd: str('cwd'),
    unique_key: str('unique_key'),
    unique_for_ms: uniqueForMs,
    ...(after ? { after: after as string[] } : {}),
  };
}

// Generated ids are the creation time, this process's random tag and a counter, so ids made by
// one process are unique and ascending: a bulk insert appends to the id index instead of
// scattering into it, and no randomness is drawn per job.
// The tag only has to differ between processes, not resist guessing: Math.random (seeded from
// system entropy per process) avoids loading a crypto module on every CLI start (~3 ms).
const PROCESS_TAG = Math.floor(Math.random() * 0x1_0000_0000)
  .toString(16)
  .padStart(8, '0');
/** How many ids one process makes before its counter starts over (36^4). */
export const ID_COUNTER_RANGE = 1_679_616;
let counter = 0;
// A bulk enqueue makes every id of a batch in the same millisecond: the prefix is built once.
let prefixAt = -1;
let prefix = '';

/** Generates a short id that sorts by creation time: `j-<time>-<process tag><counter>`. */
export function generateJobId(now: number): string {
  counter = (counter + 1) % ID_COUNTER_RANGE;
  if (now !== prefixAt) {
    prefixAt = now;
    prefix = `j-${now.toString(36)}-${PROCESS_TAG}`;
  }
  const c = counter.toString(36);
  return prefix + (c.length >= 4 ? c : '000'.slice(c.length - 1) + c);
}

/** The longest command the kernel passes to `sh -c` as one argument (Linux MAX_ARG_STRLEN). */
export const MAX_COMMAND_BYTES = 131_072 - 1;
/** How far ahead a job may be scheduled, and the longest timeout: ten years, one year. */
export const MAX_SCHEDULE_AHEAD_MS = 10 * 365 * 86_400_000;
export const MAX_TIMEOUT_SECONDS = 31_536_000;

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO-8601 date and time, to the minute at least; without a zone it is local time. Anything
 * else is refused rather than guessed: a bare date (UTC midnight to Date.parse, but local
 * midnight to most readers), a locale form like 12/01/2026, or a day that does not exist.
 */
export function parseIsoTime(text: string): number | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const t = Date.parse(text.trim().replace(' ', 'T'));
  if (!Number.isFinite(t)) return null;
  // Date.parse rolls 2026-02-30 over to March: check the fields survived.
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysIn(Number(y), Number(mo)) || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
  return t;
}

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function wholeNumber(v: number | undefined, name: string, min: number, max: number, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(`invalid job${where}: "${name}" must be a whole number in ${min}..${max}`);
  }
  return v;
}

/** Validates an input and fills in defaults, giving the row to insert. */
/** The last queue name found valid: a batch mostly names one queue, checked once. */
let checkedQueue = 'default';

export function normalizeJob(input: JobInput, config: Config, now: number, defaultCwd: string, where = ''): NewJob {
  const command = input.command.trim();
  if (command.length === 0) throw new ValidationError(`invalid job${where}: "command" must not be empty`);
  if (command.includes('\0')) throw new ValidationError(`invalid job${where}: "command" must not contain a NUL byte`);
  // A UTF-16 unit is at most 3 bytes of UTF-8: short commands need no count.
  const bytes = command.length * 3 <= MAX_COMMAND_BYTES ? 0 : Buffer.byteLength(command);
  if (bytes > MAX_COMMAND_BYTES) {
    throw new ValidationError(`invalid job${where}: the command is ${bytes} bytes; at most ${MAX_COMMAND_BYTES} can be run (put a longer one in a script file)`);
  }
  const id = input.id ?? generateJobId(now);
  if (input.id !== undefined && !ID_RE.test(id)) {
    throw new ValidationError(`invalid job${where}: id "${id}" must be 1-128 letters, digits or ._:@+- and start with a letter or digit`);
  }
  const queue = input.queue ?? 'default';
  if (queue !== checkedQueue) {
    if (!QUEUE_RE.test(queue)) throw new ValidationError(`invalid job${where}: queue "${queue}" must be 1-64 letters, digits or ._:-`);
    checkedQueue = queue;
  }
  const maxRetries = wholeNumber(input.max_retries, 'max_retries', 0, 1000, where) ?? config.max_retries;
  const priority = wholeNumber(input.priority, 'priority', -1_000_000, 1_000_000, where) ?? 0;
  let timeout: number | null = null;
  if (input.timeout_seconds !== undefined && input.timeout_seconds !== null) {
    if (!Number.isFinite(input.timeout_seconds) || input.timeout_seconds < 0 || input.timeout_seconds > MAX_TIMEOUT_SECONDS) {
      throw new ValidationError(`invalid job${where}: "timeout_seconds" must be 0..${MAX_TIMEOUT_SECONDS} (a year)`);
    }
    timeout = input.timeout_seconds === 0 ? null : input.timeout_seconds;
  }
  let runAt = now;
  if (input.run_at !== undefined && input.delay_ms !== undefined) {
    throw new ValidationError(`invalid job${where}: give "run_at" or a delay, not both`);
  }
  if (input.run_at !== undefined) {
    const t = typeof input.run_at === 'number' ? (Number.isSafeInteger(input.run_at) && input.run_at >= 0 ? input.run_at : null) : parseIsoTime(input.run_at);
    if (t === null) {
      throw new ValidationError(`invalid job${where}: "run_at" must be an ISO-8601 date and time such as 2030-01-31T09:00:00Z, got "${input.run_at}"`);
    }
    runAt = t;
  } else if (input.delay_ms !== undefined) {
    if (!Number.isFinite(input.delay_ms) || input.delay_ms < 0) throw new ValidationError(`invalid job${where}: the delay must not be negative`);
    runAt = now + Math.round(input.delay_ms);
  }
  if (runAt - now > MAX_SCHEDULE_AHEAD_MS) {
    throw new ValidationError(`invalid job${where}: it would first run more than ten years from now`);
  }
  const unique = uniqueOf(input, now, where);
  const after = normalizeAfter(input.after, where);
  return {
    id,
    command,
    max_retries: maxRetries,
    priority,
    run_at: runAt,
    timeout_seconds: timeout,
    queue,
    cwd: input.cwd ?? defaultCwd,
    created_at: now,
    unique_key: unique.key,
    unique_until: unique.until,
    after,
    state: after.length > 0 ? 'waiting' : 'pending',
  };
}

const NOT_UNIQUE = Object.freeze({ key: null, until: null });

function uniqueOf(input: JobInput, now: number, where: string): { key: string | null; until: number | null } {
  const key = input.unique_key;
  if (key === undefined) {
    if (input.unique_for_ms !== undefined) throw new ValidationError(`invalid job${where}: a unique window needs a unique key (--unique-key, "unique_key")`);
    return NOT_UNIQUE;
  }
  if (key.length === 0 || key.length > MAX_UNIQUE_KEY_LENGTH || /[\0-\x1f\x7f]/.test(key)) {
    throw new ValidationError(`invalid job${where}: the unique key must be 1-${MAX_UNIQUE_KEY_LENGTH} characters without control characters`);
  }
  const ms = input.unique_for_ms;
  if (ms === undefined) return { key, until: null };
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_UNIQUE_FOR_MS) {
    throw new ValidationError(`invalid job${where}: the unique window must be longer than 0 and at most a year`);
  }
  return { key, until: now + Math.round(ms) };
}

/** Dependency ids, checked and without repeats (order kept). Whether they exist is the engine's check. */
function normalizeAfter(after: string[] | undefined, where: string): string[] {
  if (after === undefined || after.length === 0) return [];
  const ids = [...new Set(after.map((a) => a.trim()))];
  for (const id of ids) {
    if (!ID_RE.test(id)) throw new ValidationError(`invalid job${where}: "after" names an invalid job id "${id}"`);
  }
  if (ids.length > MAX_DEPENDENCIES) throw new ValidationError(`invalid job${where}: at most ${MAX_DEPENDENCIES} dependencies`);
  return ids;
}

/** A job as it stands right after it is created: pending (or waiting for its dependencies), never run. */
export function pendingJob(j: NewJob): Job {
  // Spelled out rather than spread: enqueue builds one per job, and a spread costs several times more.
  return {
    id: j.id,
    command: j.command,
    state: j.state,
    attempts: 0,
    max_retries: j.max_retries,
    priority: j.priority,
    run_at: j.run_at,
    timeout_seconds: j.timeout_seconds,
    queue: j.queue,
    cwd: j.cwd,
    created_at: j.created_at,
    updated_at: j.created_at,
    started_at: null,
    finished_at: null,
    worker_id: null,
    lease_expires_at: null,
    exit_code: null,
    last_error: null,
    last_outcome: null,
    output: '',
    output_bytes: 0,
    command_pid: null,
    command_start: null,
    command_host: null,
    claim_token: null,
    cancel_requested: false,
    unique_key: j.unique_key ?? null,
    unique_until: j.unique_until ?? null,
    after: j.after,
    schedule: null,
  };
}
