import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import type { JobInput } from '../engine/job-input.js';

/** The enqueue form's fields, as typed. Each maps to the `queuectl enqueue` flag of the same meaning. */
export interface EnqueueFormValues {
  command: string;
  priority: string;
  maxRetries: string;
  delay: string;
  timeout: string;
}

export const EMPTY_FORM: EnqueueFormValues = { command: '', priority: '', maxRetries: '', delay: '', timeout: '' };

export const FORM_FIELDS: ReadonlyArray<{ key: keyof EnqueueFormValues; label: string; flag: string | null; placeholder: string }> = [
  { key: 'command', label: 'command', flag: null, placeholder: 'e.g. ./backup.sh --full' },
  { key: 'priority', label: 'priority', flag: '--priority', placeholder: '0 (higher runs first)' },
  { key: 'maxRetries', label: 'max retries', flag: '--max-retries', placeholder: 'config default' },
  { key: 'delay', label: 'delay', flag: '--delay', placeholder: 'none (e.g. 30s, 5m)' },
  { key: 'timeout', label: 'timeout', flag: '--timeout', placeholder: 'config default (e.g. 10m)' },
];

/** A whole number as `queuectl enqueue` reads its flags, with the same message for a bad one. */
function whole(text: string, flag: string, min: number, max: number): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^[-+]?\d+$/.test(t)) throw new ValidationError(`invalid value "${text}" for ${flag}: expected a whole number`);
  const n = Number(t);
  if (n < min || n > max) throw new ValidationError(`invalid value "${text}" for ${flag}: expected ${min}..${max}`);
  return n;
}

/**
 * Turns the form into a job input exactly as `queuectl enqueue [flags] -- <command>` does: the
 * same checks in the same order with the same messages; the engine's normalizeJob (inside
 * Queue.enqueue) then applies its own rules, as it does for the CLI. Blank fields are flags not given.
 */
export function formToInput(v: EnqueueFormValues): { input: JobInput; flags: Array<[string, string]> } {
  const input: JobInput = { command: v.command };
  const flags: Array<[string, string]> = [];
  input.max_retries = whole(v.maxRetries, '--max-retries', 0, 1000);
  input.priority = whole(v.priority, '--priority', -1_000_000, 1_000_000);
  if (v.delay.trim() !== '') input.delay_ms = parseDuration(v.delay, '--delay');
  if (v.timeout.trim() !== '') input.timeout_seconds = parseDuration(v.timeout, '--timeout') / 1000;
  for (const f of FORM_FIELDS) {
    if (f.flag !== null && v[f.key].trim() !== '') flags.push([f.flag, v[f.key].trim()]);
  }
  return { input, flags };
}
