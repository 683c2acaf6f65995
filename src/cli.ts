#!/usr/bin/env node
import { fastPath } from './commands/fast-path.js';
import { QueueError, oneLine } from './engine/errors.js';
import { loadDotEnv } from './engine/open.js';
import { safeMessage } from './present/text.js';

/**
 * The queuectl entry point. It imports almost nothing up front: each command's module, and
 * commander itself, load only when that command runs, so `status` and `enqueue` start fast.
 */

/** `queuectl` alone (perhaps with --db): the dashboard on a terminal, help otherwise. */
function bareDb(argv: readonly string[]): { db: string | undefined } | null {
  if (argv.length === 0) return { db: undefined };
  if (argv.length === 1 && argv[0].startsWith('--db=')) return { db: argv[0].slice(5) };
  if (argv.length === 2 && argv[0] === '--db') return { db: argv[1] };
  return null;
}

async function main(argv: readonly string[]): Promise<number> {
  loadDotEnv();
  // QUEUECTL_FAST_PATH=off sends every line through commander (the tests compare the two).
  const fast = process.env.QUEUECTL_FAST_PATH === 'off' ? null : fastPath(argv);
  if (fast) return fast();
  const bare = bareDb(argv);
  if (bare && process.stdin.isTTY && process.stdout.isTTY) {
    const { runDashboardCommand } = await import('./commands/dashboard.js');
    return runDashboardCommand(bare);
  }
  const program = await import('./commands/program.js');
  if (bare) {
    program.printHelp();
    return 0;
  }
  return program.runProgram(argv);
}

function report(e: unknown): number {
  const code = e instanceof QueueError ? e.exitCode : 1;
  process.stderr.write(`queuectl: ${safeMessage(oneLine(e))}\n`);
  if (process.env.QUEUECTL_DEBUG === '1' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return code;
}

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

main(process.argv.slice(2)).then(exitAfterFlush, (e: unknown) => exitAfterFlush(report(e)));
