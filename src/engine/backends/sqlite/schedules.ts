import type Database from 'better-sqlite3';
import { DuplicateJobError, DuplicateScheduleError } from '../../errors.js';
import { UNFINISHED_STATES } from '../../schedules.js';
import type { Job, NewEvent, NewJob, Schedule, SchedulePatch, ScheduleSpec } from '../../types.js';
import type { EventWriter } from './events.js';
import type { SeqCounter } from './seq.js';
import { type Row, sqlValue, toJob } from './rows.js';
import type { SearchIndexer } from './search-index.js';

/** Schedules in their table, and the jobs their firings insert. One prepared statement per intent. */
export interface ScheduleStore {
  add(s: Schedule): void;
  get(name: string): Schedule | null;
  list(): Schedule[];
  remove(name: string): boolean;
  update(name: string, set: SchedulePatch, guard?: { next_at: number | null }): boolean;
  nextDue(): number | null;
  listDue(now: number, limit: number): Schedule[];
  insertJob(job: NewJob, schedule: string, event: NewEvent): void;
  hasUnfinished(schedule: string): boolean;
  listJobs(schedule: string, limit: number): Job[];
}

const PATCH_COLUMNS = new Set(['next_at', 'last_fire_at', 'last_job_id', 'paused', 'updated_at']);
const UNFINISHED = UNFINISHED_STATES.map((s) => `'${s}'`).join(', ');

function toSchedule(r: Row): Schedule {
  const spec: ScheduleSpec =
    r.kind === 'cron'
      ? { kind: 'cron', cron: r.cron as string, tz: r.tz as string }
      : { kind: 'every', every_ms: r.every_ms as number, anchor_at: r.anchor_at as number };
  return {
    name: r.name as string,
    spec,
    job: {
      command: r.command as string,
      queue: r.queue as string,
      max_retries: (r.max_retries as number | null) ?? null,
      priority: r.priority as number,
      timeout_seconds: (r.timeout_seconds as number | null) ?? null,
      cwd: r.cwd as string,
    },
    catch_up: r.catch_up as Schedule['catch_up'],
    overlap: r.overlap as Schedule['overlap'],
    paused: r.paused === 1,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
    next_at: (r.next_at as number | null) ?? null,
    last_fire_at: (r.last_fire_at as number | null) ?? null,
    last_job_id: (r.last_job_id as string | null) ?? null,
  };
}

export function makeScheduleStore(db: Database.Database, events: EventWriter, search: SearchIndexer, counter: SeqCounter): ScheduleStore {
  const insert = db.prepare(
    `INSERT INTO schedules (name, kind, cron, tz, every_ms, anchor_at, command, queue, max_retries, priority, timeout_seconds, cwd,
       catch_up, overlap, paused, created_at, updated_at, next_at, last_fire_at, last_job_id)
     VALUES (@name, @kind, @cron, @tz, @every_ms, @anchor_at, @command, @queue, @max_retries, @priority, @timeout_seconds, @cwd,
       @catch_up, @overlap, @paused, @created_at, @updated_at, @next_at, @last_fire_at, @last_job_id)`,
  );
  const get = db.prepare('SELECT * FROM schedules WHERE name = ?');
  const list = db.prepare('SELECT * FROM schedules ORDER BY name');
  const remove = db.prepare('DELETE FROM schedules WHERE name = ?');
  const nextDue = db.prepare('SELECT MIN(next_at) FROM schedules WHERE paused = 0 AND next_at IS NOT NULL').pluck();
  const due = db.prepare('SELECT * FROM schedules WHERE paused = 0 AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at LIMIT ?');
  const insertJob = db.prepare(
    `INSERT INTO jobs (seq, id, command, state, max_retries, priority, run_at, timeout_seconds, queue, cwd, created_at, updated_at, schedule)
     VALUES (@seq, @id, @command, 'pending', @max_retries, @priority, @run_at, @timeout_seconds, @queue, @cwd, @created_at, @created_at, @schedule)`,
  );
  const countPending = db.prepare("UPDATE job_counts SET n = n + 1 WHERE state = 'pending'");
  const unfinished = db.prepare(`SELECT 1 FROM jobs WHERE schedule = ? AND state IN (${UNFINISHED}) LIMIT 1`).pluck();
  const jobs = db.prepare('SELECT * FROM jobs WHERE schedule = ? ORDER BY seq DESC LIMIT ?');
  const updates = new Map<string, Database.Statement>();

  const insertFiring = db.transaction((job: NewJob, schedule: string, event: NewEvent) => {
    // The job's seq is also its `enqueued` event's place, read from the job (seq.ts, events.ts).
    const seq = counter.take(1) + 1;
    insertJob.run({ ...job, schedule, seq });
    // Like any insert, it joins the search tail, and indexes it only past its cap (search-index.ts).
    search.afterInsert(seq, search.mark());
    countPending.run();
    events.add(event);
  });

  return {
    add(s) {
      try {
        insert.run({
          name: s.name,
          kind: s.spec.kind,
          cron: s.spec.kind === 'cron' ? s.spec.cron : null,
          tz: s.spec.kind === 'cron' ? s.spec.tz : null,
          every_ms: s.spec.kind === 'every' ? s.spec.every_ms : null,
          anchor_at: s.spec.kind === 'every' ? s.spec.anchor_at : null,
          ...s.job,
          catch_up: s.catch_up,
          overlap: s.overlap,
          paused: s.paused ? 1 : 0,
          created_at: s.created_at,
          updated_at: s.updated_at,
          next_at: s.next_at,
          last_fire_at: s.last_fire_at,
          last_job_id: s.last_job_id,
        });
      } catch (e) {
        if ((e as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new DuplicateScheduleError(s.name);
        throw e;
      }
    },
    get(name) {
      const r = get.get(name) as Row | undefined;
      return r ? toSchedule(r) : null;
    },
    list: () => (list.all() as Row[]).map(toSchedule),
    remove: (name) => remove.run(name).changes > 0,
    update(name, set, guard) {
      const cols = Object.keys(set).filter((k) => PATCH_COLUMNS.has(k) && set[k as keyof SchedulePatch] !== undefined);
      if (cols.length === 0) return get.get(name) !== undefined;
      // `IS`: a guard of null (a schedule that never fires again) matches null.
      const sql = `UPDATE schedules SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE name = @name${guard ? ' AND next_at IS @guard' : ''}`;
      let stmt = updates.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        updates.set(sql, stmt);
      }
      const params: Record<string, unknown> = { name, guard: guard?.next_at ?? null };
      for (const c of cols) params[c] = sqlValue(set[c as keyof SchedulePatch]);
      return stmt.run(params).changes > 0;
    },
    nextDue: () => (nextDue.get() as number | null) ?? null,
    listDue: (now, limit) => (due.all(now, limit) as Row[]).map(toSchedule),
    insertJob(job, schedule, event) {
      try {
        insertFiring.immediate(job, schedule, event);
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new DuplicateJobError(job.id);
        throw e;
      }
    },
    hasUnfinished: (schedule) => unfinished.get(schedule) !== undefined,
    listJobs: (schedule, limit) => (jobs.all(schedule, limit) as Row[]).map(toJob),
  };
}
