import type { Attempt, Job } from '../engine/types.js';
import { singleLine, tailLines } from './format.js';

/**
 * Where everything goes on the details screen, worked out once for the view and for the keys
 * (which need to know how far the output can scroll).
 */

/** Width of the `command ` label; wrapped lines of the command are indented to match. */
export const COMMAND_LABEL = 8;

/** Cuts a line into pieces of `width` characters (at least one piece, possibly empty). */
export function chunk(line: string, width: number): string[] {
  const chars = [...line];
  if (chars.length <= width || width <= 0) return [line];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += width) out.push(chars.slice(i, i + width).join(''));
  return out;
}

/**
 * The command as lines of the screen: whole, wrapped. Only a command longer than `maxLines` is cut,
 * and its last line says how much is left out.
 */
export function commandLines(command: string, width: number, maxLines: number): string[] {
  const all = chunk(singleLine(command), Math.max(1, width - COMMAND_LABEL));
  if (all.length <= maxLines) return all;
  const kept = all.slice(0, Math.max(1, maxLines));
  const left = [...all.slice(kept.length).join('')].length;
  const note = ` … ${left} more characters`;
  const last = kept[kept.length - 1];
  kept[kept.length - 1] = [...last].slice(0, Math.max(0, [...last].length - note.length)).join('') + note;
  return kept;
}

/** Output lines as screen rows: wrapped at `width`, or each cut to `width` from column `x`. */
export function outputRows(lines: readonly string[], width: number, wrap: boolean, x: number): string[] {
  if (wrap) return lines.flatMap((l) => chunk(l, width));
  return lines.map((l) => [...l].slice(x, x + width).join(''));
}

interface Output {
  lines: string[];
  rows: string[];
  widest: number;
}

let last: { output: string; width: number; wrap: boolean; x: number; result: Output } | null = null;

/**
 * The output split into rows, kept for the next call with the same arguments: the clock re-renders
 * the details every second, and the output (up to the kept tail) need not be split again each time.
 */
function outputOf(output: string, width: number, wrap: boolean, x: number): Output {
  if (last && last.output === output && last.width === width && last.wrap === wrap && last.x === x) return last.result;
  const lines = tailLines(output, 100_000);
  const result = { lines, rows: outputRows(lines, width, wrap, x), widest: lines.reduce((n, l) => Math.max(n, [...l].length), 0) };
  last = { output, width, wrap, x, result };
  return result;
}

export interface DetailLayout {
  command: string[];
  /** Label/value rows of fields (two to a row from 80 columns). */
  fieldRows: number;
  attemptsShown: number;
  attemptsHeight: number;
  /** Lines of the output pane, its title included. */
  outputHeight: number;
  /** Output lines before wrapping. */
  lines: string[];
  /** Output as screen rows. */
  rows: string[];
  /** Rows of output that fit. */
  room: number;
  maxScroll: number;
  /** The longest output line, for sideways scrolling. */
  widest: number;
}

export function detailLayout(
  job: Job,
  attempts: readonly Attempt[],
  fieldCount: number,
  width: number,
  height: number,
  view: { wrap: boolean; x: number },
): DetailLayout {
  const twoCols = width >= 80;
  const fieldRows = Math.ceil(fieldCount / (twoCols ? 2 : 1));
  const errorLines = job.last_error ? 1 : 0;
  const attemptsShown = Math.min(attempts.length, Math.max(1, Math.floor(height / 5)));
  const attemptsHeight = attempts.length === 0 ? 2 : attemptsShown + 2;
  const command = commandLines(job.command, width, Math.max(1, Math.floor(height / 3)));
  const outputHeight = Math.max(2, height - 1 - command.length - fieldRows - errorLines - attemptsHeight);
  const { lines, rows, widest } = outputOf(job.output, width, view.wrap, view.x);
  const room = outputHeight - 1;
  return { command, fieldRows, attemptsShown, attemptsHeight, outputHeight, lines, rows, room, maxScroll: Math.max(0, rows.length - room), widest };
}
