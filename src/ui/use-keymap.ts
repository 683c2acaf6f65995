import { useInput } from 'ink';
import { type CommandId, type KeyContext, commandFor, splitKeys } from './keys.js';

export type Handlers = Partial<Record<CommandId, () => unknown>>;

/**
 * Listens for keys while `isActive` and runs the handler of the command the bindings table maps
 * the key to in `context`. Keys the table does not enable in that context do nothing.
 */
export function useKeymap(context: KeyContext, isActive: boolean, handlers: Handlers): void {
  useInput(
    (input, key) => {
      for (const [one, k] of splitKeys(input, key)) {
        const id = commandFor(context, one, k);
        const run = id === undefined ? undefined : handlers[id];
        if (run) void run();
      }
    },
    { isActive },
  );
}
