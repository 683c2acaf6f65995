import { Text } from 'ink';

/** Lines of a job's output, one terminal row each (long lines truncated), or a dim note when there are none. */
export function OutputLines(props: { lines: readonly string[]; empty: string; show?: boolean }) {
  if (props.show === false) return null;
  if (props.lines.length === 0) return <Text dimColor>{props.empty}</Text>;
  return (
    <>
      {props.lines.map((l, i) => (
        <Text key={i} wrap="truncate">
          {l}
        </Text>
      ))}
    </>
  );
}
