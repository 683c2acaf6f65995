import type { Model } from 'mongoose';
import { StorageError } from '../../errors.js';
import { holdsUniqueKey } from '../../rules.js';
import type { Deduplicated, JobState, NewJob } from '../../types.js';
import { errorCode } from './rows.js';
import type { JobDoc, UniqueLockDoc } from './schema.js';

/**
 * How long a key stays held by a job that is not there yet. The key is taken before the job is
 * inserted (the test server and standalone servers have no transactions to do both at once), so
 * for a moment a lock names a job nobody can read; an enqueuer that died in that moment leaves a
 * lock naming a job that never comes, and this bounds how long it blocks the key.
 */
export const IN_FLIGHT_MS = 30_000;
/** Takeovers lost to another enqueuer before giving up (each loss means someone else made progress). */
const MAX_ROUNDS = 20;

export interface TakenKey {
  key: string;
  job_id: string;
}

export interface KeyOutcome {
  /** The jobs to insert: those without a key, and those that took theirs. */
  rows: NewJob[];
  deduplicated: Deduplicated[];
  taken: TakenKey[];
}

/**
 * Takes the unique key of every job that has one, or finds who holds it. Each key is decided by
 * one conditional write: an insert of the lock (its `_id` is the key, so of racing enqueuers of a
 * free key exactly one succeeds), or, when the holder no longer holds it (`rules.holdsUniqueKey`),
 * an update that matches only the holder this enqueuer saw, so of racing takeovers one succeeds
 * and the others look again and find the winner.
 */
export async function takeKeys(Lock: Model<UniqueLockDoc>, Job: Model<JobDoc>, jobs: NewJob[]): Promise<KeyOutcome> {
  const out: KeyOutcome = { rows: [], deduplicated: [], taken: [] };
  const inBatch = new Map<string, string>();
  for (const [index, j] of jobs.entries()) {
    const key = j.unique_key;
    if (key === undefined || key === null) {
      out.rows.push(j);
      continue;
    }
    const earlier = inBatch.get(key);
    if (earlier !== undefined) {
      out.deduplicated.push({ index, holder: earlier });
      continue;
    }
    const holder = await takeKey(Lock, Job, key, j);
    if (holder === null) {
      inBatch.set(key, j.id);
      out.taken.push({ key, job_id: j.id });
      out.rows.push(j);
    } else {
      out.deduplicated.push({ index, holder });
    }
  }
  return out;
}

/** Null when the job took the key; else the id of the job that holds it. */
async function takeKey(Lock: Model<UniqueLockDoc>, Job: Model<JobDoc>, key: string, j: NewJob): Promise<string | null> {
  const now = j.created_at;
  const mine = { job_id: j.id, until: j.unique_until ?? null, at: now };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      await Lock.collection.insertOne({ _id: key as never, ...mine });
      return null;
    } catch (e) {
      if (errorCode(e) !== 11000) throw e;
    }
    const lock = await Lock.findById(key).lean();
    if (!lock) continue; // released (a failed batch) since: try the insert again
    const job = await Job.findById(lock.job_id, { state: 1 }).lean();
    const held = job ? holdsUniqueKey({ state: job.state as JobState }, lock.until, now) : now < lock.at + IN_FLIGHT_MS || holdsUniqueKey(null, lock.until, now);
    if (held) return lock.job_id;
    const res = await Lock.updateOne({ _id: key, job_id: lock.job_id, at: lock.at }, { $set: mine });
    if (res.matchedCount === 1) return null;
  }
  throw new StorageError(`could not take unique key "${key}": it changed hands ${MAX_ROUNDS} times while trying`, { transient: true });
}

/** Gives back keys taken for jobs that were not inserted after all (the batch failed). */
export async function releaseKeys(Lock: Model<UniqueLockDoc>, taken: TakenKey[]): Promise<void> {
  if (taken.length === 0) return;
  await Lock.deleteMany({ $or: taken.map((t) => ({ _id: t.key, job_id: t.job_id })) });
}

/**
 * The keys whose locks no longer name the job that took them: an insert slower than
 * `IN_FLIGHT_MS` may have been taken over meanwhile. Returns, per such job, the new holder.
 */
export async function keysLost(Lock: Model<UniqueLockDoc>, taken: TakenKey[]): Promise<Map<string, string>> {
  const lost = new Map<string, string>();
  if (taken.length === 0) return lost;
  const locks = await Lock.find({ _id: { $in: taken.map((t) => t.key) } }).lean();
  const byKey = new Map(locks.map((l) => [l._id, l.job_id]));
  for (const t of taken) {
    const now = byKey.get(t.key);
    if (now !== undefined && now !== t.job_id) lost.set(t.job_id, now);
  }
  return lost;
}
