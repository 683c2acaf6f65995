import { Text } from 'ink';
import type { JobState } from '../../engine/types.js';
import { STATE_COLORS, useTone } from '../theme.js';

/** A job state in its colour. */
export function StatusBadge(props: { state: JobState; label?: string }) {
  const tone = useTone();
  return <Text color={tone(STATE_COLORS[props.state])}>{props.label ?? props.state}</Text>;
}
