/**
 * Every queuectl command, once, as data: its name, summary, arguments, options (with their
 * defaults and help), examples, and how it runs. Commander's program with its help
 * (program.ts), the commander-free parser of the everyday commands (fast-path.ts) and, through
 * commander, shell completion (completion.ts) are all derived from this table, so they cannot
 * disagree about what a command accepts.
 *
 * The commands' modules are imported here directly: in the build they share one chunk with the
 * engine anyway (rolldown.config.js), and a dynamic import of a module in the importer's own
 * chunk would cost a file of its own. What is heavy stays behind `import()`: commander (only
 * program.ts imports it), shell completion, the dashboard, MongoDB, the worker runtime.
 */

import type { Command } from 'commander';
import { JOB_STATES } from '../engine/types.js';
import { runCancel, runDlqDelete, runDlqRetry, runRerun, runRetry, type ActionOptions, type DlqDeleteOptions, type DlqRetryOptions } from './actions.js';
import { runConfigGet, runConfigList, runConfigSet, type ConfigOptions } from './config.js';
import { runDashboardCommand, type DashboardOptions } from './dashboard.js';
import { runEnqueue, type EnqueueOptions } from './enqueue.js';
import { runEvents, type EventsOptions } from './events.js';
import { runList, type ListOptions } from './list.js';
import { runLogs, type LogsOptions } from './logs.js';
import { runPurge, type PurgeOptions } from './purge.js';
import { runScheduleAdd, runScheduleList, runSchedulePause, runScheduleRemove, runScheduleRun, runScheduleShow, type ScheduleAddOptions, type ScheduleOptions } from './schedule.js';
import { ValidationError } from '../engine/errors.js';
import { runQueueLimit, runQueueList, runQueuePause, type QueueLimitOptions, type QueueOptions } from './queue.js';
import { runShow, type ShowOptions } from './show.js';
import { runStatus, type StatusOptions } from './status.js';
import { runWait, type WaitOptions } from './wait.js';
import { runWorkerList, runWorkerStart, runWorkerStop, type WorkerListOptions, type WorkerStartOptions, type WorkerStopOptions } from './worker.js';

export interface OptionSpec {
  /** As commander writes them: `--id <id>` takes a value, `--json` is a switch, `-f, --follow` has a short form. */
  flags: string;
  help: string;
  /** The value when the option is not given (commander shows it in help). */
  default?: string | readonly string[];
  /** Every occurrence is kept, in order, after the default (`--state a --state b`). */
  repeat?: boolean;
  /** The only values allowed (commander refuses others with exit 2). */
  choices?: readonly string[];
}

export interface ArgumentSpec {
  /** As commander writes it: `<id>` required, `[id]` optional, `<ids...>` one or more. */
  syntax: string;
  help?: string;
  choices?: readonly string[];
}

/** What a command's `run` receives, whichever parser read the line. */
export interface Call {
  /** One value per declared argument: a string, undefined for an absent optional one, an array for a variadic one. */
  args: Array<string | string[] | undefined>;
  /** The command's options and the global ones, by commander's attribute names (`--max-retries` → maxRetries). */
  opts: Record<string, unknown>;
  /** The whole command line, as typed. */
  argv: readonly string[];
  /** Commander's program, for the commands that describe it (completion); absent on the fast path. */
  program?: Command;
}

export interface CommandSpec {
  /** The words that select it: `status`, `worker list`. */
  path: string;
  /** The one line shown in the list of commands (default: the description). */
  summary?: string;
  description: string;
  aliases?: readonly string[];
  hidden?: boolean;
  args?: readonly ArgumentSpec[];
  options?: readonly OptionSpec[];
  /** Shown after the help's option list: examples, exit codes, notes. */
  helpAfter?: string;
  /** Absent for a group (`worker`), which only holds its subcommands. */
  run?: (call: Call) => Promise<number> | number;
  /** It needs commander's program (`call.program`), so only commander runs it. */
  usesProgram?: boolean;
}

export const DURATION = 'a duration such as 30s, 5m, 1h30m or 500ms';

/** Options every command accepts, before or after its name. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--db <path|uri>',
    help: 'database to use: a SQLite file path or a mongodb:// URI (default: $QUEUECTL_DB, $MONGO_URI, or ~/.local/share/queuectl/queue.db)',
  },
];

export const PROGRAM = {
  name: 'queuectl',
  description: 'A background job queue for shell commands: enqueue, run with workers, retry with backoff, inspect.',
  helpAfter: `
With no command on an interactive terminal, opens the dashboard.

Examples:
  queuectl enqueue '{"id":"job-ok","command":"echo This will succeed"}'
  queuectl enqueue --max-retries 5 --delay 10s -- ./backup.sh --full
  queuectl worker start --count 2
  queuectl status
  queuectl list --state failed
  queuectl dlq retry --all

Exit codes: 0 success, 2 bad input, 1 runtime failure.`,
};

/** Words after the first `--` are a command to run; commander hands them over mixed with the others. */
export function splitDashDash(argv: readonly string[], operands: string[]): { positional: string[]; command: string[] | null } {
  const at = argv.indexOf('--');
  if (at < 0) return { positional: operands, command: null };
  const command = argv.slice(at + 1);
  return { positional: operands.slice(0, Math.max(0, operands.length - command.length)), command };
}

// Casts from the parsed line to each command's own option type: the table declares the options,
// the command module validates their values.
const str = (v: string | string[] | undefined) => v as string;
const strs = (v: string | string[] | undefined) => (v ?? []) as string[];

const JSON_OPTION = (help: string): OptionSpec => ({ flags: '--json', help });

export const COMMANDS: readonly CommandSpec[] = [
  {
    path: 'enqueue',
    summary: 'add a job (JSON, or a command after --), or many from a file',
    description: 'Add a job to the queue: as JSON, as a command after --, or many jobs from a file (one JSON per line, all or none).',
    args: [{ syntax: '[job...]', help: `the job as JSON: '{"command": "...", "id", "max_retries", "priority", "run_at", "timeout_seconds", "queue", "after", "unique_key", "unique_for"}'` }],
    options: [
      { flags: '--id <id>', help: 'job id (default: generated)' },
      { flags: '--max-retries <n>', help: 'retries after the first attempt (default: config max_retries)' },
      { flags: '--priority <n>', help: 'higher runs first (default: 0)' },
      { flags: '--delay <duration>', help: `run no earlier than this from now: ${DURATION}` },
      { flags: '--run-at <time>', help: 'run no earlier than this ISO-8601 time, e.g. 2030-01-31T09:00:00Z' },
      { flags: '--timeout <duration>', help: `kill the job after this long: ${DURATION} (default: config job_timeout_seconds)` },
      { flags: '--queue <name>', help: 'queue to put the job in (default: "default")' },
      { flags: '--after <ids>', help: 'run only once these jobs have completed (comma-separated, or repeat the option)', repeat: true },
      { flags: '--unique-key <key>', help: 'enqueue nothing while a job with this key is pending, failed awaiting a retry or running; print that job instead' },
      { flags: '--unique-for <duration>', help: `with --unique-key: hold the key this long from enqueueing, whatever the job's state: ${DURATION}` },
      { flags: '--file <path>', help: 'read one JSON job per line from a file, or - for standard input' },
      JSON_OPTION('print the created job(s) as JSON'),
      { flags: '--wait', help: 'wait until the job is finished and exit with how it ended (0 completed, its exit code when it died with one, 3 otherwise)' },
      { flags: '--follow', help: "with --wait: stream the job's output while it runs" },
      { flags: '--wait-timeout <duration>', help: `with --wait: give up after this long, exit 4: ${DURATION}` },
    ],
    helpAfter: `
Examples:
  queuectl enqueue '{"id":"job-ok","command":"echo This will succeed"}'
  queuectl enqueue --priority 5 --timeout 10m -- 'make test && make deploy'
  queuectl enqueue --file jobs.jsonl
  cat jobs.jsonl | queuectl enqueue --file -
  queuectl enqueue --id build -- make
  queuectl enqueue --after build -- make test                       # runs once build has completed
  queuectl enqueue --unique-key sync-users -- ./sync-users.sh       # no second sync while one is queued or running
  queuectl enqueue --unique-key report --unique-for 1h -- ./report.sh   # at most one report an hour

A single word after -- is run by /bin/sh as written (pipes and && work); several words are
kept as separate arguments.`,
    run: ({ args, opts, argv }) => runEnqueue(splitDashDash(argv, strs(args[0])), opts as EnqueueOptions),
  },
  {
    path: 'wait',
    description: 'wait until jobs are finished (completed, dead or cancelled), printing each as it ends',
    args: [{ syntax: '<ids...>', help: 'job ids' }],
    options: [{ flags: '--timeout <duration>', help: `give up after this long: ${DURATION}` }, JSON_OPTION('print the jobs as JSON once all are finished')],
    helpAfter: '\nExit codes: 0 every job completed, 3 some job is dead or cancelled, 4 timed out, 2 bad input, 1 runtime failure.',
    run: ({ args, opts }) => runWait(strs(args[0]), opts as WaitOptions),
  },
  {
    path: 'events',
    description: 'the event log: one line per job transition and per worker start or stop, oldest first',
    options: [
      { flags: '--follow', help: 'keep printing events as they happen, until interrupted' },
      JSON_OPTION('one JSON object per line'),
      { flags: '--queue <name>', help: 'only events of jobs in this queue' },
      { flags: '--job <id>', help: 'only events of this job' },
      { flags: '--since <duration>', help: `only events from this long ago: ${DURATION}` },
    ],
    run: ({ opts }) => runEvents(opts as EventsOptions),
  },

  { path: 'queue', description: 'queues: list them with their counts and limits, pause and resume them, limit them' },
  {
    path: 'queue list',
    description: 'every queue with its counts per state (processing: running now), its limits, and whether it is paused',
    options: [JSON_OPTION('print the queues as JSON')],
    run: ({ opts }) => runQueueList(opts as QueueOptions),
  },
  {
    path: 'queue limit',
    description: "limit how many of a queue's jobs run at once and how many start per window, across every worker and host",
    args: [{ syntax: '<name>', help: 'the queue' }],
    options: [
      { flags: '--concurrency <n>', help: 'at most this many of its jobs running at once (0: no limit)' },
      { flags: '--rate <n/duration>', help: 'at most n starts per window, e.g. 10/1m or 5/30s (0: no limit); windows are aligned on the clock' },
      { flags: '--clear-concurrency', help: 'remove the concurrency limit' },
      { flags: '--clear-rate', help: 'remove the rate limit' },
      { flags: '--clear', help: 'remove both limits' },
      JSON_OPTION("print the queue's limits as JSON"),
    ],
    helpAfter: `
Examples:
  queuectl queue limit emails --concurrency 2        # at most 2 emails jobs running at once
  queuectl queue limit api --rate 10/1m              # at most 10 api jobs start per minute
  queuectl queue limit api --concurrency 0           # drop the concurrency limit, keep the rate
  queuectl queue limit api --clear                   # no limits
  queuectl queue limit api                           # show its limits

Running jobs are never stopped by a lower limit; new starts wait until the queue is under it.`,
    run: ({ args, opts }) => runQueueLimit(str(args[0]), opts as QueueLimitOptions),
  },
  {
    path: 'queue pause',
    description: "stop taking the queue's jobs (running ones finish); enqueueing still works",
    args: [{ syntax: '<name>', help: 'the queue' }],
    options: [JSON_OPTION('print the result as JSON')],
    run: ({ args, opts }) => runQueuePause(str(args[0]), true, opts as QueueOptions),
  },
  {
    path: 'queue resume',
    description: "take the queue's jobs again",
    args: [{ syntax: '<name>', help: 'the queue' }],
    options: [JSON_OPTION('print the result as JSON')],
    run: ({ args, opts }) => runQueuePause(str(args[0]), false, opts as QueueOptions),
  },

  {
    path: 'schedule',
    description: 'recurring jobs: a cron expression or an interval that enqueues a job at each firing; workers fire them',
    helpAfter: `
Examples:
  queuectl schedule add nightly --cron "0 2 * * *" --tz Europe/Berlin -- ./backup.sh
  queuectl schedule add sync --every 5m --queue ops --timeout 4m -- 'rsync -a src/ dst/'
  queuectl schedule list
  queuectl schedule run nightly          # one job now; the timetable is unchanged
  queuectl schedule pause nightly`,
  },
  {
    path: 'schedule add',
    description: 'add a schedule; each firing enqueues the command as a job with the id <name>@<firing time>',
    args: [
      { syntax: '<name>', help: 'schedule name: 1-64 letters, digits or ._:-' },
      { syntax: '[command...]', help: 'the command to run, after --' },
    ],
    options: [
      { flags: '--cron <expression>', help: 'five fields (minute hour day month weekday), or six with seconds first, e.g. "*/15 9-17 * * 1-5"' },
      { flags: '--every <duration>', help: 'or a fixed interval, in whole seconds, first firing one interval from now: e.g. 30s, 5m, 1h, 1d' },
      { flags: '--tz <zone>', help: "IANA time zone the cron expression is read in, e.g. Europe/Berlin (default: this machine's)" },
      { flags: '--catch-up <policy>', help: 'firings missed while no worker ran: none, last (one run for the lot), all (each, at most 100)', choices: ['none', 'last', 'all'], default: 'last' },
      { flags: '--overlap <policy>', help: 'skip: no firing while the previous job is unfinished; allow: fire regardless', choices: ['skip', 'allow'], default: 'skip' },
      { flags: '--queue <name>', help: 'queue of the jobs (default: "default")' },
      { flags: '--max-retries <n>', help: 'retries after the first attempt (default: config max_retries when it fires)' },
      { flags: '--priority <n>', help: 'higher runs first (default: 0)' },
      { flags: '--timeout <duration>', help: `kill a job after this long: ${DURATION} (default: config job_timeout_seconds)` },
      { flags: '--cwd <dir>', help: 'directory the jobs run in (default: this one)' },
      JSON_OPTION('print the schedule as JSON'),
    ],
    helpAfter: `
Examples:
  queuectl schedule add nightly --cron "0 2 * * *" --tz Europe/Berlin -- ./backup.sh
  queuectl schedule add heartbeat --every 30s --overlap allow -- curl -fsS https://example.com/ping
  queuectl schedule add report --cron "0 9 * * 1" --catch-up none -- ./weekly-report.sh

The command after -- is taken as enqueue takes it. Daylight saving, as croner defines it: a
fixed time that does not exist (02:30 on a spring-forward night) runs right after the gap, and
once when it occurs twice; "0 * * * *" skips the missing hour and runs in both repeated ones.`,
    run: ({ args, opts, argv }) => {
      const name = str(args[0]);
      const { positional, command } = splitDashDash(argv, [name, ...strs(args[1])]);
      if (positional.length > 1) {
        throw new ValidationError(`put the command after --, e.g. queuectl schedule add ${name} --every 5m -- ${positional.slice(1).join(' ')}`);
      }
      return runScheduleAdd(name, command, opts as ScheduleAddOptions);
    },
  },
  {
    path: 'schedule list',
    description: 'every schedule: spec, next three firings, the last run and how it went, paused or not',
    options: [JSON_OPTION('print an array of schedules as JSON')],
    run: ({ opts }) => runScheduleList(opts as ScheduleOptions),
  },
  {
    path: 'schedule show',
    description: 'one schedule in full',
    args: [{ syntax: '<name>', help: 'schedule name' }],
    options: [JSON_OPTION('print the schedule as JSON')],
    run: ({ args, opts }) => runScheduleShow(str(args[0]), opts as ScheduleOptions),
  },
  {
    path: 'schedule pause',
    description: 'stop firing (jobs already enqueued still run)',
    args: [{ syntax: '<name>', help: 'schedule name' }],
    options: [JSON_OPTION('print the schedule as JSON')],
    run: ({ args, opts }) => runSchedulePause(str(args[0]), true, opts as ScheduleOptions),
  },
  {
    path: 'schedule resume',
    description: 'fire again, from the next firing after now (firings during the pause are not caught up)',
    args: [{ syntax: '<name>', help: 'schedule name' }],
    options: [JSON_OPTION('print the schedule as JSON')],
    run: ({ args, opts }) => runSchedulePause(str(args[0]), false, opts as ScheduleOptions),
  },
  {
    path: 'schedule rm',
    aliases: ['remove'],
    description: 'delete a schedule (the jobs it enqueued are kept)',
    args: [{ syntax: '<name>', help: 'schedule name' }],
    options: [JSON_OPTION('print {name, removed} as JSON')],
    run: ({ args, opts }) => runScheduleRemove(str(args[0]), opts as ScheduleOptions),
  },
  {
    path: 'schedule run',
    description: "enqueue the schedule's job now, once (paused or not); its timetable is unchanged",
    args: [{ syntax: '<name>', help: 'schedule name' }],
    options: [JSON_OPTION('print the job as JSON')],
    run: ({ args, opts }) => runScheduleRun(str(args[0]), opts as ScheduleOptions),
  },
  { path: 'worker', description: 'start, stop and list worker processes' },
  {
    path: 'worker start',
    description: 'start workers (each runs one job at a time) in detached processes, or in this terminal',
    options: [
      { flags: '--count <n>', help: 'how many workers to start', default: '1' },
      { flags: '--per-process <n>', help: 'workers run by each detached process, sharing its memory and database connection (default: 1)' },
      { flags: '--queue <name>', help: 'serve only this queue (default: every queue)' },
      { flags: '--foreground', help: 'run the workers in this process and terminal, logging to stdout, until stopped' },
      { flags: '--id <id>', help: 'worker id for --foreground with one worker (default: generated)' },
      JSON_OPTION('print the started workers as JSON'),
    ],
    run: ({ opts }) => runWorkerStart(opts as WorkerStartOptions),
  },
  {
    path: 'worker stop',
    description: 'ask workers to stop: each finishes its current job, then exits; waits and reports',
    args: [{ syntax: '[ids...]', help: 'worker ids (default: every worker)' }],
    options: [
      { flags: '--timeout <duration>', help: `how long to wait: ${DURATION} (default: config shutdown_timeout_seconds + 5s)` },
      { flags: '--force', help: 'kill running jobs now and return them to the queue (not counted as attempts)' },
      JSON_OPTION('print the report as JSON'),
    ],
    run: ({ args, opts }) => runWorkerStop(strs(args[0]), opts as WorkerStopOptions),
  },
  {
    path: 'worker list',
    description: 'workers with pid, host, state, current job, jobs done and last heartbeat; stale ones are marked',
    options: [JSON_OPTION('print an array of workers as JSON')],
    run: ({ opts }) => runWorkerList(opts as WorkerListOptions),
  },

  {
    path: 'status',
    description: 'job counts per state, workers, and the database in use',
    options: [JSON_OPTION('print {db, counts, workers} as JSON')],
    run: ({ opts }) => runStatus(opts as StatusOptions),
  },
  {
    path: 'list',
    description: 'list jobs, newest first, a page at a time',
    options: [
      { flags: '--state <state>', help: `only jobs in this state: ${JOB_STATES.join(', ')} (default: all)` },
      { flags: '--queue <name>', help: 'only jobs in this queue' },
      { flags: '--search <text>', help: 'only jobs whose id or command contains the text, in any case (indexed from 3 characters)' },
      { flags: '--limit <n>', help: 'jobs per page', default: '50' },
      { flags: '--offset <n>', help: 'skip this many jobs (slower on deep pages than --cursor)' },
      { flags: '--cursor <cursor>', help: 'continue from a cursor printed by the previous page' },
      JSON_OPTION('print an array of jobs as JSON'),
      { flags: '--cursor-json', help: 'print {"jobs": [...], "next": cursor or null} as JSON, to walk every page with --cursor' },
      { flags: '--jsonl', help: 'print one job per line as compact JSON' },
      { flags: '--all', help: 'with --jsonl: every matching job, read page by page (--limit jobs at a time)' },
    ],
    run: ({ opts }) => runList(opts as ListOptions),
  },
  {
    path: 'show',
    description: 'one job in full: fields, attempt history, last error and output tail',
    args: [{ syntax: '<id>', help: 'job id' }],
    options: [JSON_OPTION('print the job with its attempts as JSON')],
    run: ({ args, opts }) => runShow(str(args[0]), opts as ShowOptions),
  },
  {
    path: 'logs',
    description: "print a job's output (the stored tail); --follow streams it across retries until the job ends",
    args: [{ syntax: '<id>', help: 'job id' }],
    options: [
      { flags: '-f, --follow', help: 'keep printing new output until the job is completed, dead or cancelled' },
      JSON_OPTION('print {id, state, attempt, output, output_bytes} as JSON'),
    ],
    run: ({ args, opts }) => runLogs(str(args[0]), opts as LogsOptions),
  },

  {
    path: 'retry',
    description: 'run a failed job now instead of waiting for its backoff (dead jobs: use dlq retry)',
    args: [{ syntax: '<id>', help: 'job id' }],
    options: [JSON_OPTION('print the job as JSON')],
    run: ({ args, opts }) => runRetry(str(args[0]), opts as ActionOptions),
  },
  {
    path: 'cancel',
    description: 'take a job out of the queue (pending, waiting or failed; a running one is stopped within a second): it becomes cancelled and keeps its history',
    args: [{ syntax: '<id>', help: 'job id' }],
    options: [JSON_OPTION('print the job as JSON')],
    run: ({ args, opts }) => runCancel(str(args[0]), opts as ActionOptions),
  },
  {
    path: 'rerun',
    description: 'run a completed job again as a copy: a new job <id>.rerun-N with the same command and options, fresh attempts',
    args: [{ syntax: '<id>', help: 'id of a completed job' }],
    options: [JSON_OPTION('print the new job as JSON')],
    helpAfter: '\nExample:\n  queuectl rerun nightly-report   # enqueues nightly-report.rerun-1',
    run: ({ args, opts }) => runRerun(str(args[0]), opts as ActionOptions),
  },

  { path: 'dlq', description: 'the dead letter queue: jobs whose retries are exhausted' },
  {
    path: 'dlq list',
    description: 'dead jobs, newest first, with their last error',
    options: [
      { flags: '--limit <n>', help: 'jobs per page', default: '50' },
      { flags: '--offset <n>', help: 'skip this many jobs' },
      { flags: '--cursor <cursor>', help: 'continue from a cursor printed by the previous page' },
      { flags: '--search <text>', help: 'only jobs whose id or command contains the text, in any case (indexed from 3 characters)' },
      { flags: '--queue <name>', help: 'only jobs in this queue' },
      JSON_OPTION('print an array of jobs as JSON'),
      { flags: '--cursor-json', help: 'print {"jobs": [...], "next": cursor or null} as JSON, to walk every page with --cursor' },
      { flags: '--jsonl', help: 'print one job per line as compact JSON' },
      { flags: '--all', help: 'with --jsonl: every dead job, read page by page (--limit jobs at a time)' },
    ],
    run: ({ opts }) => runList(opts as ListOptions, 'dlq'),
  },
  {
    path: 'dlq retry',
    description: 'move a dead job (or every one with --all) back to pending, with its attempts reset',
    args: [{ syntax: '[id]', help: 'job id' }],
    options: [{ flags: '--all', help: 'retry every dead job' }, JSON_OPTION('print the job (or {retried: n}) as JSON')],
    run: ({ args, opts }) => runDlqRetry(args[0] as string | undefined, opts as DlqRetryOptions),
  },
  {
    path: 'dlq delete',
    description: 'delete dead jobs (by id, or every one with --all --yes) with their attempts and events',
    args: [{ syntax: '[id...]', help: 'job ids' }],
    options: [
      { flags: '--all', help: 'every dead job (with --search/--queue: every one they match)' },
      { flags: '--search <text>', help: 'with --all: only jobs whose id or command contains the text' },
      { flags: '--queue <name>', help: 'with --all: only jobs in this queue' },
      { flags: '-y, --yes', help: 'confirm --all' },
      JSON_OPTION('print {deleted: [ids], not_deleted: [...]} (or {deleted: n}) as JSON'),
    ],
    helpAfter: '\nExamples:\n  queuectl dlq delete job-17 job-18\n  queuectl dlq delete --all --search backup --yes\n\nExit code 2 when a given job is missing or not dead (the others are still deleted).',
    run: ({ args, opts }) => runDlqDelete((args[0] as string[] | undefined) ?? [], opts as DlqDeleteOptions),
  },
  {
    path: 'dlq purge',
    description: 'delete dead jobs and their history',
    options: [{ flags: '--older-than <duration>', help: `only jobs that died longer ago than this: ${DURATION}` }, JSON_OPTION('print {purged: n} as JSON')],
    run: ({ opts }) => runPurge(opts as PurgeOptions, 'dead'),
  },
  {
    path: 'purge',
    description: 'delete finished jobs (completed, dead or cancelled) and their history',
    options: [
      { flags: '--state <state>', help: 'which finished jobs: completed, dead, cancelled (repeat or comma-separate)', default: [], repeat: true },
      { flags: '--older-than <duration>', help: `only jobs that finished longer ago than this: ${DURATION}` },
      JSON_OPTION('print {purged: n} as JSON'),
    ],
    helpAfter: '\nExample:\n  queuectl purge --state completed --older-than 7d',
    run: ({ opts }) => runPurge(opts as PurgeOptions),
  },

  {
    path: 'config',
    description: 'settings stored in the database, shared by every worker',
    helpAfter: '\nKeys accept dashes too (max-retries), and default_max_retries as an alias of max_retries.',
  },
  {
    path: 'config list',
    description: 'every key with its value, default and meaning',
    options: [JSON_OPTION('print {key: value} as JSON')],
    run: ({ opts }) => runConfigList(opts as ConfigOptions),
  },
  {
    path: 'config get',
    description: 'print one value',
    args: [{ syntax: '<key>', help: 'config key, e.g. max_retries' }],
    options: [JSON_OPTION('print {key, value} as JSON')],
    run: ({ args, opts }) => runConfigGet(str(args[0]), opts as ConfigOptions),
  },
  {
    path: 'config set',
    description: 'change one value (validated); running workers pick it up within seconds',
    args: [
      { syntax: '<key>', help: 'config key, e.g. max_retries' },
      { syntax: '<value>', help: 'new value, a number' },
    ],
    options: [JSON_OPTION('print {key, value} as JSON')],
    run: ({ args, opts }) => runConfigSet(str(args[0]), str(args[1]), opts as ConfigOptions),
  },

  {
    path: 'dashboard',
    aliases: ['ui'],
    description: 'open the full-screen dashboard (needs an interactive terminal)',
    options: [{ flags: '--refresh <duration>', help: `refresh interval: ${DURATION}`, default: '1s' }],
    run: ({ opts }) => runDashboardCommand(opts as DashboardOptions),
  },

  {
    path: 'completion',
    description: 'print a shell completion script for bash, zsh or fish',
    args: [{ syntax: '<shell>', help: 'the shell to complete in', choices: ['bash', 'zsh', 'fish'] }],
    helpAfter: `
Completes commands, options, state names and config keys, and from the database job ids,
queue names and worker ids (the database given with --db on the line, or the default).

Examples:
  source <(queuectl completion bash)                             # in ~/.bashrc
  source <(queuectl completion zsh)                              # in ~/.zshrc
  queuectl completion fish > ~/.config/fish/completions/queuectl.fish`,
    usesProgram: true,
    run: async ({ args, program }) => (await import('./completion.js')).runCompletion(str(args[0]), program as Command),
  },
  // What the completion scripts call on each TAB: `queuectl complete -- <words typed so far>`.
  {
    path: 'complete',
    description: '',
    hidden: true,
    args: [{ syntax: '[words...]' }],
    usesProgram: true,
    run: async ({ args, program }) => (await import('./completion.js')).runComplete(strs(args[0]), program as Command),
  },
];

// ------------------------------------------------------------------------------------------
// Reading the declarations: the same for every parser.

export interface OptionShape {
  long: string;
  short: string | undefined;
  /** Commander's attribute name: `--max-retries` → maxRetries. */
  key: string;
  takesValue: boolean;
  /** `[value]`: commander's optional-value option (none are declared; the fast path leaves them to commander). */
  optionalValue: boolean;
}

export function optionShape(o: OptionSpec): OptionShape {
  const m = /^(?:(-\w), )?(--[\w-]+)(?: ([<[]).*[>\]])?$/.exec(o.flags);
  if (!m) throw new Error(`cannot read option flags "${o.flags}"`);
  const long = m[2];
  const key = long.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  return { long, short: m[1], key, takesValue: m[3] !== undefined, optionalValue: m[3] === '[' };
}

export interface ArgumentShape {
  name: string;
  required: boolean;
  variadic: boolean;
}

export function argumentShape(a: ArgumentSpec): ArgumentShape {
  const m = /^([<[])([\w-]+)(\.\.\.)?[>\]]$/.exec(a.syntax);
  if (!m) throw new Error(`cannot read argument "${a.syntax}"`);
  return { name: m[2], required: m[1] === '<', variadic: m[3] !== undefined };
}
