import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface MeasureCache {
  size(): number;
  /** Empties the cache when it holds more than `limit` texts; entries are simply measured again. */
  trim(limit: number): boolean;
}

/**
 * Ink remembers the size of every text it has ever laid out, in a module-level Map that nothing
 * empties. A dashboard left open for hours keeps showing new text (timers, counts, new jobs), so
 * that map would grow for as long as it runs. Ink does not export the map: it is found by
 * measuring one never-seen text while watching which Map records it. Null if that fails (a
 * different Ink layout); the dashboard then simply runs without the bound.
 */
export async function findInkMeasureCache(): Promise<MeasureCache | null> {
  try {
    const inkEntry = createRequire(import.meta.url).resolve('ink');
    // The very module Ink itself imports (same URL, so the same instance and the same map).
    const url = pathToFileURL(join(dirname(inkEntry), 'measure-text.js')).href;
    const mod = (await import(url)) as { default?: (text: string) => unknown };
    const measure = mod.default;
    if (typeof measure !== 'function') return null;
    const sentinel = `queuectl-measure-probe-${process.pid}-${Date.now()}-${Math.random()}`;
    let found: Map<unknown, unknown> | undefined;
    const set = Map.prototype.set;
    Map.prototype.set = function (this: Map<unknown, unknown>, key: unknown, value: unknown) {
      if (key === sentinel) found = this;
      return set.call(this, key, value);
    };
    try {
      measure(sentinel);
    } finally {
      Map.prototype.set = set;
    }
    const map = found;
    if (!map) return null;
    map.delete(sentinel);
    return {
      size: () => map.size,
      trim(limit) {
        if (map.size <= limit) return false;
        map.clear();
        return true;
      },
    };
  } catch {
    return null;
  }
}
