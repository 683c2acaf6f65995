import { ValidationError } from '../engine/errors.js';
import { terminalSafe } from '../present/text.js';
import { isFinished } from '../engine/state-machine.js';
import type { Queue } from '../engine/queue.js';
import type { Job } from '../engine/types.js';
import { colorEnabled, paint } from './format.js';
import { type GlobalOptions, printJson, sleep, withQueue } from './shared.js';
import { isTerminal, writeFd } from './stdio.js';

export interface LogsOptions extends GlobalOptions {
  follow?: boolean;
  json?: boolean;
}

/** How often `--follow` looks at the job when no change notification wakes it sooner. */
const POLL_MS = 200;

/**
 * Prints a job's output as it grows. The store keeps only a bounded tail, so the printer tracks
 * how far into the attempt's whole output it has printed, and says so when bytes fell out of
 * the tail before it could print them. Job output goes to stdout; markers go to stderr, so a
 * pipe receives the output alone.
 */
export class TailPrinter {
  private printed = 0;

  constructor(
    private readonly write: (chunk: Buffer) => void,
    readonly note: (line: string) => void,
  ) {}

  /** Starts over, for a new attempt whose output begins again at byte 0. */
  reset(): void {
    this.printed = 0;
  }

  feed(job: Pick<Job, 'output' | 'output_bytes'>): void {
    const buf = Buffer.from(job.output, 'utf8');
    const tailStart = Math.max(0, job.output_bytes - buf.length);
    if (this.printed < tailStart) {
      this.note(`[… ${tailStart - this.printed} bytes skipped]`);
      this.printed = tailStart;
    }
    const from = this.printed - tailStart;
    if (from < buf.length) this.write(buf.subarray(from));
    this.printed = Math.max(this.printed, tailStart + buf.length);
  }

  /** Bytes of the current attempt accounted for so far. */
  get position(): number {
    return this.printed;
  }
}

/** A printer of job output to stdout (terminal-safe on a terminal, the stored bytes elsewhere), markers to stderr. */
function terminalPrinter(): TailPrinter {
  let endsWithNewline = true;
  const terminal = isTerminal(1);
  return new TailPrinter(
    (chunk) => {
      // To a terminal, the job's bytes are shown but never obeyed; to a pipe or file, they go as stored.
      writeFd(1, terminal ? terminalSafe(Buffer.from(chunk).toString('utf8')) : chunk);
      endsWithNewline = chunk[chunk.length - 1] === 0x0a;
    },
    (line) => {
      // A marker starts on its own line even when the job's output did not end one.
      if (!endsWithNewline && terminal) writeFd(1, '\n');
      endsWithNewline = true;
      note(line);
    },
  );
}

function note(line: string): void {
  writeFd(2, `${paint(line, 'dim', colorEnabled(2))}\n`);
}

export async function runLogs(id: string, o: LogsOptions): Promise<number> {
  if (o.json && o.follow) throw new ValidationError('--json cannot be combined with --follow');
  return withQueue(o.db, async (queue) => {
    let job = await queue.get(id);
    if (o.json) {
      printJson({ id: job.id, state: job.state, attempt: job.attempts, output: job.output, output_bytes: job.output_bytes });
      return 0;
    }
    const printer = terminalPrinter();
    // Following labels every attempt it shows, so its output reads the same however late it began.
    if (o.follow && job.attempts > 0) printer.note(`--- attempt ${job.attempts} ---`);
    printer.feed(job);
    if (!o.follow) return 0;

    await follow(queue, job, printer, null, 1);
    return 0;
  });
}

/**
 * Prints a job's output as it grows, attempt after attempt, until it is finished (or `timeoutMs`
 * passes). Each attempt from `labelFrom` on is marked as it starts.
 */
async function follow(queue: Queue, first: Job, printer: TailPrinter, timeoutMs: number | null, labelFrom: number): Promise<void> {
  const deadline = timeoutMs === null ? Infinity : performance.now() + timeoutMs;
  let job = first;
  const wakeup: { wake?: () => void } = {};
  const unwatch = queue.watch(() => wakeup.wake?.());
  try {
    let attempt = job.attempts;
    while (!isFinished(job.state) && performance.now() < deadline) {
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - performance.now())), wakeup);
      job = await queue.get(job.id);
      // A new attempt (or an interrupted one run again) restarts the output from its first byte.
      if (job.attempts !== attempt || job.output_bytes < printer.position) {
        if (job.attempts >= labelFrom) printer.note(`--- attempt ${job.attempts} ---`);
        attempt = job.attempts;
        printer.reset();
      }
      printer.feed(job);
    }
  } finally {
    unwatch?.();
  }
}

/**
 * `enqueue --wait --follow`: the job's output on stdout as it runs, retries marked on stderr. It
 * reads like running the command, so the first attempt is never marked, and every later one is:
 * whether the first read finds the job still pending or already running (or retried) depends
 * only on how soon a worker claimed it, and must not change what is printed.
 */
export async function followOutput(queue: Queue, id: string, timeoutMs: number | null): Promise<void> {
  const job = await queue.get(id);
  const printer = terminalPrinter();
  if (job.attempts > 1) printer.note(`--- attempt ${job.attempts} ---`);
  printer.feed(job);
  await follow(queue, job, printer, timeoutMs, 2);
}
