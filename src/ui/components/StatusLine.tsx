import { Text } from 'ink';
import { useDash } from '../context.js';
import { useTone } from '../theme.js';

/** The result of the last action (errors in red) and the `queuectl …` command that does the same. */
/**
 * The command as shown: whole when it fits, else without its `--db` (the rest still tells how,
 * and the database is in the header).
 */
export function fitCommand(text: string, command: string, width: number): string {
  const room = width - text.length - 8;
  if (command.length <= room) return command;
  return command.replace(/ --db ('(?:[^']|'\\'')*'|\S+)/g, '');
}

export function StatusLine(props: { width: number }) {
  const tone = useTone();
  const status = useDash((s) => s.status);
  if (!status) return <Text dimColor>ready</Text>;
  const color = status.tone === 'error' ? 'red' : status.tone === 'ok' ? 'green' : undefined;
  const mark = status.tone === 'error' ? '✗ ' : status.tone === 'ok' ? '✓ ' : '';
  return (
    <Text wrap="truncate">
      <Text color={tone(color)}>
        {mark}
        {status.text}
      </Text>
      {status.command ? <Text dimColor>{`   $ ${fitCommand(status.text, status.command, props.width)}`}</Text> : null}
    </Text>
  );
}
