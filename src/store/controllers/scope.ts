import { oneLine } from '../../engine/errors.js';
import type { Queue } from '../../engine/queue.js';
import type { Job } from '../../engine/types.js';
import { CliEquivalent } from '../cli-equivalent.js';
import type { Poller } from '../poller.js';
import type { DashboardStoreApi } from '../store.js';
import type { ListId, StatusLine } from '../types.js';

/**
 * What every controller of the dashboard works with: the open queue, the store, the poller, the
 * CLI equivalents it reports, and the few readings of the screen they all need. Controllers are
 * composed over one scope (see controllers/index.ts); none extends another.
 */
export class Scope {
  readonly cli: CliEquivalent;
  /** Moves through the tables are serialised: each starts from where the previous one landed. */
  private nav: Promise<void> = Promise.resolve();

  constructor(
    readonly queue: Queue,
    readonly store: DashboardStoreApi,
    readonly poller: Poller,
    options: { db?: string } = {},
  ) {
    this.cli = new CliEquivalent(options.db);
  }

  get s() {
    return this.store.getState();
  }

  status(status: StatusLine): void {
    this.s.setStatus(status);
  }

  fail(e: unknown, command?: string): void {
    this.status({ text: oneLine(e), tone: 'error', ...(command ? { command } : {}) });
  }

  /** The table the current screen acts on, if it shows jobs. */
  listId(): ListId | null {
    const v = this.s.view;
    return v === 'jobs' || v === 'dlq' ? v : null;
  }

  refresh(): Promise<void> {
    return this.poller.refresh();
  }

  serial(step: () => Promise<void>): Promise<void> {
    this.nav = this.nav.then(step).catch((e) => this.fail(e));
    return this.nav;
  }

  /** Re-reads a table after its query changed. */
  reload(id: ListId): Promise<void> {
    return this.serial(async () => {
      await this.poller.loadList(id);
      this.poller.advanceClock();
    });
  }

  /** The selected job in the current table (or the open job), if any. */
  selectedJob(): Job | null {
    const s = this.s;
    if (s.detail) {
      // Until the details have loaded, the row they were opened from stands for the job.
      if (s.detail.job) return s.detail.job;
      const open = s.detail.id;
      return [...s.lists.jobs.jobs, ...s.lists.dlq.jobs].find((j) => j.id === open) ?? null;
    }
    const id = this.listId();
    if (id === null) return null;
    const l = s.lists[id];
    // Rows of the previous query, still shown while the new page loads, are not selectable.
    return l.loaded ? (l.jobs[l.row] ?? null) : null;
  }
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
