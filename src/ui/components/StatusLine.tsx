import { Text } from 'ink';
import { useDash } from '../context.js';
import { useTone } from '../theme.js';

/** The result of the last action (errors in red) and the `queuectl …` command that does the same. */
export function StatusLine() {
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
      {status.command ? <Text dimColor>{`   $ ${status.command}`}</Text> : null}
    </Text>
  );
}
