import { runDashboardCommand } from './commands/dashboard.js';
import { fastPath } from './commands/fast-path.js';
import { QueueError, oneLine } from './engine/errors.js';
import { loadDotEnv } from './engine/open.js';
import { safeMessage } from './present/text.js';
import { writeFd } from './commands/stdio.js';

/**
 * The whole of a `queuectl` run but the process around it: `main` runs a command line and gives
 * its exit code; `report` writes an error as the one line users see and gives its exit code.
 * Kept apart from `cli.ts` so the same path can run inside another process (the tests).
 */

/** `queuectl` alone (perhaps with --db): the dashboard on a terminal, help otherwise. */
function bareDb(argv: readonly string[]): { db: string | undefined } | null {
  if (argv.length === 0) return { db: undefined };
  if (argv.length === 1 && argv[0].startsWith('--db=')) return { db: argv[0].slice(5) };
  if (argv.length === 2 && argv[0] === '--db') return { db: argv[1] };
  return null;
}

export async function main(argv: readonly string[]): Promise<number> {
  loadDotEnv();
  // QUEUECTL_FAST_PATH=off sends every line through commander (the tests compare the two).
  const fast = process.env.QUEUECTL_FAST_PATH === 'off' ? null : fastPath(argv);
  if (fast) return fast();
  const bare = bareDb(argv);
  if (bare && process.stdin.isTTY && process.stdout.isTTY) {
    return runDashboardCommand(bare);
  }
  const program = await import('./commands/program.js');
  if (bare) {
    program.printHelp();
    return 0;
  }
  return program.runProgram(argv);
}

export function report(e: unknown): number {
  const code = e instanceof QueueError ? e.exitCode : 1;
  writeFd(2, `queuectl: ${safeMessage(oneLine(e))}\n`);
  if (process.env.QUEUECTL_DEBUG === '1' && e instanceof Error && e.stack) writeFd(2, `${e.stack}\n`);
  return code;
}

