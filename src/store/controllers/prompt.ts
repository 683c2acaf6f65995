import { complete } from '../commands.js';
import type { Navigation } from './navigation.js';
import type { Scope } from './scope.js';

/** The pause in typing after which a filter is applied. */
const FILTER_PAUSE_MS = 120;

/**
 * The `/` filter and the `:` command line. A filter applies as it is typed; a command is only
 * text here: the key layer reads it against the bindings table, which says what each `:` word
 * runs (src/ui/keys.ts), so a `:` command and its key are one handler.
 */
export class PromptController {
  private filterTimer: NodeJS.Timeout | undefined;
  private filterWaiters: Array<() => void> = [];

  constructor(
    private readonly x: Scope,
    private readonly nav: Navigation,
  ) {}

  start(kind: 'filter' | 'command'): void {
    const id = this.x.listId();
    this.x.s.setPrompt({ kind, text: kind === 'filter' && id !== null ? this.x.s.lists[id].search : '' });
    // Queue names for Tab completion of `:queue NAME`.
    if (kind === 'command' && this.x.s.queues === null) void this.x.poller.loadQueues().catch(() => undefined);
  }

  /**
   * Typing in the prompt; a filter applies as it is typed, once typing pauses for a moment (on a
   * large history each filtered page is a scan). Resolves when the filtered page is shown.
   */
  edit(text: string, cursor?: number): Promise<void> {
    const p = this.x.s.prompt;
    if (!p) return Promise.resolve();
    if (p.text === text && p.cursor === cursor) return Promise.resolve();
    this.x.s.setPrompt({ ...p, text, ...(cursor !== undefined ? { cursor } : {}) });
    // Moving the cursor changes no filter.
    if (p.kind !== 'filter' || p.text === text) return Promise.resolve();
    if (this.filterTimer) clearTimeout(this.filterTimer);
    return new Promise((resolve) => {
      this.filterWaiters.push(resolve);
      this.filterTimer = setTimeout(() => {
        this.filterTimer = undefined;
        const waiters = this.filterWaiters;
        this.filterWaiters = [];
        void this.nav.setSearch(text).finally(() => waiters.forEach((w) => w()));
      }, FILTER_PAUSE_MS);
    });
  }

  private dropPendingFilter(): void {
    if (this.filterTimer) clearTimeout(this.filterTimer);
    this.filterTimer = undefined;
    const waiters = this.filterWaiters;
    this.filterWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Esc: the prompt closes; a filter typed in it is cleared. */
  cancel(): Promise<void> {
    this.dropPendingFilter();
    const p = this.x.s.prompt;
    this.x.s.setPrompt(null);
    return p?.kind === 'filter' ? this.nav.clearFilter() : Promise.resolve();
  }

  /**
   * Enter: a filter is kept (and its command shown); a command line closes and its text is
   * returned, for the key layer to run.
   */
  async submit(): Promise<string | null> {
    this.dropPendingFilter();
    const p = this.x.s.prompt;
    if (!p) return null;
    this.x.s.setPrompt(null);
    if (p.kind === 'command') return p.text;
    const id = this.x.listId();
    if (id !== null && p.text !== '') {
      const state = id === 'dlq' ? 'dead' : this.x.s.lists.jobs.tab === 'all' ? null : this.x.s.lists.jobs.tab;
      this.x.status({ text: `filter: ${p.text}`, tone: 'info', command: this.x.cli.list(state, p.text) });
    }
    await this.nav.setSearch(p.text.trim());
    return null;
  }

  /** Tab in the `:` prompt: completes a command name (one of `names`), or a queue's after `queue `. */
  complete(names: readonly string[]): void {
    const p = this.x.s.prompt;
    if (!p || p.kind !== 'command') return;
    const arg = /^\s*:?queue\s+(\S*)$/i.exec(p.text);
    if (arg) {
      // `:queue NAME`: the queue's name, from the queues as last read.
      const queues = (this.x.s.queues ?? []).map((q) => q.name);
      const done = complete(arg[1], queues, false);
      if (done.text !== arg[1]) {
        const text = `queue ${done.text}`;
        this.x.s.setPrompt({ ...p, text, cursor: [...text].length });
      } else if (done.matches.length > 1) {
        this.x.status({ text: `queues: ${done.matches.join(' ')}`, tone: 'info' });
      }
      return;
    }
    const done = complete(p.text, names);
    if (done.text !== p.text) this.x.s.setPrompt({ ...p, text: done.text, cursor: [...done.text].length });
  }
}
