import type { Job, JobState } from '../engine/types.js';
import { terminalSafe } from '../present/text.js';
import { STATE_COLORS } from '../state-colors.js';
import { isTerminal, terminalColumns } from './stdio.js';

/** Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
export function colorEnabled(fd: 1 | 2 = 1): boolean {
  const noColor = process.env.NO_COLOR;
  return (noColor === undefined || noColor === '') && isTerminal(fd);
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color, on = colorEnabled()): string {
  if (!on || text.length === 0) return text;
  const close = color === 'bold' ? 22 : color === 'dim' ? 22 : 39;
  return `\x1b[${CODES[color]}m${text}\x1b[${close}m`;
}

export { STATE_COLORS };

export function paintState(state: JobState): string {
  return paint(state, STATE_COLORS[state]);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/** One line of at most `max` characters: whitespace runs collapse, and a cut ends in `…`. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (max <= 0) return '';
  if (flat.length <= max) return flat;
  return max === 1 ? '…' : `${flat.slice(0, max - 1)}…`;
}

/** A coarse age or countdown: `now`, `4s`, `12m`, `3h`, `2d`. */
export function shortSpan(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `3s ago`, `in 4s`, or `now` within a second. */
export function relative(at: number | null, now: number): string {
  if (at === null) return '-';
  const diff = at - now;
  if (Math.abs(diff) < 1000) return 'now';
  return diff > 0 ? `in ${shortSpan(diff)}` : `${shortSpan(diff)} ago`;
}

/** Attempts made against attempts allowed, e.g. `2/4` for the second run of a job with max_retries 3. */
export function tries(job: Pick<Job, 'attempts' | 'max_retries'>): string {
  return `${job.attempts}/${job.max_retries + 1}`;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** This column gives up width when the table is wider than the terminal (commands, errors). */
  shrink?: boolean;
  /** Narrowest a shrinking column may become. */
  min?: number;
}

/** Width available for a table: the terminal's, or a generous fixed width for pipes and files. */
export function outputWidth(): number {
  return terminalColumns() || 160;
}

/**
 * Aligned columns separated by two spaces. Cells may carry colour codes; widths count only
 * visible characters. Shrinking columns are cut (with `…`) so a row fits `width`.
 */
export function renderTable(columns: Column[], cellsIn: string[][], width = outputWidth()): string {
  // Job data in a cell is shown, never obeyed by the terminal, and kept on its row.
  const rows = cellsIn.map((r) => r.map((t) => terminalSafe(t.replace(/[\n\t]/g, ' '))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1);
  let excess = total() - width;
  for (let i = columns.length - 1; i >= 0 && excess > 0; i--) {
    const c = columns[i];
    if (!c.shrink) continue;
    const floor = Math.max(c.min ?? 12, c.header.length);
    const give = Math.min(excess, Math.max(0, widths[i] - floor));
    widths[i] -= give;
    excess -= give;
  }
  const cell = (text: string, i: number, last: boolean) => {
    const c = columns[i];
    let t = text;
    if (c.shrink && visibleLength(t) > widths[i]) t = truncate(t.replace(ANSI, ''), widths[i]);
    const pad = ' '.repeat(Math.max(0, widths[i] - visibleLength(t)));
    if (c.align === 'right') return pad + t;
    return last ? t : t + pad;
  };
  const line = (cells: string[]) => cells.map((t, i) => cell(t, i, i === cells.length - 1)).join('  ');
  const head = paint(line(columns.map((c) => c.header)), 'bold');
  return [head, ...rows.map(line)].join('\n') + '\n';
}

/** Key/value lines with the keys aligned, for `show` and `status`. */
export function renderFields(pairs: Array<[string, string]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${paint(k.padEnd(w), 'dim')}  ${v}`).join('\n') + '\n';
}

export function isoAndRelative(at: number | null, now: number): string {
  if (at === null) return '-';
  return `${new Date(at).toISOString()} (${relative(at, now)})`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
