import { Box, Text } from 'ink';
import { FORM_FIELDS } from '../../store/enqueue-form.js';
import { useDash } from '../context.js';
import { fit } from '../format.js';
import { splitAtCursor } from '../line-edit.js';
import { useTone } from '../theme.js';

/**
 * The enqueue form: command, priority, max retries, delay, timeout. Tab or ↑/↓ move between fields,
 * Enter submits, Esc closes. Values are checked as `queuectl enqueue` checks its flags.
 */
export function EnqueueForm(props: { width: number; height: number }) {
  const tone = useTone();
  const modal = useDash((s) => s.modal);
  if (modal?.kind !== 'enqueue') return null;
  const { values, field, busy } = modal;
  const error = modal.error;
  const width = Math.min(props.width, 90);
  const valueWidth = width - 20;
  return (
    <Box width={props.width} height={props.height} justifyContent="center" alignItems="center">
      <Box borderStyle="round" borderColor={tone('cyan')} paddingX={1} flexDirection="column" width={width}>
        <Text bold>Enqueue a job</Text>
        {FORM_FIELDS.map((f, i) => {
          const v = values[f.key];
          const focused = i === field;
          // The focused field shows its cursor, with as much text before it as fits.
          const [before, under, after] = splitAtCursor({ text: v, cursor: modal.cursor });
          const head = [...before].slice(-(valueWidth - 2)).join('');
          const shown = focused ? head : [...v].slice(-(valueWidth - 1)).join('');
          return (
            <Text key={f.key} wrap="truncate">
              <Text bold={focused} color={tone(focused ? 'cyan' : undefined)}>
                {focused ? '› ' : '  '}
                {fit(f.label, 13)}
              </Text>
              {v === '' && !focused ? <Text dimColor>{f.placeholder}</Text> : shown}
              {focused ? <Text inverse>{under}</Text> : null}
              {focused ? after : null}
              {focused && v === '' ? <Text dimColor> {f.placeholder}</Text> : null}
            </Text>
          );
        })}
        <Text> </Text>
        {error ? (
          <Text color={tone('red')} wrap="wrap">
            ✗ {error}
          </Text>
        ) : (
          <Text dimColor>{busy ? 'enqueueing…' : 'values are checked as queuectl enqueue checks its flags'}</Text>
        )}
      </Box>
    </Box>
  );
}
