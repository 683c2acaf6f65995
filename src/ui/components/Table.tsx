import { Box, Text } from 'ink';
import { memo } from 'react';
import { fit } from '../format.js';
import { type Color, useTone } from '../theme.js';

export interface Column<T> {
  key: string;
  title: string;
  /** Fixed width; flexible columns (`flex`) share what is left, never below `min`. */
  width?: number;
  min?: number;
  flex?: number;
  align?: 'left' | 'right';
  /** Lower numbers are dropped first when the terminal is too narrow. */
  priority?: number;
  text(row: T): string;
  color?(row: T): Color | undefined;
}

interface Props<T> {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey(row: T): string;
  width: number;
  /** Rows to fill, so the footer stays put however many rows there are. */
  height: number;
  selected: number;
  empty?: string;
  /** Rows of a previous query, shown dimmed while the new page loads. */
  dim?: boolean;
  /** Text to underline wherever it appears in a row (the filter), ignoring case. */
  highlight?: string;
}

/** Widths for the columns that fit: drop low-priority columns until the fixed ones fit, then share the rest. */
export function layoutColumns<T>(columns: readonly Column<T>[], width: number): Array<{ col: Column<T>; width: number }> {
  let shown = [...columns];
  const need = (cols: Column<T>[]) => cols.reduce((n, c) => n + (c.width ?? c.min ?? 8), 0) + Math.max(0, cols.length - 1);
  while (shown.length > 1 && need(shown) > width) {
    const lowest = shown.reduce((lo, c) => ((c.priority ?? 5) < (lo.priority ?? 5) ? c : lo), shown[0]);
    shown = shown.filter((c) => c !== lowest);
  }
  const flexTotal = shown.reduce((n, c) => n + (c.width === undefined ? (c.flex ?? 1) : 0), 0);
  const spare = Math.max(0, width - need(shown));
  const out = shown.map((col) => {
    if (col.width !== undefined) return { col, width: col.width };
    const share = flexTotal > 0 ? Math.floor((spare * (col.flex ?? 1)) / flexTotal) : 0;
    return { col, width: (col.min ?? 8) + share };
  });
  // Rounding leaves a few columns over: the last flexible column takes them.
  const used = out.reduce((n, x) => n + x.width, 0) + Math.max(0, out.length - 1);
  const lastFlex = [...out].reverse().find((x) => x.col.width === undefined);
  if (lastFlex && used < width) lastFlex.width += width - used;
  return out;
}

interface Cell {
  text: string;
  color: Color | undefined;
}

/**
 * Joins neighbouring cells of one colour into one run: every styled run costs the terminal
 * renderer a parse, and most of a row is plain.
 */
export function runs(cells: readonly Cell[]): Cell[] {
  const out: Cell[] = [];
  cells.forEach((c, i) => {
    const text = i > 0 ? ` ${c.text}` : c.text;
    const last = out[out.length - 1];
    if (last && (last.color === c.color || text.trim() === '')) last.text += text;
    else out.push({ text, color: c.color });
  });
  return out;
}

/** `text` cut at each occurrence of `needle` (ignoring case): pieces, with whether each is a match. */
export function splitMatches(text: string, needle: string): Array<[string, boolean]> {
  if (needle === '') return [[text, false]];
  const out: Array<[string, boolean]> = [];
  const hay = text.toLowerCase();
  const n = needle.toLowerCase();
  let from = 0;
  for (let at = hay.indexOf(n); at >= 0; at = hay.indexOf(n, at + n.length)) {
    if (at > from) out.push([text.slice(from, at), false]);
    out.push([text.slice(at, at + n.length), true]);
    from = at + n.length;
  }
  if (from < text.length) out.push([text.slice(from), false]);
  return out;
}

function Run(props: { text: string; color: Color | undefined; highlight?: string }) {
  const pieces = props.highlight ? splitMatches(props.text, props.highlight) : [[props.text, false] as [string, boolean]];
  const body =
    pieces.length === 1 && !pieces[0][1]
      ? props.text
      : pieces.map(([t, hit], i) => (hit ? <Text key={i} underline bold>{t}</Text> : t));
  return props.color === undefined ? <>{body}</> : <Text color={props.color}>{body}</Text>;
}

function RowLine(props: { cells: Cell[]; inverse: boolean; dim?: boolean; highlight?: string }) {
  const rs = runs(props.cells);
  // Trailing blanks cost the renderer as much as text; only the highlighted row needs its full width.
  if (!props.inverse && rs.length > 0) rs[rs.length - 1] = { ...rs[rs.length - 1], text: rs[rs.length - 1].text.trimEnd() };
  return (
    <Text wrap="truncate" inverse={props.inverse} dimColor={props.dim}>
      {rs.map((r, i) =>
        props.highlight ? <Run key={i} text={r.text} color={r.color} highlight={props.highlight} /> : r.color === undefined ? r.text : <Text key={i} color={r.color}>{r.text}</Text>,
      )}
    </Text>
  );
}

const Row = memo(
  RowLine,
  (a, b) => a.inverse === b.inverse && a.dim === b.dim && a.highlight === b.highlight && a.cells.length === b.cells.length && a.cells.every((c, i) => c.text === b.cells[i].text && c.color === b.cells[i].color),
);

export function Table<T>(props: Props<T>) {
  const tone = useTone();
  const cols = layoutColumns(props.columns, props.width);
  const header = cols.map(({ col, width }) => fit(col.title, width, col.align)).join(' ');
  const lines = props.rows.slice(0, Math.max(0, props.height - 1));
  return (
    <Box flexDirection="column" height={props.height} width={props.width}>
      <Text bold wrap="truncate">
        {header}
      </Text>
      {lines.length === 0 && props.empty ? <Text dimColor>{props.empty}</Text> : null}
      {lines.map((row, i) => (
        <Row
          key={props.rowKey(row)}
          inverse={!props.dim && i === props.selected}
          dim={props.dim}
          highlight={props.dim ? undefined : props.highlight}
          cells={cols.map(({ col, width }) => ({ text: fit(col.text(row), width, col.align), color: props.dim ? undefined : tone(col.color?.(row)) }))}
        />
      ))}
    </Box>
  );
}
