import { Box, Text } from 'ink';
import { useDash } from '../context.js';
import { bindingsFor } from '../keys.js';
import { useTone } from '../theme.js';

/** A yes/no question before a destructive action; its keys come from the bindings table (y yes, n/Esc no). */
export function Confirm(props: { width: number; height: number }) {
  const tone = useTone();
  const modal = useDash((s) => s.modal);
  if (!modal || modal.kind !== 'confirm') return null;
  const keys = bindingsFor('confirm');
  return (
    <Box width={props.width} height={props.height} justifyContent="center" alignItems="center">
      <Box borderStyle="round" borderColor={tone('yellow')} paddingX={2} flexDirection="column" width={Math.min(props.width, 72)}>
        <Text bold>Confirm</Text>
        <Text>{modal.message}</Text>
        <Text> </Text>
        <Text>
          {keys.map((b, i) => (
            <Text key={b.id}>
              {i > 0 ? '   ' : ''}
              <Text bold color={tone(b.id === 'yes' ? 'green' : 'red')}>
                {b.label}
              </Text>{' '}
              {b.hint}
            </Text>
          ))}
        </Text>
      </Box>
    </Box>
  );
}
