/**
 * Shell completion: `queuectl completion bash|zsh|fish` prints a script (made by @bomb.sh/tab),
 * and the script asks `queuectl complete -- <words typed so far>` for candidates on every TAB.
 * The candidates come from commander's own definitions of commands, options and arguments, so
 * they never drift from what the parser accepts; state names and config keys are fixed lists,
 * and job ids, queue names and worker ids are read from the database.
 *
 * This module (and the library) load only for these two commands.
 */

import { existsSync } from 'node:fs';
import { type Complete, RootCommand, type Command as TabCommand } from '@bomb.sh/tab';
import type { Command, Option } from 'commander';
import { CONFIG_KEY_NAMES } from '../engine/config.js';
import { resolveDbTarget } from '../engine/open.js';
import type { Queue } from '../engine/queue.js';
import { JOB_STATES, type JobState } from '../engine/types.js';
import { withQueue } from './shared.js';
import { writeFd } from './stdio.js';

/** States `purge --state` accepts: only finished jobs can be purged. */
const FINISHED_STATES: JobState[] = ['completed', 'dead', 'cancelled'];

/** Which jobs a command's id argument can act on (default: any job). */
const ID_STATES: Record<string, JobState[]> = {
  retry: ['failed'],
  cancel: ['pending', 'failed'],
  'dlq retry': ['dead'],
  'dlq delete': ['dead'],
  rerun: ['completed'],
};

/** How many job ids or queue names a completion offers at most. */
const MAX_CANDIDATES = 200;
/** Queue names are gathered from this many of the newest jobs (there is no list of queues). */
const QUEUE_SCAN = 2000;

/**
 * Without the bash-completion package, `_get_comp_words_by_ref` (which the generated bash script
 * calls) does not exist; this stand-in gives the same four variables from COMP_WORDS.
 */
const BASH_PRELUDE = `# queuectl completion for bash: source this file, e.g. from ~/.bashrc:
#   source <(queuectl completion bash)
if ! declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
  _get_comp_words_by_ref() {
    cur=\${COMP_WORDS[COMP_CWORD]}
    prev=\${COMP_WORDS[COMP_CWORD-1]}
    words=("\${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  }
fi
`;

// ------------------------------------------------------------------------------------------
// What the database is asked for, and what it answered.

type Lookup = { kind: 'jobs'; states: JobState[] | null } | { kind: 'queues' } | { kind: 'workers' } | { kind: 'schedules' };

const lookupKey = (l: Lookup): string => (l.kind === 'jobs' ? `jobs:${l.states?.join(',') ?? '*'}` : l.kind);

/**
 * Dynamic candidates. The library calls handlers synchronously, so completion runs twice when
 * needed: the first pass only records which lookups the handlers asked for, then those are read
 * from the database, and the second pass offers them.
 */
class Lookups {
  readonly wanted = new Map<string, Lookup>();
  readonly found = new Map<string, string[]>();

  offer(lookup: Lookup, complete: Complete, description: string): void {
    const key = lookupKey(lookup);
    const values = this.found.get(key);
    if (values === undefined) {
      this.wanted.set(key, lookup);
      return;
    }
    for (const v of values) complete(v, description);
  }
}

async function readLookups(queue: Queue, lookups: Lookups, prefix: string): Promise<void> {
  const matching = (values: Iterable<string>) => [...new Set(values)].filter((v) => v.startsWith(prefix)).slice(0, MAX_CANDIDATES);
  for (const [key, lookup] of lookups.wanted) {
    if (lookup.kind === 'jobs') {
      const ids: string[] = [];
      for (const state of lookup.states ?? [undefined]) {
        const page = await queue.list({ limit: MAX_CANDIDATES, ...(state ? { state } : {}), ...(prefix ? { search: prefix } : {}) });
        ids.push(...page.jobs.map((j) => j.id));
      }
      lookups.found.set(key, matching(ids));
    } else if (lookup.kind === 'workers') {
      lookups.found.set(key, matching((await queue.workers()).map((w) => w.id)));
    } else if (lookup.kind === 'schedules') {
      lookups.found.set(key, matching((await queue.schedules.list()).map((s) => s.name)));
    } else {
      const names = new Set<string>(['default']);
      for (const w of await queue.workers()) if (w.queue !== null) names.add(w.queue);
      let cursor: string | undefined;
      for (let seen = 0; seen < QUEUE_SCAN; ) {
        const page = await queue.list({ limit: 500, ...(cursor ? { cursor } : {}) });
        for (const j of page.jobs) names.add(j.queue);
        seen += page.jobs.length;
        if (page.next_cursor === null || page.jobs.length === 0) break;
        cursor = page.next_cursor;
      }
      lookups.found.set(key, matching([...names].sort()));
    }
  }
}

// ------------------------------------------------------------------------------------------
// The completion tree, from commander's definitions.

const fixed = (values: readonly string[]) => (complete: Complete) => {
  for (const v of values) complete(v, '');
};

/** Candidates for an option's value, by option name; undefined: any value (nothing to offer). */
function optionValues(path: string, option: Option, lookups: Lookups): ((complete: Complete) => void) | undefined {
  if (option.argChoices?.length) return fixed(option.argChoices);
  switch (option.attributeName()) {
    case 'state':
      return fixed(path === 'purge' ? FINISHED_STATES : JOB_STATES);
    case 'queue':
      return (complete) => lookups.offer({ kind: 'queues' }, complete, 'queue');
    default:
      return undefined;
  }
}

/** Candidates for a positional argument of the command at `path`. */
function argumentValues(path: string, name: string, choices: readonly string[] | undefined, top: string[], lookups: Lookups): ((complete: Complete) => void) | undefined {
  if (choices?.length) return fixed(choices);
  if (path.startsWith('config ') && name === 'key') return fixed(CONFIG_KEY_NAMES);
  if (path === 'help' && name === 'command') return fixed(top);
  if (path.startsWith('schedule ') && path !== 'schedule add' && name === 'name') return (complete) => lookups.offer({ kind: 'schedules' }, complete, 'schedule');
  if (name === 'id' || name === 'ids') {
    if (path.startsWith('worker ')) return (complete) => lookups.offer({ kind: 'workers' }, complete, 'worker');
    const states = ID_STATES[path] ?? null;
    return (complete) => lookups.offer({ kind: 'jobs', states }, complete, states ? states.join(' or ') : 'job');
  }
  return undefined;
}

function addOptions(target: TabCommand, path: string, options: readonly Option[], lookups: Lookups): void {
  for (const option of options) {
    if (!option.long) continue;
    const name = option.long.slice(2);
    const short = option.short?.slice(1);
    const description = option.description ?? '';
    if (option.required || option.optional) {
      // A handler (even one offering nothing) tells the library the option takes a value.
      target.option(name, description, optionValues(path, option, lookups) ?? (() => undefined), short);
    } else if (short) {
      target.option(name, description, short);
    } else {
      target.option(name, description);
    }
  }
}

/** Every visible command, as `[path, command]`, parents before children. */
function commands(program: Command): Array<[string, Command]> {
  const found: Array<[string, Command]> = [];
  const walk = (cmd: Command, prefix: string) => {
    for (const sub of cmd.createHelp().visibleCommands(cmd)) {
      const path = prefix ? `${prefix} ${sub.name()}` : sub.name();
      found.push([path, sub]);
      walk(sub, path);
    }
  };
  walk(program, '');
  return found;
}

function completionTree(program: Command, lookups: Lookups): RootCommand {
  const root = new RootCommand();
  const globals = program.options.filter((o) => !o.hidden && o.long !== '--version');
  addOptions(root, '', program.createHelp().visibleOptions(program), lookups);
  const all = commands(program);
  const top = all.filter(([path]) => !path.includes(' ')).map(([path]) => path);
  for (const [path, cmd] of all) {
    const target = root.command(path, cmd.summary() || cmd.description());
    // The command's own options, then the global ones (--db), which work after any command.
    addOptions(target, path, [...cmd.createHelp().visibleOptions(cmd), ...globals], lookups);
    for (const arg of cmd.registeredArguments) {
      target.argument(arg.name(), argumentValues(path, arg.name(), arg.argChoices, top, lookups), arg.variadic);
    }
  }
  return root;
}

// ------------------------------------------------------------------------------------------
// The two commands.

/** `queuectl completion <shell>`: the script to source. */
export function runCompletion(shell: string, program: Command): number {
  if (shell === 'bash') writeFd(1, BASH_PRELUDE);
  completionTree(program, new Lookups()).setup(program.name(), program.name(), shell);
  return 0;
}

/** The database named in the words typed (`--db x`), if any. */
function dbFromWords(words: readonly string[]): string | undefined {
  let db: string | undefined;
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--db' && i + 1 < words.length - 1) db = words[i + 1];
  }
  return db;
}

/** Runs the library's completion without printing; used for the first pass. */
function quietly(fn: () => void): void {
  const log = console.log;
  console.log = () => undefined;
  try {
    fn();
  } finally {
    console.log = log;
  }
}

/**
 * `queuectl complete -- <words>`: candidates for the last word, one per line (`value<TAB>help`),
 * then `:<directive>`, as the scripts expect. Never fails: a database that cannot be read
 * gives no dynamic candidates, and nothing is written to stderr.
 */
export async function runComplete(typed: string[], program: Command): Promise<number> {
  // The library reads `--db x` but not `--db=x` before the word being completed: split those.
  const words = typed.flatMap((w, i) => (i < typed.length - 1 && /^--[^=]+=/.test(w) ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w]));
  const lookups = new Lookups();
  const root = completionTree(program, lookups);
  quietly(() => root.parse([...words]));
  if (lookups.wanted.size > 0) {
    try {
      const db = dbFromWords(words);
      const target = resolveDbTarget(db);
      // Completing never creates a database, not even the default one.
      if (target.kind === 'mongo' || existsSync(target.path)) {
        const last = words.length > 0 ? words[words.length - 1] : '';
        const prefix = last.startsWith('-') && last.includes('=') ? last.slice(last.indexOf('=') + 1) : last;
        await withQueue(db, (queue) => readLookups(queue, lookups, prefix), { create: false });
      }
    } catch {
      // no dynamic candidates
    }
    for (const key of lookups.wanted.keys()) if (!lookups.found.has(key)) lookups.found.set(key, []);
  }
  root.parse([...words]);
  return 0;
}
