import { oneLine } from '../engine/errors.js';
import type { Queue } from '../engine/queue.js';
import type { CliEquivalent } from './cli-equivalent.js';
import type { Poller } from './poller.js';
import type { DashboardStoreApi } from './store.js';

/**
 * The schedules screen's keys. Each action goes through the engine exactly as the matching
 * `queuectl schedule …` command does, and the status line shows that command.
 */
export class ScheduleActions {
  constructor(
    private readonly queue: Queue,
    private readonly store: DashboardStoreApi,
    private readonly poller: Poller,
    private readonly cli: CliEquivalent,
  ) {}

  private get s() {
    return this.store.getState();
  }

  /** `S` or `:schedules`: the screen opens over the main view, read at once. */
  open(): Promise<void> {
    const s = this.s;
    s.closeDetail();
    s.setHelp(false);
    s.setSchedulesOpen(true);
    return this.load();
  }

  close(): void {
    this.s.setSchedulesOpen(false);
  }

  async load(): Promise<void> {
    try {
      this.s.setScheduleRows(await this.queue.schedules.overview());
    } catch (e) {
      this.s.setStatus({ text: oneLine(e), tone: 'error' });
    }
  }

  move(delta: number): void {
    this.s.setScheduleRow(this.s.schedules.row + delta);
  }

  edge(which: 'first' | 'last'): void {
    this.s.setScheduleRow(which === 'first' ? 0 : this.s.schedules.rows.length - 1);
  }

  private selected(): string | null {
    const { rows, row } = this.s.schedules;
    return rows[row]?.schedule.name ?? null;
  }

  /** `p`: pauses the selected schedule, or resumes it when paused. */
  async togglePause(): Promise<void> {
    const name = this.selected();
    if (name === null) return;
    const paused = this.s.schedules.rows[this.s.schedules.row].schedule.paused;
    const command = this.cli.schedule(paused ? 'resume' : 'pause', name);
    try {
      if (paused) await this.queue.schedules.resume(name);
      else await this.queue.schedules.pause(name);
      this.s.setStatus({ text: `${paused ? 'resumed' : 'paused'} schedule ${name}`, tone: 'ok', command });
    } catch (e) {
      this.s.setStatus({ text: oneLine(e), tone: 'error', command });
    }
    await this.load();
  }

  /** `r`: one job of the selected schedule now; its timetable is unchanged. */
  async run(): Promise<void> {
    const name = this.selected();
    if (name === null) return;
    const command = this.cli.schedule('run', name);
    try {
      const job = await this.queue.schedules.runNow(name);
      this.s.setStatus({ text: `enqueued ${job.id}`, tone: 'ok', command });
    } catch (e) {
      this.s.setStatus({ text: oneLine(e), tone: 'error', command });
    }
    await this.load();
    await this.poller.refresh();
  }
}
