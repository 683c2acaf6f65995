import { ValidationError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `500ms`, `10s`, `5m`, `2h`, `1d`, `1h30m`, or a bare number of
 * seconds, into milliseconds.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const s = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * UNITS[m[2]];
    consumed += m[0].length;
  }
  if (s.length === 0 || consumed !== s.length) {
    throw new ValidationError(`invalid ${what} "${text}" (use e.g. 30s, 5m, 2h, 1d, 500ms)`);
  }
  return Math.round(total);
}

/** A compact human duration: `850ms`, `12s`, `3m05s`, `2h10m`, `4d3h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const neg = ms < 0;
  let v = Math.abs(ms);
  let out: string;
  if (v < 1000) out = `${Math.round(v)}ms`;
  else if (v < 60_000) out = `${Math.floor(v / 1000)}s`;
  else if (v < 3_600_000) {
    v = Math.floor(v / 1000);
    out = `${Math.floor(v / 60)}m${String(v % 60).padStart(2, '0')}s`;
  } else if (v < 86_400_000) {
    v = Math.floor(v / 60_000);
    out = `${Math.floor(v / 60)}h${String(v % 60).padStart(2, '0')}m`;
  } else {
    v = Math.floor(v / 3_600_000);
    out = `${Math.floor(v / 24)}d${v % 24}h`;
  }
  return neg ? `-${out}` : out;
}
