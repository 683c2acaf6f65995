import { Text } from 'ink';
import { useDash } from '../context.js';
import { PROMPT_COMMANDS, keyLabel } from '../keys.js';
import { splitAtCursor } from '../line-edit.js';

/** The `/` filter and `:` command line, with its cursor; it has the keyboard while it is open (see input.ts). */
export function Prompt() {
  const prompt = useDash((s) => s.prompt);
  if (!prompt) return null;
  const [before, under, after] = splitAtCursor(prompt);
  const typed = prompt.text.trim().toLowerCase();
  const names = PROMPT_COMMANDS.map((c) => c.name).filter((n) => n.startsWith(typed));
  const hint = prompt.kind === 'filter' ? '   id or command text' : `   ${(names.length > 0 ? names : PROMPT_COMMANDS.map((c) => c.name)).join(' · ')} (${keyLabel('complete')} completes)`;
  return (
    <Text wrap="truncate">
      <Text bold>{prompt.kind === 'filter' ? '/' : ':'}</Text>
      {before}
      <Text inverse>{under}</Text>
      {after}
      <Text dimColor>{hint}</Text>
    </Text>
  );
}
