#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enableCodeCache } from './compile-cache.js';

/**
 * The queuectl entry point. It imports almost nothing up front: each command's module, and
 * commander itself, load only when that command runs, so `status` and `enqueue` start fast.
 */

// A reader that closes early (`queuectl list | head -1`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

/**
 * Exits once everything written has reached the reader: an empty write's callback runs after the
 * writes queued before it, so output through a pipe to a slow reader is never cut short.
 */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

// The chunks are loaded after the code cache is on (compile-cache.ts).
enableCodeCache(join(dirname(fileURLToPath(import.meta.url)), 'chunks'));
void import('./cli-main.js').then(({ main, report }) =>
  main(process.argv.slice(2)).then(exitAfterFlush, (e: unknown) => exitAfterFlush(report(e))),
);
