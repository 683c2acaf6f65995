/** Tab completion of names in the `:` prompt (the names themselves come from the bindings table, src/ui/keys.ts). */

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
