import { Box, useApp, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useRef } from 'react';
import { Header } from './components/Header.js';
import { KeyHints } from './components/KeyHints.js';
import { Prompt } from './components/Prompt.js';
import { StatusLine } from './components/StatusLine.js';
import { useControllers, useDash, useStoreApi } from './context.js';
import { KeyQueue, type Layout, commandHandlers, handleKey } from './input.js';
import type { CommandId, KeyContext } from './keys.js';
import type { DashboardStore } from '../store/store.js';
import { canCancel, canRetry } from '../store/validity.js';
import { useTerminalSize } from './use-terminal-size.js';
import { Confirm } from './views/Confirm.js';
import { DlqView, dlqTailHeight } from './views/DlqView.js';
import { EnqueueForm } from './views/EnqueueForm.js';
import { HelpView } from './views/HelpView.js';
import { JobDetailView } from './views/JobDetailView.js';
import { JobsView } from './views/JobsView.js';
import { SchedulesView } from './views/SchedulesView.js';
import { WorkersView } from './views/WorkersView.js';
import { QueuesView } from './views/QueuesView.js';

/** Lines around the body: two of header, the status line and the key hints. */
const CHROME = 4;

/** Rows of jobs each table has room for at a given body height. */
export function pageSizes(body: number): { jobs: number; dlq: number } {
  // Each table: its title line, its column header and its position line.
  return { jobs: Math.max(1, body - 3), dlq: Math.max(1, body - 3 - dlqTailHeight(body)) };
}

/**
 * The frame on a terminal of `columns` × `rows`: one line short of the screen (a frame as tall as
 * the terminal would make Ink clear and redraw it whole on every change instead of rewriting only
 * the lines that changed), and the body between the header and the footer.
 */
export function frameSize(columns: number, rows: number): { height: number; width: number; body: number } {
  const height = Math.max(CHROME + 3, rows - 1);
  return { height, width: Math.max(20, columns), body: height - CHROME };
}

/**
 * Every key press goes through one queue and is handled against the store as the key before it
 * left it (see KeyQueue); the components only render.
 */
function useKeyboard(layout: { current: Layout }): void {
  const store = useStoreApi();
  const controllers = useControllers();
  const { stdout } = useStdout();
  const queue = useMemo(() => {
    const handlers = commandHandlers(store, controllers, () => layout.current, { write: (data) => void stdout.write(data) });
    return new KeyQueue((input, key) => handleKey(store, controllers, handlers, input, key));
  }, [store, controllers, layout, stdout]);
  useInput((input, key) => queue.push(input, key));
}

/**
 * What r and c would act on, for the footer: `marks` (decided when asked), the selected or open
 * job's state, or null when there is none.
 */
function actionTarget(s: DashboardStore): string | null {
  if (s.detail) return s.detail.job?.state ?? null;
  if (s.schedules.open) return null;
  if (s.view === 'workers' || s.view === 'queues') return null;
  const l = s.lists[s.view];
  if (l.marks.length > 0) return 'marks';
  return l.jobs[l.row]?.state ?? null;
}

/** Whether a command's hint belongs in the footer for what is selected. */
export function hintEnabled(target: string | null): (id: CommandId) => boolean {
  return (id) => {
    if (id !== 'retry' && id !== 'cancel' && id !== 'delete' && id !== 'rerun') return true;
    if (target === 'marks') return id !== 'rerun';
    if (target === null) return false;
    const state = target as Parameters<typeof canCancel>[0];
    if (id === 'delete') return state === 'dead';
    if (id === 'rerun') return state === 'completed';
    return id === 'retry' ? canRetry(state) : canCancel(state);
  };
}

/** A thin switch: which screen shows, and which one has the keyboard. */
export function App() {
  const { exit } = useApp();
  const { nav } = useControllers();
  const { columns, rows } = useTerminalSize();
  const view = useDash((s) => s.view);
  const modal = useDash((s) => s.modal?.kind ?? null);
  const prompt = useDash((s) => s.prompt !== null);
  const help = useDash((s) => s.help);
  const detail = useDash((s) => s.detail !== null);
  const schedules = useDash((s) => s.schedules.open);
  const quit = useDash((s) => s.quit);
  const suspend = useDash((s) => s.suspend !== null);
  const target = useDash(actionTarget);

  // Quitting, and handing the terminal to the pager, both end this render; the runner decides what follows.
  useEffect(() => {
    if (quit || suspend) exit();
  }, [quit, suspend, exit]);

  const { height, width, body } = frameSize(columns, rows);
  const layout = useRef<Layout>({ body, width });
  layout.current = { body, width };
  useKeyboard(layout);
  useEffect(() => {
    const sizes = pageSizes(body);
    void nav.setPageSize('jobs', sizes.jobs);
    void nav.setPageSize('dlq', sizes.dlq);
  }, [body, nav]);

  const context: KeyContext = detail ? 'detail' : schedules ? 'schedules' : view;
  const focus: KeyContext = modal === 'confirm' ? 'confirm' : modal === 'enqueue' ? 'form' : prompt ? 'prompt' : help ? 'help' : context;
  const size = { width, height: body };
  let screen;
  if (modal === 'confirm') screen = <Confirm {...size} />;
  else if (modal === 'enqueue') screen = <EnqueueForm {...size} />;
  else if (help) screen = <HelpView {...size} context={context} />;
  else if (detail) screen = <JobDetailView {...size} />;
  else if (schedules) screen = <SchedulesView {...size} />;
  else if (view === 'workers') screen = <WorkersView {...size} />;
  else if (view === 'dlq') screen = <DlqView {...size} />;
  else if (view === 'queues') screen = <QueuesView {...size} />;
  else screen = <JobsView {...size} />;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header width={width} />
      <Box height={body} width={width} overflowY="hidden">
        {screen}
      </Box>
      {prompt ? <Prompt /> : <StatusLine width={width} />}
      <KeyHints context={focus} width={width} enabled={hintEnabled(target)} />
    </Box>
  );
}
