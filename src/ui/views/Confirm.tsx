import { Box, Text } from 'ink';
import { useDash } from '../context.js';
import { useTone } from '../theme.js';

/** A yes/no question before a destructive action: y or Enter does it, n or Esc does not. */
export function Confirm(props: { width: number; height: number }) {
  const tone = useTone();
  const modal = useDash((s) => s.modal);
  if (!modal || modal.kind !== 'confirm') return null;
  return (
    <Box width={props.width} height={props.height} justifyContent="center" alignItems="center">
      <Box borderStyle="round" borderColor={tone('yellow')} paddingX={2} flexDirection="column" width={Math.min(props.width, 72)}>
        <Text bold>Confirm</Text>
        <Text>{modal.message}</Text>
        <Text> </Text>
        <Text>
          <Text bold color={tone('green')}>
            y
          </Text>
          /Enter yes{'   '}
          <Text bold color={tone('red')}>
            n
          </Text>
          /Esc no
        </Text>
      </Box>
    </Box>
  );
}
