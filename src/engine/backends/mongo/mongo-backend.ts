import { type AnyBulkWriteOperation, type Connection, type Model, createConnection, mongo } from 'mongoose';
import { type Backend, type ClaimRequest, type Guard, type JobPatch, type Move, type MoveAndClaim, PATCHABLE_FIELDS, type StopRequest, type WorkerBeat } from '../../backend.js';
import { DuplicateJobError, QueueError, StorageError, ValidationError, oneLine } from '../../errors.js';
import { classifyOutcome, queueLimitsEvent, startedEvent } from '../../rules.js';
import { dependencyVerdict, verdictMove } from '../../dependencies.js';
import { CLAIMABLE_STATES, isFinished } from '../../state-machine.js';
import { JOB_STATES } from '../../types.js';
import type {
  Attempt,
  EventQuery,
  Job,
  JobEvent,
  JobPage,
  OutcomeKind,
  QueueInfo,
  JobState,
  Schedule,
  SchedulePatch,
  ListQuery,
  MatchCounts,
  MatchQuery,
  NewEvent,
  NewJob,
  Deduplicated,
  QueueLimits,
  QueueLimitsPatch,
  StateCounts,
  Throughput,
  WorkerRecord,
} from '../../types.js';
import { ServerClock } from './clock.js';
import { EVENTS_PER_JOB, EVENT_REORDER_MS, listEvents } from './events.js';
import { type TransactionSupport, insertAllOrNone } from './insert.js';
import { JOB_FIELDS, countMatches, listPage, searchFields } from './list.js';
import {
  authenticationError,
  errorCode,
  eventDoc,
  eventKey,
  isAuthenticationFailure,
  mapMongoError,
  newJobDoc,
  tail,
  toJob,
  toWorker,
} from './rows.js';
import { type AttemptDoc, COUNTER_ID, type JobDoc, type Models, type WorkerDoc, defineModels } from './schema.js';
import { MongoSchedules } from './schedules.js';
import { type Scrubber, databaseOf, makeScrubber, maskUri } from './uri.js';
import { SettingsCache, ensureSlots, giveBackRate, limitsOf, releaseSlot, renewSlot, takeRate, takeSlot } from './limits.js';
import { IN_FLIGHT_MS, keysLost, releaseKeys, takeKeys } from './unique.js';
import { type ChangeStreamSupport, JOB_CHANGES, WORKER_CHANGES, watchCollection } from './watch.js';

/** A CLI command gives up on an unreachable server after this long, with one line. */
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
/**
 * The floor of the driver's connect timeout. It also bounds the monitors' checks of a server, so
 * a short one would declare a server that stalls for a few seconds unknown and fail the
 * operations in flight; only choosing a server at all is bounded by the (short) connect timeout.
 */
const MIN_SOCKET_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Bumped when indexes or stored shapes change; opening an older database creates the missing
 * indexes. 2: claim tokens, events in jobs and `worker_events`, counts no longer kept.
 * 4: queue slots (concurrency limits) and unique keys. 5: the index of dependents.
 * 6: the search fields (`search_grams`, `command_lc`), filled in for the jobs already there.
 * 7: the indexes of one queue's pages.
 */
const SCHEMA_VERSION = 7;
/** Claims tried across queues by a worker serving every queue when some are limited. */
const MAX_LIMITED_ROUNDS = 8;
/** Jobs given their search fields per round trip when upgrading. */
const SEARCH_BACKFILL_BATCH = 1000;
/** Attempts kept per job: enough for any retry policy, bounded so a document cannot grow forever. */
const HISTORY_LIMIT = 1000;
/** Jobs moved per round trip by `moveAll`. */
const MOVE_ALL_BATCH = 1000;
/** Fields the counters document held before schema version 2. */
const OLD_COUNT_FIELDS = Object.fromEntries(JOB_STATES.map((s) => [s, '']));

export async function openMongoBackend(uri: string, opts: { connectTimeoutMs?: number } = {}): Promise<Backend> {
  const timeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const location = maskUri(uri);
  const scrub = makeScrubber(uri);
  let conn: Connection;
  try {
    conn = createConnection(uri, {
      dbName: databaseOf(uri) ?? 'queuectl',
      // How long a command waits for a usable server: the one-line failure of a CLI command.
      serverSelectionTimeoutMS: timeout,
      connectTimeoutMS: Math.max(timeout, MIN_SOCKET_CONNECT_TIMEOUT_MS),
      // No socketTimeoutMS: an operation waits out a slow server instead of failing half-way
      // with an outcome nobody knows.
      // Fail fast instead of queueing operations while disconnected; the worker's loop retries.
      bufferCommands: false,
      // A recorded result survives the loss of the primary: acknowledged only once a majority has it.
      writeConcern: { w: 'majority' },
      autoIndex: false,
      autoCreate: false,
    });
  } catch (e) {
    throw new ValidationError(`invalid MongoDB URI ${location}: ${scrub(oneLine(e))}`);
  }
  // The connection reports trouble as events too; operations already throw, so nobody must crash here.
  conn.on('error', () => {});
  try {
    await conn.asPromise();
  } catch (e) {
    await conn.close(true).catch(() => {});
    if (e instanceof mongo.MongoParseError || e instanceof mongo.MongoAPIError) {
      throw new ValidationError(`invalid MongoDB URI ${location}: ${scrub(oneLine(e))}`);
    }
    if (isAuthenticationFailure(e)) throw authenticationError(location);
    if (e instanceof mongo.MongoServerError) {
      // The server answered, and said no: waiting will not change that.
      throw new StorageError(`MongoDB at ${location} refused the connection: ${scrub(oneLine(e))}`);
    }
    throw new StorageError(`cannot reach MongoDB at ${location}: ${scrub(oneLine(e))}`, { transient: true });
  }
  const backend = new MongoBackend(conn, defineModels(conn), location, scrub);
  try {
    await backend.init();
  } catch (e) {
    await conn.close(true).catch(() => {});
    throw backend.mapError(e);
  }
  return backend;
}

const PATCHABLE = new Set<string>(PATCHABLE_FIELDS);

/** The engine's fields as a `$set`; the output is cut to what fits in a document. */
function setOf(patch: JobPatch): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || !PATCHABLE.has(k)) continue;
    set[k] = k === 'output' ? tail(v as string) : v;
  }
  return set;
}

/** A guard as a filter: every given field must match. */
function guardFilter(id: string, g: Guard): Record<string, unknown> {
  const f: Record<string, unknown> = { _id: id, state: { $in: [...g.states] } };
  if (g.worker_id !== undefined) f.worker_id = g.worker_id;
  if (g.attempts !== undefined) f.attempts = g.attempts;
  if (g.lease_expires_at !== undefined) f.lease_expires_at = g.lease_expires_at;
  if (g.claim_token !== undefined) f.claim_token = g.claim_token;
  return f;
}

function pushEvent(e: Omit<NewEvent, 'job_id' | 'queue'>) {
  return { $each: [eventDoc(e)], $slice: -EVENTS_PER_JOB };
}

export class MongoBackend implements Backend {
  readonly kind = 'mongo' as const;
  readonly multiHost = true;
  readonly eventReorderMs = EVENT_REORDER_MS;
  readonly releasesAtomically = false;
  private readonly Job: Model<JobDoc>;
  private readonly Worker: Model<WorkerDoc>;
  private readonly clock: ServerClock;
  private readonly settings: SettingsCache;
  /** Learnt on first use: whether bulk inserts can run in a transaction, and whether `watch` works. */
  private readonly transactions: TransactionSupport = {};
  private readonly changeStreams: ChangeStreamSupport = {};
  private readonly schedules: MongoSchedules;

  constructor(
    private readonly conn: Connection,
    private readonly models: Models,
    readonly location: string,
    private readonly scrub: Scrubber,
  ) {
    this.Job = models.Job;
    this.Worker = models.Worker;
    this.clock = new ServerClock(() => conn.db);
    this.settings = new SettingsCache(models.QueueSettings);
    this.schedules = new MongoSchedules(models, (n) => this.reserveSeq(n));
  }

  /**
   * Brings a database up to this schema version the first time this version opens it (indexes,
   * the counters document), and measures the server's clock.
   */
  async init(): Promise<void> {
    const { Counter } = this.models;
    const c = await Counter.findById(COUNTER_ID).lean();
    if (!c || (c.schema ?? 0) < SCHEMA_VERSION) {
      await Promise.all([this.Job.createIndexes(), this.Worker.createIndexes(), this.models.WorkerEvent.createIndexes(), this.models.QueueSlot.createIndexes(), this.models.Schedule.createIndexes()]);
      if (!c) {
        // Jobs may already exist (counters dropped by hand): number on after the newest.
        const last = await this.Job.findOne({}, { seq: 1 }).sort({ seq: -1 }).lean();
        try {
          await Counter.updateOne({ _id: COUNTER_ID }, { $setOnInsert: { seq: last?.seq ?? 0, schema: 0 } }, { upsert: true });
        } catch (e) {
          if (errorCode(e) !== 11000) throw e; // another process created it first
        }
      }
      await this.backfillSearch();
      // Through the driver: the model no longer knows the old count fields, and would drop them from the update.
      await Counter.collection.updateOne({ _id: COUNTER_ID as never }, { $unset: OLD_COUNT_FIELDS, $max: { schema: SCHEMA_VERSION } });
    }
    await this.clock.measure().catch(() => {});
  }

  /**
   * Gives jobs written before schema version 4 their search fields, a batch per round trip (a
   * few seconds per 100,000 jobs). Several processes opening at once may each do some: the
   * fields are the same whoever writes them.
   */
  private async backfillSearch(): Promise<void> {
    for (;;) {
      const docs = await this.Job.find({ command_lc: { $exists: false } }, { command: 1 }).limit(SEARCH_BACKFILL_BATCH).lean();
      if (docs.length === 0) return;
      await this.Job.bulkWrite(
        docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: searchFields(d._id, d.command) } } })),
        { ordered: false },
      );
    }
  }

  /** Driver errors become one-line StorageErrors that never carry the password. */
  mapError(e: unknown): unknown {
    if (e instanceof QueueError) return e;
    return mapMongoError(e, this.location, this.scrub);
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.mapError(e);
    }
  }

  now(): number {
    return this.clock.now();
  }

  clockSkewMs(): number {
    return this.clock.skewMs();
  }

  async close(): Promise<void> {
    await this.conn.close(true).catch(() => {});
  }

  // --- jobs -------------------------------------------------------------------------------

  /**
   * Unique keys are taken first (`unique.ts`), then the jobs that took theirs (and those without
   * one) are inserted; if that fails the keys are given back. An enqueuer that dies in between
   * leaves a key naming a job that never comes: it is free again after `IN_FLIGHT_MS`.
   */
  insertJobs(jobs: NewJob[]): Promise<Deduplicated[]> {
    return this.run(async () => {
      if (!jobs.some((j) => j.unique_key)) {
        await this.insertRows(jobs);
        return [];
      }
      const t = performance.now();
      const keyed = await takeKeys(this.models.UniqueLock, this.Job, jobs);
      try {
        await this.insertRows(keyed.rows);
      } catch (e) {
        await releaseKeys(this.models.UniqueLock, keyed.taken).catch(() => {});
        throw e;
      }
      if (performance.now() - t > IN_FLIGHT_MS / 2) {
        // Slow enough that another enqueuer may have judged the key abandoned and taken it: then
        // the job just inserted gives way (it has not run: it was inserted a moment ago, pending).
        const lost = await keysLost(this.models.UniqueLock, keyed.taken);
        for (const [id, holder] of lost) {
          const gone = await this.Job.deleteOne({ _id: id, state: 'pending', attempts: 0 });
          if (gone.deletedCount === 1) keyed.deduplicated.push({ index: jobs.findIndex((j) => j.id === id), holder });
        }
      }
      return keyed.deduplicated.sort((a, b) => a.index - b.index);
    });
  }

  private async insertRows(jobs: NewJob[]): Promise<void> {
    {
      if (jobs.length === 0) return;
      const ids = jobs.map((j) => j.id);
      if (jobs.length > 1) {
        // Most clashes are found here, before anything is written.
        const existing = new Set((await this.Job.find({ _id: { $in: ids } }, { _id: 1 }).lean()).map((d) => d._id));
        const first = ids.find((id) => existing.has(id));
        if (first !== undefined) throw new DuplicateJobError(first);
      }
      const seq0 = await this.reserveSeq(jobs.length);
      const docs = jobs.map((j, i) => newJobDoc(j, seq0 + i));
      await insertAllOrNone(this.conn, this.Job, docs, this.transactions);
      // Write, then check: a dependency that finished after the engine read its state, and
      // before these jobs were visible to it, is seen now.
      const waiting = jobs.filter((j) => j.state === 'waiting').map((j) => j.id);
      if (waiting.length > 0) await this.resolveQuietly(waiting, jobs[0].created_at);
    }
  }

  jobStates(ids: readonly string[]): Promise<Map<string, JobState>> {
    return this.run(async () => {
      const states = new Map<string, JobState>();
      for (let i = 0; i < ids.length; i += MOVE_ALL_BATCH) {
        const docs = await this.Job.find({ _id: { $in: ids.slice(i, i + MOVE_ALL_BATCH) } }, { state: 1 }).lean();
        for (const d of docs) states.set(d._id, d.state);
      }
      return states;
    });
  }

  resolveWaiting(ids: readonly string[], now: number): Promise<number> {
    return this.run(() => this.resolve(ids, now));
  }

  /**
   * Releases or cancels the waiting jobs among `ids` whose dependencies have settled, by guarded
   * moves (a job two processes resolve at once moves once), and carries a cancel on down to the
   * cancelled job's own dependents. Each job's dependencies are read after the write that may
   * have settled them, on both sides (the settle and the insert), so one of the two always sees
   * the other's write.
   */
  private async resolve(ids: readonly string[], now: number): Promise<number> {
    const work = [...ids];
    let moved = 0;
    while (work.length > 0) {
      const batch = work.splice(0, MOVE_ALL_BATCH);
      const docs = await this.Job.find({ _id: { $in: batch }, state: 'waiting' }, { after: 1 }).lean();
      if (docs.length === 0) continue;
      const states = await this.jobStates([...new Set(docs.flatMap((d) => d.after ?? []))]);
      for (const d of docs) {
        const m = verdictMove(dependencyVerdict(d.after ?? [], states), now);
        if (!m) continue;
        const job = await this.applyMove(d._id, m);
        if (!job) continue;
        moved++;
        if (isFinished(job.state)) work.push(...(await this.dependentsOf(job.id)));
      }
    }
    return moved;
  }

  /** Waiting jobs that name this one in `after`, through the `dependents` index. */
  private async dependentsOf(id: string): Promise<string[]> {
    return (await this.Job.find({ after: id, state: 'waiting' }, { _id: 1 }).lean()).map((d) => d._id);
  }

  /**
   * Resolving after a write that has succeeded: a failure here must not make the write look
   * failed (a retried settle or insert would then misread what happened). What is missed is
   * found by the recovery pass's sweep.
   */
  private async resolveQuietly(ids: readonly string[], now: number): Promise<void> {
    try {
      await this.resolve(ids, now);
    } catch {
      // left to the sweep
    }
  }

  /** The insertion order: a block of `n` consecutive `seq` numbers reserved in the counters document; the first of them. */
  private async reserveSeq(n: number): Promise<number> {
    const reserve = () =>
      this.models.Counter.findOneAndUpdate({ _id: COUNTER_ID }, { $inc: { seq: n } }, { returnDocument: 'after', projection: { seq: 1 }, lean: true });
    let reserved = await reserve();
    if (!reserved) {
      // The database was emptied or the counters dropped since this process opened it.
      await this.init();
      reserved = await reserve();
    }
    if (!reserved) throw new StorageError(`MongoDB at ${this.location}: the counters document is missing`);
    return reserved.seq - n + 1;
  }

  getJob(id: string): Promise<Job | null> {
    return this.run(async () => {
      const d = await this.Job.findById(id, JOB_FIELDS).lean();
      return d ? toJob(d) : null;
    });
  }

  listJobs(query: ListQuery): Promise<JobPage> {
    return this.run(async () => {
      const page = await listPage(this.Job, query);
      return {
        jobs: page.docs.map(toJob),
        next_cursor: page.next,
        prev_cursor: page.prev,
      };
    });
  }

  /** Counted from the jobs themselves, one state at a time through the `state_seq` index: exact, never kept apart. */
  countByState(): Promise<StateCounts> {
    return this.run(async () => {
      const counts = await Promise.all(JOB_STATES.map((state) => this.Job.countDocuments({ state })));
      return Object.fromEntries(JOB_STATES.map((s, i) => [s, counts[i]])) as StateCounts;
    });
  }

  countMatches(query: MatchQuery, bound: number): Promise<MatchCounts> {
    return this.run(() => countMatches(this.Job, query, bound));
  }

  throughput(since: number): Promise<Throughput> {
    return this.run(async () => {
      const rows = await this.Job.aggregate<{ _id: string | null; n: number }>([
        { $match: { 'history.finished_at': { $gte: since } } },
        { $project: { history: 1 } },
        { $unwind: '$history' },
        { $match: { 'history.finished_at': { $gte: since } } },
        { $group: { _id: '$history.outcome', n: { $sum: 1 } } },
      ]);
      // The rule book decides what counts: rules.classifyOutcome.
      let completed = 0;
      let failed = 0;
      for (const r of rows) {
        const c = classifyOutcome(r._id as OutcomeKind | null);
        if (c === 'completed') completed += r.n;
        else if (c === 'failed') failed += r.n;
      }
      return { completed, failed };
    });
  }

  listAttempts(jobId: string): Promise<Attempt[]> {
    return this.run(async () => {
      const d = await this.Job.findById(jobId, { history: 1 }).lean();
      if (!d) return [];
      // An open entry (written by versions before schema 2 for a running attempt) is not a finished attempt.
      return (d.history ?? [])
        .filter((a) => a.finished_at !== null && a.finished_at !== undefined)
        .map((a: AttemptDoc) => ({
          job_id: jobId,
          n: a.n ?? 0,
          worker_id: a.worker_id,
          started_at: a.started_at,
          finished_at: a.finished_at ?? null,
          outcome: a.outcome ?? null,
          exit_code: a.exit_code ?? null,
          signal: a.signal ?? null,
          error: a.error ?? null,
        }));
    });
  }

  claimNext(r: ClaimRequest): Promise<Job | null> {
    return this.run(async () => {
      const { paused, limited } = await this.settings.get();
      if (r.queue !== null) {
        if (paused.includes(r.queue)) return null;
        const limits = limited.get(r.queue);
        return limits ? this.claimLimited(r, r.queue, limits) : this.claimWhere(r, { queue: r.queue });
      }
      if (limited.size === 0) return this.claimWhere(r, paused.length > 0 ? { queue: { $nin: paused } } : {});
      // Some queues are limited: the best eligible job decides which queue to claim from. A
      // limited queue needs its slot (and rate) first; a queue found full is passed over.
      const skip = new Set(paused);
      const unlimitedOnly = { $nin: [...paused, ...limited.keys()] };
      for (let round = 0; round < MAX_LIMITED_ROUNDS + limited.size; round++) {
        const best = await this.Job.findOne({ ...this.eligible(r), queue: { $nin: [...skip] } }, { queue: 1 })
          .sort({ priority: -1, run_at: 1, seq: 1 })
          .lean();
        if (!best) return null;
        const limits = limited.get(best.queue);
        const job = limits ? await this.claimLimited(r, best.queue, limits) : await this.claimWhere(r, { queue: unlimitedOnly });
        if (job) return job;
        if (limits) skip.add(best.queue);
      }
      return null;
    });
  }

  private eligible(r: ClaimRequest): Record<string, unknown> {
    return { state: { $in: [...CLAIMABLE_STATES] }, run_at: { $lte: r.now } };
  }

  /**
   * The claim, in one findOneAndUpdate: the server picks the best eligible job through the
   * `claim` index (a claimable state, run_at come; highest priority, then earliest run_at, then
   * oldest by seq) and, in the same single-document write, applies the engine's claim, counts the
   * attempt and records the `started` event. A document write is atomic, and the filter requires
   * a claimable state, so two workers can never both take the same job: the loser's filter no
   * longer matches and the server moves on to the next job. The event's attempt number is filled
   * in when it is read (see `events.ts`).
   */
  private async claimWhere(r: ClaimRequest, where: Record<string, unknown>): Promise<Job | null> {
    const { job_id: _j, queue: _q, ...started } = startedEvent({
      id: '',
      queue: '',
      worker_id: r.set.worker_id ?? r.workerId,
      attempts: 0,
      started_at: r.set.started_at ?? null,
      updated_at: r.set.updated_at ?? r.now,
    });
    const doc = await this.Job.findOneAndUpdate(
      { ...this.eligible(r), ...where },
      { $set: setOf(r.set), $inc: { attempts: 1 }, $push: { events: pushEvent({ ...started, attempt: null }) } },
      { sort: { priority: -1, run_at: 1, seq: 1 }, returnDocument: 'after', projection: JOB_FIELDS, lean: true },
    );
    return doc ? toJob(doc) : null;
  }

  /**
   * A claim from a limited queue: a slot first (concurrency), then a start in the rate window,
   * then the job, each one conditional write; what was taken is given back when a later step
   * finds nothing. The slot carries the claim's token and lease, so a claimer that dies between
   * the steps holds it no longer than a lease.
   */
  private async claimLimited(r: ClaimRequest, queue: string, limits: QueueLimits): Promise<Job | null> {
    const token = r.set.claim_token;
    const lease = r.set.lease_expires_at;
    if (!token || !lease) throw new StorageError('a claim of a limited queue needs a claim token and a lease');
    if (limits.concurrency !== null && !(await takeSlot(this.models, queue, limits.concurrency, token, lease, r.now))) return null;
    // An error on the way leaves what was taken to expire: the claim may have been applied.
    let window: number | null = null;
    if (limits.rate !== null) {
      window = await takeRate(this.models, queue, limits.rate, r.now);
      if (window === null) {
        if (limits.concurrency !== null) await releaseSlot(this.models, token);
        return null;
      }
    }
    const job = await this.claimWhere(r, { queue });
    if (job) return job;
    if (window !== null) await giveBackRate(this.models, queue, window);
    if (limits.concurrency !== null) await releaseSlot(this.models, token);
    return null;
  }

  /**
   * The move, then the claim: two writes (no transaction spans documents). Once the move is
   * applied, a failed claim is reported beside it rather than thrown, so the caller neither
   * repeats the move nor loses its result.
   */
  async moveAndClaim(id: string, m: Move, r: ClaimRequest): Promise<MoveAndClaim> {
    const moved = await this.move(id, m);
    try {
      return { moved, claimed: await this.claimNext(r) };
    } catch (e) {
      return { moved, claimed: null, claimError: e };
    }
  }

  findClaimed(token: string): Promise<Job | null> {
    return this.run(async () => {
      const d = await this.Job.findOne({ claim_token: token, state: 'processing' }, JOB_FIELDS).lean();
      return d ? toJob(d) : null;
    });
  }

  /**
   * A move, in one findOneAndUpdate: the engine's fields are set only where the job still
   * matches the guard, and the finished attempt and the event are pushed by the same update, so
   * each is there if and only if the move happened.
   */
  move(id: string, m: Move): Promise<Job | null> {
    return this.run(async () => {
      const job = await this.applyMove(id, m);
      // Write, then check: the dependents of a job that just finished are resolved after its write.
      if (job && m.set.state !== undefined && isFinished(job.state)) {
        const dependents = await this.dependentsOf(id).catch(() => []);
        if (dependents.length > 0) await this.resolveQuietly(dependents, job.updated_at);
      }
      return job;
    });
  }

  /** The move alone, without resolving dependents. */
  private applyMove(id: string, m: Move): Promise<Job | null> {
    return this.run(async () => {
      const filter = guardFilter(id, m.guard);
      const update: Record<string, unknown> = {};
      const set = setOf(m.set);
      if (Object.keys(set).length > 0) update.$set = set;
      const push: Record<string, unknown> = {};
      if (m.attempt) push.history = { $each: [{ ...m.attempt }], $slice: -HISTORY_LIMIT };
      if (m.event) push.events = pushEvent(m.event);
      if (Object.keys(push).length > 0) update.$push = push;
      if (Object.keys(update).length === 0) {
        const found = await this.Job.findOne(filter, JOB_FIELDS).lean();
        return found ? toJob(found) : null;
      }
      const leaves = m.guard.states.includes('processing') && m.set.state !== undefined && m.set.state !== 'processing';
      if (!leaves) {
        const doc = await this.Job.findOneAndUpdate(filter, update, { returnDocument: 'after', projection: JOB_FIELDS, lean: true });
        if (doc && m.set.lease_expires_at && doc.claim_token && this.settings.peek().limited.get(doc.queue)?.concurrency) {
          await renewSlot(this.models, doc.claim_token, m.set.lease_expires_at);
        }
        return doc ? toJob(doc) : null;
      }
      // Leaving processing: the job as it was tells the claim token that names its queue slot (the
      // move clears it); the job afterwards is that with the move's fields, as the server wrote it.
      const before = await this.Job.findOneAndUpdate(filter, update, { returnDocument: 'before', projection: JOB_FIELDS, lean: true });
      if (!before) return null;
      if (before.claim_token && this.settings.peek().limited.get(before.queue)?.concurrency) await releaseSlot(this.models, before.claim_token);
      return toJob({ ...before, ...set });
    });
  }

  /**
   * Every job in `states`, each moved by a write of its own (guarded by its state, with an event
   * of its own key), sent a batch at a time. Jobs that left those states meanwhile are not moved.
   */
  moveAll(states: readonly JobState[], set: JobPatch, event: Omit<NewEvent, 'job_id' | 'queue'>): Promise<number> {
    return this.run(async () => {
      if (states.length === 0) return 0;
      const inStates = { $in: [...states] };
      const ids = (await this.Job.find({ state: inStates }, { _id: 1 }).lean()).map((d) => d._id);
      const $set = setOf(set);
      let moved = 0;
      for (let i = 0; i < ids.length; i += MOVE_ALL_BATCH) {
        const ops: AnyBulkWriteOperation<JobDoc>[] = ids.slice(i, i + MOVE_ALL_BATCH).map((id) => ({
          updateOne: { filter: { _id: id, state: inStates }, update: { $set, $push: { events: pushEvent(event) } } },
        }));
        const res = await this.Job.bulkWrite(ops, { ordered: false });
        moved += res.matchedCount;
      }
      return moved;
    });
  }

  listProcessing(): Promise<Job[]> {
    return this.run(async () => (await this.Job.find({ state: 'processing' }, JOB_FIELDS).lean()).map(toJob));
  }

  /** Attempts and events live in their job, and go with it. */
  purgeJobs(states: readonly JobState[], finishedBefore: number): Promise<number> {
    return this.run(async () => {
      if (states.length === 0) return 0;
      const res = await this.Job.deleteMany({
        state: { $in: [...states] },
        $or: [{ finished_at: { $lt: finishedBefore } }, { finished_at: null, updated_at: { $lt: finishedBefore } }],
      });
      return res.deletedCount;
    });
  }

  deleteJobs(ids: readonly string[], states: readonly JobState[]): Promise<string[]> {
    return this.run(async () => {
      if (ids.length === 0 || states.length === 0) return [];
      // Attempts and events live in the job's document: deleting it deletes them.
      const guard = { _id: { $in: [...ids] }, state: { $in: [...states] } };
      const found = (await this.Job.find(guard, { _id: 1 }).lean()).map((d) => String(d._id));
      if (found.length === 0) return [];
      const res = await this.Job.deleteMany({ ...guard, _id: { $in: found } });
      if (res.deletedCount === found.length) return found;
      // Some moved on between the read and the delete: those still here were not deleted.
      const kept = new Set((await this.Job.find({ _id: { $in: found } }, { _id: 1 }).lean()).map((d) => String(d._id)));
      return found.filter((id) => !kept.has(id));
    });
  }

  // --- events -----------------------------------------------------------------------------

  listEvents(query: EventQuery): Promise<{ events: JobEvent[]; next: string | null }> {
    return this.run(() => listEvents(this.Job, this.models.WorkerEvent, query));
  }

  addEvent(e: NewEvent): Promise<void> {
    return this.run(async () => {
      if (e.job_id === null) {
        await this.models.WorkerEvent.create({ _id: eventKey(), at: e.at, type: e.type, worker_id: e.worker_id, detail: e.detail, queue: e.queue });
        return;
      }
      const { job_id, queue: _q, ...rest } = e;
      await this.Job.updateOne({ _id: job_id }, { $push: { events: pushEvent(rest) } });
    });
  }

  // --- workers ----------------------------------------------------------------------------

  registerWorker(w: WorkerRecord): Promise<void> {
    return this.run(async () => {
      const { id, ...rest } = w;
      await this.Worker.replaceOne({ _id: id }, { _id: id, ...rest, stop_force: false }, { upsert: true });
    });
  }

  heartbeatWorker(id: string, beat: WorkerBeat): Promise<StopRequest & { registered: boolean }> {
    return this.run(async () => {
      const d = await this.Worker.findOneAndUpdate(
        { _id: id },
        { $set: { ...beat } },
        { returnDocument: 'after', projection: { stop_requested: 1, stop_force: 1 }, lean: true },
      );
      if (!d) return { registered: false, stopRequested: false, force: false };
      return { registered: true, stopRequested: d.stop_requested === true, force: d.stop_requested === true && d.stop_force === true };
    });
  }

  deregisterWorker(id: string): Promise<void> {
    return this.run(async () => {
      await this.Worker.deleteOne({ _id: id });
    });
  }

  listWorkers(): Promise<WorkerRecord[]> {
    return this.run(async () => (await this.Worker.find({}).sort({ started_at: 1, _id: 1 }).lean()).map(toWorker));
  }

  requestStop(ids?: string[], force = false): Promise<number> {
    return this.run(async () => {
      // A forced request is never weakened by a later graceful one.
      const set = force ? { stop_requested: true, stop_force: true } : { stop_requested: true };
      const res = await this.Worker.updateMany(ids ? { _id: { $in: ids } } : {}, { $set: set });
      return res.matchedCount;
    });
  }

  // --- config -----------------------------------------------------------------------------

  listQueues(): Promise<QueueInfo[]> {
    return this.run(async () => {
      const byName = new Map<string, QueueInfo>();
      const get = (name: string) => {
        let q = byName.get(name);
        if (!q) {
          q = { name, paused: false, counts: Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as StateCounts, limits: { concurrency: null, rate: null } };
          byName.set(name, q);
        }
        return q;
      };
      const rows = await this.Job.aggregate<{ _id: { queue: string; state: JobState }; n: number }>([
        { $group: { _id: { queue: '$queue', state: '$state' }, n: { $sum: 1 } } },
      ]);
      for (const r of rows) get(r._id.queue).counts[r._id.state] = r.n;
      for (const d of await this.models.QueueSettings.find({}).lean()) {
        const q = get(d._id);
        q.paused = d.paused === true;
        q.limits = limitsOf(d);
      }
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  listPausedQueues(): Promise<string[]> {
    return this.run(async () => (await this.models.QueueSettings.find({ paused: true }, { _id: 1 }).lean()).map((d) => String(d._id)).sort());
  }

  setQueuePaused(name: string, paused: boolean): Promise<void> {
    return this.run(async () => {
      await this.models.QueueSettings.updateOne({ _id: name }, { $set: { paused } }, { upsert: true });
      this.settings.invalidate();
    });
  }

  /**
   * Slots are made before the limit is written, so a claim that reads the new limit finds its
   * slots there. Claims in other processes see the change within `SETTINGS_TTL_MS`.
   */
  setQueueLimits(name: string, patch: QueueLimitsPatch, at: number): Promise<QueueLimits> {
    return this.run(async () => {
      if (patch.concurrency) await ensureSlots(this.models, name, patch.concurrency);
      const set: Record<string, unknown> = {};
      if (patch.concurrency !== undefined) set.concurrency = patch.concurrency;
      if (patch.rate !== undefined) {
        set.rate_limit = patch.rate?.limit ?? null;
        set.rate_window_ms = patch.rate?.window_ms ?? null;
      }
      const d = await this.models.QueueSettings.findOneAndUpdate(
        { _id: name },
        { $set: set, $setOnInsert: { paused: false } },
        { upsert: true, returnDocument: 'after', lean: true },
      );
      this.settings.invalidate();
      const limits = limitsOf(d ?? {});
      const { job_id: _j, ...e } = queueLimitsEvent(name, limits, at);
      await this.models.WorkerEvent.create({ _id: eventKey(), ...e });
      return limits;
    });
  }

  // --- schedules --------------------------------------------------------------------------

  addSchedule(schedule: Schedule): Promise<void> {
    return this.run(() => this.schedules.add(schedule));
  }

  getSchedule(name: string): Promise<Schedule | null> {
    return this.run(() => this.schedules.get(name));
  }

  listSchedules(): Promise<Schedule[]> {
    return this.run(() => this.schedules.list());
  }

  removeSchedule(name: string): Promise<boolean> {
    return this.run(() => this.schedules.remove(name));
  }

  updateSchedule(name: string, set: SchedulePatch, guard?: { next_at: number | null }): Promise<boolean> {
    return this.run(() => this.schedules.update(name, set, guard));
  }

  nextScheduleDue(): Promise<number | null> {
    return this.run(() => this.schedules.nextDue());
  }

  listDueSchedules(now: number, limit: number): Promise<Schedule[]> {
    return this.run(() => this.schedules.listDue(now, limit));
  }

  insertScheduledJob(job: NewJob, schedule: string, event: NewEvent): Promise<void> {
    return this.run(() => this.schedules.insertJob(job, schedule, event));
  }

  hasUnfinishedScheduledJob(schedule: string): Promise<boolean> {
    return this.run(() => this.schedules.hasUnfinished(schedule));
  }

  listScheduledJobs(schedule: string, limit: number): Promise<Job[]> {
    return this.run(() => this.schedules.listJobs(schedule, limit));
  }

  getConfigValues(): Promise<Record<string, string>> {
    return this.run(async () => Object.fromEntries((await this.models.Config.find({}).lean()).map((d) => [d._id, d.value])));
  }

  setConfigValue(key: string, value: string): Promise<void> {
    return this.run(async () => {
      await this.models.Config.updateOne({ _id: key }, { $set: { value } }, { upsert: true });
    });
  }

  // --- change notification ----------------------------------------------------------------

  /** Jobs that may be claimable now, and stop requests: not output flushes, lease renewals or heartbeats. */
  watch(onChange: () => void): () => void {
    const jobs = watchCollection(this.Job, JOB_CHANGES, this.changeStreams, onChange);
    const workers = watchCollection(this.Worker, WORKER_CHANGES, this.changeStreams, onChange);
    return () => {
      jobs();
      workers();
    };
  }
}
