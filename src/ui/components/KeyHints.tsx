import { Text } from 'ink';
import { type CommandId, type KeyContext, footerHints } from '../keys.js';

/** The current view's key hints from the bindings table, as many as fit; `?` and `q` always show. */
export function KeyHints(props: { context: KeyContext; width: number; enabled?: (id: CommandId) => boolean }) {
  const hints = footerHints(props.context, props.enabled);
  const always = hints.filter(([, h]) => h === 'help' || h === 'quit');
  const rest = hints.filter((x) => !always.includes(x));
  const len = (xs: Array<[string, string]>) => xs.reduce((n, [k, h]) => n + k.length + h.length + 3, 0);
  const shown: Array<[string, string]> = [];
  for (const h of rest) {
    if (len([...shown, h, ...always]) > props.width) break;
    shown.push(h);
  }
  return (
    <Text wrap="truncate">
      {[...shown, ...always].map(([k, h], i) => (
        <Text key={i}>
          {i > 0 ? '  ' : ''}
          <Text bold>{k}</Text>
          <Text dimColor> {h}</Text>
        </Text>
      ))}
    </Text>
  );
}
