#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandProfile, enableCodeCache } from './compile-cache.js';

/**
 * The queuectl entry point. It imports almost nothing up front: each command's module, and
 * commander itself, load only when that command runs, so `status` and `enqueue` start fast.
 */

/**
 * Whether Node's stdout and stderr streams were made. Commands write to the descriptors directly
 * (commands/stdio.ts); the streams come into being only when something asks for them (commander's
 * help, the dashboard, a descriptor left non-blocking): seen here by wrapping their getters.
 */
const made = { stdout: false, stderr: false };

function watch(name: 'stdout' | 'stderr', onMade: (s: NodeJS.WriteStream) => void = () => {}): void {
  const d = Object.getOwnPropertyDescriptor(process, name);
  const get = d?.get;
  if (!d || !get || !d.configurable) {
    made[name] = true;
    onMade(process[name]);
    return;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: d.enumerable,
    get() {
      const s = get.call(process) as NodeJS.WriteStream;
      if (!made[name]) {
        made[name] = true;
        onMade(s);
      }
      return s;
    },
  });
}

// A reader that closes early (`queuectl list | head -1`) is not an error.
watch('stdout', (s) =>
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  }),
);
watch('stderr');

/**
 * Exits once everything written has reached the reader. What went to the descriptors is there
 * already; through a stream, an empty write's callback runs after the writes queued before it,
 * so output through a pipe to a slow reader is never cut short.
 */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  const flushErr = () => (made.stderr ? process.stderr.write('', () => process.exit(code)) : process.exit(code));
  if (made.stdout) process.stdout.write('', flushErr);
  else flushErr();
}

// The chunks are loaded after the code cache is on (compile-cache.ts).
enableCodeCache(join(dirname(fileURLToPath(import.meta.url)), 'chunks'), commandProfile(process.argv.slice(2)));
void import('./cli-main.js').then(({ main, report }) =>
  main(process.argv.slice(2)).then(exitAfterFlush, (e: unknown) => exitAfterFlush(report(e))),
);
