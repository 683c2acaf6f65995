import { Text } from 'ink';
import { sparkline } from '../format.js';
import { useTone } from '../theme.js';

/** Throughput history as bars, newest on the right. */
export function Sparkline(props: { values: readonly number[]; width: number }) {
  const tone = useTone();
  return <Text color={tone('green')}>{sparkline(props.values, props.width)}</Text>;
}
