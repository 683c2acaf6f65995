import mongoose, { type Connection, type Model } from 'mongoose';
import type { Backend, ClaimRequest, JobPatch, OutputTail, Settlement, StopRequest, WorkerBeat } from '../../backend.js';
import { DuplicateJobError, QueueError, StorageError, ValidationError, oneLine } from '../../errors.js';
import { JOB_STATES } from '../../types.js';
import type { Attempt, Job, JobPage, JobState, ListQuery, NewJob, StateCounts, Throughput, WorkerRecord } from '../../types.js';
import { COUNTER_ID, CountKeeper, countJobs, countsFrom } from './counts.js';
import { JOB_FIELDS, encodeCursor, listPage } from './list.js';
import { type AttemptDoc, type CounterDoc, type JobDoc, type Models, type WorkerDoc, defineModels } from './models.js';
import { errorCode, isMongoError, newJobDoc, tail, toJob, toWorker } from './docs.js';
import { type TransactionSupport, insertAllOrNone } from './insert.js';
import { type Scrubber, databaseOf, makeScrubber, maskUri } from './uri.js';
import { type ChangeStreamSupport, watchJobs } from './watch.js';

/** A CLI command gives up on an unreachable server after this long, with one line. */
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
/** Bumped when indexes change; opening an older database creates the missing ones. */
const SCHEMA_VERSION = 1;
/** Attempts kept per job: enough for any retry policy, bounded so a document cannot grow forever. */
const HISTORY_LIMIT = 1000;
const PATCHABLE = ['state', 'attempts', 'run_at', 'finished_at', 'last_error', 'max_retries', 'priority', 'updated_at'] as const;

export async function openMongoBackend(uri: string, opts: { connectTimeoutMs?: number } = {}): Promise<Backend> {
  const timeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const location = maskUri(uri);
  const scrub = makeScrubber(uri);
  let conn: Connection;
  try {
    conn = mongoose.createConnection(uri, {
      dbName: databaseOf(uri) ?? 'queuectl',
      serverSelectionTimeoutMS: timeout,
      connectTimeoutMS: timeout,
      // Fail fast instead of queueing operations while disconnected; the worker's loop retries.
      bufferCommands: false,
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
    if (e instanceof mongoose.mongo.MongoParseError || e instanceof mongoose.mongo.MongoAPIError) {
      throw new ValidationError(`invalid MongoDB URI ${location}: ${scrub(oneLine(e))}`);
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

export class MongoBackend implements Backend {
  readonly kind = 'mongo' as const;
  private readonly Job: Model<JobDoc>;
  private readonly Worker: Model<WorkerDoc>;
  private readonly counts: CountKeeper;
  /** Learnt on first use: whether bulk inserts can run in a transaction, and whether `watch` works. */
  private readonly transactions: TransactionSupport = {};
  private readonly changeStreams: ChangeStreamSupport = {};

  constructor(
    private readonly conn: Connection,
    private readonly models: Models,
    readonly location: string,
    private readonly scrub: Scrubber,
  ) {
    this.Job = models.Job;
    this.Worker = models.Worker;
    this.counts = new CountKeeper(models.Counter);
  }

  /** Creates the indexes and the counters document the first time a database is used. */
  async init(): Promise<void> {
    const { Counter } = this.models;
    const c = await Counter.findById(COUNTER_ID).lean();
    if (c && (c.schema ?? 0) >= SCHEMA_VERSION) return;
    await Promise.all([this.Job.createIndexes(), this.Worker.createIndexes()]);
    if (!c) {
      // Jobs may already exist (counters dropped by hand): start from what is there.
      const counts = await countJobs(this.Job);
      const last = await this.Job.findOne({}, { seq: 1 }).sort({ seq: -1 }).lean();
      try {
        await Counter.updateOne({ _id: COUNTER_ID }, { $setOnInsert: { ...counts, seq: last?.seq ?? 0 } }, { upsert: true });
      } catch (e) {
        if (errorCode(e) !== 11000) throw e; // another process created it first
      }
    }
    await Counter.updateOne({ _id: COUNTER_ID }, { $max: { schema: SCHEMA_VERSION } });
  }

  /** Driver errors become one-line StorageErrors that never carry the password. */
  mapError(e: unknown): unknown {
    if (e instanceof QueueError || !isMongoError(e)) return e;
    return new StorageError(`MongoDB at ${this.location}: ${this.scrub(oneLine(e))}`, { transient: true });
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.mapError(e);
    }
  }

  async close(): Promise<void> {
    try {
      await this.counts.flush();
    } catch {
      // the server is gone: the queued count changes are lost with this process
    }
    this.counts.stop();
    await this.conn.close(true).catch(() => {});
  }

  // --- jobs -------------------------------------------------------------------------------

  insertJobs(jobs: NewJob[]): Promise<void> {
    return this.run(async () => {
      if (jobs.length === 0) return;
      const ids = jobs.map((j) => j.id);
      if (jobs.length > 1) {
        // Most clashes are found here, before anything is written.
        const existing = new Set((await this.Job.find({ _id: { $in: ids } }, { _id: 1 }).lean()).map((d) => d._id));
        const first = ids.find((id) => existing.has(id));
        if (first !== undefined) throw new DuplicateJobError(first);
      }
      const reserve = () =>
        this.models.Counter.findOneAndUpdate(
          { _id: COUNTER_ID },
          { $inc: { seq: jobs.length } },
          { returnDocument: 'after', projection: { seq: 1 }, lean: true },
        );
      let reserved = await reserve();
      if (!reserved) {
        // The database was emptied or the counters dropped since this process opened it.
        await this.init();
        reserved = await reserve();
      }
      if (!reserved) throw new StorageError(`MongoDB at ${this.location}: the counters document is missing`);
      const seq0 = reserved.seq - jobs.length + 1;
      const docs = jobs.map((j, i) => newJobDoc(j, seq0 + i));
      await insertAllOrNone(this.conn, this.Job, docs, this.transactions);
      this.counts.add({ pending: jobs.length });
    });
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
        next_cursor: page.next === null ? null : encodeCursor(page.next),
        prev_cursor: page.prev === null ? null : encodeCursor(page.prev),
      };
    });
  }

  countByState(): Promise<StateCounts> {
    return this.run(async () => {
      await this.counts.flush();
      const doc = await this.models.Counter.findById(COUNTER_ID).lean();
      if (doc && JOB_STATES.some((s) => (doc[s] ?? 0) < 0)) {
        // Impossible counts mean a change was lost (a process died between its two writes): recount.
        const counts = await countJobs(this.Job);
        await this.models.Counter.updateOne({ _id: COUNTER_ID }, { $set: counts });
        return counts;
      }
      return countsFrom(doc as Partial<CounterDoc> | null);
    });
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
      let completed = 0;
      let failed = 0;
      for (const r of rows) {
        if (r._id === 'succeeded') completed += r.n;
        else if (r._id !== 'interrupted' && r._id !== null) failed += r.n;
      }
      return { completed, failed };
    });
  }

  listAttempts(jobId: string): Promise<Attempt[]> {
    return this.run(async () => {
      const d = await this.Job.findById(jobId, { history: 1 }).lean();
      if (!d) return [];
      // The running attempt's entry is still open; callers read that one from the job.
      return (d.history ?? []).filter((a) => a.finished_at !== null && a.finished_at !== undefined).map((a: AttemptDoc) => ({
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

  /**
   * The claim, in one findOneAndUpdate: the server picks the best eligible job through the
   * `claim` index (pending or failed, run_at come; highest priority, then earliest run_at, then
   * oldest by seq) and, in the same single-document write, marks it processing for this worker,
   * counts the attempt and opens its history entry. A document write is atomic, and the filter
   * requires a claimable state, so two workers can never both take the same job: the loser's
   * filter no longer matches and the server moves on to the next job.
   * The document comes back as it was before the write because the state it left (pending or
   * failed) is what the counts need; the claimed job is that plus the fields just set.
   */
  claimNext(r: ClaimRequest): Promise<Job | null> {
    return this.run(async () => {
      const filter: Record<string, unknown> = { state: { $in: ['pending', 'failed'] }, run_at: { $lte: r.now } };
      if (r.queue !== null) filter.queue = r.queue;
      const set = {
        state: 'processing' as const,
        worker_id: r.workerId,
        lease_expires_at: r.leaseExpiresAt,
        started_at: r.now,
        finished_at: null,
        updated_at: r.now,
        exit_code: null,
        output: '',
        output_bytes: 0,
        command_pid: null,
      };
      const opened: AttemptDoc = { n: null, worker_id: r.workerId, started_at: r.now, finished_at: null, outcome: null, exit_code: null, signal: null, error: null };
      const before = await this.Job.findOneAndUpdate(
        filter,
        { $set: set, $inc: { attempts: 1 }, $push: { history: { $each: [opened], $slice: -HISTORY_LIMIT } } },
        { sort: { priority: -1, run_at: 1, seq: 1 }, returnDocument: 'before', projection: JOB_FIELDS, lean: true },
      );
      if (!before) return null;
      this.counts.move(before.state, 'processing');
      return toJob({ ...before, ...set, attempts: (before.attempts ?? 0) + 1 });
    });
  }

  extendLease(jobId: string, workerId: string, leaseExpiresAt: number, output?: OutputTail): Promise<boolean> {
    return this.run(async () => {
      const set: Record<string, unknown> = { lease_expires_at: leaseExpiresAt };
      if (output) Object.assign(set, { output: tail(output.text), output_bytes: output.bytes });
      const res = await this.Job.updateOne({ _id: jobId, state: 'processing', worker_id: workerId }, { $set: set });
      return res.matchedCount > 0;
    });
  }

  setCommandPid(jobId: string, workerId: string, pid: number): Promise<boolean> {
    return this.run(async () => {
      const res = await this.Job.updateOne({ _id: jobId, state: 'processing', worker_id: workerId }, { $set: { command_pid: pid } });
      return res.matchedCount > 0;
    });
  }

  settle(s: Settlement): Promise<boolean> {
    return this.run(async () => {
      const r = s.result;
      const res = await this.Job.updateOne(
        // Still this worker's, and still the attempt it ran; the open history entry is that attempt.
        { _id: s.jobId, state: 'processing', worker_id: s.workerId, attempts: s.attempt },
        {
          $set: {
            state: s.state,
            run_at: s.run_at,
            attempts: s.attempts,
            worker_id: null,
            lease_expires_at: null,
            command_pid: null,
            finished_at: s.state === 'pending' ? null : r.finished_at,
            exit_code: r.exit_code,
            last_error: r.error,
            last_outcome: r.outcome,
            output: tail(r.output),
            output_bytes: r.output_bytes,
            updated_at: r.finished_at,
            'history.$[open].n': s.attempt,
            'history.$[open].outcome': r.outcome,
            'history.$[open].exit_code': r.exit_code,
            'history.$[open].signal': r.signal,
            'history.$[open].error': r.error,
            // Last: the in-memory test server re-checks the array filter field by field.
            'history.$[open].finished_at': r.finished_at,
          },
        },
        { arrayFilters: [{ 'open.finished_at': null }] },
      );
      if (res.matchedCount === 0) return false;
      this.counts.move('processing', s.state);
      return true;
    });
  }

  findLost(now: number, deadWorkerIds: string[]): Promise<Job[]> {
    return this.run(async () => {
      const docs = await this.Job.find({ state: 'processing', lease_expires_at: { $lt: now } }, JOB_FIELDS).lean();
      if (deadWorkerIds.length > 0) {
        const seen = new Set(docs.map((d) => d._id));
        const more = await this.Job.find({ state: 'processing', worker_id: { $in: deadWorkerIds } }, JOB_FIELDS).lean();
        for (const d of more) if (!seen.has(d._id)) docs.push(d);
      }
      return docs.map(toJob);
    });
  }

  updateIfState(id: string, from: readonly JobState[], patch: JobPatch): Promise<Job | null> {
    return this.run(async () => {
      const set: Record<string, unknown> = {};
      for (const k of PATCHABLE) if (patch[k] !== undefined) set[k] = patch[k];
      const before = await this.Job.findOneAndUpdate(
        { _id: id, state: { $in: [...from] } },
        { $set: set },
        { returnDocument: 'before', projection: JOB_FIELDS, lean: true },
      );
      if (!before) return null;
      const after = { ...before, ...set } as JobDoc;
      this.counts.move(before.state, after.state);
      return toJob(after);
    });
  }

  reviveAllDead(now: number): Promise<number> {
    return this.run(async () => {
      const res = await this.Job.updateMany({ state: 'dead' }, { $set: { state: 'pending', attempts: 0, run_at: now, updated_at: now } });
      this.counts.move('dead', 'pending', res.modifiedCount);
      return res.modifiedCount;
    });
  }

  purgeJobs(states: readonly JobState[], finishedBefore: number): Promise<number> {
    return this.run(async () => {
      let total = 0;
      for (const state of states) {
        const res = await this.Job.deleteMany({
          state,
          $or: [{ finished_at: { $lt: finishedBefore } }, { finished_at: null, updated_at: { $lt: finishedBefore } }],
        });
        this.counts.add({ [state]: -res.deletedCount });
        total += res.deletedCount;
      }
      return total;
    });
  }

  // --- workers ----------------------------------------------------------------------------

  registerWorker(w: WorkerRecord): Promise<void> {
    return this.run(async () => {
      const { id, ...rest } = w;
      await this.Worker.replaceOne({ _id: id }, { _id: id, ...rest }, { upsert: true });
    });
  }

  heartbeatWorker(id: string, beat: WorkerBeat): Promise<StopRequest> {
    return this.run(async () => {
      const d = await this.Worker.findOneAndUpdate(
        { _id: id },
        { $set: { ...beat } },
        { returnDocument: 'after', projection: { stop_requested: 1, stop_force: 1 }, lean: true },
      );
      return { stopRequested: d?.stop_requested === true, force: d?.stop_requested === true && d.stop_force === true };
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

  getConfigValues(): Promise<Record<string, string>> {
    return this.run(async () => Object.fromEntries((await this.models.Config.find({}).lean()).map((d) => [d._id, d.value])));
  }

  setConfigValue(key: string, value: string): Promise<void> {
    return this.run(async () => {
      await this.models.Config.updateOne({ _id: key }, { $set: { value } }, { upsert: true });
    });
  }

  // --- change notification ----------------------------------------------------------------

  watch(onChange: () => void): () => void {
    return watchJobs(this.Job, this.changeStreams, onChange);
  }
}
