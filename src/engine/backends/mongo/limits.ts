import type { Model } from 'mongoose';
import type { QueueLimits } from '../../types.js';
import type { Models, QueueSettingsDoc } from './schema.js';

/** How long a claim trusts what it read of the queues' settings (pauses and limits). */
export const SETTINGS_TTL_MS = 1000;
/** Slot documents written per round trip when a limit is raised. */
const SLOT_BATCH = 1000;

export interface QueueSettingsView {
  paused: string[];
  /** Queues with a concurrency or rate limit. */
  limited: Map<string, QueueLimits>;
}

export function limitsOf(d: Partial<QueueSettingsDoc>): QueueLimits {
  return {
    concurrency: d.concurrency ?? null,
    rate: d.rate_limit && d.rate_window_ms ? { limit: d.rate_limit, window_ms: d.rate_window_ms } : null,
  };
}

/** The queues' settings, read at most once a second per process (a change reaches every claim within that). */
export class SettingsCache {
  private view: QueueSettingsView = { paused: [], limited: new Map() };
  private at = -Infinity;

  constructor(private readonly Settings: Model<QueueSettingsDoc>) {}

  async get(): Promise<QueueSettingsView> {
    if (performance.now() - this.at < SETTINGS_TTL_MS) return this.view;
    const docs = await this.Settings.find({}, { paused: 1, concurrency: 1, rate_limit: 1, rate_window_ms: 1 }).lean();
    const limited = new Map<string, QueueLimits>();
    for (const d of docs) {
      const l = limitsOf(d);
      if (l.concurrency !== null || l.rate !== null) limited.set(d._id, l);
    }
    this.view = { paused: docs.filter((d) => d.paused === true).map((d) => d._id), limited };
    this.at = performance.now();
    return this.view;
  }

  /** The last view read, without reading: for the writes that follow a claim. */
  peek(): QueueSettingsView {
    return this.view;
  }

  invalidate(): void {
    this.at = -Infinity;
  }
}

const slotId = (queue: string, i: number) => `${queue}/${i}`;

/**
 * The places of a limited queue: `concurrency` slot documents, made when the limit is set or
 * raised. Lowering the limit leaves the higher slots unused: they are never taken again.
 */
export async function ensureSlots(m: Models, queue: string, concurrency: number): Promise<void> {
  for (let from = 0; from < concurrency; from += SLOT_BATCH) {
    const ops = [];
    for (let i = from; i < Math.min(concurrency, from + SLOT_BATCH); i++) {
      ops.push({ updateOne: { filter: { _id: slotId(queue, i) }, update: { $setOnInsert: { queue, i, token: null, expires_at: 0 } }, upsert: true } });
    }
    await m.QueueSlot.bulkWrite(ops, { ordered: false });
  }
}

/**
 * Takes a free slot among the first `concurrency` of the queue, or one whose holder's lease has
 * run out (its worker is lost: recovery will find its job, and the slot is not held past the lease).
 * One conditional write on one document: two claimers can never hold the same slot.
 */
export async function takeSlot(m: Models, queue: string, concurrency: number, token: string, leaseUntil: number, now: number): Promise<boolean> {
  const slot = await m.QueueSlot.findOneAndUpdate(
    { queue, i: { $lt: concurrency }, $or: [{ token: null }, { expires_at: { $lte: now } }] },
    { $set: { token, expires_at: leaseUntil } },
    { sort: { i: 1 }, projection: { _id: 1 }, lean: true },
  );
  return slot !== null;
}

/** Gives back the slot a claim (or a job that left processing) held, by its claim token. */
export async function releaseSlot(m: Models, token: string): Promise<void> {
  await m.QueueSlot.updateOne({ token }, { $set: { token: null, expires_at: 0 } });
}

/** Keeps the slot for as long as its job's lease. */
export async function renewSlot(m: Models, token: string, leaseUntil: number): Promise<void> {
  await m.QueueSlot.updateOne({ token }, { $max: { expires_at: leaseUntil } });
}

/**
 * Counts one start in the queue's current rate window, if the window has room: one conditional
 * update adds to this window's count below the limit, another opens a new window (when the stored
 * one is older). Windows are aligned on the clock (`now - now % window`). False: the window is full.
 */
export async function takeRate(m: Models, queue: string, rate: { limit: number; window_ms: number }, now: number): Promise<number | null> {
  const start = now - (now % rate.window_ms);
  const inWindow = () => m.QueueSettings.updateOne({ _id: queue, rate_window_start: start, rate_count: { $lt: rate.limit } }, { $inc: { rate_count: 1 } });
  if ((await inWindow()).matchedCount === 1) return start;
  const opened = await m.QueueSettings.updateOne(
    { _id: queue, $or: [{ rate_window_start: null }, { rate_window_start: { $lt: start } }] },
    { $set: { rate_window_start: start, rate_count: 1 } },
  );
  if (opened.matchedCount === 1) return start;
  // Another claimer opened it first: there may be room left in it.
  return (await inWindow()).matchedCount === 1 ? start : null;
}

/** Gives back a start counted for a claim that found no job. */
export async function giveBackRate(m: Models, queue: string, windowStart: number): Promise<void> {
  await m.QueueSettings.updateOne({ _id: queue, rate_window_start: windowStart, rate_count: { $gt: 0 } }, { $inc: { rate_count: -1 } });
}
