import { Box, useApp } from 'ink';
import { useEffect } from 'react';
import { Header } from './components/Header.js';
import { KeyHints } from './components/KeyHints.js';
import { Prompt } from './components/Prompt.js';
import { StatusLine } from './components/StatusLine.js';
import { useActions, useDash } from './context.js';
import type { KeyContext } from './keys.js';
import { useTerminalSize } from './use-terminal-size.js';
import { Confirm } from './views/Confirm.js';
import { DlqView, dlqTailHeight } from './views/DlqView.js';
import { EnqueueForm } from './views/EnqueueForm.js';
import { HelpView } from './views/HelpView.js';
import { JobDetailView } from './views/JobDetailView.js';
import { JobsView } from './views/JobsView.js';
import { WorkersView } from './views/WorkersView.js';

/** Lines around the body: two of header, the status line and the key hints. */
const CHROME = 4;

/** Rows of jobs each table has room for at a given body height. */
export function pageSizes(body: number): { jobs: number; dlq: number } {
  return { jobs: Math.max(1, body - 2), dlq: Math.max(1, body - 2 - dlqTailHeight(body)) };
}

/**
 * A thin switch: which screen shows, and which one has the keyboard. Only the focused screen
 * listens for keys; everything else only renders.
 */
export function App() {
  const { exit } = useApp();
  const actions = useActions();
  const { columns, rows } = useTerminalSize();
  const view = useDash((s) => s.view);
  const modal = useDash((s) => s.modal?.kind ?? null);
  const prompt = useDash((s) => s.prompt !== null);
  const help = useDash((s) => s.help);
  const detail = useDash((s) => s.detail !== null);
  const quit = useDash((s) => s.quit);

  useEffect(() => {
    if (quit) exit();
  }, [quit, exit]);

  // One line short of the screen: a frame as tall as the terminal would make Ink clear and
  // redraw it whole on every change instead of rewriting only the lines that changed.
  const height = Math.max(CHROME + 3, rows - 1);
  const width = Math.max(20, columns);
  const body = height - CHROME;
  useEffect(() => {
    const sizes = pageSizes(body);
    void actions.setPageSize('jobs', sizes.jobs);
    void actions.setPageSize('dlq', sizes.dlq);
  }, [body, actions]);

  const context: KeyContext = detail ? 'detail' : view;
  const focus = modal ?? (prompt ? 'prompt' : help ? 'help' : context);
  const size = { width, height: body };
  let screen;
  if (modal === 'confirm') screen = <Confirm {...size} isActive={focus === 'confirm'} />;
  else if (modal === 'enqueue') screen = <EnqueueForm {...size} isActive={focus === 'enqueue'} />;
  else if (help) screen = <HelpView {...size} context={context} isActive={focus === 'help'} />;
  else if (detail) screen = <JobDetailView {...size} isActive={focus === 'detail'} />;
  else if (view === 'workers') screen = <WorkersView {...size} isActive={focus === 'workers'} />;
  else if (view === 'dlq') screen = <DlqView {...size} isActive={focus === 'dlq'} />;
  else screen = <JobsView {...size} isActive={focus === 'jobs'} />;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header width={width} />
      <Box height={body} width={width} overflowY="hidden">
        {screen}
      </Box>
      {prompt ? <Prompt isActive={focus === 'prompt'} /> : <StatusLine width={width} />}
      <KeyHints context={modal === 'confirm' ? 'confirm' : modal === 'enqueue' ? 'form' : prompt ? 'prompt' : help ? 'help' : context} width={width} />
    </Box>
  );
}
