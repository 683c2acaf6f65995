import { useApp } from 'ink';
import { useActions } from './context.js';
import type { Handlers } from './use-keymap.js';

/** Handlers shared by the main views (quit, help, refresh, views, enqueue, workers). */
export function useCommonHandlers(): Handlers {
  const actions = useActions();
  const { exit } = useApp();
  return {
    quit: () => exit(),
    help: () => actions.toggleHelp(),
    refresh: () => actions.refresh(),
    'command-mode': () => actions.startPrompt('command'),
    'next-view': () => actions.cycleView(1),
    'prev-view': () => actions.cycleView(-1),
    enqueue: () => actions.openEnqueue(),
    'worker-up': () => actions.workerUp(),
    'worker-down': () => actions.workerDown(),
    'stop-all': () => actions.askStopAll(),
  };
}

/** Moving through any table: a row, a page, or to either end. */
export function useMoveHandlers(): Handlers {
  const actions = useActions();
  return {
    up: () => actions.move(-1),
    down: () => actions.move(1),
    'page-up': () => actions.page(-1),
    'page-down': () => actions.page(1),
    first: () => actions.edge('first'),
    last: () => actions.edge('last'),
  };
}

/** Handlers of a job table: moving, paging, marking, opening, filtering, retrying, cancelling. */
export function useJobListHandlers(): Handlers {
  const actions = useActions();
  return {
    ...useMoveHandlers(),
    open: () => actions.openDetail(),
    mark: () => actions.toggleMark(),
    filter: () => actions.startPrompt('filter'),
    retry: () => actions.retry(),
    cancel: () => actions.askCancel(),
    'retry-all': () => actions.askRetryAll(),
    back: () => actions.clearFilter(),
  };
}
