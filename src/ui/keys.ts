import type { Key } from 'ink';

/**
 * Every keybinding of the dashboard, as data. This one table drives key handling, the footer
 * hints, the `?` help screen, the `:` commands (a binding's `command` is its word in the `:`
 * prompt, run by the same handler as its key), the confirmation's keys and the key names the
 * screens mention (`keyLabel`), so none of them can disagree.
 */

/**
 * Where a binding is enabled: the three main views, the screens opened over them, and the
 * confirmation, the enqueue form and the `/` `:` prompt (where other keys are typed text).
 */
export type KeyContext = 'jobs' | 'workers' | 'dlq' | 'queues' | 'detail' | 'help' | 'confirm' | 'form' | 'prompt' | 'schedules';

export type CommandId =
  | 'quit'
  | 'help'
  | 'refresh'
  | 'command-mode'
  | 'filter'
  | 'next-view'
  | 'prev-view'
  | 'tab-1'
  | 'tab-2'
  | 'tab-3'
  | 'tab-4'
  | 'tab-5'
  | 'tab-6'
  | 'tab-7'
  | 'tab-8'
  | 'tab-prev'
  | 'tab-next'
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'first'
  | 'last'
  | 'open'
  | 'back'
  | 'mark'
  | 'enqueue'
  | 'retry'
  | 'retry-all'
  | 'cancel'
  | 'worker-up'
  | 'worker-down'
  | 'stop-all'
  | 'yes'
  | 'no'
  | 'field-next'
  | 'field-prev'
  | 'form-submit'
  | 'prompt-submit'
  | 'close'
  | 'wrap'
  | 'scroll-left'
  | 'scroll-right'
  | 'complete'
  | 'copy-id'
  | 'mark-all'
  | 'sort'
  | 'sort-reverse'
  | 'delete'
  | 'delete-all'
  | 'rerun'
  | 'pause'
  | 'pager'
  | 'schedules-open'
  | 'schedule-pause'
  | 'schedule-run'
  | 'interrupt'
  | 'view-jobs'
  | 'view-workers'
  | 'view-dlq'
  | 'view-queues'
  | 'queue-filter';


export interface Binding {
  id: CommandId;
  /** Canonical key names, as produced by `keyName`. */
  keys: readonly string[];
  /** How the keys are written in the footer and the help screen. */
  label: string;
  description: string;
  /** Short text for the footer; bindings without it appear only in the help screen. */
  hint?: string;
  /** Where the footer shows the hint (default: everywhere the binding is enabled). */
  hintIn?: readonly KeyContext[];
  /** Bindings of one group share a line in the help screen. */
  group?: keyof typeof GROUPS;
  contexts: readonly KeyContext[];
  /** Its word in the `:` prompt (`:queues`, `:q`), and the argument it takes, if any. */
  command?: { name: string; aliases?: readonly string[]; arg?: string };
}

/** Help-screen lines that stand for several bindings. */
export const GROUPS = {
  move: { label: '↑ ↓ k j', description: 'move up / down (in details: scroll the output)' },
  page: { label: 'PgUp PgDn', description: 'previous / next page (also Ctrl-b / Ctrl-f)' },
  edge: { label: 'g G', description: 'newest / oldest page (in details: top / follow the output)' },
  tabs: { label: '1-8', description: 'state tab: all, pending, processing, completed, failed, dead, cancelled, waiting' },
  'tab-step': { label: '← →', description: 'previous / next state tab' },
  views: { label: 'Tab S-Tab', description: 'next / previous view: jobs, workers, DLQ (:queues shows the queues)' },
  workers: { label: '+ -', description: 'start one more worker / stop one gracefully (in the workers view: the selected one)' },
} as const;

const MAIN: readonly KeyContext[] = ['jobs', 'workers', 'dlq', 'queues'];
const LISTS: readonly KeyContext[] = ['jobs', 'workers', 'dlq', 'queues'];
const JOB_LISTS: readonly KeyContext[] = ['jobs', 'dlq'];
const ALL: readonly KeyContext[] = ['jobs', 'workers', 'dlq', 'queues', 'detail', 'help', 'schedules'];

export const BINDINGS: readonly Binding[] = [
  { id: 'up', keys: ['up', 'k'], label: '↑/k', description: 'move up', group: 'move', contexts: [...LISTS, 'detail', 'help', 'schedules'] },
  { id: 'down', keys: ['down', 'j'], label: '↓/j', description: 'move down', hint: 'move', hintIn: [...LISTS, 'detail', 'schedules'], group: 'move', contexts: [...LISTS, 'detail', 'help', 'schedules'] },
  { id: 'page-up', keys: ['pageup', 'ctrl+b'], label: 'PgUp', description: 'previous page', group: 'page', contexts: [...LISTS, 'detail'] },
  { id: 'page-down', keys: ['pagedown', 'ctrl+f'], label: 'PgDn', description: 'next page', group: 'page', contexts: [...LISTS, 'detail'] },
  { id: 'first', keys: ['g', 'home'], label: 'g', description: 'first page (newest)', group: 'edge', contexts: [...LISTS, 'detail', 'schedules'] },
  { id: 'last', keys: ['G', 'end'], label: 'G', description: 'last page (oldest); in details, follow the output', group: 'edge', contexts: [...LISTS, 'detail', 'schedules'] },
  { id: 'open', keys: ['enter'], label: 'Enter', description: 'open the job’s details (in the workers view: the job the worker runs; in the queues view: the queue’s jobs)', hint: 'details', contexts: [...JOB_LISTS, 'workers', 'queues'] },
  { id: 'back', keys: ['esc'], label: 'Esc', description: 'go back or close; in a table, clear the marks, then the filter', hint: 'back', hintIn: ['detail', 'help', 'queues', 'schedules'], contexts: ['jobs', 'dlq', 'queues', 'detail', 'help', 'schedules'] },
  { id: 'tab-1', keys: ['1'], label: '1', description: 'all jobs', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-2', keys: ['2'], label: '2', description: 'pending jobs', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-3', keys: ['3'], label: '3', description: 'processing jobs', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-4', keys: ['4'], label: '4', description: 'completed jobs', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-5', keys: ['5'], label: '5', description: 'failed jobs', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-6', keys: ['6'], label: '6', description: 'dead jobs', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-7', keys: ['7'], label: '7', description: 'cancelled jobs', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-8', keys: ['8'], label: '8', description: 'jobs waiting for their dependencies', group: 'tabs', contexts: ['jobs'] },
  { id: 'tab-prev', keys: ['left'], label: '←', description: 'previous state tab', group: 'tab-step', contexts: ['jobs'] },
  { id: 'tab-next', keys: ['right'], label: '→', description: 'next state tab', hint: 'tabs', group: 'tab-step', contexts: ['jobs'] },
  { id: 'wrap', keys: ['w'], label: 'w', description: 'wrap long output lines, or cut them (then ← → scroll sideways)', hint: 'wrap', contexts: ['detail'] },
  { id: 'scroll-left', keys: ['left'], label: '←', description: 'scroll the output left (when not wrapped)', contexts: ['detail'] },
  { id: 'scroll-right', keys: ['right'], label: '→', description: 'scroll the output right (when not wrapped)', contexts: ['detail'] },
  { id: 'next-view', keys: ['tab'], label: 'Tab', description: 'next view (jobs, workers, DLQ)', hint: 'view', group: 'views', contexts: MAIN },
  { id: 'prev-view', keys: ['shift+tab'], label: 'S-Tab', description: 'previous view', group: 'views', contexts: MAIN },
  { id: 'mark', keys: ['space'], label: 'Space', description: 'mark or unmark the row (the cursor stays); marks hold across pages and tabs, r and c act on every marked job', hint: 'mark', contexts: JOB_LISTS },
  { id: 'mark-all', keys: ['*'], label: '*', description: 'mark every job the tab and filter match (up to 5,000), saying how many', contexts: JOB_LISTS },
  { id: 'copy-id', keys: ['y'], label: 'y', description: 'copy the job’s id to the clipboard (through the terminal, OSC 52)', contexts: [...JOB_LISTS, 'detail'] },
  { id: 'filter', keys: ['/'], label: '/', description: 'filter by id or command text (Esc clears)', hint: 'filter', contexts: JOB_LISTS },
  { id: 'enqueue', keys: ['e'], label: 'e', description: 'enqueue a job', hint: 'enqueue', contexts: ['jobs', 'workers', 'dlq', 'queues'] },
  { id: 'retry', keys: ['r'], label: 'r', description: 'retry: a failed job runs now, a dead job goes back to pending (over marks: asks first)', hint: 'retry', contexts: [...JOB_LISTS, 'detail'] },
  { id: 'delete', keys: ['d'], label: 'd', description: 'delete the dead job, or the marked ones, with their history (asks first; queuectl dlq delete)', hint: 'delete', contexts: ['dlq', 'detail'] },
  { id: 'delete-all', keys: ['D'], label: 'D', description: 'delete every dead job the filter and queue match (asks first, saying how many)', contexts: ['dlq'] },
  { id: 'rerun', keys: ['a'], label: 'a', description: 'run a completed job again as a copy, <id>.rerun-N, with fresh attempts (asks first; queuectl rerun)', hint: 'rerun', contexts: ['jobs', 'detail'] },
  { id: 'sort', keys: ['o'], label: 'o', description: 'next order: created, or finished (on the done, dead and cancelled tabs and the DLQ); only orders that page by index', hint: 'sort', contexts: JOB_LISTS },
  { id: 'sort-reverse', keys: ['O'], label: 'O', description: 'reverse the order (oldest or earliest first)', contexts: JOB_LISTS },
  { id: 'pause', keys: ['p'], label: 'p', description: 'pause the selected queue, or resume it (queuectl queue pause|resume)', hint: 'pause/resume', contexts: ['queues'] },
  { id: 'pager', keys: ['v', 'o'], label: 'v', description: 'open the whole stored output in $PAGER (default less -R); quitting it comes back here', hint: 'pager', contexts: ['detail'] },
  { id: 'retry-all', keys: ['R'], label: 'R', description: 'retry every job in the DLQ (asks first)', hint: 'retry all', contexts: ['dlq'] },
  { id: 'cancel', keys: ['c'], label: 'c', description: 'cancel a pending or failed job (asks first)', hint: 'cancel', contexts: ['jobs', 'detail'] },
  { id: 'worker-up', keys: ['+', '='], label: '+', description: 'start one more worker', hint: 'worker', group: 'workers', contexts: MAIN },
  { id: 'worker-down', keys: ['-', '_'], label: '-', description: 'stop one worker gracefully (the selected one in the workers view)', group: 'workers', contexts: MAIN },
  { id: 'stop-all', keys: ['s'], label: 's', description: 'stop every worker gracefully (asks first)', hint: 'stop all', contexts: ['workers'] },
  { id: 'refresh', keys: ['ctrl+r'], label: 'C-r', description: 'refresh now', contexts: ALL },
  {
    id: 'command-mode', keys: [':'], label: ':', hint: 'cmd', contexts: [...MAIN, 'detail', 'schedules'],
    get description() {
      return `command: ${promptCommandList()} (${keyLabel('complete')} completes)`;
    },
  },
  // `:` commands with no key of their own (the help screen lists them on the `:` line).
  { id: 'view-jobs', keys: [], label: ':jobs', description: 'the jobs view', contexts: [...MAIN, 'detail', 'schedules'], command: { name: 'jobs' } },
  { id: 'view-workers', keys: [], label: ':workers', description: 'the workers view', contexts: [...MAIN, 'detail', 'schedules'], command: { name: 'workers' } },
  { id: 'view-dlq', keys: [], label: ':dlq', description: 'the dead letter queue', contexts: [...MAIN, 'detail', 'schedules'], command: { name: 'dlq' } },
  { id: 'view-queues', keys: [], label: ':queues', description: 'every queue with its counts', contexts: [...MAIN, 'detail', 'schedules'], command: { name: 'queues' } },
  { id: 'queue-filter', keys: [], label: ':queue', description: 'only the jobs of queue NAME in both tables; alone, every queue', contexts: [...MAIN, 'detail', 'schedules'], command: { name: 'queue', arg: 'NAME' } },
  { id: 'schedules-open', keys: ['S'], label: 'S', description: 'schedules: spec, next firings, last runs, paused (also :schedules)', contexts: [...MAIN, 'detail', 'schedules'], command: { name: 'schedules' } },
  { id: 'schedule-pause', keys: ['p'], label: 'p', description: 'pause the selected schedule, or resume it', hint: 'pause/resume', contexts: ['schedules'] },
  { id: 'schedule-run', keys: ['r'], label: 'r', description: 'run the selected schedule now, once (its timetable is unchanged)', hint: 'run now', contexts: ['schedules'] },
  { id: 'help', keys: ['?'], label: '?', description: 'show or hide this help', hint: 'help', contexts: ALL, command: { name: 'help' } },
  { id: 'quit', keys: ['q'], label: 'q', description: 'quit (workers keep running)', hint: 'quit', contexts: ALL, command: { name: 'quit', aliases: ['q', 'q!'] } },
  // Everywhere, also where q is typed text or an answer; its handler is quit's (input.ts).
  { id: 'interrupt', keys: ['ctrl+c'], label: 'C-c', description: 'quit, wherever the keyboard is', contexts: [...ALL, 'confirm', 'form', 'prompt'] },
  // Enter is not yes: a confirmation opened under fast typing must not be accepted by a stray Enter.
  { id: 'yes', keys: ['y', 'Y'], label: 'y', description: 'yes, do it', hint: 'yes', contexts: ['confirm'] },
  { id: 'no', keys: ['n', 'N', 'esc', 'q'], label: 'n/Esc', description: 'no, leave things as they are', hint: 'no', contexts: ['confirm'] },
  { id: 'field-next', keys: ['tab', 'down'], label: 'Tab/↓', description: 'next field', hint: 'next field', contexts: ['form'] },
  { id: 'field-prev', keys: ['shift+tab', 'up'], label: 'S-Tab/↑', description: 'previous field', hint: 'previous', contexts: ['form'] },
  { id: 'form-submit', keys: ['enter'], label: 'Enter', description: 'enqueue the job', hint: 'enqueue', contexts: ['form'] },
  { id: 'prompt-submit', keys: ['enter'], label: 'Enter', description: 'keep the filter, or run the command', hint: 'apply', contexts: ['prompt'] },
  { id: 'complete', keys: ['tab'], label: 'Tab', description: 'complete the command name (in :)', contexts: ['prompt'] },
  { id: 'close', keys: ['esc'], label: 'Esc', description: 'close (a filter is cleared)', hint: 'close', contexts: ['form', 'prompt'] },
];

/** The `:` commands, in table order: the binding each runs, its word, its aliases and argument. */
export const PROMPT_COMMANDS: ReadonlyArray<{ id: CommandId; name: string; aliases?: readonly string[]; arg?: string }> = BINDINGS.flatMap((b) =>
  b.command ? [{ id: b.id, ...b.command }] : [],
);

/** The commands as written in help: `:jobs :workers :dlq :help :q`. */
export function promptCommandList(): string {
  return PROMPT_COMMANDS.map((c) => `:${c.aliases?.[0] ?? c.name}${c.arg ? ` [${c.arg}]` : ''}`).join(' ');
}

/** How the screens name the key of a command (`Esc`, `Tab`, `+`): its first binding's label. */
export function keyLabel(id: CommandId): string {
  const b = BINDINGS.find((x) => x.id === id && x.keys.length > 0);
  if (!b) throw new Error(`no key is bound to ${id}`);
  return b.label;
}

/** The letter keys that scroll (`j/k`), as the screens' titles name them. */
export function scrollKeys(): string {
  const letter = (id: CommandId) => BINDINGS.find((b) => b.id === id)?.keys.find((k) => /^[a-z]$/.test(k)) ?? keyLabel(id);
  return `${letter('down')}/${letter('up')}`;
}

/** The bindings enabled in a context, in table order. */
export function bindingsFor(context: KeyContext): Binding[] {
  return BINDINGS.filter((b) => b.contexts.includes(context));
}

/** Turns what Ink reports for a key press into one canonical name, such as `up`, `ctrl+r`, `G`. */
export function keyName(input: string, key: Key): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  return input;
}

/** The command a key press means in a context, if any. */
export function commandFor(context: KeyContext, input: string, key: Key): CommandId | undefined {
  const name = keyName(input, key);
  for (const b of BINDINGS) {
    if (b.keys.includes(name) && b.contexts.includes(context)) return b.id;
  }
  return undefined;
}

/** Lines of the help screen for a context: one per binding, or one per group of bindings. */
export function helpLines(context: KeyContext): Array<{ keys: string; description: string }> {
  const lines: Array<{ keys: string; description: string }> = [];
  const seen = new Set<string>();
  for (const b of bindingsFor(context)) {
    // `:` commands without a key are on the `:` line.
    if (b.keys.length === 0) continue;
    if (b.group) {
      if (seen.has(b.group)) continue;
      seen.add(b.group);
      lines.push({ keys: GROUPS[b.group].label, description: GROUPS[b.group].description });
    } else {
      lines.push({ keys: b.keys.map(displayKey).join(' '), description: b.description });
    }
  }
  return lines;
}

const KEY_NAMES: Record<string, string> = {
  up: '↑', down: '↓', left: '←', right: '→', pageup: 'PgUp', pagedown: 'PgDn', enter: 'Enter', esc: 'Esc',
  tab: 'Tab', 'shift+tab': 'S-Tab', space: 'Space', home: 'Home', end: 'End',
};

/** A canonical key name as people write it: `↑`, `Ctrl-r`, `Space`. */
export function displayKey(name: string): string {
  return KEY_NAMES[name] ?? name.replace(/^ctrl\+/, 'Ctrl-');
}

/** Footer order: what acts on the view first, then moving around, so a narrow footer keeps the actions. */
const FOOTER_FIRST: readonly CommandId[] = ['retry', 'retry-all', 'cancel', 'delete', 'rerun', 'pause', 'stop-all', 'worker-up', 'enqueue', 'open', 'back'];

/**
 * Footer hints for a context, as `[label, hint]` pairs; `enabled` leaves out commands that cannot
 * act on what is selected (cancel on a completed job).
 */
export function footerHints(context: KeyContext, enabled: (id: CommandId) => boolean = () => true): Array<[string, string]> {
  const hinted = bindingsFor(context).filter((b) => b.hint && (!b.hintIn || b.hintIn.includes(context)) && enabled(b.id));
  const rank = (b: Binding) => (FOOTER_FIRST.includes(b.id) ? FOOTER_FIRST.indexOf(b.id) : FOOTER_FIRST.length);
  return [...hinted]
    .sort((a, b) => rank(a) - rank(b))
    .map((b) => [b.id === 'down' ? '↑↓' : b.id === 'tab-next' ? '1-8/←→' : b.label, b.hint as string]);
}

/** A key event with no flag set. */
export const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

/**
 * Splits input that arrived in one piece (fast typing, a paste, `jobs⏎` sent at once) into the
 * single key presses it stands for. Escape sequences (arrows, PgUp…) already come one by one.
 */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  if ([...input].length <= 1 || input.includes('\x1b')) return [[input, key]];
  return [...input].map((ch): [string, Key] => {
    if (ch === '\r' || ch === '\n') return ['', { ...NO_KEY, return: true }];
    if (ch === '\t') return ['', { ...NO_KEY, tab: true }];
    if (ch === '\x7f' || ch === '\b') return ['', { ...NO_KEY, backspace: true }];
    const code = ch.charCodeAt(0);
    if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }];
    if (code < 32) return ['', NO_KEY];
    return [ch, { ...NO_KEY, shift: ch !== ch.toLowerCase() }];
  });
}
