import { type Key, useInput } from 'ink';

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
  useInput(
    (input, key) => {
      if (options.onKey?.(input, key)) return;
      if (key.backspace || key.delete) {
        options.onChange([...options.getValue()].slice(0, -1).join(''));
        return;
      }
      if (key.ctrl && input === 'u') {
        options.onChange('');
        return;
      }
      if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.upArrow || key.downArrow) return;
      if (key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) return;
      // Keys that arrive together come as one string: apply each, so a burst of Backspaces counts.
      let value = options.getValue();
      for (const ch of input) {
        if (ch === '\x7f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
      if (value !== options.getValue()) options.onChange(value);
    },
    { isActive: options.isActive },
  );
}
