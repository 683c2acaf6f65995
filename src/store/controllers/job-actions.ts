import { IllegalTransitionError, JobNotFoundError, oneLine } from '../../engine/errors.js';
import { rerunBase } from '../../engine/queue.js';
import { EMPTY_FORM, type EnqueueFormValues, FORM_FIELDS, formToInput } from '../enqueue-form.js';
import type { ConfirmAction, EnqueueModal } from '../types.js';
import { type BulkPlan, bulkPlan, canCancel, canRetry, describeNothing, describePlan } from '../validity.js';
import { type Scope, plural } from './scope.js';

/** Why one job of a bulk action failed, in a few words: "it is completed", "no such job". */
export function failureReason(e: unknown): string {
  if (e instanceof IllegalTransitionError) return `it is ${e.from}`;
  if (e instanceof JobNotFoundError) return 'no such job';
  return oneLine(e).replace(/^cannot \w+ job "[^"]*": /, '');
}

/** The confirmed actions this controller carries out (stopping workers is WorkerActions'). */
export type JobConfirmAction = Exclude<ConfirmAction, { kind: 'stop-all' }>;

/**
 * What the operator does to jobs and queues: enqueue (the form), retry, cancel, delete from the
 * DLQ, re-run as a copy, pause a queue, read the output in the pager. Each goes through the
 * engine's Queue exactly as the matching CLI command does, and reports on the status line what
 * was done together with that command. Destructive ones ask first (ConfirmController answers).
 */
export class JobActions {
  constructor(private readonly x: Scope) {}

  /** Carries out a confirmed action. */
  run(a: JobConfirmAction): Promise<void> {
    if (a.kind === 'delete') return this.deleteIds(a.ids, a.skipped);
    if (a.kind === 'delete-all') return this.deleteAll(a.search, a.queue);
    if (a.kind === 'rerun') return this.rerun(a.id);
    if (a.kind === 'cancel') return this.cancel(a.ids, a.skipped);
    if (a.kind === 'retry') return this.retryIds(a.ids, a.skipped);
    return this.retryAll();
  }

  /** The marked jobs of the current table, when the action is over marks (never in details). */
  private markedIds(): string[] | null {
    const id = this.x.listId();
    if (this.x.s.detail || id === null || this.x.s.lists[id].marks.length === 0) return null;
    return [...this.x.s.lists[id].marks];
  }

  openEnqueue(): void {
    this.x.s.setModal({ kind: 'enqueue', values: EMPTY_FORM, field: 0, error: null, busy: false });
  }

  closeModal(): void {
    this.x.s.setModal(null);
  }

  private form(): EnqueueModal | null {
    const m = this.x.s.modal;
    return m?.kind === 'enqueue' ? m : null;
  }

  /** Typing in the enqueue form: the focused field's new text. */
  editForm(text: string, cursor?: number): void {
    const m = this.form();
    if (!m || m.busy) return;
    const key = FORM_FIELDS[m.field].key;
    if (m.values[key] !== text || m.cursor !== cursor) this.x.s.setModal({ ...m, values: { ...m.values, [key]: text }, ...(cursor !== undefined ? { cursor } : {}) });
  }

  /** Tab / S-Tab in the enqueue form. */
  moveField(delta: 1 | -1): void {
    const m = this.form();
    if (!m || m.busy) return;
    const { cursor: _, ...rest } = m;
    // The cursor starts at the end of the field it moves to.
    this.x.s.setModal({ ...rest, field: (m.field + delta + FORM_FIELDS.length) % FORM_FIELDS.length });
  }

  /**
   * Validates as `queuectl enqueue` does; on a bad field the form stays open with the message.
   * Without `values`, the form's own are submitted.
   */
  async submitEnqueue(values?: EnqueueFormValues): Promise<boolean> {
    const open = this.form() ?? { kind: 'enqueue' as const, values: EMPTY_FORM, field: 0, error: null, busy: false };
    if (open.busy) return false;
    const v = values ?? open.values;
    this.x.s.setModal({ ...open, values: v, error: null, busy: true });
    try {
      const { input, flags } = formToInput(v);
      const [job] = await this.x.queue.enqueue([input]);
      this.x.s.setModal(null);
      this.x.status({ text: `enqueued ${job.id}`, tone: 'ok', command: this.x.cli.enqueue(flags, job.command) });
      await this.x.refresh();
      return true;
    } catch (e) {
      // Closed while it was being checked: the message goes to the status line instead.
      if (this.form()) this.x.s.setModal({ ...open, values: v, error: oneLine(e), busy: false });
      else this.x.fail(e);
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
    const job = this.x.selectedJob();
    if (!job) return Promise.resolve();
    if (!canRetry(job.state)) {
      this.x.status({ text: `cannot retry ${job.id}: it is ${job.state}`, tone: 'error' });
      return Promise.resolve();
    }
    return this.retryIds([job.id], []);
  }

  private retryIds(ids: readonly string[], skipped: Readonly<BulkPlan['skip']>): Promise<void> {
    return this.each(ids, skipped, 'retried', async (id) => {
      // The state now, not as last shown: a marked job may be on another page, or have moved on.
      const dead = (await this.x.queue.get(id)).state === 'dead';
      const command = dead ? this.x.cli.dlqRetry(id) : this.x.cli.retry(id);
      try {
        if (dead) await this.x.queue.revive(id);
        else await this.x.queue.retry(id);
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
    const job = this.x.selectedJob();
    if (!job) return Promise.resolve();
    if (!canCancel(job.state)) {
      this.x.status({ text: `cannot cancel ${job.id}: it is ${job.state}`, tone: 'error' });
      return Promise.resolve();
    }
    this.x.s.setModal({ kind: 'confirm', message: `Cancel job ${job.id}? It will never run.`, action: { kind: 'cancel', ids: [job.id], skipped: [] } });
    return Promise.resolve();
  }

  /**
   * `d` in the DLQ (or on a dead job's details): asks first, then deletes the selected or marked
   * dead jobs with their history, as `queuectl dlq delete`. A job revived meanwhile is kept.
   */
  askDelete(): Promise<void> {
    const marked = this.markedIds();
    if (marked) return this.askBulk('delete', marked);
    const job = this.x.selectedJob();
    if (!job) return Promise.resolve();
    if (job.state !== 'dead') {
      this.x.status({ text: `cannot delete ${job.id}: it is ${job.state} (only dead jobs are deleted here)`, tone: 'error' });
      return Promise.resolve();
    }
    this.x.s.setModal({ kind: 'confirm', message: `Delete dead job ${job.id} and its history? This cannot be undone.`, action: { kind: 'delete', ids: [job.id], skipped: [] } });
    return Promise.resolve();
  }

  /** `D` in the DLQ: every dead job the filter and queue filter match, counted in the question. */
  askDeleteAll(): void {
    const l = this.x.s.lists.dlq;
    const scope = [l.search !== '' ? `matching "${l.search}"` : '', l.queue !== null ? `in queue ${l.queue}` : ''].filter(Boolean).join(' ');
    const total = l.search === '' ? (l.queue === null ? (this.x.s.header.counts?.dead ?? null) : (this.x.s.queues?.find((q) => q.name === l.queue)?.counts.dead ?? null)) : null;
    const howMany = total === null ? '' : ` (${plural(total, 'dead job')})`;
    this.x.s.setModal({
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
    const job = this.x.selectedJob();
    if (!job) return Promise.resolve();
    if (job.state !== 'completed') {
      this.x.status({ text: `cannot re-run ${job.id}: it is ${job.state} (only completed jobs are re-run as a copy)`, tone: 'error' });
      return Promise.resolve();
    }
    this.x.s.setModal({
      kind: 'confirm',
      message: `Re-run ${job.id} as a copy? A new job ${rerunBase(job.id)}.rerun-N is enqueued with the same command and options and fresh attempts; ${job.id} stays as it is.`,
      action: { kind: 'rerun', id: job.id },
    });
    return Promise.resolve();
  }

  private async rerun(id: string): Promise<void> {
    const command = this.x.cli.rerun(id);
    try {
      const copy = await this.x.queue.rerun(id);
      this.x.status({ text: `enqueued ${copy.id}, a copy of ${id} (fresh attempts)`, tone: 'ok', command });
    } catch (e) {
      this.x.fail(e, command);
    }
    await this.x.refresh();
  }

  private deleteIds(ids: readonly string[], skipped: Readonly<BulkPlan['skip']>): Promise<void> {
    // One engine call for them all; those not deleted (revived or gone meanwhile) are reported by the state they are in now.
    const deleted = this.x.queue.deleteDead(ids);
    return this.each(ids, skipped, 'deleted', async (id) => {
      const command = this.x.cli.dlqDelete([id]);
      if ((await deleted).includes(id)) return command;
      const now = await this.x.queue.backend.getJob(id);
      const e = now ? new IllegalTransitionError(id, now.state, 'delete') : new JobNotFoundError(id);
      throw Object.assign(e, { command });
    });
  }

  private async deleteAll(search: string, queue: string | null): Promise<void> {
    const command = this.x.cli.dlqDeleteAll(search, queue);
    this.x.status({ text: 'deleting…', tone: 'info', command });
    try {
      const n = await this.x.queue.deleteAllDead({ ...(search !== '' ? { search } : {}), ...(queue !== null ? { queue } : {}) });
      this.x.status({ text: n === 0 ? 'no dead jobs to delete' : `deleted ${plural(n, 'dead job')} with their history`, tone: 'ok', command });
      this.x.s.clearMarks('dlq');
    } catch (e) {
      this.x.fail(e, command);
    }
    await this.x.refresh();
  }

  /** \`p\` in the queues view: pauses the selected queue, or resumes it, as \`queuectl queue pause|resume\`. */
  async togglePause(): Promise<void> {
    const q = this.x.s.queues?.[this.x.s.queuesRow];
    if (!q) return;
    const paused = !q.paused;
    const command = this.x.cli.queuePause(q.name, paused);
    try {
      await this.x.queue.setQueuePaused(q.name, paused);
      // The list shows the new state when the result is said.
      await this.x.poller.loadQueues();
      await this.x.refresh();
      this.x.status({ text: paused ? `paused queue ${q.name}: workers take none of its jobs` : `resumed queue ${q.name}`, tone: 'ok', command });
    } catch (e) {
      this.x.fail(e, command);
    }
  }

  /**
   * \`v\` (or \`o\`) in details: the job's whole stored output in $PAGER (default \`less -R\`). The
   * screen is handed over and comes back as it was when the pager exits (see the screen's runner).
   */
  openPager(): void {
    const job = this.x.s.detail?.job;
    if (!job) return;
    this.x.s.setSuspend({ kind: 'pager', title: job.id, text: job.output === '' ? '(no output)\n' : job.output });
  }

  /** The confirmation of an action over marks: each marked job's state read now, the plan spelled out. */
  private async askBulk(kind: 'retry' | 'cancel' | 'delete', ids: readonly string[]): Promise<void> {
    const jobs = await Promise.all(
      ids.map(async (id) => {
        try {
          return { id, state: (await this.x.queue.get(id)).state };
        } catch {
          return { id, state: 'gone' as const };
        }
      }),
    );
    const plan = bulkPlan(jobs, kind === 'retry' ? canRetry : kind === 'cancel' ? canCancel : (st) => st === 'dead');
    if (plan.act.length === 0) {
      this.x.status({ text: describeNothing(kind === 'retry' ? 'retried' : kind === 'cancel' ? 'cancelled' : 'deleted', plan), tone: 'error' });
      return;
    }
    const text = describePlan(kind, plan);
    const tail = kind === 'cancel' ? ' Cancelled jobs never run.' : kind === 'delete' ? ' Their history goes too; this cannot be undone.' : '';
    const message = `${text[0].toUpperCase()}${text.slice(1)}.${tail}`;
    const action: ConfirmAction = { kind, ids: plan.act, skipped: plan.skip };
    this.x.s.setModal({ kind: 'confirm', message, action });
  }

  askRetryAll(): void {
    const dead = this.x.s.header.counts?.dead ?? 0;
    this.x.s.setModal({
      kind: 'confirm',
      message: `Retry every job in the DLQ (${plural(dead, 'dead job')})? Each goes back to pending with its attempts reset.`,
      action: { kind: 'retry-all' },
    });
  }

  private cancel(ids: readonly string[], skipped: Readonly<BulkPlan['skip']>): Promise<void> {
    return this.each(ids, skipped, 'cancelled', async (id) => {
      const command = this.x.cli.cancel(id);
      try {
        await this.x.queue.cancel(id);
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
      this.x.fail(e, (e as { command?: string }).command ?? command);
    } else if (failed.length === 0) {
      const text = done.length === 1 ? `${verb} ${done[0]}` : `${verb} ${plural(done.length, 'job')}`;
      this.x.status({ text: text + skip, tone: 'ok', ...(command ? { command } : {}) });
    } else {
      const why = failed.map((f) => `${f.id} (${failureReason(f.error)})`).join(', ');
      this.x.status({ text: `${verb} ${done.length} of ${ids.length}; failed: ${why}${skip}`, tone: 'error', ...(command ? { command } : {}) });
    }
    const id = this.x.listId();
    if (id !== null) this.x.s.unmark(id, done);
    await this.x.refresh();
  }

  private async retryAll(): Promise<void> {
    const command = this.x.cli.dlqRetryAll();
    try {
      const n = await this.x.queue.reviveAll();
      this.x.status({ text: n === 0 ? 'the DLQ is empty' : `moved ${plural(n, 'dead job')} back to pending`, tone: 'ok', command });
    } catch (e) {
      this.x.fail(e, command);
    }
    await this.x.refresh();
  }
}
