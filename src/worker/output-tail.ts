const EMPTY = Buffer.alloc(0);
const INITIAL_BYTES = 1024;

/**
 * The last `limit` bytes a command printed, in a ring that never grows past `limit`, however
 * much the command prints. `total` counts every byte, including those the ring dropped.
 */
export class OutputTail {
  private buf: Buffer;
  private start = 0;
  private size = 0;
  total = 0;

  constructor(readonly limit: number) {
    // Most jobs print little or nothing: the ring is allocated at the first byte, small, and
    // grows up to the limit only when needed (a worker runs many jobs; a buffer per job that
    // prints nothing would only churn the allocator).
    this.buf = EMPTY;
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    const limit = this.limit;
    if (limit === 0 || chunk.length === 0) return;
    if (chunk.length >= limit) {
      if (this.buf.length < limit) this.buf = Buffer.allocUnsafe(limit);
      this.buf.set(chunk.subarray(chunk.length - limit), 0);
      this.start = 0;
      this.size = limit;
      return;
    }
    const needed = this.size + chunk.length;
    if (needed > this.buf.length && this.buf.length < limit) {
      this.grow(Math.min(limit, Math.max(needed, this.buf.length * 2, INITIAL_BYTES)));
    }
    const cap = this.buf.length;
    const end = (this.start + this.size) % cap;
    const first = Math.min(chunk.length, cap - end);
    this.buf.set(chunk.subarray(0, first), end);
    if (first < chunk.length) this.buf.set(chunk.subarray(first), 0);
    if (needed > cap) {
      // The oldest bytes were overwritten: the tail now starts right after the newest byte.
      this.start = (this.start + needed - cap) % cap;
      this.size = cap;
    } else {
      this.size = needed;
    }
  }

  /** The kept bytes, oldest first. */
  bytes(): Buffer {
    const cap = this.buf.length;
    if (this.start + this.size <= cap) return this.buf.subarray(this.start, this.start + this.size);
    return Buffer.concat([this.buf.subarray(this.start, cap), this.buf.subarray(0, (this.start + this.size) % cap)]);
  }

  /** The tail as text. A character cut in half where the ring dropped bytes is left out. */
  text(): string {
    let b = this.bytes();
    if (this.total > this.size) {
      let skip = 0;
      while (skip < 3 && skip < b.length && (b[skip] & 0xc0) === 0x80) skip++;
      if (skip > 0) b = b.subarray(skip);
    }
    const text = b.toString('utf8');
    // Invalid UTF-8 (binary output) decodes to U+FFFD, three bytes for each bad byte: the text is
    // cut again from the front until it holds no more than the limit, so the bound stays a bound.
    return Buffer.byteLength(text) <= this.limit ? text : cutToBytes(text, this.limit);
  }

  private grow(capacity: number): void {
    const next = Buffer.allocUnsafe(capacity);
    const kept = this.bytes();
    next.set(kept, 0);
    this.buf = next;
    this.start = 0;
    this.size = kept.length;
  }
}

/** The end of `text` that fits in `limit` bytes of UTF-8, never splitting a character. */
export function cutToBytes(text: string, limit: number): string {
  const enc = Buffer.from(text, 'utf8');
  if (enc.length <= limit) return text;
  let from = enc.length - limit;
  while (from < enc.length && (enc[from] & 0xc0) === 0x80) from++;
  return enc.subarray(from).toString('utf8');
}
