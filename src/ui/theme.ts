import { createContext, useContext } from 'react';
import { STATE_COLORS } from '../state-colors.js';
import type { WorkerHealth } from '../store/types.js';

export type Color = 'red' | 'green' | 'yellow' | 'blue' | 'cyan' | 'magenta' | 'gray';

export { STATE_COLORS };

/** Colour unless NO_COLOR is set to anything non-empty (no-color.org). Bold and inverse stay. */
export function colorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

export const ColorContext = createContext<boolean>(colorFromEnv());

/** A function that passes a colour through, or drops it when colour is off. */
export function useTone(): (c: Color | undefined) => Color | undefined {
  const on = useContext(ColorContext);
  return on ? (c) => c : () => undefined;
}

export function healthColor(h: WorkerHealth): Color | undefined {
  return h === 'dead' ? 'red' : h === 'stale' ? 'yellow' : undefined;
}
