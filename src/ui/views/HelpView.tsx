import { Box, Text } from 'ink';
import { useDash } from '../context.js';
import { fit } from '../format.js';
import { type KeyContext, helpLines, keyLabel, scrollKeys } from '../keys.js';

const TITLES: Record<KeyContext, string> = {
  jobs: 'jobs view',
  workers: 'workers view',
  dlq: 'DLQ view',
  queues: 'queues view',
  detail: 'job details',
  help: 'help',
  confirm: 'confirmation',
  form: 'enqueue form',
  prompt: 'prompt',
  schedules: 'schedules',
};

/** Every binding of the screen beneath, straight from the bindings table; j/k scroll a long list. */
export function HelpView(props: { context: KeyContext; width: number; height: number }) {
  const top = useDash((s) => s.helpTop);
  const lines = helpLines(props.context);
  const room = Math.max(1, props.height - 1);
  const maxTop = Math.max(0, lines.length - room);
  const start = Math.min(top, maxTop);
  const keyWidth = Math.min(14, Math.max(...lines.map((l) => l.keys.length)) + 2);
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text bold wrap="truncate">
        {` Keys — ${TITLES[props.context]} `}
        <Text dimColor>
          ({`${keyLabel('back')} or ${keyLabel('help')} closes`}{maxTop > 0 ? ` · ${scrollKeys()} scroll · ${start > 0 ? '▲' : ' '}${start < maxTop ? '▼' : ' '}` : ''})
        </Text>
      </Text>
      {lines.slice(start, start + room).map((l) => (
        <Text key={l.keys} wrap="truncate">
          <Text bold>{fit(` ${l.keys}`, keyWidth)}</Text> {l.description}
        </Text>
      ))}
    </Box>
  );
}
