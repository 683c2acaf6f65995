import { oneLine } from '../engine/errors.js';
import type { Queue } from '../engine/queue.js';
import type { Job } from '../engine/types.js';
import { type EnqueueFormValues, formToInput } from './enqueue-form.js';
import { Navigation } from './navigation.js';
import type { Poller } from './poller.js';
import type { DashboardStoreApi } from './store.js';

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

  /** The jobs an action applies to: the marked ones, else the selected one. */
  private targets(): { ids: string[]; states: Map<string, Job['state']> } {
    const s = this.s;
    const id = this.listId();
    const states = new Map<string, Job['state']>();
    if (!s.detail && id !== null && s.lists[id].marks.length > 0) {
      for (const j of s.lists[id].jobs) states.set(j.id, j.state);
      return { ids: [...s.lists[id].marks], states };
    }
    const job = this.selectedJob();
    if (!job) return { ids: [], states };
    states.set(job.id, job.state);
    return { ids: [job.id], states };
  }

  // --- operator actions -------------------------------------------------------------------

  openEnqueue(): void {
    this.s.setModal({ kind: 'enqueue', error: null, busy: false });
  }

  closeModal(): void {
    this.s.setModal(null);
  }

  /** Validates as `queuectl enqueue` does; on a bad field the form stays open with the message. */
  async submitEnqueue(values: EnqueueFormValues): Promise<boolean> {
    this.s.setModal({ kind: 'enqueue', error: null, busy: true });
    try {
      const { input, flags } = formToInput(values);
      const [job] = await this.queue.enqueue([input]);
      this.s.setModal(null);
      this.status({ text: `enqueued ${job.id}`, tone: 'ok', command: this.cli.enqueue(flags, job.command) });
      await this.refresh();
      return true;
    } catch (e) {
      this.s.setModal({ kind: 'enqueue', error: oneLine(e), busy: false });
      return false;
    }
  }

  /** `r`: a failed job runs now (`queuectl retry`); a dead one goes back to pending (`queuectl dlq retry`). */
  async retry(): Promise<void> {
    const { ids, states } = this.targets();
    if (ids.length === 0) return;
    const done: string[] = [];
    const commands: string[] = [];
    for (const id of ids) {
      const dead = states.get(id) === 'dead';
      const command = dead ? this.cli.dlqRetry(id) : this.cli.retry(id);
      try {
        if (dead) await this.queue.revive(id);
        else await this.queue.retry(id);
        done.push(id);
        commands.push(command);
      } catch (e) {
        this.fail(e, command);
        await this.afterAction();
        return;
      }
    }
    const text = done.length === 1 ? `retried ${done[0]}` : `retried ${plural(done.length, 'job')}`;
    this.status({ text, tone: 'ok', command: commands.join(' && ') });
    await this.afterAction();
  }

  /** `c`: asks first, then cancels the selected or marked jobs. */
  askCancel(): void {
    const { ids } = this.targets();
    if (ids.length === 0) return;
    const what = ids.length === 1 ? `job ${ids[0]}` : plural(ids.length, 'marked job');
    this.s.setModal({ kind: 'confirm', message: `Cancel ${what}? It will never run.`, action: { kind: 'cancel', ids } });
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
    this.s.setModal(null);
    if (!m || m.kind !== 'confirm') return;
    if (!yes) {
      this.status({ text: 'nothing done', tone: 'info' });
      return;
    }
    const a = m.action;
    if (a.kind === 'cancel') return this.cancel(a.ids);
    if (a.kind === 'retry-all') return this.retryAll();
    return this.stopWorkers(undefined);
  }

  private async cancel(ids: readonly string[]): Promise<void> {
    const commands: string[] = [];
    for (const id of ids) {
      const command = this.cli.cancel(id);
      try {
        await this.queue.cancel(id);
        commands.push(command);
      } catch (e) {
        this.fail(e, command);
        await this.afterAction();
        return;
      }
    }
    const text = ids.length === 1 ? `cancelled ${ids[0]}` : `cancelled ${plural(ids.length, 'job')}`;
    this.status({ text, tone: 'ok', command: commands.join(' && ') });
    await this.afterAction();
  }

  private async retryAll(): Promise<void> {
    const command = this.cli.dlqRetryAll();
    try {
      const n = await this.queue.reviveAll();
      this.status({ text: n === 0 ? 'the DLQ is empty' : `moved ${plural(n, 'dead job')} back to pending`, tone: 'ok', command });
    } catch (e) {
      this.fail(e, command);
    }
    await this.afterAction();
  }

  /** After acting on jobs: the marks are spent, and the screen shows the result at once. */
  private async afterAction(): Promise<void> {
    const id = this.listId();
    if (id !== null) this.s.clearMarks(id);
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
