/**
 * `status` and `enqueue` are what scripts call most, so they start without commander (about
 * 10 ms of a process that otherwise needs ~60 ms). This parser accepts only the plain, valid
 * shapes of those two commands and hands the same options to the same functions commander's
 * actions call. Anything else (help, short flags, an unknown or incomplete option, another
 * command) returns null, and commander parses the line, so help and errors stay commander's.
 */

import type { EnqueueOptions } from './enqueue.js';
import type { StatusOptions } from './status.js';

export type FastRun = () => Promise<number>;

interface Spec {
  /** Long options taking a value, mapped to their commander attribute names. */
  values: Record<string, string>;
  /** Long options taking a value that may be given again: their values are collected in order. */
  repeated?: Record<string, string>;
  flags: Record<string, string>;
  operands: boolean;
}

const GLOBAL_VALUES: Record<string, string> = { '--db': 'db' };

const SPECS: Record<string, Spec> = {
  status: { values: {}, flags: { '--json': 'json' }, operands: false },
  enqueue: {
    values: {
      '--id': 'id',
      '--max-retries': 'maxRetries',
      '--priority': 'priority',
      '--delay': 'delay',
      '--run-at': 'runAt',
      '--timeout': 'timeout',
      '--queue': 'queue',
      '--file': 'file',
    },
    repeated: { '--after': 'after' },
    flags: { '--json': 'json' },
    operands: true,
  },
};

export interface FastParse {
  command: string;
  options: Record<string, string | boolean | string[]>;
  positional: string[];
  /** Words after `--`, or null when there was none. */
  rest: string[] | null;
}

export function parseFast(argv: readonly string[]): FastParse | null {
  const options: Record<string, string | boolean | string[]> = {};
  const positional: string[] = [];
  let command: string | undefined;
  let rest: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      if (command === undefined) return null;
      rest = argv.slice(i + 1);
      break;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      const spec = command === undefined ? undefined : SPECS[command];
      const repeatKey = spec?.repeated?.[name];
      const valueKey = GLOBAL_VALUES[name] ?? spec?.values[name] ?? repeatKey;
      if (valueKey !== undefined) {
        let value: string;
        if (eq > 0) value = arg.slice(eq + 1);
        else {
          // A missing value, or `--` taken as one (commander would take it, and then read the
          // words after it as operands, not as the command): commander decides.
          if (i + 1 >= argv.length || argv[i + 1] === '--') return null;
          value = argv[++i];
        }
        if (repeatKey !== undefined) options[valueKey] = [...((options[valueKey] as string[] | undefined) ?? []), value];
        else options[valueKey] = value;
        continue;
      }
      const flagKey = spec?.flags[name];
      if (flagKey !== undefined && eq < 0) {
        options[flagKey] = true;
        continue;
      }
      return null;
    }
    if (command === undefined) {
      if (!(arg in SPECS)) return null;
      command = arg;
      continue;
    }
    if (!SPECS[command].operands) return null;
    positional.push(arg);
  }
  if (command === undefined) return null;
  if (rest !== null && !SPECS[command].operands) return null;
  return { command, options, positional, rest };
}

export function fastPath(argv: readonly string[]): FastRun | null {
  const p = parseFast(argv);
  if (p === null) return null;
  if (p.command === 'status') {
    return async () => (await import('./status.js')).runStatus(p.options as StatusOptions);
  }
  return async () =>
    (await import('./enqueue.js')).runEnqueue({ positional: p.positional, command: p.rest }, p.options as EnqueueOptions);
}
