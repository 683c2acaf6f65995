import { Text } from 'ink';
import { useActions, useDash, useStoreApi } from '../context.js';
import { commandFor } from '../keys.js';
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
    onKey: (input, key) => {
      const command = commandFor('prompt', input, key);
      if (command === 'prompt-submit') void actions.submitPrompt();
      else if (command === 'close') void actions.cancelPrompt();
      return command !== undefined;
    },
  });
  if (!prompt) return null;
  return (
    <Text wrap="truncate">
      <Text bold>{prompt.kind === 'filter' ? '/' : ':'}</Text>
      {prompt.text}
      <Text inverse> </Text>
      <Text dimColor>{prompt.kind === 'filter' ? '   id or command text' : '   jobs · workers · dlq · help · q'}</Text>
    </Text>
  );
}
