import { Box, Text } from 'ink';
import { useRef, useState } from 'react';
import { EMPTY_FORM, type EnqueueFormValues, FORM_FIELDS } from '../../store/enqueue-form.js';
import { useTextInput } from '../components/TextInput.js';
import { useActions, useDash } from '../context.js';
import { fit } from '../format.js';
import { commandFor } from '../keys.js';
import { useTone } from '../theme.js';

/**
 * The enqueue form: command, priority, max retries, delay, timeout. Tab or ↑/↓ move between fields,
 * Enter submits, Esc closes. Values are checked as `queuectl enqueue` checks its flags.
 */
export function EnqueueForm(props: { width: number; height: number; isActive: boolean }) {
  const tone = useTone();
  const actions = useActions();
  const modal = useDash((s) => s.modal);
  const [values, setValues] = useState<EnqueueFormValues>(EMPTY_FORM);
  const [field, setField] = useState(0);
  // Keys can arrive faster than renders: the refs hold what the next key must build on.
  const valuesRef = useRef(values);
  const fieldRef = useRef(field);
  const moveField = (delta: number) => {
    fieldRef.current = (fieldRef.current + delta + FORM_FIELDS.length) % FORM_FIELDS.length;
    setField(fieldRef.current);
  };
  const busy = modal?.kind === 'enqueue' && modal.busy;
  useTextInput({
    isActive: props.isActive && !busy,
    getValue: () => valuesRef.current[FORM_FIELDS[fieldRef.current].key],
    onChange: (text) => {
      valuesRef.current = { ...valuesRef.current, [FORM_FIELDS[fieldRef.current].key]: text };
      setValues(valuesRef.current);
    },
    onKey: (input, key) => {
      const command = commandFor('form', input, key);
      if (command === 'close') actions.closeModal();
      else if (command === 'form-submit') void actions.submitEnqueue(valuesRef.current);
      else if (command === 'field-next' || command === 'field-prev') moveField(command === 'field-next' ? 1 : -1);
      return command !== undefined;
    },
  });
  const error = modal?.kind === 'enqueue' ? modal.error : null;
  const width = Math.min(props.width, 90);
  const valueWidth = width - 20;
  return (
    <Box width={props.width} height={props.height} justifyContent="center" alignItems="center">
      <Box borderStyle="round" borderColor={tone('cyan')} paddingX={1} flexDirection="column" width={width}>
        <Text bold>Enqueue a job</Text>
        {FORM_FIELDS.map((f, i) => {
          const v = values[f.key];
          const focused = i === field;
          const shown = [...v].slice(-(valueWidth - 1)).join('');
          return (
            <Text key={f.key} wrap="truncate">
              <Text bold={focused} color={tone(focused ? 'cyan' : undefined)}>
                {focused ? '› ' : '  '}
                {fit(f.label, 13)}
              </Text>
              {v === '' && !focused ? <Text dimColor>{f.placeholder}</Text> : shown}
              {focused ? <Text inverse> </Text> : null}
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
