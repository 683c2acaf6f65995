import type { Model } from 'mongoose';
import { JOB_STATES, type JobState, type StateCounts } from '../../types.js';
import type { CounterDoc, JobDoc } from './models.js';

export const COUNTER_ID = 'jobs';
export type CountDelta = Partial<Record<JobState, number>>;

/**
 * Counts per state, kept in the counters document so `status` reads one document instead of
 * counting an index (which, at a million jobs in one state, walks a million keys).
 *
 * Without transactions a job's write and the counter's `$inc` cannot be one atomic step, so the
 * job is written first (it is the truth) and its count change is queued here. Changes that
 * arrive while a write is in flight are merged into the next one, which keeps the hot counter
 * document from becoming the workers' bottleneck. A change that fails to reach the server (it
 * went away) stays queued and is retried; `flush` lets a reader see its own process's changes.
 * What is lost is a change queued in a process killed before it was written: counts can then be
 * off by that much until `recount` (run when the counters look impossible).
 */
export class CountKeeper {
  private queued: CountDelta = {};
  private inFlight: Promise<void> | null = null;
  private lastError: unknown = null;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly Counter: Model<CounterDoc>) {}

  add(delta: CountDelta): void {
    for (const [k, v] of Object.entries(delta) as [JobState, number][]) {
      if (v !== 0) this.queued[k] = (this.queued[k] ?? 0) + v;
    }
    this.kick();
  }

  move(from: JobState, to: JobState, n = 1): void {
    if (from !== to && n !== 0) this.add({ [from]: -n, [to]: n });
  }

  private hasQueued(): boolean {
    return Object.values(this.queued).some((v) => v !== 0);
  }

  private kick(): void {
    if (this.inFlight || !this.hasQueued()) return;
    this.inFlight = this.drain().finally(() => {
      this.inFlight = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.hasQueued()) {
      const delta = this.queued;
      this.queued = {};
      try {
        await this.Counter.updateOne({ _id: COUNTER_ID }, { $inc: delta });
        this.lastError = null;
      } catch (e) {
        // Put it back in front of whatever arrived meanwhile, and try again later.
        for (const [k, v] of Object.entries(delta) as [JobState, number][]) this.queued[k] = (this.queued[k] ?? 0) + v;
        this.lastError = e;
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.kick();
        }, 1000).unref();
        return;
      }
    }
  }

  /** Writes every queued change; throws the server's error when it cannot. */
  async flush(): Promise<void> {
    this.kick();
    while (this.inFlight) await this.inFlight;
    if (this.hasQueued()) {
      this.kick();
      while (this.inFlight) await this.inFlight;
      if (this.hasQueued()) throw this.lastError ?? new Error('job counts could not be written');
    }
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

export function countsFrom(doc: Partial<CounterDoc> | null): StateCounts {
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts;
  for (const s of JOB_STATES) counts[s] = Math.max(0, doc?.[s] ?? 0);
  return counts;
}

/** Counts every state from the jobs themselves: a scan, run only to repair the counters. */
export async function countJobs(Job: Model<JobDoc>): Promise<StateCounts> {
  const rows = await Job.aggregate<{ _id: JobState; n: number }>([{ $group: { _id: '$state', n: { $sum: 1 } } }]);
  const counts = countsFrom(null);
  for (const r of rows) if ((JOB_STATES as readonly string[]).includes(r._id)) counts[r._id] = r.n;
  return counts;
}
