import { readFileSync } from 'node:fs';
import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import { type JobInput, normalizeJob, parseIsoTime, parseJobJson } from '../engine/job-input.js';
import type { Submitted } from '../engine/queue.js';
import { jobToJson } from '../engine/serialize.js';
import type { Job } from '../engine/types.js';
import { plural } from './format.js';
import { followOutput } from './logs.js';
import { type GlobalOptions, err, out, parseWhole, printJson, withQueue } from './shared.js';
import { writeFd } from './stdio.js';
import { EXIT_NOT_COMPLETED, EXIT_TIMED_OUT, finishedLine, parseTimeout, waitForJobs } from './wait.js';

export interface EnqueueOptions extends GlobalOptions {
  id?: string;
  maxRetries?: string;
  priority?: string;
  delay?: string;
  runAt?: string;
  timeout?: string;
  queue?: string;
  /** --after, as given: each may hold several comma-separated ids. */
  after?: string[];
  file?: string;
  json?: boolean;
  /** Wait until the job (every job) is finished, and exit with how it ended. */
  wait?: boolean;
  /** With --wait: stream the job's output while it runs. */
  follow?: boolean;
  waitTimeout?: string;
  uniqueKey?: string;
  uniqueFor?: string;
}

/** What the user typed after `enqueue`: words before `--`, and the command words after it (null: no `--`). */
export interface EnqueueArgs {
  positional: string[];
  command: string[] | null;
}

const JOB_FLAGS: Array<[keyof EnqueueOptions, string]> = [
  ['id', '--id'],
  ['maxRetries', '--max-retries'],
  ['priority', '--priority'],
  ['delay', '--delay'],
  ['runAt', '--run-at'],
  ['timeout', '--timeout'],
  ['queue', '--queue'],
  ['uniqueKey', '--unique-key'],
  ['uniqueFor', '--unique-for'],
  ['after', '--after'],
];

/** A word the shell would split or expand is quoted so it stays one argument. */
function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * One word is taken as a shell snippet (pipes, `&&` and redirections work); several words are
 * an argument vector, each kept as one argument.
 */
export function commandFromWords(words: string[]): string {
  if (words.length === 1) return words[0];
  return words.map(shellQuote).join(' ');
}

function inputFromFlags(command: string, o: EnqueueOptions): JobInput {
  const input: JobInput = { command };
  if (o.id !== undefined) input.id = o.id;
  input.max_retries = parseWhole(o.maxRetries, '--max-retries', 0, 1000);
  input.priority = parseWhole(o.priority, '--priority', -1_000_000, 1_000_000);
  if (o.delay !== undefined && o.runAt !== undefined) throw new ValidationError('give --delay or --run-at, not both');
  if (o.delay !== undefined) input.delay_ms = parseDuration(o.delay, '--delay');
  if (o.runAt !== undefined) {
    if (parseIsoTime(o.runAt) === null) {
      throw new ValidationError(`invalid value "${o.runAt}" for --run-at: expected an ISO-8601 time such as 2030-01-31T09:00:00Z`);
    }
    input.run_at = o.runAt;
  }
  if (o.timeout !== undefined) input.timeout_seconds = parseDuration(o.timeout, '--timeout') / 1000;
  if (o.queue !== undefined) input.queue = o.queue;
  if (o.uniqueKey !== undefined) input.unique_key = o.uniqueKey;
  if (o.uniqueFor !== undefined) {
    if (o.uniqueKey === undefined) throw new ValidationError('--unique-for needs --unique-key');
    input.unique_for_ms = parseDuration(o.uniqueFor, '--unique-for');
  }
  if (o.after !== undefined) {
    const ids = o.after.flatMap((a) => a.split(',')).map((a) => a.trim());
    if (ids.some((a) => a === '')) throw new ValidationError('invalid value for --after: expected job ids separated by commas');
    input.after = ids;
  }
  return input;
}

/** Standard input as a stream: a synchronous read of fd 0 can fail with EAGAIN on a non-blocking pipe. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readSource(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ValidationError(`cannot read ${file === '-' ? 'standard input' : file}: ${code}`);
  }
}

/** One JSON job per line; blank lines are skipped and errors name the line. */
function parseLines(text: string, file: string): Array<{ line: number; input: JobInput }> {
  const jobs: Array<{ line: number; input: JobInput }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    jobs.push({ line: i + 1, input: parseJobJson(raw, ` on line ${i + 1}`) });
  });
  if (jobs.length === 0) {
    throw new ValidationError(`no jobs in ${file === '-' ? 'standard input' : file} (expected one JSON job per line)`);
  }
  return jobs;
}

type Plan = { kind: 'one'; input: JobInput } | { kind: 'many'; jobs: Array<{ line: number; input: JobInput }> };

/** Decides what to enqueue from the arguments alone, before the database is opened. */
async function plan(args: EnqueueArgs, o: EnqueueOptions): Promise<Plan> {
  const flags = JOB_FLAGS.filter(([k]) => o[k] !== undefined).map(([, f]) => f);
  const { positional, command } = args;
  if (o.file !== undefined) {
    if (positional.length > 0 || command !== null) throw new ValidationError('give --file or a job, not both');
    if (flags.length > 0) throw new ValidationError(`${flags[0]} cannot be used with --file: put the field in each JSON line`);
    return { kind: 'many', jobs: parseLines(await readSource(o.file), o.file) };
  }
  if (command !== null) {
    if (positional.length > 0) {
      throw new ValidationError('give a JSON job or a command after --, not both');
    }
    if (command.length === 0) throw new ValidationError('missing command after -- (e.g. queuectl enqueue -- echo hello)');
    return { kind: 'one', input: inputFromFlags(commandFromWords(command), o) };
  }
  if (positional.length === 0) {
    throw new ValidationError(`missing job: give '{"command": "..."}', -- <command...> or --file <path>`);
  }
  if (positional.length > 1) {
    throw new ValidationError('expected one JSON job; to enqueue a command put it after --: queuectl enqueue -- <command...>');
  }
  const text = positional[0];
  if (!text.trim().startsWith('{')) {
    throw new ValidationError(`invalid JSON job "${text}"; to enqueue a command put it after --: queuectl enqueue -- ${text}`);
  }
  if (flags.length > 0) throw new ValidationError(`${flags[0]} cannot be used with a JSON job: put the field in the JSON`);
  return { kind: 'one', input: parseJobJson(text) };
}

export async function runEnqueue(args: EnqueueArgs, o: EnqueueOptions): Promise<number> {
  const p = await plan(args, o);
  const submitted: Submitted[] = await withQueue(o.db, async (queue) => {
    if (p.kind === 'one') return queue.submit([p.input]);
    // Validated here first so an error can name its line; the engine checks again on insert.
    const config = await queue.config();
    const now = queue.now();
    const lineOf = new Map<string, number>();
    for (const { line, input } of p.jobs) {
      const row = normalizeJob(input, config, now, process.cwd(), ` on line ${line}`);
      const first = lineOf.get(row.id);
      if (first !== undefined) throw new ValidationError(`job id "${row.id}" appears twice (lines ${first} and ${line})`);
      lineOf.set(row.id, line);
    }
    return queue.submit(
      p.jobs.map((j) => j.input),
      config,
      (i) => ` on line ${p.jobs[i].line}`,
    );
  }, { create: true });
  if (o.wait) return waitAfterEnqueue(submitted, o);
  if (o.json) {
    printJson(p.kind === 'one' ? submittedToJson(submitted[0]) : submitted.map(submittedToJson));
  } else if (p.kind === 'one') {
    out(submittedLine(submitted[0]));
  } else {
    const made = submitted.filter((s) => !s.deduplicated).length;
    const dups = submitted.length - made;
    out(`enqueued ${plural(made, 'job')}${dups > 0 ? `; ${dups} deduplicated (another job held the unique key)` : ''}`);
  }
  return 0;
}

/**
 * One input's result as `--json` prints it: the created job; or, when another job held the
 * unique key, `deduplicated: true` with that job (`id` is its id). A job given a unique key
 * carries `deduplicated: false` when it was created, so scripts can test the one field.
 */
function submittedToJson(s: Submitted) {
  if (!s.deduplicated) return s.job.unique_key === null ? jobToJson(s.job) : { deduplicated: false, ...jobToJson(s.job) };
  return s.job ? { deduplicated: true, ...jobToJson(s.job) } : { deduplicated: true, id: s.id, unique_key: s.unique_key };
}

function submittedLine(s: Submitted): string {
  return s.deduplicated ? `deduplicated: job ${s.id} already holds key ${s.unique_key}` : `enqueued ${s.id}`;
}

/**
 * `enqueue --wait`: like running the command, with the queue's retries. Exits 0 when the job
 * completed, with the command's own exit code when it died with one, 3 when it ended otherwise
 * (dead by a signal or timeout, cancelled), 4 when --wait-timeout ran out. With several jobs,
 * 0 only when all completed. `--follow` streams the output to stdout; notes go to stderr.
 */
async function waitAfterEnqueue(submitted: Submitted[], o: EnqueueOptions): Promise<number> {
  // A deduplicated input waits for the job that holds its key.
  const jobs = submitted.map((s) => s.job ?? ({ id: s.id } as Job));
  const timeoutMs = parseTimeout(o.waitTimeout);
  const note = (line: string) => void writeFd(o.follow || o.json ? 2 : 1, `${line}\n`);
  note(submitted.length === 1 ? submittedLine(submitted[0]) : `enqueued ${plural(jobs.length, 'job')}`);
  if (o.follow) {
    await withQueue(o.db, (queue) => followOutput(queue, jobs[0].id, timeoutMs));
  }
  const { finished, unfinished } = await withQueue(o.db, (queue) =>
    waitForJobs(queue, jobs.map((j) => j.id), timeoutMs, (job) => note(finishedLine(job))),
  );
  if (o.json) printJson(jobs.length === 1 && finished.length === 1 ? jobToJson(finished[0]) : [...finished, ...unfinished].map(jobToJson));
  if (unfinished.length > 0) {
    err(`queuectl: timed out waiting for ${unfinished.map((j) => j.id).join(', ')}`);
    return EXIT_TIMED_OUT;
  }
  if (finished.every((j) => j.state === 'completed')) return 0;
  const [only] = finished;
  if (finished.length === 1 && only.state === 'dead' && only.last_outcome === 'exit' && only.exit_code !== null && only.exit_code > 0) {
    return Math.min(255, only.exit_code);
  }
  return EXIT_NOT_COMPLETED;
}
