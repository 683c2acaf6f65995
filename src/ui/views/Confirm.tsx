import { Box, Text, useInput } from 'ink';
import { useActions, useDash } from '../context.js';
import { useTone } from '../theme.js';

/** A yes/no question before a destructive action: y or Enter does it, n or Esc does not. */
export function Confirm(props: { width: number; height: number; isActive: boolean }) {
  const tone = useTone();
  const actions = useActions();
  const modal = useDash((s) => s.modal);
  useInput(
    (input, key) => {
      if (input === 'y' || input === 'Y' || key.return) void actions.confirm(true);
      else if (input === 'n' || input === 'N' || input === 'q' || key.escape) void actions.confirm(false);
    },
    { isActive: props.isActive },
  );
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
