/**
 * Commander costs about 13 ms of a process that otherwise needs ~50, so the everyday commands
 * (status, enqueue, list, show, worker list, and every other one that does not describe the
 * program itself) are parsed here, from the same command table (table.ts) commander's program is
 * built from, and run by the same `run` with the same values. This parser accepts only the plain
 * shapes it is sure commander reads the same way; anything else (help, version, short flags it
 * does not know, an unknown or incomplete option, a value that looks like an option, a missing
 * or extra argument) returns null, and commander parses the line, so help and errors stay
 * commander's. test/cli/fast-path.test.ts walks the table to check the two agree.
 */

import { type Call, COMMANDS, type CommandSpec, GLOBAL_OPTIONS, type OptionShape, type OptionSpec, argumentShape, optionShape } from './table.js';

export type FastRun = () => Promise<number>;

export interface FastParse {
  spec: CommandSpec;
  call: Call;
}

interface KnownOption extends OptionShape {
  spec: OptionSpec;
}

const known = (options: readonly OptionSpec[] | undefined): KnownOption[] => (options ?? []).map((spec) => ({ ...optionShape(spec), spec }));
const GLOBALS = known(GLOBAL_OPTIONS);

/** The commands under `parent` ('' for the top), by each of their names. */
function children(parent: string): Map<string, CommandSpec> {
  const found = new Map<string, CommandSpec>();
  const depth = parent === '' ? 1 : parent.split(' ').length + 1;
  for (const spec of COMMANDS) {
    const words = spec.path.split(' ');
    if (words.length !== depth || words.slice(0, -1).join(' ') !== parent) continue;
    for (const name of [words[words.length - 1], ...(spec.aliases ?? [])]) found.set(name, spec);
  }
  return found;
}

/** Commander reads these as numbers, not options, wherever an option's value or an operand may stand. */
const NEGATIVE_NUMBER = /^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/;
const looksLikeOption = (arg: string) => arg.length > 1 && arg[0] === '-';

export function parseFast(argv: readonly string[]): FastParse | null {
  const values = new Map<KnownOption, unknown>();
  const operands: string[] = [];
  let spec: CommandSpec | undefined;
  let options = GLOBALS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      if (!spec?.run) return null;
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (looksLikeOption(arg)) {
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      const option = options.find((o) => o.long === name || o.short === name);
      if (!option || option.optionalValue) return null;
      if (!option.takesValue) {
        if (eq > 0) return null;
        values.set(option, true);
        continue;
      }
      let value: string;
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        // Commander would take any next word, but a word that looks like an option may be one of
        // the program's own (--db, --version, -h), which it reads first, wherever it stands.
        if (i + 1 >= argv.length || (looksLikeOption(argv[i + 1]) && !NEGATIVE_NUMBER.test(argv[i + 1]))) return null;
        value = argv[++i];
      }
      if (option.spec.choices && !option.spec.choices.includes(value)) return null;
      values.set(option, option.spec.repeat ? [...((values.get(option) as string[] | undefined) ?? option.spec.default ?? []), value] : value);
      continue;
    }
    if (spec?.run) {
      operands.push(arg);
      continue;
    }
    // A command's name, or a subcommand's name after its group's.
    const next = children(spec?.path ?? '').get(arg);
    if (!next) return null;
    spec = next;
    if (spec.run) options = [...known(spec.options), ...GLOBALS];
  }
  if (!spec?.run || spec.usesProgram) return null;

  const args: Call['args'] = [];
  let k = 0;
  for (const a of spec.args ?? []) {
    const shape = argumentShape(a);
    const given = shape.variadic ? operands.slice(k) : operands.slice(k, k + 1);
    k += given.length;
    if (shape.required && given.length === 0) return null;
    if (a.choices && given.some((v) => !a.choices?.includes(v))) return null;
    args.push(shape.variadic ? given : given[0]);
  }
  if (k < operands.length) return null;

  const opts: Record<string, unknown> = {};
  for (const o of known(spec.options)) {
    if (o.spec.default !== undefined) opts[o.key] = Array.isArray(o.spec.default) ? [...o.spec.default] : o.spec.default;
  }
  for (const [o, v] of values) opts[o.key] = v;
  return { spec, call: { args, opts, argv } };
}

export function fastPath(argv: readonly string[]): FastRun | null {
  const p = parseFast(argv);
  if (p === null) return null;
  const run = p.spec.run as NonNullable<CommandSpec['run']>;
  return async () => run(p.call);
}
