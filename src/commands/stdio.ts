/**
 * The CLI's output, written straight to file descriptors 1 and 2 with write(2).
 *
 * Why not process.stdout: creating the stdout and stderr streams loads Node's stream modules
 * (about twenty of them), about 5% of `node -e 0` (median of 40 interleaved runs, `status`'s
 * way: stdout on /dev/null, stderr a pipe). A command that prints a few lines does not need them.
 * Written synchronously, output reaches a slow reader in order and in full before the process
 * exits, the writer simply waiting while the pipe is full, as Node's own stdout does on Linux.
 *
 * A descriptor another process left non-blocking (EAGAIN) is handed over to Node's stream for
 * good, with what was not written yet, so nothing is lost or reordered. A reader that went away
 * (EPIPE) ends the process quietly with 0 for stdout, as `queuectl list | head -1` expects; a
 * stderr that cannot be written is dropped.
 */
import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Descriptors handed over to Node's stream (after EAGAIN): everything after goes there too. */
const streamed = new Set<number>();

/** Where output goes instead of the descriptors (a command run inside another process: the tests). */
let sink: ((fd: 1 | 2, text: string) => void) | null = null;

export function redirectOutput(to: ((fd: 1 | 2, text: string) => void) | null): void {
  sink = to;
}

const stream = (fd: 1 | 2): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/**
 * Writes `text` to `fd`; returns false when it went to a stream that is now backed up (wait for
 * its 'drain'), true otherwise.
 */
export function writeFd(fd: 1 | 2, text: string | Uint8Array): boolean {
  if (text.length === 0) return true;
  if (sink) {
    sink(fd, typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
    return true;
  }
  if (streamed.has(fd)) return stream(fd).write(text);
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  let at = 0;
  while (at < buf.length) {
    try {
      at += writeSync(fd, buf, at, buf.length - at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        streamed.add(fd);
        return stream(fd).write(buf.subarray(at));
      }
      if (code === 'EPIPE' && fd === 1) process.exit(0);
      if (fd === 2) return true;
      throw e;
    }
  }
  return true;
}

/** Resolves once `stream(fd)` can take more, when `writeFd` said it could not. */
export function drained(fd: 1 | 2): Promise<void> {
  return new Promise((resolve) => stream(fd).once('drain', resolve));
}

const requireBuiltin = createRequire(import.meta.url);

/**
 * Whether `fd` is a terminal, without Node's tty module where the answer is plain: it loads the
 * net and stream modules. Pipes, files and sockets are not terminals; nor are the kernel's memory
 * devices (/dev/null and the like, major number 1 on Linux), where a script's output often goes.
 */
export function isTerminal(fd: 1 | 2): boolean {
  // Asked for every painted cell of a table; a command's descriptors stay what they are.
  let known = terminals.get(fd);
  if (known === undefined) terminals.set(fd, (known = checkTerminal(fd)));
  return known;
}

const terminals = new Map<number, boolean>();

function checkTerminal(fd: 1 | 2): boolean {
  let rdev: number;
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    rdev = st.rdev;
  } catch {
    return false;
  }
  if (process.platform === 'linux' && ((rdev >> 8) & 0xfff) === 1) return false;
  return (requireBuiltin('node:tty') as typeof import('node:tty')).isatty(fd);
}

/** The terminal's width, for a table on stdout (undefined when stdout is not a terminal). */
export function terminalColumns(): number | undefined {
  return isTerminal(1) ? process.stdout.columns : undefined;
}
