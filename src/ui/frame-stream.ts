/**
 * Ink 6.8's incremental renderer (`incrementalRendering`) rewrites only the lines that changed, but
 * when the frame ends with a newline (any frame shorter than the terminal, as the dashboard's is) it
 * moves the cursor up one line too few before each frame: every frame lands one line lower than the
 * last, and the screen scrolls. Its own erase path counts that line; only the `cursorUp` that starts
 * an updated frame misses it.
 *
 * `correctFrameStart` wraps the stream Ink writes to and adds the missing line to that one
 * sequence: a write that starts with `ESC [ n A` (only the start of an incremental frame does). The
 * test that compares the screen drawn this way with the screen drawn in full, frame after frame,
 * fails if a later Ink moves differently (test/ui/render-bytes.test.tsx).
 */
const FRAME_START = /^\x1b\[(\d+)A/;

export function correctFrameStart<T extends NodeJS.WriteStream>(stream: T): T {
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (typeof chunk === 'string') {
      const m = FRAME_START.exec(chunk);
      if (m) chunk = `\x1b[${Number(m[1]) + 1}A${chunk.slice(m[0].length)}`;
    }
    return (stream.write as (...a: unknown[]) => boolean)(chunk, ...rest);
  };
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'write') return write;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
