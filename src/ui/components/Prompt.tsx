import { Text } from 'ink';
import { useActions, useDash, useStoreApi } from '../context.js';
import { useTextInput } from './TextInput.js';

/** The `/` filter and `:` command line; it has the keyboard while it is open. */
export function Prompt(props: { isActive: boolean }) {
  const actions = useActions();
  const prompt = useDash((s) => s.prompt);
  const store = useStoreApi();
  useTextInput({
    isActive: props.isActive && prompt !== null,
    getValue: () => store.getState().prompt?.text ?? '',
    onChange: (text) => void actions.editPrompt(text),
    onKey: (_input, key) => {
      if (key.return) {
        void actions.submitPrompt();
        return true;
      }
      if (key.escape) {
        void actions.cancelPrompt();
        return true;
      }
      return false;
    },
  });
  if (!prompt) return null;
  return (
    <Text wrap="truncate">
      <Text bold>{prompt.kind === 'filter' ? '/' : ':'}</Text>
      {prompt.text}
      <Text inverse> </Text>
      <Text dimColor>{prompt.kind === 'filter' ? '   Enter keep · Esc clear' : '   jobs · workers · dlq · help · q'}</Text>
    </Text>
  );
}
