/**
 * Runs a command line through the same path as the `queuectl` binary (`src/cli-main.ts`), inside
 * the test process: the checks of what a command says and returns, without a process per check.
 * What only a real process shows (signals, pipes, the environment, stdin) stays in spawned tests.
 */
import { main, report } from '../../src/cli-main.js';
import { redirectOutput } from '../../src/commands/stdio.js';
import type { Run, Sandbox } from './helpers.js';

let running = false;

export async function cliInProcess(sb: Sandbox, args: string[]): Promise<Run> {
  if (running) throw new Error('cliInProcess runs one command at a time');
  running = true;
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (sink: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  // Commands write to the descriptors themselves (stdio.ts): taken here instead.
  redirectOutput((fd, text) => (fd === 1 ? (stdout += text) : (stderr += text)));
  let code: number;
  try {
    code = await main(['--db', sb.db, ...args]);
  } catch (e) {
    code = report(e);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    redirectOutput(null);
    running = false;
  }
  return { code, stdout, stderr };
}
