import type { Key } from 'ink';
import type { DashboardActions } from '../store/actions.js';
import { FORM_FIELDS } from '../store/enqueue-form.js';
import type { DashboardStore, DashboardStoreApi } from '../store/store.js';
import { detailLayout } from './detail-layout.js';
import { editField } from './line-edit.js';
import { type CommandId, type KeyContext, NO_KEY, commandFor, helpLines, splitKeys } from './keys.js';
import { detailFields } from './views/JobDetailView.js';

/** What a command does; a returned promise is what the next key waits for (see KeyQueue). */
export type Handler = () => unknown;
export type Handlers = Partial<Record<CommandId, Handler>>;

/** The part of the screen's layout the keys need: how many lines and columns the body has. */
export interface Layout {
  body: number;
  width: number;
}

/** The screen beneath the help, the prompt and the modals: details, or the main view. */
export function screenContext(s: DashboardStore): KeyContext {
  return s.detail ? 'detail' : s.schedules.open ? 'schedules' : s.view;
}

/** Who has the keyboard in this state: a modal, else the prompt, else help, else the screen. */
export function focusOf(s: DashboardStore): KeyContext {
  if (s.modal?.kind === 'confirm') return 'confirm';
  if (s.modal?.kind === 'enqueue') return 'form';
  if (s.prompt) return 'prompt';
  if (s.help) return 'help';
  return screenContext(s);
}

/**
 * The handler of every command in every context. Each reads the state when it runs, never when it
 * was made, so one table serves every key. Worker scaling is not waited for (it waits on processes);
 * everything else resolves once the screen shows its result.
 */
/** What the keys may write to the terminal itself (the clipboard sequence). */
export interface TerminalOut {
  write(data: string): void;
}

/** OSC 52: the terminal puts `text` on the system clipboard (tmux passes it on with set-clipboard). */
export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
}

export function commandHandlers(store: DashboardStoreApi, actions: DashboardActions, layout: () => Layout, terminal?: TerminalOut): Record<KeyContext, Handlers> {
  const copyId = () => {
    const job = actions.selectedJob();
    if (!job || !terminal) return;
    terminal.write(osc52(job.id));
    store.getState().setStatus({ text: `copied ${job.id} to the clipboard`, tone: 'ok' });
  };
  const common: Handlers = {
    quit: () => actions.quit(),
    help: () => actions.toggleHelp(),
    refresh: () => actions.refresh(),
    'command-mode': () => actions.startPrompt('command'),
    'next-view': () => actions.cycleView(1),
    'prev-view': () => actions.cycleView(-1),
    enqueue: () => actions.openEnqueue(),
    'worker-up': () => void actions.workerUp(),
    'worker-down': () => void actions.workerDown(),
    'stop-all': () => actions.askStopAll(),
    'schedules-open': () => actions.schedules.open(),
  };
  const move: Handlers = {
    up: () => actions.move(-1),
    down: () => actions.move(1),
    'page-up': () => actions.page(-1),
    'page-down': () => actions.page(1),
    first: () => actions.edge('first'),
    last: () => actions.edge('last'),
  };
  const jobList: Handlers = {
    ...common,
    ...move,
    open: () => actions.openDetail(),
    mark: () => actions.toggleMark(),
    filter: () => actions.startPrompt('filter'),
    retry: () => actions.retry(),
    cancel: () => actions.askCancel(),
    'retry-all': () => actions.askRetryAll(),
    back: () => actions.back(),
    'copy-id': copyId,
    'mark-all': () => actions.markAll(),
    sort: () => actions.cycleSort(false),
    'sort-reverse': () => actions.cycleSort(true),
  };
  /** The details screen as laid out now: how far its output scrolls, and a page of it. */
  const detailNow = () => {
    const s = store.getState();
    const d = s.detail;
    if (!d?.job) return { maxScroll: 0, room: 1, widest: 0 };
    const l = layout();
    return detailLayout(d.job, d.attempts, detailFields(d.job, s.now).length, l.width, l.body, d);
  };
  const scroll = (rows: (room: number) => number) => {
    const d = detailNow();
    actions.scrollDetail(rows(d.room), d.maxScroll);
  };
  const sideways = (sign: 1 | -1) => {
    const d = detailNow();
    const w = layout().width;
    actions.scrollSideways(sign * Math.max(1, Math.floor(w / 2)), d.widest, w);
  };
  const helpMax = () => {
    const s = store.getState();
    return Math.max(0, helpLines(screenContext(s)).length - Math.max(1, layout().body - 1));
  };
  const stopAllConfirm = () => {
    const m = store.getState().modal;
    return m?.kind === 'confirm' && m.action.kind === 'stop-all';
  };
  return {
    jobs: {
      ...jobList,
      'tab-1': () => actions.setTab('all'),
      'tab-2': () => actions.setTab('pending'),
      'tab-3': () => actions.setTab('processing'),
      'tab-4': () => actions.setTab('completed'),
      'tab-5': () => actions.setTab('failed'),
      'tab-6': () => actions.setTab('dead'),
      'tab-7': () => actions.setTab('cancelled'),
      'tab-8': () => actions.setTab('waiting'),
      'tab-prev': () => actions.cycleTab(-1),
      'tab-next': () => actions.cycleTab(1),
      rerun: () => actions.askRerun(),
    },
    dlq: { ...jobList, delete: () => actions.askDelete(), 'delete-all': () => actions.askDeleteAll() },
    workers: { ...common, ...move, open: () => actions.openWorkerJob() },
    queues: { ...common, ...move, open: () => actions.openQueue(), pause: () => actions.togglePause(), back: () => actions.setView('jobs') },
    detail: {
      quit: common.quit,
      help: common.help,
      refresh: common.refresh,
      'command-mode': common['command-mode'],
      back: () => actions.closeDetail(),
      up: () => scroll(() => 1),
      down: () => scroll(() => -1),
      'page-up': () => scroll((room) => Math.max(1, room - 1)),
      'page-down': () => scroll((room) => -Math.max(1, room - 1)),
      first: () => scroll(() => Number.MAX_SAFE_INTEGER),
      last: () => actions.followDetail(),
      wrap: () => actions.toggleWrap(),
      'copy-id': copyId,
      'scroll-left': () => sideways(-1),
      'scroll-right': () => sideways(1),
      retry: () => actions.retry(),
      cancel: () => actions.askCancel(),
      delete: () => actions.askDelete(),
      rerun: () => actions.askRerun(),
      pager: () => actions.openPager(),
    },
    schedules: {
      quit: common.quit,
      help: common.help,
      refresh: () => actions.schedules.load(),
      'command-mode': common['command-mode'],
      back: () => actions.schedules.close(),
      up: () => actions.schedules.move(-1),
      down: () => actions.schedules.move(1),
      first: () => actions.schedules.edge('first'),
      last: () => actions.schedules.edge('last'),
      'schedule-pause': () => actions.schedules.togglePause(),
      'schedule-run': () => actions.schedules.run(),
    },
    help: {
      back: () => actions.toggleHelp(),
      help: () => actions.toggleHelp(),
      quit: common.quit,
      refresh: common.refresh,
      up: () => actions.scrollHelp(-1, helpMax()),
      down: () => actions.scrollHelp(1, helpMax()),
    },
    confirm: {
      // Stopping every worker waits for their jobs: the keys go on meanwhile.
      yes: () => (stopAllConfirm() ? void actions.confirm(true) : actions.confirm(true)),
      no: () => actions.confirm(false),
    },
    form: {
      close: () => actions.closeModal(),
      'form-submit': () => actions.submitEnqueue(),
      'field-next': () => actions.moveField(1),
      'field-prev': () => actions.moveField(-1),
    },
    prompt: {
      'prompt-submit': () => actions.submitPrompt(),
      complete: () => actions.completePrompt(),
      close: () => actions.cancelPrompt(),
    },
  };
}

/**
 * Handles one key press in the state the store holds now: the focused context is worked out from
 * the store at this moment, not from the last render, so a key sees what the key before it did.
 */
export function handleKey(store: DashboardStoreApi, actions: DashboardActions, handlers: Record<KeyContext, Handlers>, input: string, key: Key): unknown {
  const s = store.getState();
  const context = focusOf(s);
  const command = commandFor(context, input, key);
  const run = command === undefined ? undefined : handlers[context][command];
  if (run) return run();
  if (context === 'prompt' && s.prompt) {
    const next = editField(s.prompt, input, key);
    if (next !== null) void actions.editPrompt(next.text, next.cursor);
  } else if (context === 'form' && s.modal?.kind === 'enqueue' && !s.modal.busy) {
    const text = s.modal.values[FORM_FIELDS[s.modal.field].key];
    const next = editField({ text, cursor: s.modal.cursor }, input, key);
    if (next !== null) actions.editForm(next.text, next.cursor);
  }
  return undefined;
}

/** Longest a key waits for the one before it to show its result before it is handled anyway. */
export const KEY_WAIT_MS = 2000;

/**
 * Keys in the order they were typed, one at a time. Keys that arrive together (a paste, fast
 * typing, a slow link) are split into single presses, and each is handled only after the one
 * before it: at once when that one changed the state synchronously, else once its promise settles
 * (a page fetched, a view loaded, a job retried), within `waitMs`. So typing fast does what typing
 * slowly does.
 */
export class KeyQueue {
  private readonly pending: Array<[string, Key]> = [];
  private draining = false;

  constructor(
    private readonly handle: (input: string, key: Key) => unknown,
    private readonly waitMs = KEY_WAIT_MS,
  ) {}

  push(input: string, key: Key): void {
    for (const [one, k] of splitKeys(input, key)) {
      // Esc followed at once by a key arrives as one "meta" key: it is two presses.
      if (k.meta && !k.escape) {
        this.pending.push(['', { ...NO_KEY, escape: true, meta: true }]);
        this.pending.push([one, { ...k, meta: false }]);
      } else {
        this.pending.push([one, k]);
      }
    }
    if (!this.draining) void this.drain();
  }

  /** Resolves when every key pushed so far has been handled (tests). */
  async idle(): Promise<void> {
    while (this.draining) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const [input, key] = this.pending.shift()!;
        let result: unknown;
        try {
          result = this.handle(input, key);
        } catch {
          continue;
        }
        if (result instanceof Promise) await settleWithin(result, this.waitMs);
      }
    } finally {
      this.draining = false;
    }
  }
}

async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
