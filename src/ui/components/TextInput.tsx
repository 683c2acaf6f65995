import { type Key, useInput } from 'ink';
import { splitKeys } from '../keys.js';

/**
 * Editing of one line of text, at its end: printable keys append, Backspace deletes, Ctrl-U
 * clears. Other keys go to `onKey`, which returns whether it used them.
 */
export function useTextInput(options: {
  isActive: boolean;
  /** Read at each key press, so keys arriving faster than renders all count. */
  getValue(): string;
  onChange(value: string): void;
  onKey?(input: string, key: Key): boolean;
}): void {
  const onePress = (input: string, key: Key): string | null => {
    if (options.onKey?.(input, key)) return null;
    const value = options.getValue();
    if (key.backspace || key.delete) return [...value].slice(0, -1).join('');
    if (key.ctrl && input === 'u') return '';
    if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.upArrow || key.downArrow) return null;
    if (key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) return null;
    return input.length > 0 && input >= ' ' ? value + input : null;
  };
  useInput(
    (input, key) => {
      // Keys that arrive together (typing fast, a paste) are applied one by one, so a burst of
      // Backspaces counts and an Enter at the end submits.
      for (const [one, k] of splitKeys(input, key)) {
        const next = onePress(one, k);
        if (next !== null && next !== options.getValue()) options.onChange(next);
      }
    },
    { isActive: options.isActive },
  );
}
