import type { Key } from 'ink';

/** One line of text being typed, and where the cursor is in it (a character index; at most its length). */
export interface LineState {
  text: string;
  cursor: number;
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/**
 * Editing a line as a shell does: typing inserts at the cursor, Backspace deletes before it,
 * ←/→ move, Home/End and Ctrl-A/Ctrl-E go to either end, Ctrl-W deletes the word before the cursor,
 * Ctrl-U everything before it and Ctrl-K everything after it. The new line, or null when the key
 * is not an edit (the caller may then give it another meaning).
 */
export function editField(line: { text: string; cursor?: number }, input: string, key: Key): LineState | null {
  const chars = [...line.text];
  const c = Math.max(0, Math.min(chars.length, line.cursor ?? chars.length));
  const at = (cursor: number, next = chars) => ({ text: next.join(''), cursor });
  if (key.backspace || key.delete) return c === 0 ? at(0) : at(c - 1, [...chars.slice(0, c - 1), ...chars.slice(c)]);
  if (key.leftArrow) return at(Math.max(0, c - 1));
  if (key.rightArrow) return at(Math.min(chars.length, c + 1));
  if (key.home || (key.ctrl && input === 'a')) return at(0);
  if (key.end || (key.ctrl && input === 'e')) return at(chars.length);
  if (key.ctrl && input === 'u') return at(0, chars.slice(c));
  if (key.ctrl && input === 'k') return at(c, chars.slice(0, c));
  if (key.ctrl && input === 'w') {
    let start = c;
    while (start > 0 && isSpace(chars[start - 1])) start--;
    while (start > 0 && !isSpace(chars[start - 1])) start--;
    return at(start, [...chars.slice(0, start), ...chars.slice(c)]);
  }
  if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return null;
  if (input.length === 0 || input < ' ') return null;
  const typed = [...input];
  return at(c + typed.length, [...chars.slice(0, c), ...typed, ...chars.slice(c)]);
}

/** The line cut into what is before the cursor, the character under it (a space at the end) and the rest. */
export function splitAtCursor(line: { text: string; cursor?: number }): [string, string, string] {
  const chars = [...line.text];
  const c = Math.max(0, Math.min(chars.length, line.cursor ?? chars.length));
  return [chars.slice(0, c).join(''), chars[c] ?? ' ', chars.slice(c + 1).join('')];
}
