import { Text } from 'ink';
import { useDash } from '../context.js';

/** The `/` filter and `:` command line; it has the keyboard while it is open (see input.ts). */
export function Prompt() {
  const prompt = useDash((s) => s.prompt);
  if (!prompt) return null;
  return (
    <Text wrap="truncate">
      <Text bold>{prompt.kind === 'filter' ? '/' : ':'}</Text>
      {prompt.text}
      <Text inverse> </Text>
      <Text dimColor>{prompt.kind === 'filter' ? '   id or command text' : '   jobs · workers · dlq · help · q'}</Text>
    </Text>
  );
}
