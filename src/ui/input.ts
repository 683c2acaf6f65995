import type { Key } from 'ink';
import type { Controllers } from '../store/controllers/index.js';
import { FORM_FIELDS } from '../store/enqueue-form.js';
import type { DashboardStore, DashboardStoreApi } from '../store/store.js';
import { detailLayout } from './detail-layout.js';
import { editField } from './line-edit.js';
import { type CommandId, type KeyContext, NO_KEY, PROMPT_COMMANDS, commandFor, helpLines, keyLabel, keyName, promptCommandList, splitKeys } from './keys.js';
import { detailFields } from './views/JobDetailView.js';

/**
 * What a command does; a returned promise is what the next key waits for (see KeyQueue). `arg` is
 * the argument of its `:` command (`:queue NAME`), if any.
 */
export type Handler = (arg?: string) => unknown;
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

/** What the keys may write to the terminal itself (the clipboard sequence). */
export interface TerminalOut {
  write(data: string): void;
}

/** OSC 52: the terminal puts `text` on the system clipboard (tmux passes it on with set-clipboard). */
export function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
}

/**
 * The handler of every command in every context, each a call on one of the controllers. Each reads
 * the state when it runs, never when it was made, so one table serves every key and every `:`
 * command. Worker scaling is not waited for (it waits on processes); everything else resolves once
 * the screen shows its result.
 */
export function commandHandlers(store: DashboardStoreApi, c: Controllers, layout: () => Layout, terminal?: TerminalOut): Record<KeyContext, Handlers> {
  const { nav, prompt, jobs, workers, confirm } = c;
  const copyId = () => {
    const job = nav.selectedJob();
    if (!job || !terminal) return;
    terminal.write(osc52(job.id));
    store.getState().setStatus({ text: `copied ${job.id} to the clipboard`, tone: 'ok' });
  };
  // The one way out: q, Ctrl-C and :q all run this.
  const quit = () => nav.quit();
  const common: Handlers = {
    quit,
    interrupt: quit,
    help: () => nav.toggleHelp(),
    refresh: () => nav.refresh(),
    'command-mode': () => prompt.start('command'),
    'next-view': () => nav.cycleView(1),
    'prev-view': () => nav.cycleView(-1),
    enqueue: () => jobs.openEnqueue(),
    'worker-up': () => void workers.workerUp(),
    'worker-down': () => void workers.workerDown(),
    'stop-all': () => workers.askStopAll(),
  };
  /** The `:` commands that have no key, and the schedules screen's (S, :schedules). */
  const views: Handlers = {
    'view-jobs': () => nav.setView('jobs'),
    'view-workers': () => nav.setView('workers'),
    'view-dlq': () => nav.setView('dlq'),
    'view-queues': () => nav.setView('queues'),
    'queue-filter': (name) => nav.setQueueFilter(name ?? null),
    'schedules-open': () => c.schedules.open(),
  };
  const move: Handlers = {
    up: () => nav.move(-1),
    down: () => nav.move(1),
    'page-up': () => nav.page(-1),
    'page-down': () => nav.page(1),
    first: () => nav.edge('first'),
    last: () => nav.edge('last'),
  };
  const jobList: Handlers = {
    ...common,
    ...views,
    ...move,
    open: () => nav.openDetail(),
    mark: () => nav.toggleMark(),
    filter: () => prompt.start('filter'),
    retry: () => jobs.retry(),
    cancel: () => jobs.askCancel(),
    'retry-all': () => jobs.askRetryAll(),
    back: () => nav.back(),
    'copy-id': copyId,
    'mark-all': () => nav.markAll(keyLabel('back')),
    sort: () => nav.cycleSort(false),
    'sort-reverse': () => nav.cycleSort(true),
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
    nav.scrollDetail(rows(d.room), d.maxScroll);
  };
  const sideways = (sign: 1 | -1) => {
    const d = detailNow();
    const w = layout().width;
    nav.scrollSideways(sign * Math.max(1, Math.floor(w / 2)), d.widest, w);
  };
  const helpMax = () => {
    const s = store.getState();
    return Math.max(0, helpLines(screenContext(s)).length - Math.max(1, layout().body - 1));
  };
  const stopAllConfirm = () => {
    const m = store.getState().modal;
    return m?.kind === 'confirm' && m.action.kind === 'stop-all';
  };
  const table: Record<KeyContext, Handlers> = {
    jobs: {
      ...jobList,
      'tab-1': () => nav.setTab('all'),
      'tab-2': () => nav.setTab('pending'),
      'tab-3': () => nav.setTab('processing'),
      'tab-4': () => nav.setTab('completed'),
      'tab-5': () => nav.setTab('failed'),
      'tab-6': () => nav.setTab('dead'),
      'tab-7': () => nav.setTab('cancelled'),
      'tab-8': () => nav.setTab('waiting'),
      'tab-prev': () => nav.cycleTab(-1),
      'tab-next': () => nav.cycleTab(1),
      rerun: () => jobs.askRerun(),
    },
    dlq: { ...jobList, delete: () => jobs.askDelete(), 'delete-all': () => jobs.askDeleteAll() },
    workers: { ...common, ...views, ...move, open: () => nav.openWorkerJob() },
    queues: { ...common, ...views, ...move, open: () => nav.openQueue(), pause: () => jobs.togglePause(), back: () => nav.setView('jobs') },
    detail: {
      quit,
      interrupt: quit,
      help: common.help,
      refresh: common.refresh,
      'command-mode': common['command-mode'],
      ...views,
      back: () => nav.closeDetail(),
      up: () => scroll(() => 1),
      down: () => scroll(() => -1),
      'page-up': () => scroll((room) => Math.max(1, room - 1)),
      'page-down': () => scroll((room) => -Math.max(1, room - 1)),
      first: () => scroll(() => Number.MAX_SAFE_INTEGER),
      last: () => nav.followDetail(),
      wrap: () => nav.toggleWrap(),
      'copy-id': copyId,
      'scroll-left': () => sideways(-1),
      'scroll-right': () => sideways(1),
      retry: () => jobs.retry(),
      cancel: () => jobs.askCancel(),
      delete: () => jobs.askDelete(),
      rerun: () => jobs.askRerun(),
      pager: () => jobs.openPager(),
    },
    schedules: {
      quit,
      interrupt: quit,
      help: common.help,
      refresh: () => c.schedules.load(),
      'command-mode': common['command-mode'],
      ...views,
      back: () => c.schedules.close(),
      up: () => c.schedules.move(-1),
      down: () => c.schedules.move(1),
      first: () => c.schedules.edge('first'),
      last: () => c.schedules.edge('last'),
      'schedule-pause': () => c.schedules.togglePause(),
      'schedule-run': () => c.schedules.run(),
    },
    help: {
      back: () => nav.toggleHelp(),
      help: () => nav.toggleHelp(),
      quit,
      interrupt: quit,
      refresh: common.refresh,
      up: () => nav.scrollHelp(-1, helpMax()),
      down: () => nav.scrollHelp(1, helpMax()),
    },
    confirm: {
      // Stopping every worker waits for their jobs: the keys go on meanwhile.
      yes: () => (stopAllConfirm() ? void confirm.answer(true) : confirm.answer(true)),
      no: () => confirm.answer(false),
      interrupt: quit,
    },
    form: {
      interrupt: quit,
      close: () => jobs.closeModal(),
      'form-submit': () => jobs.submitEnqueue(),
      'field-next': () => jobs.moveField(1),
      'field-prev': () => jobs.moveField(-1),
    },
    prompt: {
      interrupt: quit,
      'prompt-submit': async () => {
        const line = await prompt.submit();
        if (line !== null) await runPromptCommand(store, table, line);
      },
      complete: () => prompt.complete(PROMPT_COMMANDS.map((p) => p.name)),
      close: () => prompt.cancel(),
    },
  };
  return table;
}

/**
 * A `:` line: its first word names a binding (by its `command`), whose handler runs in the screen
 * beneath the prompt with the rest as its argument, as its key would.
 */
export function runPromptCommand(store: DashboardStoreApi, handlers: Record<KeyContext, Handlers>, line: string): unknown {
  const [word = '', ...rest] = line.trim().replace(/^:/, '').split(/\s+/);
  if (word === '') return undefined;
  const typed = word.toLowerCase();
  const command = PROMPT_COMMANDS.find((p) => p.name === typed || p.aliases?.includes(typed));
  const run = command && handlers[screenContext(store.getState())][command.id];
  if (!run) {
    store.getState().setStatus({ text: `unknown command :${typed} (try ${promptCommandList()}; ${keyLabel('complete')} completes)`, tone: 'error' });
    return undefined;
  }
  return run(rest[0]);
}

/**
 * Handles one key press in the state the store holds now: the focused context is worked out from
 * the store at this moment, not from the last render, so a key sees what the key before it did.
 */
export function handleKey(store: DashboardStoreApi, c: Controllers, handlers: Record<KeyContext, Handlers>, input: string, key: Key): unknown {
  const s = store.getState();
  const context = focusOf(s);
  const command = commandFor(context, input, key);
  const run = command === undefined ? undefined : handlers[context][command];
  if (run) return run();
  if (context === 'prompt' && s.prompt) {
    const next = editField(s.prompt, input, key);
    if (next !== null) void c.prompt.edit(next.text, next.cursor);
  } else if (context === 'form' && s.modal?.kind === 'enqueue' && !s.modal.busy) {
    const text = s.modal.values[FORM_FIELDS[s.modal.field].key];
    const next = editField({ text, cursor: s.modal.cursor }, input, key);
    if (next !== null) c.jobs.editForm(next.text, next.cursor);
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
      // Ctrl-C does not wait behind keys whose results are still loading: it quits now.
      if (keyName(one, k) === 'ctrl+c') {
        this.pending.length = 0;
        this.handle(one, k);
        return;
      }
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
