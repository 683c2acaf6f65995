import type { Scope } from './scope.js';
import { plural } from './scope.js';

/** Starting and stopping worker processes: the supervisor, as the dashboard uses it. */
export interface WorkerControl {
  /** Starts `count` detached workers; resolves with their ids and pids once they are launched. */
  start(count: number): Promise<Array<{ id: string; pid: number }>>;
  /** Asks workers (all when `ids` is omitted) to stop gracefully and waits for them. */
  stop(ids: readonly string[] | undefined, onProgress: (left: number) => void): Promise<{ stopped: string[]; stillRunning: string[] }>;
}

/** `+`, `-` and `s`: worker processes started and stopped through the supervisor, as `queuectl worker start|stop` do. */
export class WorkerActions {
  constructor(
    private readonly x: Scope,
    private readonly workers: WorkerControl | null,
  ) {}

  /** Carries out the confirmed stop of every worker. */
  stopAll(): Promise<void> {
    return this.stopWorkers(undefined);
  }

  askStopAll(): void {
    const n = this.x.s.workers.length;
    this.x.s.setModal({
      kind: 'confirm',
      message: `Stop all workers (${n} running)? Each finishes its current job, then exits.`,
      action: { kind: 'stop-all' },
    });
  }

  /** `+`: one more detached worker, as `queuectl worker start --count 1`. */
  async workerUp(): Promise<void> {
    const command = this.x.cli.workerStart(1);
    if (!this.workers) return this.x.fail(new Error('starting workers is not available here'), command);
    this.x.status({ text: 'starting a worker…', tone: 'info', command });
    try {
      const [w] = await this.workers.start(1);
      this.x.status({ text: `started worker ${w.id} (pid ${w.pid})`, tone: 'ok', command });
    } catch (e) {
      this.x.fail(e, command);
    }
    await this.x.refresh();
  }

  /** `-`: stops one worker gracefully: the selected one in the workers view, else an idle one if any. */
  workerDown(): Promise<void> {
    const s = this.x.s;
    const live = s.workers.filter((w) => w.health !== 'dead' && !w.stop_requested);
    const pick =
      s.view === 'workers' && s.workers[s.workersRow] && !s.workers[s.workersRow].stop_requested
        ? s.workers[s.workersRow]
        : (live.find((w) => w.state === 'idle') ?? live[live.length - 1]);
    if (!pick) {
      this.x.status({ text: 'no running worker to stop', tone: 'error' });
      return Promise.resolve();
    }
    return this.stopWorkers([pick.id]);
  }

  /** Graceful stop through the supervisor, as `queuectl worker stop [ids]`; progress shows as it happens. */
  private async stopWorkers(ids: readonly string[] | undefined): Promise<void> {
    const command = this.x.cli.workerStop(ids);
    if (!this.workers) return this.x.fail(new Error('stopping workers is not available here'), command);
    const what = ids?.length === 1 ? `worker ${ids[0]}` : 'all workers';
    this.x.status({ text: `stopping ${what}…`, tone: 'info', command });
    void this.x.refresh();
    try {
      const r = await this.workers.stop(ids, (left) =>
        this.x.status({ text: `stopping ${what}: waiting for ${plural(left, 'worker')} to finish…`, tone: 'info', command }),
      );
      if (r.stillRunning.length > 0) {
        this.x.status({ text: `${plural(r.stillRunning.length, 'worker')} still running: ${r.stillRunning.join(', ')}`, tone: 'error', command });
      } else if (r.stopped.length === 0) {
        this.x.status({ text: 'no workers running', tone: 'info', command });
      } else {
        this.x.status({ text: r.stopped.length === 1 ? `stopped worker ${r.stopped[0]}` : `stopped ${plural(r.stopped.length, 'worker')}`, tone: 'ok', command });
      }
    } catch (e) {
      this.x.fail(e, command);
    }
    await this.x.refresh();
  }
}
