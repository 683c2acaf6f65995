import { UnknownConfigKeyError, ValidationError } from './errors.js';

/** Settings persisted in the database, shared by every process that uses it. */
export interface Config {
  max_retries: number;
  backoff_base: number;
  backoff_max_seconds: number;
  /** 0: no timeout. */
  job_timeout_seconds: number;
  lease_seconds: number;
  shutdown_timeout_seconds: number;
  /** How often an idle worker looks for work when it is not woken by a change. */
  poll_interval_ms: number;
  output_limit_bytes: number;
}

export type ConfigKey = keyof Config;

interface KeySpec {
  default: number;
  min: number;
  max: number;
  integer: boolean;
  help: string;
}

export const CONFIG_KEYS: Record<ConfigKey, KeySpec> = {
  max_retries: { default: 3, min: 0, max: 1000, integer: true, help: 'retries after the first attempt, for jobs that set none' },
  backoff_base: { default: 2, min: 1, max: 1000, integer: false, help: 'a failed job waits backoff_base ^ attempts seconds' },
  backoff_max_seconds: { default: 3600, min: 0, max: 31_536_000, integer: false, help: 'upper bound of the backoff delay' },
  job_timeout_seconds: { default: 0, min: 0, max: 31_536_000, integer: false, help: 'default job timeout; 0 means none' },
  lease_seconds: { default: 30, min: 1, max: 86_400, integer: false, help: 'how long a claim holds without renewal' },
  shutdown_timeout_seconds: { default: 30, min: 0, max: 86_400, integer: false, help: 'grace for the running job on a graceful stop' },
  poll_interval_ms: { default: 200, min: 1, max: 600_000, integer: true, help: 'idle worker poll period (workers are also woken by new jobs)' },
  output_limit_bytes: { default: 65_536, min: 0, max: 64 * 1024 * 1024, integer: true, help: 'bytes of output kept per job (the tail)' },
};

export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];

export const DEFAULT_CONFIG: Config = Object.fromEntries(
  CONFIG_KEY_NAMES.map((k) => [k, CONFIG_KEYS[k].default]),
) as unknown as Config;

const ALIASES: Record<string, ConfigKey> = {
  default_max_retries: 'max_retries',
  max_retry: 'max_retries',
  retries: 'max_retries',
  backoff: 'backoff_base',
  job_timeout: 'job_timeout_seconds',
  timeout: 'job_timeout_seconds',
  lease: 'lease_seconds',
  poll_interval: 'poll_interval_ms',
  output_limit: 'output_limit_bytes',
};

/** Resolves a key as typed (dashed spellings and the older names are accepted) to its canonical name. */
export function resolveConfigKey(input: string): ConfigKey {
  const k = input.trim().toLowerCase().replace(/-/g, '_');
  if (k in CONFIG_KEYS) return k as ConfigKey;
  const alias = ALIASES[k];
  if (alias) return alias;
  throw new UnknownConfigKeyError(input, CONFIG_KEY_NAMES);
}

/** Validates a value for a key and returns it as stored. */
export function parseConfigValue(key: ConfigKey, raw: string | number): number {
  const spec = CONFIG_KEYS[key];
  const text = String(raw).trim();
  // Plain decimal only: Number() would also take 0x10, 1e3, 0b1 and "Infinity".
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (text === '' || !Number.isFinite(n)) {
    throw new ValidationError(`invalid value "${raw}" for ${key}: expected a number`);
  }
  if (spec.integer && !Number.isInteger(n)) {
    throw new ValidationError(`invalid value "${raw}" for ${key}: expected a whole number`);
  }
  if (n < spec.min || n > spec.max) {
    throw new ValidationError(`invalid value "${raw}" for ${key}: expected ${spec.min}..${spec.max}`);
  }
  return n;
}

/** Builds a full config from stored pairs; stored values that no longer parse fall back to defaults. */
export function configFromStored(stored: Record<string, string>): Config {
  const out: Config = { ...DEFAULT_CONFIG };
  for (const [k, v] of Object.entries(stored)) {
    if (!(k in CONFIG_KEYS)) continue;
    try {
      out[k as ConfigKey] = parseConfigValue(k as ConfigKey, v);
    } catch {
      // keep the default: a bad stored value must not stop workers
    }
  }
  return out;
}
