/**
 * Schedules, the acting part: adding and steering schedules, and firing the ones that are due.
 *
 * Firing needs no leader. Every worker checks on a timer; a firing is the insert of a job whose id
 * is the schedule's name and the firing time, so when several workers (on any hosts) fire the same
 * firing, the database takes one insert and refuses the others (DuplicateJobError: someone else
 * fired it). The schedule then moves past the firing with a write guarded by the `next_at` it was
 * read with, so it is advanced once, and the advance's winner alone records what was skipped. A
 * worker that dies between its insert and the advance leaves the firing to the next check, whose
 * insert is refused and which advances: a firing is never lost and never enqueued twice.
 */
import { statSync } from 'node:fs';
import type { Backend } from './backend.js';
import type { Config } from './config.js';
import { DuplicateJobError, ScheduleNotFoundError, ValidationError } from './errors.js';
import { type JobInput, normalizeJob, pendingJob } from './job-input.js';
import {
  type FiringPlan,
  cronSpec,
  everySpec,
  firingJobId,
  localTimeZone,
  nextFiring,
  nextFirings,
  planFirings,
  runNowJobId,
  validateScheduleName,
} from './schedules.js';
import type { CatchUpPolicy, Job, JobTemplate, NewEvent, NewJob, OverlapPolicy, Schedule } from './types.js';

/** A schedule as a caller describes it: a name, `cron` or `every_ms`, and the job to enqueue. */
export interface ScheduleInput {
  name: string;
  cron?: string;
  /** Only with `cron`; default: this process's time zone. */
  tz?: string;
  every_ms?: number;
  job: Omit<JobInput, 'id' | 'run_at' | 'delay_ms'>;
  /** Default `last`. */
  catch_up?: CatchUpPolicy;
  /** Default `skip`. */
  overlap?: OverlapPolicy;
}

/** What one check did with one schedule. */
export interface FireReport {
  schedule: string;
  /** Jobs this process enqueued. */
  fired: string[];
  /** Firings skipped (by catch-up policy, or overlap), as recorded by this process. */
  skipped: number;
}

export interface ScheduleServiceOptions {
  now: () => number;
  cwd: string;
  config: () => Promise<Config>;
}

/** A schedule as `schedule list` and the dashboard show it: with its next firings and its newest job. */
export interface ScheduleOverview {
  schedule: Schedule;
  /** The next firings (none while paused). */
  next: number[];
  /** The newest job it enqueued (fired or run by hand), as it is now. */
  last: Job | null;
}

/** Firings an overview looks ahead. */
const OVERVIEW_FIRINGS = 3;

/** Schedules found due per check; more wait for the next one, a moment later. */
const DUE_BATCH = 50;

const iso = (t: number) => new Date(t).toISOString();

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export class ScheduleService {
  constructor(
    private readonly backend: Backend,
    private readonly opts: ScheduleServiceOptions,
  ) {}

  /** Validates everything (the job too, as `enqueue` would), stores the schedule, and returns it. */
  async add(input: ScheduleInput, config?: Config): Promise<Schedule> {
    const name = validateScheduleName(input.name);
    const now = this.opts.now();
    if ((input.cron === undefined) === (input.every_ms === undefined)) throw new ValidationError('give --cron or --every (one of them)');
    if (input.tz !== undefined && input.cron === undefined) throw new ValidationError('--tz applies to --cron only (an interval is the same in every zone)');
    const spec = input.cron !== undefined ? cronSpec(input.cron, input.tz ?? localTimeZone(), now) : everySpec(input.every_ms as number, now);
    // The job as a firing will enqueue it, checked now rather than at 3 a.m.
    const probe = normalizeJob({ ...input.job, id: firingJobId(name, now - (now % 1000)) }, config ?? (await this.opts.config()), now, this.opts.cwd);
    if (!this.backend.multiHost && !isDirectory(probe.cwd)) {
      // One host: a directory missing here would fail every firing's job; say so now.
      throw new ValidationError(`invalid --cwd: directory ${probe.cwd} does not exist`);
    }
    const job: JobTemplate = {
      command: probe.command,
      queue: probe.queue,
      max_retries: input.job.max_retries ?? null,
      priority: probe.priority,
      timeout_seconds: probe.timeout_seconds,
      cwd: probe.cwd,
    };
    const schedule: Schedule = {
      name,
      spec,
      job,
      catch_up: input.catch_up ?? 'last',
      overlap: input.overlap ?? 'skip',
      paused: false,
      created_at: now,
      updated_at: now,
      next_at: nextFiring(spec, now),
      last_fire_at: null,
      last_job_id: null,
    };
    await this.backend.addSchedule(schedule);
    return schedule;
  }

  async get(name: string): Promise<Schedule> {
    const s = await this.backend.getSchedule(name);
    if (!s) throw new ScheduleNotFoundError(name);
    return s;
  }

  list(): Promise<Schedule[]> {
    return this.backend.listSchedules();
  }

  /** Every schedule (or one) with its next firings and its last run. */
  async overview(name?: string): Promise<ScheduleOverview[]> {
    const all = name === undefined ? await this.list() : [await this.get(name)];
    const now = this.opts.now();
    return Promise.all(
      all.map(async (s) => {
        const next = s.paused || s.next_at === null ? [] : [s.next_at, ...nextFirings(s.spec, Math.max(s.next_at, now), OVERVIEW_FIRINGS - 1)].slice(0, OVERVIEW_FIRINGS);
        const [last] = await this.backend.listScheduledJobs(s.name, 1);
        return { schedule: s, next, last: last ?? null };
      }),
    );
  }

  /** The schedule's newest jobs (fired or run by hand), newest first. */
  recentJobs(name: string, limit: number): Promise<Job[]> {
    return this.backend.listScheduledJobs(name, limit);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.backend.removeSchedule(name))) throw new ScheduleNotFoundError(name);
  }

  /** Stops firing; jobs already enqueued are left as they are. */
  async pause(name: string): Promise<Schedule> {
    if (!(await this.backend.updateSchedule(name, { paused: true, updated_at: this.opts.now() }))) throw new ScheduleNotFoundError(name);
    return this.get(name);
  }

  /** Fires again from the next firing after now: firings that fell in the pause are not caught up (pausing said not to run them). */
  async resume(name: string): Promise<Schedule> {
    const s = await this.get(name);
    const now = this.opts.now();
    const next_at = nextFiring(s.spec, now);
    if (!(await this.backend.updateSchedule(name, { paused: false, next_at, updated_at: now }))) throw new ScheduleNotFoundError(name);
    return { ...s, paused: false, next_at, updated_at: now };
  }

  /** `schedule run`: one job now, whatever the timetable, the pause or a running job; the timetable is unchanged. */
  async runNow(name: string): Promise<Job> {
    const s = await this.get(name);
    const now = this.opts.now();
    const job = this.jobOf(s, runNowJobId(name, now), now, await this.opts.config());
    await this.backend.insertScheduledJob(job, name, this.scheduledEvent(job, 'run now by an operator'));
    return { ...pendingJob(job), schedule: name };
  }

  /** The earliest next firing of any schedule not paused: one indexed read, what a worker's timer waits for. */
  nextDue(): Promise<number | null> {
    return this.backend.nextScheduleDue();
  }

  /**
   * Fires every schedule whose next firing has come. Safe to run in any number of processes at
   * once (see the top of this file). `by`: the worker firing, recorded on the events.
   */
  async fireDue(by: string | null = null): Promise<FireReport[]> {
    const now = this.opts.now();
    const due = await this.backend.listDueSchedules(now, DUE_BATCH);
    if (due.length === 0) return [];
    const config = await this.opts.config();
    const reports: FireReport[] = [];
    let failure: unknown;
    for (const s of due) {
      // One schedule's trouble must not hold the others back; the first error is reported after.
      try {
        reports.push(await this.fire(s, now, config, by));
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) throw failure;
    return reports;
  }

  private async fire(s: Schedule, now: number, config: Config, by: string | null): Promise<FireReport> {
    const plan = planFirings(s, now);
    const fired: string[] = [];
    const overlapped: number[] = [];
    let lastJob = s.last_job_id;
    for (const t of plan.fire) {
      const id = firingJobId(s.name, t);
      if (s.overlap === 'skip' && (await this.backend.hasUnfinishedScheduledJob(s.name))) {
        // The unfinished job may be this very firing's, enqueued a moment ago by another worker.
        if (await this.backend.getJob(id)) lastJob = id;
        else overlapped.push(t);
        continue;
      }
      const job = this.jobOf(s, id, now, config);
      try {
        await this.backend.insertScheduledJob(job, s.name, this.scheduledEvent(job, `firing ${iso(t)}`, by));
        fired.push(id);
      } catch (e) {
        if (!(e instanceof DuplicateJobError)) throw e;
        // Another worker fired it: exactly once, through the unique id.
      }
      lastJob = id;
    }
    const handled = [...plan.fire, ...(plan.skipped ? [plan.skipped.last] : [])];
    const last_fire_at = handled.length > 0 ? Math.max(...handled) : s.last_fire_at;
    const advanced = await this.backend.updateSchedule(
      s.name,
      { next_at: plan.next_at, last_fire_at, last_job_id: lastJob, updated_at: now },
      { next_at: s.next_at },
    );
    let skipped = 0;
    if (advanced) {
      // Only the process whose advance took records the skips, so each is recorded once.
      for (const e of this.skipEvents(s, plan, overlapped, now, by)) await this.backend.addEvent(e);
      skipped = overlapped.length + (plan.skipped ? plan.skipped.count : 0);
    }
    return { schedule: s.name, fired, skipped };
  }

  private jobOf(s: Schedule, id: string, now: number, config: Config): NewJob {
    const t = s.job;
    return normalizeJob(
      { id, command: t.command, queue: t.queue, priority: t.priority, timeout_seconds: t.timeout_seconds, cwd: t.cwd, ...(t.max_retries === null ? {} : { max_retries: t.max_retries }) },
      config,
      now,
      t.cwd,
    );
  }

  private scheduledEvent(job: NewJob, what: string, by: string | null = null): NewEvent {
    return { at: job.created_at, type: 'scheduled', job_id: job.id, queue: job.queue, worker_id: by, attempt: null, detail: `schedule ${job.id.slice(0, job.id.indexOf('@'))}: ${what}` };
  }

  private skipEvents(s: Schedule, plan: FiringPlan, overlapped: number[], now: number, by: string | null): NewEvent[] {
    const ev = (detail: string): NewEvent => ({ at: now, type: 'schedule_skipped', job_id: null, queue: null, worker_id: by, attempt: null, detail: `schedule ${s.name}: ${detail}` });
    const out: NewEvent[] = [];
    const k = plan.skipped;
    if (k) {
      const count = k.more ? `more than ${k.count}` : String(k.count);
      const span = k.first === k.last ? `firing ${iso(k.first)}` : `${count} firings from ${iso(k.first)} to ${iso(k.last)}`;
      out.push(ev(`${span} missed while no worker ran (catch-up ${s.catch_up})`));
    }
    if (overlapped.length > 0) {
      const [first, last] = [overlapped[0], overlapped[overlapped.length - 1]];
      const span = first === last ? `firing ${iso(first)}` : `${overlapped.length} firings from ${iso(first)} to ${iso(last)}`;
      out.push(ev(`${span} skipped: the previous run has not finished (overlap skip)`));
    }
    return out;
  }
}
