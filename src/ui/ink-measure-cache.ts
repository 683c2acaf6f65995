export interface MeasureCache {
  size(): number;
  /** Empties the cache when it holds more than `limit` texts; entries are simply measured again. */
  trim(limit: number): boolean;
}

/**
 * Ink remembers the size of every text it has ever laid out, in a module-level Map that nothing
 * empties. A dashboard left open for hours keeps showing new text (timers, counts, new jobs), so
 * that map would grow for as long as it runs. Ink does not export the map, and the build bundles
 * Ink into the dashboard's chunk (so its modules cannot be imported by path): the map is found
 * while `draw` lays out a frame, as the Map that records a text's `{ width, height }`. Null if
 * none does (a different Ink); the dashboard then simply runs without the bound.
 */
export function watchInkMeasureCache(draw: () => void): MeasureCache | null {
  let found: Map<unknown, unknown> | undefined;
  const set = Map.prototype.set;
  Map.prototype.set = function (this: Map<unknown, unknown>, key: unknown, value: unknown) {
    if (found === undefined && typeof key === 'string' && isDimensions(value)) found = this;
    return set.call(this, key, value);
  };
  try {
    draw();
  } finally {
    Map.prototype.set = set;
  }
  const map = found;
  if (!map) return null;
  return {
    size: () => map.size,
    trim(limit) {
      if (map.size <= limit) return false;
      map.clear();
      return true;
    },
  };
}

function isDimensions(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const keys = Object.keys(v);
  return keys.length === 2 && typeof (v as { width?: unknown }).width === 'number' && typeof (v as { height?: unknown }).height === 'number';
}
