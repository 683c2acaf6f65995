import type { Queue } from '../engine/queue.js';
import type { Logger } from './log.js';

export interface ScheduleTickerOptions {
  queue: Queue;
  workerId: string;
  log: Logger;
  /** Called after this worker enqueued jobs (its claim loop then looks at once). */
  onFired: () => void;
  /** Called on a database error (the worker counts it and logs it). */
  onError: (op: string, e: unknown) => void;
  /** The longest sleep between checks, so a schedule added or resumed elsewhere is seen within it. */
  maxSleepMs?: number;
}

/**
 * Fires the schedules that are due, from a worker, on a timer of its own: a worker busy with a
 * long job still fires on time. A check costs one indexed read of the earliest next firing when
 * nothing is due; it then sleeps until that firing, at most `maxSleepMs`. Every worker runs one,
 * and the unique job id of each firing makes them agree (see `engine/schedule-service.ts`).
 */
export class ScheduleTicker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: ScheduleTickerOptions) {}

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    const max = this.opts.maxSleepMs ?? 1000;
    let wait = max;
    try {
      const schedules = this.opts.queue.schedules;
      let next = await schedules.nextDue();
      if (next !== null && next <= this.opts.queue.now() && !this.stopped) {
        let enqueued = 0;
        for (const r of await schedules.fireDue(this.opts.workerId)) {
          enqueued += r.fired.length;
          if (r.fired.length > 0) this.opts.log('info', 'schedule_fired', { schedule: r.schedule, jobs: r.fired });
          if (r.skipped > 0) this.opts.log('info', 'schedule_skipped', { schedule: r.schedule, firings: r.skipped });
        }
        if (enqueued > 0) this.opts.onFired();
        next = await schedules.nextDue();
      }
      if (next !== null) wait = Math.max(0, Math.min(max, next - this.opts.queue.now()));
    } catch (e) {
      this.opts.onError('fire schedules', e);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), wait);
  }
}
