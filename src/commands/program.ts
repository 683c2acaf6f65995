import { Argument, Command, CommanderError, Option } from 'commander';
import { packageVersion } from '../package-root.js';
import { type Call, COMMANDS, type CommandSpec, GLOBAL_OPTIONS, type OptionSpec, PROGRAM } from './table.js';

/**
 * Commander's program, built from the command table (table.ts): every subcommand, its options
 * and help. Each action loads its command module only when it runs, so a command pays only
 * for what it uses.
 */

/** Set at build time from package.json; read from it when running from the sources. */
declare const QUEUECTL_VERSION: string | undefined;

function version(): string {
  if (typeof QUEUECTL_VERSION === 'string') return QUEUECTL_VERSION;
  try {
    return packageVersion();
  } catch {
    return '0.0.0';
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export interface ProgramResult {
  exitCode: number;
}

/** How an action runs its command: by default the table's `run`; the tests record the call instead. */
export type Runner = (spec: CommandSpec, call: Call) => Promise<number> | number;

const runSpec: Runner = (spec, call) => (spec.run as NonNullable<CommandSpec['run']>)(call);

function commanderOption(o: OptionSpec): Option {
  const option = new Option(o.flags, o.help);
  if (o.repeat) {
    option.argParser(collect);
    // No default: absent when never given, as the fast path leaves it.
    if (o.default !== undefined) option.default([...(o.default as readonly string[])]);
  } else if (o.default !== undefined) option.default(o.default);
  if (o.choices) option.choices(o.choices);
  return option;
}

export function buildProgram(argv: readonly string[], result: ProgramResult, runner: Runner = runSpec): Command {
  const program = new Command(PROGRAM.name);
  // Set before any subcommand is added: commander copies these settings to subcommands.
  program.exitOverride();
  program.configureOutput({
    // One line, commander's "(Did you mean …?)" suggestion included.
    outputError: (message, write) => write(`queuectl: ${message.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
  });
  program
    .description(PROGRAM.description)
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', PROGRAM.helpAfter);
  for (const o of GLOBAL_OPTIONS) program.addOption(commanderOption(o));

  const byPath = new Map<string, Command>([['', program]]);
  for (const spec of COMMANDS) {
    const words = spec.path.split(' ');
    const parent = byPath.get(words.slice(0, -1).join(' '));
    if (!parent) throw new Error(`command "${spec.path}" comes before its group`);
    const cmd = parent.command(words[words.length - 1], { hidden: spec.hidden === true });
    byPath.set(spec.path, cmd);
    if (spec.description) cmd.description(spec.description);
    if (spec.summary) cmd.summary(spec.summary);
    for (const alias of spec.aliases ?? []) cmd.alias(alias);
    for (const a of spec.args ?? []) {
      const arg = new Argument(a.syntax, a.help);
      if (a.choices) arg.choices(a.choices);
      cmd.addArgument(arg);
    }
    for (const o of spec.options ?? []) cmd.addOption(commanderOption(o));
    if (spec.helpAfter) cmd.addHelpText('after', spec.helpAfter);
    if (!spec.run) continue;
    // Commander calls an action with one value per argument, then the options, then the command.
    cmd.action(async (...values: unknown[]) => {
      const self = values[values.length - 1] as Command;
      const args = values.slice(0, -2) as Call['args'];
      // The command's own options plus the global ones (--db).
      const call: Call = { args, opts: self.optsWithGlobals(), argv, ...(spec.usesProgram ? { program } : {}) };
      result.exitCode = await runner(spec, call);
    });
  }
  return program;
}

/** Commander's own outcomes as exit codes: help and version are success, usage mistakes are bad input. */
export function commanderExitCode(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
  if (e.code === 'commander.help') return e.exitCode === 0 ? 0 : 2;
  return 2;
}

/** Parses argv and runs the command; returns the exit code. Engine errors propagate to the caller. */
export async function runProgram(argv: readonly string[], runner: Runner = runSpec): Promise<number> {
  const result: ProgramResult = { exitCode: 0 };
  const program = buildProgram(argv, result, runner);
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
