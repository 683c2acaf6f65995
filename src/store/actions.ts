import { IllegalTransitionError, JobNotFoundError, oneLine } from '../engine/errors.js';
import { type Queue, rerunBase } from '../engine/queue.js';
import { EMPTY_FORM, type EnqueueFormValues, FORM_FIELDS, formToInput } from './enqueue-form.js';
import { Navigation } from './navigation.js';
import type { Poller } from './poller.js';
import type { DashboardStoreApi } from './store.js';
import type { ConfirmAction, EnqueueModal } from './types.js';
import { type BulkPlan, bulkPlan, canCancel, canRetry, describeNothing, describePlan } from './validity.js';

/** Starting and stopping worker processes: the supervisor, as the dashboard uses it. */
export interface WorkerControl {
  /** Starts `count` detached workers; resolves with their ids and pids once they are launched. */
  start(count: number): Promise<Array<{ id: string; pid: number }>>;
  /** Asks workers (all when `ids` is omitted) to stop gracefully and waits for them. */
  stop(ids: readonly string[] | undefined, onProgress: (left: number) => void): Promise<{ stopped: string[]; stillRunning: string[] }>;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Why one job of a bulk action failed, in a few words: "it is completed", "no such job". */
export function failureReason(e: unknown): string {
  if (e instanceof IllegalTransitionError) return `it is ${e.from}`;
  if (e instanceof JobNotFoundError) return 'no such job';
  return oneLine(e).replace(/^cannot \w+ job "[^"]*": /, '');
}

/**
 * Everything the keys can make happen. Each operator action goes through the engine's Queue (or
 * the worker supervisor) exactly as the matching CLI command does, and reports on the status line
 * what was done together with that command.
 */
export class DashboardActions extends Navigation {
  constructor(
    queue: Queue,
    store: DashboardStoreApi,
    poller: Poller,
    private readonly workers: WorkerControl | null,
    options: { db?: string } = {},
  ) {
    super(queue, store, poller, options);
  }

  /** The marked jobs of the current table, when the action is over marks (never in details). */
  private markedIds(): string[] | null {
    const id = this.listId();
    if (this.s.detail || id === null || this.s.lists[id].marks.length === 0) return null;
    return [...this.s.lists[id].marks];
  }

  // --- operator actions -------------------------------------------------------------------

  openEnqueue(): void {
    this.s.setModal({ kind: 'enqueue', values: EMPTY_FORM, field: 0, error: null, busy: false });
  }

  closeModal(): void {
    this.s.setModal(null);
  }

  private form(): EnqueueModal | null {
    const m = this.s.modal;
    return m?.kind === 'enqueue' ? m : null;
  }

  /** Typing in the enqueue form: the focused field's new text. */
  editForm(text: string, cursor?: number): void {
    const m = this.form();
    if (!m || m.busy) return;
    const key = FORM_FIELDS[m.field].key;
    if (m.values[key] !== text || m.cursor !== cursor) this.s.setModal({ ...m, values: { ...m.values, [key]: text }, ...(cursor !== undefined ? { cursor } : {}) });
  }

  /** Tab / S-Tab in the enqueue form. */
  moveField(delta: 1 | -1): void {
    const m = this.form();
    if (!m || m.busy) return;
    const { cursor: _, ...rest } = m;
    // The cursor starts at the end of the field it moves to.
    this.s.setModal({ ...rest, field: (m.field + delta + FORM_FIELDS.length) % FORM_FIELDS.length });
  }

  /**
   * Validates as `queuectl enqueue` does; on a bad field the form stays open with the message.
   * Without `values`, the form's own are submitted.
   */
  async submitEnqueue(values?: EnqueueFormValues): Promise<boolean> {
    const open = this.form() ?? { kind: 'enqueue' as const, values: EMPTY_FORM, field: 0, error: null, busy: false };
    if (open.busy) return false;
    const v = values ?? open.values;
    this.s.setModal({ ...open, values: v, error: null, busy: true });
    try {
      const { input, flags } = formToInput(v);
      const [job] = await this.queue.enqueue([input]);
      this.s.setModal(null);
      this.status({ text: `enqueued ${job.id}`, tone: 'ok', command: this.cli.enqueue(flags, job.command) });
      await this.refresh();
      return true;
    } catch (e) {
      // Closed while it was being checked: the message goes to the status line instead.
      if (this.form()) this.s.setModal({ ...open, values: v, error: oneLine(e), busy: false });
      else this.fail(e);
      return false;
    }
  }

  /**
   * `r`: a failed job runs now (`queuectl retry`); a dead one goes back to pending (`queuectl dlq
   * retry`). On a job in another state it says so at once. Over marks it asks first, saying what
   * will be retried and what skipped.
   */
  retry(): Promise<void> {
    const marked = this.markedIds();
    if (marked) return this.askBulk('retry', marked);
    const job = this.selectedJob();
    if (!job) return Promise.resolve();
    if (!canRetry(job.state)) {
      this.status({ text: `cannot retry ${job.id}: it is ${job.state}`, tone: 'error' });
      return Promise.resolve();
    }
    return this.retryIds([job.id], []);
  }

  private retryIds(ids: readonly string[], skipped: Readonly<BulkPlan['skip']>): Promise<void> {
    return this.each(ids, skipped, 'retried', async (id) => {
      // The state now, not as last shown: a marked job may be on another page, or have moved on.
      const dead = (await this.queue.get(id)).state === 'dead';
      const command = dead ? this.cli.dlqRetry(id) : this.cli.retry(id);
      try {
        if (dead) await this.queue.revive(id);
        else await this.queue.retry(id);
      } catch (e) {
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), { command });
      }
      return command;
    });
  }

  /** `c`: asks first, then cancels the selected or marked jobs; on a job that cannot be cancelled, says so at once. */
  askCancel(): Promise<void> {
    const marked = this.markedIds();
    if (marked) return this.askBulk('cancel', marked);
    const job = this.selectedJob();
    if (!job) return Promise.resolve();
    if (!canCancel(job.state)) {
      this.status({ text: `cannot cancel ${job.id}: it is ${job.state}`, tone: 'error' });
      return Promise.resolve();
    }
    this.s.setModal({ kind: 'confirm', message: `Cancel job ${job.id}? It will never run.`, action: { kind: 'cancel', ids: [job.id], skipped: [] } });
    return Promise.resolve();
  }

  /**
   * `d` in the DLQ (or on a dead job's details): asks first, then deletes the selected or marked
   * dead jobs with their history, as `queuectl dlq delete`. A job revived meanwhile is kept.
   */
  askDelete(): Promise<void> {
    const marked = this.markedIds();
    if (marked) return this.askBulk('delete', marked);
    const job = this.selectedJob();
    if (!job) return Promise.resolve();
    if (job.state !== 'dead') {
      this.status({ text: `cannot delete ${job.id}: it is ${job.state} (only dead jobs are deleted here)`, tone: 'error' });
      return Promise.resolve();
    }
    this.s.setModal({ kind: 'confirm', message: `Delete dead job ${job.id} and its history? This cannot be undone.`, action: { kind: 'delete', ids: [job.id], skipped: [] } });
    return Promise.resolve();
  }

  /** `D` in the DLQ: every dead job the filter and queue filter match, counted in the question. */
  askDeleteAll(): void {
    const l = this.s.lists.dlq;
    const scope = [l.search !== '' ? `matching "${l.search}"` : '', l.queue !== null ? `in queue ${l.queue}` : ''].filter(Boolean).join(' ');
    const total = l.search === '' ? (l.queue === null ? (this.s.header.counts?.dead ?? null) : (this.s.queues?.find((q) => q.name === l.queue)?.counts.dead ?? null)) : null;
    const howMany = total === null ? '' : ` (${plural(total, 'dead job')})`;
    this.s.setModal({
      kind: 'confirm',
      message: `Delete every dead job${scope ? ` ${scope}` : ''}${howMany}, with their history? This cannot be undone.`,
      action: { kind: 'delete-all', search: l.search, queue: l.queue },
    });
  }

  /**
   * \`a\`: asks first, then runs a completed job again as a copy (\`queuectl rerun\`): a new job
   * \`<id>.rerun-N\` with the same command and options and fresh attempts; the original stays.
   */
  askRerun(): Promise<void> {
    const job = this.selectedJob();
    if (!job) return Promise.resolve();
    if (job.state !== 'completed') {
      this.status({ text: `cannot re-run ${job.id}: it is ${job.state} (only completed jobs are re-run as a copy)`, tone: 'error' });
      return Promise.resolve();
    }
    this.s.setModal({
      kind: 'confirm',
      message: `Re-run ${job.id} as a copy? A new job ${rerunBase(job.id)}.rerun-N is enqueued with the same command and options and fresh attempts; ${job.id} stays as it is.`,
      action: { kind: 'rerun', id: job.id },
    });
    return Promise.resolve();
  }

  private async rerun(id: string): Promise<void> {
    const command = this.cli.rerun(id);
    try {
      const copy = await this.queue.rerun(id);
      this.status({ text: `enqueued ${copy.id}, a copy of ${id} (fresh attempts)`, tone: 'ok', command });
    } catch (e) {
      this.fail(e, command);
    }
    await this.refresh();
  }

  private deleteIds(ids: readonly string[], skipped: Readonly<BulkPlan['skip']>): Promise<void> {
    // One engine call for them all; those not deleted (revived or gone meanwhile) are reported by the state they are in now.
    const deleted = this.queue.deleteDead(ids);
    return this.each(ids, skipped, 'deleted', async (id) => {
      const command = this.cli.dlqDelete([id]);
      if ((await deleted).includes(id)) return command;
      const now = await this.queue.backend.getJob(id);
      const e = now ? new IllegalTransitionError(id, now.state, 'delete') : new JobNotFoundError(id);
      throw Object.assign(e, { command });
    });
  }

  private async deleteAll(search: string, queue: string | null): Promise<void> {
    const command = this.cli.dlqDeleteAll(search, queue);
    this.status({ text: 'deleting…', tone: 'info', command });
    try {
      const n = await this.queue.deleteAllDead({ ...(search !== '' ? { search } : {}), ...(queue !== null ? { queue } : {}) });
      this.status({ text: n === 0 ? 'no dead jobs to delete' : `deleted ${plural(n, 'dead job')} with their history`, tone: 'ok', command });
      this.s.clearMarks('dlq');
    } catch (e) {
      this.fail(e, command);
    }
    await this.refresh();
  }

  /** \`p\` in the queues view: pauses the selected queue, or resumes it, as \`queuectl queue pause|resume\`. */
  async togglePause(): Promise<void> {
    const q = this.s.queues?.[this.s.queuesRow];
    if (!q) return;
    const paused = !q.paused;
    const command = this.cli.queuePause(q.name, paused);
    try {
      await this.queue.setQueuePaused(q.name, paused);
      // The list shows the new state when the result is said.
      await this.poller.loadQueues();
      await this.refresh();
      this.status({ text: paused ? `paused queue ${q.name}: workers take none of its jobs` : `resumed queue ${q.name}`, tone: 'ok', command });
    } catch (e) {
      this.fail(e, command);
    }
  }

  /** Enter in the queues view: the jobs of the selected queue. */
  openQueue(): Promise<void> {
    const q = this.s.queues?.[this.s.queuesRow];
    return q ? this.setQueueFilter(q.name) : Promise.resolve();
  }

  /**
   * \`v\` (or \`o\`) in details: the job's whole stored output in $PAGER (default \`less -R\`). The
   * screen is handed over and comes back as it was when the pager exits (see the screen's runner).
   */
  openPager(): void {
    const job = this.s.detail?.job;
    if (!job) return;
    this.s.setSuspend({ kind: 'pager', title: job.id, text: job.output === '' ? '(no output)\n' : job.output });
  }

  /** The confirmation of an action over marks: each marked job's state read now, the plan spelled out. */
  private async askBulk(kind: 'retry' | 'cancel' | 'delete', ids: readonly string[]): Promise<void> {
    const jobs = await Promise.all(
      ids.map(async (id) => {
        try {
          return { id, state: (await this.queue.get(id)).state };
        } catch {
          return { id, state: 'gone' as const };
        }
      }),
    );
    const plan = bulkPlan(jobs, kind === 'retry' ? canRetry : kind === 'cancel' ? canCancel : (st) => st === 'dead');
    if (plan.act.length === 0) {
      this.status({ text: describeNothing(kind === 'retry' ? 'retried' : kind === 'cancel' ? 'cancelled' : 'deleted', plan), tone: 'error' });
      return;
    }
    const text = describePlan(kind, plan);
    const tail = kind === 'cancel' ? ' Cancelled jobs never run.' : kind === 'delete' ? ' Their history goes too; this cannot be undone.' : '';
    const message = `${text[0].toUpperCase()}${text.slice(1)}.${tail}`;
    const action: ConfirmAction = { kind, ids: plan.act, skipped: plan.skip };
    this.s.setModal({ kind: 'confirm', message, action });
  }

  askRetryAll(): void {
    const dead = this.s.header.counts?.dead ?? 0;
    this.s.setModal({
      kind: 'confirm',
      message: `Retry every job in the DLQ (${plural(dead, 'dead job')})? Each goes back to pending with its attempts reset.`,
      action: { kind: 'retry-all' },
    });
  }

  askStopAll(): void {
    const n = this.s.workers.length;
    this.s.setModal({
      kind: 'confirm',
      message: `Stop all workers (${n} running)? Each finishes its current job, then exits.`,
      action: { kind: 'stop-all' },
    });
  }

  async confirm(yes: boolean): Promise<void> {
    const m = this.s.modal;
    if (!m || m.kind !== 'confirm') return;
    this.s.setModal(null);
    if (!yes) {
      this.status({ text: 'nothing done', tone: 'info' });
      return;
    }
    const a = m.action;
    if (a.kind === 'delete') return this.deleteIds(a.ids, a.skipped);
    if (a.kind === 'delete-all') return this.deleteAll(a.search, a.queue);
    if (a.kind === 'rerun') return this.rerun(a.id);
    if (a.kind === 'cancel') return this.cancel(a.ids, a.skipped);
    if (a.kind === 'retry') return this.retryIds(a.ids, a.skipped);
    if (a.kind === 'retry-all') return this.retryAll();
    return this.stopWorkers(undefined);
  }

  private cancel(ids: readonly string[], skipped: Readonly<BulkPlan['skip']>): Promise<void> {
    return this.each(ids, skipped, 'cancelled', async (id) => {
      const command = this.cli.cancel(id);
      try {
        await this.queue.cancel(id);
      } catch (e) {
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), { command });
      }
      return command;
    });
  }

  /**
   * Runs one action per job, each as its own engine call (the one the matching CLI command makes),
   * and goes on past failures. The status line says how many succeeded and, for each failure, which
   * job and why; the commands of those that succeeded are shown. Marks of jobs done are spent; the
   * marks of failed and skipped ones stay, so they can be looked at or tried again.
   */
  private async each(ids: readonly string[], skipped: Readonly<BulkPlan['skip']>, verb: string, act: (id: string) => Promise<string>): Promise<void> {
    const done: string[] = [];
    const commands: string[] = [];
    const failed: Array<{ id: string; error: unknown }> = [];
    for (const id of ids) {
      try {
        commands.push(await act(id));
        done.push(id);
      } catch (error) {
        failed.push({ id, error });
      }
    }
    const command = commands.length > 0 ? commands.join(' && ') : undefined;
    const skip = skipped.length === 0 ? '' : `; skipped: ${skipped.map((j) => `${j.id} (${j.state === 'gone' ? 'no such job' : j.state})`).join(', ')}`;
    if (ids.length === 1 && failed.length === 1 && skipped.length === 0) {
      const e = failed[0].error;
      this.fail(e, (e as { command?: string }).command ?? command);
    } else if (failed.length === 0) {
      const text = done.length === 1 ? `${verb} ${done[0]}` : `${verb} ${plural(done.length, 'job')}`;
      this.status({ text: text + skip, tone: 'ok', ...(command ? { command } : {}) });
    } else {
      const why = failed.map((f) => `${f.id} (${failureReason(f.error)})`).join(', ');
      this.status({ text: `${verb} ${done.length} of ${ids.length}; failed: ${why}${skip}`, tone: 'error', ...(command ? { command } : {}) });
    }
    const id = this.listId();
    if (id !== null) this.s.unmark(id, done);
    await this.refresh();
  }

  private async retryAll(): Promise<void> {
    const command = this.cli.dlqRetryAll();
    try {
      const n = await this.queue.reviveAll();
      this.status({ text: n === 0 ? 'the DLQ is empty' : `moved ${plural(n, 'dead job')} back to pending`, tone: 'ok', command });
    } catch (e) {
      this.fail(e, command);
    }
    await this.refresh();
  }

  /** `+`: one more detached worker, as `queuectl worker start --count 1`. */
  async workerUp(): Promise<void> {
    const command = this.cli.workerStart(1);
    if (!this.workers) return this.fail(new Error('starting workers is not available here'), command);
    this.status({ text: 'starting a worker…', tone: 'info', command });
    try {
      const [w] = await this.workers.start(1);
      this.status({ text: `started worker ${w.id} (pid ${w.pid})`, tone: 'ok', command });
    } catch (e) {
      this.fail(e, command);
    }
    await this.refresh();
  }

  /** `-`: stops one worker gracefully: the selected one in the workers view, else an idle one if any. */
  workerDown(): Promise<void> {
    const s = this.s;
    const live = s.workers.filter((w) => w.health !== 'dead' && !w.stop_requested);
    const pick =
      s.view === 'workers' && s.workers[s.workersRow] && !s.workers[s.workersRow].stop_requested
        ? s.workers[s.workersRow]
        : (live.find((w) => w.state === 'idle') ?? live[live.length - 1]);
    if (!pick) {
      this.status({ text: 'no running worker to stop', tone: 'error' });
      return Promise.resolve();
    }
    return this.stopWorkers([pick.id]);
  }

  /** Graceful stop through the supervisor, as `queuectl worker stop [ids]`; progress shows as it happens. */
  private async stopWorkers(ids: readonly string[] | undefined): Promise<void> {
    const command = this.cli.workerStop(ids);
    if (!this.workers) return this.fail(new Error('stopping workers is not available here'), command);
    const what = ids?.length === 1 ? `worker ${ids[0]}` : 'all workers';
    this.status({ text: `stopping ${what}…`, tone: 'info', command });
    void this.refresh();
    try {
      const r = await this.workers.stop(ids, (left) =>
        this.status({ text: `stopping ${what}: waiting for ${plural(left, 'worker')} to finish…`, tone: 'info', command }),
      );
      if (r.stillRunning.length > 0) {
        this.status({ text: `${plural(r.stillRunning.length, 'worker')} still running: ${r.stillRunning.join(', ')}`, tone: 'error', command });
      } else if (r.stopped.length === 0) {
        this.status({ text: 'no workers running', tone: 'info', command });
      } else {
        this.status({ text: r.stopped.length === 1 ? `stopped worker ${r.stopped[0]}` : `stopped ${plural(r.stopped.length, 'worker')}`, tone: 'ok', command });
      }
    } catch (e) {
      this.fail(e, command);
    }
    await this.refresh();
  }
}
