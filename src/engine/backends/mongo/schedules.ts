import type { Model } from 'mongoose';
import { DuplicateJobError, DuplicateScheduleError } from '../../errors.js';
import { UNFINISHED_STATES } from '../../schedules.js';
import type { Job, NewEvent, NewJob, Schedule, SchedulePatch } from '../../types.js';
import { JOB_FIELDS } from './list.js';
import { errorCode, eventDoc, newJobDoc, toJob } from './rows.js';
import { JOB_SCHEDULE_INDEXES, type JobDoc, type Models, type ScheduleDoc } from './schema.js';

/** Schedules in their collection, and the jobs their firings insert. */

const PATCHABLE = new Set(['next_at', 'last_fire_at', 'last_job_id', 'paused', 'updated_at']);

function toSchedule(d: ScheduleDoc): Schedule {
  return {
    name: d._id,
    spec: d.kind === 'cron' ? { kind: 'cron', cron: d.cron as string, tz: d.tz as string } : { kind: 'every', every_ms: d.every_ms as number, anchor_at: d.anchor_at as number },
    job: {
      command: d.job.command,
      queue: d.job.queue,
      max_retries: d.job.max_retries ?? null,
      priority: d.job.priority ?? 0,
      timeout_seconds: d.job.timeout_seconds ?? null,
      cwd: d.job.cwd,
    },
    catch_up: d.catch_up,
    overlap: d.overlap,
    paused: d.paused === true,
    created_at: d.created_at,
    updated_at: d.updated_at,
    next_at: d.next_at ?? null,
    last_fire_at: d.last_fire_at ?? null,
    last_job_id: d.last_job_id ?? null,
  };
}

function toDoc(s: Schedule): ScheduleDoc {
  return {
    _id: s.name,
    kind: s.spec.kind,
    cron: s.spec.kind === 'cron' ? s.spec.cron : null,
    tz: s.spec.kind === 'cron' ? s.spec.tz : null,
    every_ms: s.spec.kind === 'every' ? s.spec.every_ms : null,
    anchor_at: s.spec.kind === 'every' ? s.spec.anchor_at : null,
    job: { ...s.job },
    catch_up: s.catch_up,
    overlap: s.overlap,
    paused: s.paused,
    created_at: s.created_at,
    updated_at: s.updated_at,
    next_at: s.next_at,
    last_fire_at: s.last_fire_at,
    last_job_id: s.last_job_id,
  };
}

/** The filter of the `due` index: queries that match it can use it. */
const ACTIVE = { paused: false, next_at: { $type: 'number' } };

export class MongoSchedules {
  /** Databases made before schedules existed lack their indexes: made on the first add. */
  private indexed = false;

  constructor(
    private readonly models: Models,
    /** Reserves `n` consecutive `seq` numbers; returns the first. */
    private readonly reserveSeq: (n: number) => Promise<number>,
  ) {}

  private get Job(): Model<JobDoc> {
    return this.models.Job;
  }

  async add(s: Schedule): Promise<void> {
    if (!this.indexed) {
      await Promise.all([
        this.models.Schedule.createIndexes(),
        ...JOB_SCHEDULE_INDEXES.map((i) => this.Job.collection.createIndex({ ...i.keys }, { ...i.options })),
      ]);
      this.indexed = true;
    }
    try {
      await this.models.Schedule.collection.insertOne(toDoc(s) as never);
    } catch (e) {
      if (errorCode(e) === 11000) throw new DuplicateScheduleError(s.name);
      throw e;
    }
  }

  async get(name: string): Promise<Schedule | null> {
    const d = await this.models.Schedule.findById(name).lean();
    return d ? toSchedule(d) : null;
  }

  async list(): Promise<Schedule[]> {
    return (await this.models.Schedule.find({}).sort({ _id: 1 }).lean()).map(toSchedule);
  }

  async remove(name: string): Promise<boolean> {
    return (await this.models.Schedule.deleteOne({ _id: name })).deletedCount > 0;
  }

  /** One conditional write: the guard on `next_at` is what lets only one worker advance a firing. */
  async update(name: string, set: SchedulePatch, guard?: { next_at: number | null }): Promise<boolean> {
    const $set: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(set)) if (v !== undefined && PATCHABLE.has(k)) $set[k] = v;
    const filter: Record<string, unknown> = { _id: name };
    if (guard) filter.next_at = guard.next_at;
    if (Object.keys($set).length === 0) return (await this.models.Schedule.exists(filter)) !== null;
    return (await this.models.Schedule.updateOne(filter, { $set })).matchedCount > 0;
  }

  async nextDue(): Promise<number | null> {
    const d = await this.models.Schedule.findOne(ACTIVE, { next_at: 1 }).sort({ next_at: 1 }).lean();
    return d?.next_at ?? null;
  }

  async listDue(now: number, limit: number): Promise<Schedule[]> {
    const docs = await this.models.Schedule.find({ paused: false, next_at: { $type: 'number', $lte: now } })
      .sort({ next_at: 1 })
      .limit(limit)
      .lean();
    return docs.map(toSchedule);
  }

  /** One document insert carries the job, its `enqueued` and its `scheduled` event: all or nothing. */
  async insertJob(job: NewJob, schedule: string, event: NewEvent): Promise<void> {
    const seq = await this.reserveSeq(1);
    const doc = newJobDoc(job, seq);
    doc.schedule = schedule;
    const { job_id: _j, queue: _q, ...rest } = event;
    doc.events.push(eventDoc(rest));
    try {
      await this.Job.collection.insertOne(doc as never);
    } catch (e) {
      if (errorCode(e) === 11000) throw new DuplicateJobError(job.id);
      throw e;
    }
  }

  async hasUnfinished(schedule: string): Promise<boolean> {
    // `$type` as well: a query the planner can see implies the index's filter may use that index.
    return (await this.Job.exists({ schedule: { $eq: schedule, $type: 'string' }, state: { $in: [...UNFINISHED_STATES] } })) !== null;
  }

  async listJobs(schedule: string, limit: number): Promise<Job[]> {
    return (await this.Job.find({ schedule: { $eq: schedule, $type: 'string' } }, JOB_FIELDS).sort({ seq: -1 }).limit(limit).lean()).map(toJob);
  }
}
