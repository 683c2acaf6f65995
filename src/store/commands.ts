/** The `:` commands of the dashboard, and Tab completion of their names. */

/** The `:` commands: the only list of them (help, hints, completion and errors read it). */
export const PROMPT_COMMANDS: ReadonlyArray<{ name: string; aliases?: readonly string[]; arg?: string }> = [
  { name: 'jobs' },
  { name: 'workers' },
  { name: 'dlq' },
  { name: 'queues' },
  { name: 'queue', arg: 'NAME' },
  { name: 'schedules' },
  { name: 'help' },
  { name: 'quit', aliases: ['q', 'q!'] },
];

/** The commands as written in help: `:jobs :workers :dlq :queues :queue [NAME] :schedules :help :q`. */
export const PROMPT_COMMAND_LIST = PROMPT_COMMANDS.map((c) => `:${c.aliases?.[0] ?? c.name}${c.arg ? ` [${c.arg}]` : ''}`).join(' ');

/** Tab in the `:` prompt: the one name that starts with `text`, else the longest start all matches share. */
export function complete(text: string, names: readonly string[], fold = true): { text: string; matches: string[] } {
  const typed = text.trimStart().replace(/^:/, '');
  const matches = names.filter((n) => n.startsWith(fold ? typed.toLowerCase() : typed));
  if (matches.length === 0) return { text, matches };
  if (matches.length === 1) return { text: matches[0], matches };
  let common = matches[0];
  for (const m of matches) while (!m.startsWith(common)) common = common.slice(0, -1);
  return { text: common.length > typed.length ? common : text, matches };
}
