import { useInput } from 'ink';
import { type CommandId, type KeyContext, commandFor } from './keys.js';

export type Handlers = Partial<Record<CommandId, () => unknown>>;

/**
 * Listens for keys while `isActive` and runs the handler of the command the bindings table maps
 * the key to in `context`. Keys the table does not enable in that context do nothing.
 */
export function useKeymap(context: KeyContext, isActive: boolean, handlers: Handlers): void {
  useInput(
    (input, key) => {
      // Plain keys that arrive together (a held key, a fast typist) come as one string.
      const plain = input.length > 1 && !key.ctrl && !key.meta && !/[\x00-\x1f]/.test(input);
      for (const one of plain ? [...input] : [input]) {
        const id = commandFor(context, one, plain ? { ...key, shift: one !== one.toLowerCase() } : key);
        const run = id === undefined ? undefined : handlers[id];
        if (run) void run();
      }
    },
    { isActive },
  );
}
