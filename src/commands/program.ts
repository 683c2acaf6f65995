import { packageVersion } from '../package-root.js';
import { Argument, Command, CommanderError, Option } from 'commander';
import { JOB_STATES } from '../engine/types.js';

/**
 * Every subcommand, its options and help, as commander sees them. Each action loads its
 * command module only when it runs, so a command pays only for what it uses.
 */

const DURATION = 'a duration such as 30s, 5m, 1h30m or 500ms';

function version(): string {
  try {
    return packageVersion();
  } catch {
    return '0.0.0';
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Words after the first `--` are a command to run; commander hands them over mixed with the others. */
export function splitDashDash(argv: readonly string[], operands: string[]): { positional: string[]; command: string[] | null } {
  const at = argv.indexOf('--');
  if (at < 0) return { positional: operands, command: null };
  const command = argv.slice(at + 1);
  return { positional: operands.slice(0, Math.max(0, operands.length - command.length)), command };
}

export interface ProgramResult {
  exitCode: number;
}

export function buildProgram(argv: readonly string[], result: ProgramResult): Command {
  const program = new Command('queuectl');
  // Set before any subcommand is added: commander copies these settings to subcommands.
  program.exitOverride();
  program.configureOutput({
    // One line, commander's "(Did you mean …?)" suggestion included.
    outputError: (message, write) => write(`queuectl: ${message.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
  });
  program
    .description('A background job queue for shell commands: enqueue, run with workers, retry with backoff, inspect.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .option('--db <path|uri>', 'database to use: a SQLite file path or a mongodb:// URI (default: $QUEUECTL_DB, $MONGO_URI, or ~/.local/share/queuectl/queue.db)')
    .addHelpText(
      'after',
      `
With no command on an interactive terminal, opens the dashboard.

Examples:
  queuectl enqueue '{"id":"job-ok","command":"echo This will succeed"}'
  queuectl enqueue --max-retries 5 --delay 10s -- ./backup.sh --full
  queuectl worker start --count 2
  queuectl status
  queuectl list --state failed
  queuectl dlq retry --all

Exit codes: 0 success, 2 bad input, 1 runtime failure.`,
    );

  /** The command's own options plus the global ones (`--db`). */
  const opts = <T>(cmd: Command) => cmd.optsWithGlobals() as T;

  // --- enqueue -------------------------------------------------------------------------

  program
    .command('enqueue')
    .summary('add a job (JSON, or a command after --), or many from a file')
    .description('Add a job to the queue: as JSON, as a command after --, or many jobs from a file (one JSON per line, all or none).')
    .argument('[job...]', `the job as JSON: '{"command": "...", "id", "max_retries", "priority", "run_at", "timeout_seconds", "queue"}'`)
    .option('--id <id>', 'job id (default: generated)')
    .option('--max-retries <n>', 'retries after the first attempt (default: config max_retries)')
    .option('--priority <n>', 'higher runs first (default: 0)')
    .option('--delay <duration>', `run no earlier than this from now: ${DURATION}`)
    .option('--run-at <time>', 'run no earlier than this ISO-8601 time, e.g. 2030-01-31T09:00:00Z')
    .option('--timeout <duration>', `kill the job after this long: ${DURATION} (default: config job_timeout_seconds)`)
    .option('--queue <name>', 'queue to put the job in (default: "default")')
    .option('--file <path>', 'read one JSON job per line from a file, or - for standard input')
    .option('--json', 'print the created job(s) as JSON')
    .option('--wait', 'wait until the job is finished and exit with how it ended (0 completed, its exit code when it died with one, 3 otherwise)')
    .option('--follow', 'with --wait: stream the job\'s output while it runs')
    .option('--wait-timeout <duration>', `with --wait: give up after this long, exit 4: ${DURATION}`)
    .addHelpText(
      'after',
      `
Examples:
  queuectl enqueue '{"id":"job-ok","command":"echo This will succeed"}'
  queuectl enqueue --priority 5 --timeout 10m -- 'make test && make deploy'
  queuectl enqueue --file jobs.jsonl
  cat jobs.jsonl | queuectl enqueue --file -

A single word after -- is run by /bin/sh as written (pipes and && work); several words are
kept as separate arguments.`,
    )
    .action(async (operands: string[], _o: unknown, cmd: Command) => {
      const { runEnqueue } = await import('./enqueue.js');
      result.exitCode = await runEnqueue(splitDashDash(argv, operands), opts(cmd));
    });

  program
    .command('wait')
    .description('wait until jobs are finished (completed, dead or cancelled), printing each as it ends')
    .argument('<ids...>', 'job ids')
    .option('--timeout <duration>', `give up after this long: ${DURATION}`)
    .option('--json', 'print the jobs as JSON once all are finished')
    .addHelpText('after', '\nExit codes: 0 every job completed, 3 some job is dead or cancelled, 4 timed out, 2 bad input, 1 runtime failure.')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const { runWait } = await import('./wait.js');
      result.exitCode = await runWait(ids, opts(cmd));
    });

  program
    .command('events')
    .description('the event log: one line per job transition and per worker start or stop, oldest first')
    .option('--follow', 'keep printing events as they happen, until interrupted')
    .option('--json', 'one JSON object per line')
    .option('--queue <name>', 'only events of jobs in this queue')
    .option('--job <id>', 'only events of this job')
    .option('--since <duration>', `only events from this long ago: ${DURATION}`)
    .action(async (_o: unknown, cmd: Command) => {
      const { runEvents } = await import('./events.js');
      result.exitCode = await runEvents(opts(cmd));
    });

  const queueCmd = program.command('queue').description('queues: list them with their counts, pause and resume them');
  queueCmd
    .command('list')
    .description('every queue with its counts per state, and whether it is paused')
    .option('--json', 'print the queues as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const { runQueueList } = await import('./queue.js');
      result.exitCode = await runQueueList(opts(cmd));
    });
  for (const [verb, paused, what] of [
    ['pause', true, 'stop taking the queue\'s jobs (running ones finish); enqueueing still works'],
    ['resume', false, 'take the queue\'s jobs again'],
  ] as const) {
    queueCmd
      .command(verb)
      .description(what)
      .argument('<name>', 'the queue')
      .option('--json', 'print the result as JSON')
      .action(async (name: string, _o: unknown, cmd: Command) => {
        const { runQueuePause } = await import('./queue.js');
        result.exitCode = await runQueuePause(name, paused, opts(cmd));
      });
  }

  // --- schedules -----------------------------------------------------------------------

  const schedule = program
    .command('schedule')
    .description('recurring jobs: a cron expression or an interval that enqueues a job at each firing; workers fire them')
    .addHelpText(
      'after',
      `
Examples:
  queuectl schedule add nightly --cron "0 2 * * *" --tz Europe/Berlin -- ./backup.sh
  queuectl schedule add sync --every 5m --queue ops --timeout 4m -- 'rsync -a src/ dst/'
  queuectl schedule list
  queuectl schedule run nightly          # one job now; the timetable is unchanged
  queuectl schedule pause nightly`,
    );
  schedule
    .command('add')
    .description('add a schedule; each firing enqueues the command as a job with the id <name>@<firing time>')
    .argument('<name>', 'schedule name: 1-64 letters, digits or ._:-')
    .argument('[command...]', 'the command to run, after --')
    .option('--cron <expression>', 'five fields (minute hour day month weekday), or six with seconds first, e.g. "*/15 9-17 * * 1-5"')
    .option('--every <duration>', 'or a fixed interval, in whole seconds, first firing one interval from now: e.g. 30s, 5m, 1h, 1d')
    .option('--tz <zone>', 'IANA time zone the cron expression is read in, e.g. Europe/Berlin (default: this machine\'s)')
    .addOption(
      new Option('--catch-up <policy>', 'firings missed while no worker ran: none, last (one run for the lot), all (each, at most 100)').choices(['none', 'last', 'all']).default('last'),
    )
    .addOption(new Option('--overlap <policy>', 'skip: no firing while the previous job is unfinished; allow: fire regardless').choices(['skip', 'allow']).default('skip'))
    .option('--queue <name>', 'queue of the jobs (default: "default")')
    .option('--max-retries <n>', 'retries after the first attempt (default: config max_retries when it fires)')
    .option('--priority <n>', 'higher runs first (default: 0)')
    .option('--timeout <duration>', `kill a job after this long: ${DURATION} (default: config job_timeout_seconds)`)
    .option('--cwd <dir>', 'directory the jobs run in (default: this one)')
    .option('--json', 'print the schedule as JSON')
    .addHelpText(
      'after',
      `
Examples:
  queuectl schedule add nightly --cron "0 2 * * *" --tz Europe/Berlin -- ./backup.sh
  queuectl schedule add heartbeat --every 30s --overlap allow -- curl -fsS https://example.com/ping
  queuectl schedule add report --cron "0 9 * * 1" --catch-up none -- ./weekly-report.sh

The command after -- is taken as enqueue takes it. Daylight saving, as croner defines it: a
fixed time that does not exist (02:30 on a spring-forward night) runs right after the gap, and
once when it occurs twice; "0 * * * *" skips the missing hour and runs in both repeated ones.`,
    )
    .action(async (name: string, words: string[], _o: unknown, cmd: Command) => {
      const { runScheduleAdd } = await import('./schedule.js');
      const { positional, command } = splitDashDash(argv, [name, ...words]);
      if (positional.length > 1) {
        const { ValidationError } = await import('../engine/errors.js');
        throw new ValidationError(`put the command after --, e.g. queuectl schedule add ${name} --every 5m -- ${positional.slice(1).join(' ')}`);
      }
      result.exitCode = await runScheduleAdd(name, command, opts(cmd));
    });
  schedule
    .command('list')
    .description('every schedule: spec, next three firings, the last run and how it went, paused or not')
    .option('--json', 'print an array of schedules as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const { runScheduleList } = await import('./schedule.js');
      result.exitCode = await runScheduleList(opts(cmd));
    });
  schedule
    .command('show')
    .description('one schedule in full')
    .argument('<name>', 'schedule name')
    .option('--json', 'print the schedule as JSON')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { runScheduleShow } = await import('./schedule.js');
      result.exitCode = await runScheduleShow(name, opts(cmd));
    });
  for (const [verb, paused, what] of [
    ['pause', true, 'stop firing (jobs already enqueued still run)'],
    ['resume', false, 'fire again, from the next firing after now (firings during the pause are not caught up)'],
  ] as const) {
    schedule
      .command(verb)
      .description(what)
      .argument('<name>', 'schedule name')
      .option('--json', 'print the schedule as JSON')
      .action(async (name: string, _o: unknown, cmd: Command) => {
        const { runSchedulePause } = await import('./schedule.js');
        result.exitCode = await runSchedulePause(name, paused, opts(cmd));
      });
  }
  schedule
    .command('rm')
    .alias('remove')
    .description('delete a schedule (the jobs it enqueued are kept)')
    .argument('<name>', 'schedule name')
    .option('--json', 'print {name, removed} as JSON')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { runScheduleRemove } = await import('./schedule.js');
      result.exitCode = await runScheduleRemove(name, opts(cmd));
    });
  schedule
    .command('run')
    .description('enqueue the schedule\'s job now, once (paused or not); its timetable is unchanged')
    .argument('<name>', 'schedule name')
    .option('--json', 'print the job as JSON')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { runScheduleRun } = await import('./schedule.js');
      result.exitCode = await runScheduleRun(name, opts(cmd));
    });

  // --- worker --------------------------------------------------------------------------

  const worker = program.command('worker').description('start, stop and list worker processes');
  worker
    .command('start')
    .description('start detached worker processes (each runs one job at a time), or one in the foreground')
    .option('--count <n>', 'how many workers to start', '1')
    .option('--queue <name>', 'serve only this queue (default: every queue)')
    .option('--foreground', 'run one worker in this terminal, logging to stdout, until stopped')
    .option('--id <id>', 'worker id for --foreground (default: generated)')
    .option('--json', 'print the started workers as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const { runWorkerStart } = await import('./worker.js');
      result.exitCode = await runWorkerStart(opts(cmd));
    });
  worker
    .command('stop')
    .description('ask workers to stop: each finishes its current job, then exits; waits and reports')
    .argument('[ids...]', 'worker ids (default: every worker)')
    .option('--timeout <duration>', `how long to wait: ${DURATION} (default: config shutdown_timeout_seconds + 5s)`)
    .option('--force', 'kill running jobs now and return them to the queue (not counted as attempts)')
    .option('--json', 'print the report as JSON')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const { runWorkerStop } = await import('./worker.js');
      result.exitCode = await runWorkerStop(ids, opts(cmd));
    });
  worker
    .command('list')
    .description('workers with pid, host, state, current job, jobs done and last heartbeat; stale ones are marked')
    .option('--json', 'print an array of workers as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const { runWorkerList } = await import('./worker.js');
      result.exitCode = await runWorkerList(opts(cmd));
    });

  // --- reads ---------------------------------------------------------------------------

  program
    .command('status')
    .description('job counts per state, workers, and the database in use')
    .option('--json', 'print {db, counts, workers} as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const { runStatus } = await import('./status.js');
      result.exitCode = await runStatus(opts(cmd));
    });

  program
    .command('list')
    .description('list jobs, newest first, a page at a time')
    .option('--state <state>', `only jobs in this state: ${JOB_STATES.join(', ')} (default: all)`)
    .option('--queue <name>', 'only jobs in this queue')
    .option('--search <text>', 'only jobs whose id or command contains the text')
    .option('--limit <n>', 'jobs per page', '50')
    .option('--offset <n>', 'skip this many jobs (slower on deep pages than --cursor)')
    .option('--cursor <cursor>', 'continue from a cursor printed by the previous page')
    .option('--json', 'print an array of jobs as JSON')
    .option('--cursor-json', 'print {"jobs": [...], "next": cursor or null} as JSON, to walk every page with --cursor')
    .option('--jsonl', 'print one job per line as compact JSON')
    .option('--all', 'with --jsonl: every matching job, read page by page (--limit jobs at a time)')
    .action(async (_o: unknown, cmd: Command) => {
      const { runList } = await import('./list.js');
      result.exitCode = await runList(opts(cmd));
    });

  program
    .command('show')
    .description('one job in full: fields, attempt history, last error and output tail')
    .argument('<id>', 'job id')
    .option('--json', 'print the job with its attempts as JSON')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { runShow } = await import('./show.js');
      result.exitCode = await runShow(id, opts(cmd));
    });

  program
    .command('logs')
    .description("print a job's output (the stored tail); --follow streams it across retries until the job ends")
    .argument('<id>', 'job id')
    .option('-f, --follow', 'keep printing new output until the job is completed, dead or cancelled')
    .option('--json', 'print {id, state, attempt, output, output_bytes} as JSON')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { runLogs } = await import('./logs.js');
      result.exitCode = await runLogs(id, opts(cmd));
    });

  // --- actions -------------------------------------------------------------------------

  program
    .command('retry')
    .description('run a failed job now instead of waiting for its backoff (dead jobs: use dlq retry)')
    .argument('<id>', 'job id')
    .option('--json', 'print the job as JSON')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { runRetry } = await import('./actions.js');
      result.exitCode = await runRetry(id, opts(cmd));
    });

  program
    .command('cancel')
    .description('take a pending or failed job out of the queue: it becomes cancelled and keeps its history')
    .argument('<id>', 'job id')
    .option('--json', 'print the job as JSON')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const { runCancel } = await import('./actions.js');
      result.exitCode = await runCancel(id, opts(cmd));
    });

  const dlq = program.command('dlq').description('the dead letter queue: jobs whose retries are exhausted');
  dlq
    .command('list')
    .description('dead jobs, newest first, with their last error')
    .option('--limit <n>', 'jobs per page', '50')
    .option('--offset <n>', 'skip this many jobs')
    .option('--cursor <cursor>', 'continue from a cursor printed by the previous page')
    .option('--search <text>', 'only jobs whose id or command contains the text')
    .option('--queue <name>', 'only jobs in this queue')
    .option('--json', 'print an array of jobs as JSON')
    .option('--cursor-json', 'print {"jobs": [...], "next": cursor or null} as JSON, to walk every page with --cursor')
    .option('--jsonl', 'print one job per line as compact JSON')
    .option('--all', 'with --jsonl: every dead job, read page by page (--limit jobs at a time)')
    .action(async (_o: unknown, cmd: Command) => {
      const { runList } = await import('./list.js');
      result.exitCode = await runList(opts(cmd), 'dlq');
    });
  dlq
    .command('retry')
    .description('move a dead job (or every one with --all) back to pending, with its attempts reset')
    .argument('[id]', 'job id')
    .option('--all', 'retry every dead job')
    .option('--json', 'print the job (or {retried: n}) as JSON')
    .action(async (id: string | undefined, _o: unknown, cmd: Command) => {
      const { runDlqRetry } = await import('./actions.js');
      result.exitCode = await runDlqRetry(id, opts(cmd));
    });
  dlq
    .command('purge')
    .description('delete dead jobs and their history')
    .option('--older-than <duration>', `only jobs that died longer ago than this: ${DURATION}`)
    .option('--json', 'print {purged: n} as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const { runPurge } = await import('./purge.js');
      result.exitCode = await runPurge(opts(cmd), 'dead');
    });

  program
    .command('purge')
    .description('delete finished jobs (completed, dead or cancelled) and their history')
    .option('--state <state>', 'which finished jobs: completed, dead, cancelled (repeat or comma-separate)', collect, [])
    .option('--older-than <duration>', `only jobs that finished longer ago than this: ${DURATION}`)
    .option('--json', 'print {purged: n} as JSON')
    .addHelpText('after', '\nExample:\n  queuectl purge --state completed --older-than 7d')
    .action(async (_o: unknown, cmd: Command) => {
      const { runPurge } = await import('./purge.js');
      result.exitCode = await runPurge(opts(cmd));
    });

  // --- config --------------------------------------------------------------------------

  const config = program
    .command('config')
    .description('settings stored in the database, shared by every worker')
    .addHelpText('after', '\nKeys accept dashes too (max-retries), and default_max_retries as an alias of max_retries.');
  config
    .command('list')
    .description('every key with its value, default and meaning')
    .option('--json', 'print {key: value} as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const { runConfigList } = await import('./config.js');
      result.exitCode = await runConfigList(opts(cmd));
    });
  config
    .command('get')
    .description('print one value')
    .argument('<key>', 'config key, e.g. max_retries')
    .option('--json', 'print {key, value} as JSON')
    .action(async (key: string, _o: unknown, cmd: Command) => {
      const { runConfigGet } = await import('./config.js');
      result.exitCode = await runConfigGet(key, opts(cmd));
    });
  config
    .command('set')
    .description('change one value (validated); running workers pick it up within seconds')
    .argument('<key>', 'config key, e.g. max_retries')
    .argument('<value>', 'new value, a number')
    .option('--json', 'print {key, value} as JSON')
    .action(async (key: string, value: string, _o: unknown, cmd: Command) => {
      const { runConfigSet } = await import('./config.js');
      result.exitCode = await runConfigSet(key, value, opts(cmd));
    });

  // --- dashboard -----------------------------------------------------------------------

  program
    .command('dashboard')
    .alias('ui')
    .description('open the full-screen dashboard (needs an interactive terminal)')
    .option('--refresh <duration>', `refresh interval: ${DURATION}`, '1s')
    .action(async (_o: unknown, cmd: Command) => {
      const { runDashboardCommand } = await import('./dashboard.js');
      result.exitCode = await runDashboardCommand(opts(cmd));
    });

  // --- shell completion ----------------------------------------------------------------

  program
    .command('completion')
    .description('print a shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Completes commands, options, state names and config keys, and from the database job ids,
queue names and worker ids (the database given with --db on the line, or the default).

Examples:
  source <(queuectl completion bash)                             # in ~/.bashrc
  source <(queuectl completion zsh)                              # in ~/.zshrc
  queuectl completion fish > ~/.config/fish/completions/queuectl.fish`,
    )
    .action(async (shell: string) => {
      const { runCompletion } = await import('./completion.js');
      result.exitCode = runCompletion(shell, program);
    });
  // What the completion scripts call on each TAB: `queuectl complete -- <words typed so far>`.
  program
    .command('complete', { hidden: true })
    .argument('[words...]')
    .action(async (words: string[]) => {
      const { runComplete } = await import('./completion.js');
      result.exitCode = await runComplete(words, program);
    });

  return program;
}

/** Commander's own outcomes as exit codes: help and version are success, usage mistakes are bad input. */
export function commanderExitCode(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
  if (e.code === 'commander.help') return e.exitCode === 0 ? 0 : 2;
  return 2;
}

/** Parses argv and runs the command; returns the exit code. Engine errors propagate to the caller. */
export async function runProgram(argv: readonly string[]): Promise<number> {
  const result: ProgramResult = { exitCode: 0 };
  const program = buildProgram(argv, result);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return commanderExitCode(e);
    throw e;
  }
  return result.exitCode;
}

/** Help for the whole program, for `queuectl` alone when no terminal can show the dashboard. */
export function printHelp(): void {
  buildProgram([], { exitCode: 0 }).outputHelp();
}
