import { resolve } from 'node:path';
import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import type { Queue } from '../engine/queue.js';
import type { ScheduleInput, ScheduleOverview } from '../engine/schedule-service.js';
import { describeSpec, isCatchUpPolicy } from '../engine/schedules.js';
import { jobToJson, scheduleToJson } from '../engine/serialize.js';
import type { Job, Schedule } from '../engine/types.js';
import { commandFromWords } from './enqueue.js';
import { isoAndRelative, paint, paintState, relative, renderFields, renderTable } from './format.js';
import { lastOutcome } from './list.js';
import { type GlobalOptions, out, parseWhole, printJson, withQueue } from './shared.js';
import { writeFd } from './stdio.js';

export interface ScheduleOptions extends GlobalOptions {
  json?: boolean;
}

export interface ScheduleAddOptions extends ScheduleOptions {
  cron?: string;
  every?: string;
  tz?: string;
  queue?: string;
  maxRetries?: string;
  priority?: string;
  timeout?: string;
  cwd?: string;
  catchUp?: string;
  overlap?: string;
}

/** Everything `add` needs, checked before the database is opened. */
function inputFrom(name: string, command: string[] | null, o: ScheduleAddOptions): ScheduleInput {
  if (command === null || command.length === 0) {
    throw new ValidationError(`missing command after -- (e.g. queuectl schedule add ${name} --every 5m -- ./sync.sh)`);
  }
  if ((o.cron === undefined) === (o.every === undefined)) throw new ValidationError('give --cron "<expression>" or --every <duration> (one of them)');
  if (o.catchUp !== undefined && !isCatchUpPolicy(o.catchUp)) throw new ValidationError(`invalid value "${o.catchUp}" for --catch-up: expected none, last or all`);
  if (o.overlap !== undefined && o.overlap !== 'skip' && o.overlap !== 'allow') throw new ValidationError(`invalid value "${o.overlap}" for --overlap: expected skip or allow`);
  const input: ScheduleInput = {
    name,
    job: {
      command: commandFromWords(command),
      max_retries: parseWhole(o.maxRetries, '--max-retries', 0, 1000),
      priority: parseWhole(o.priority, '--priority', -1_000_000, 1_000_000),
      ...(o.queue !== undefined ? { queue: o.queue } : {}),
      ...(o.timeout !== undefined ? { timeout_seconds: parseDuration(o.timeout, '--timeout') / 1000 } : {}),
      ...(o.cwd !== undefined ? { cwd: resolve(o.cwd) } : {}),
    },
    ...(o.catchUp !== undefined ? { catch_up: o.catchUp as ScheduleInput['catch_up'] } : {}),
    ...(o.overlap !== undefined ? { overlap: o.overlap as ScheduleInput['overlap'] } : {}),
  };
  if (o.cron !== undefined) input.cron = o.cron;
  if (o.every !== undefined) input.every_ms = parseDuration(o.every, '--every');
  if (o.tz !== undefined) input.tz = o.tz;
  return input;
}

type Seen = ScheduleOverview;

async function look(queue: Queue, s: Schedule): Promise<Seen> {
  const [seen] = await queue.schedules.overview(s.name);
  return seen;
}

const toJson = (v: Seen) => scheduleToJson(v.schedule, v.next, v.last);

/** `12-02 13:00Z`: short, and unambiguous across days; seconds only when there are some. */
function shortTime(t: number): string {
  const iso = new Date(t).toISOString();
  const secs = iso.slice(17, 19);
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}${secs === '00' ? '' : `:${secs}`}Z`;
}

function lastRun(job: Job | null, now: number): string {
  if (job === null) return '-';
  if (job.state === 'completed' || job.state === 'dead' || job.state === 'cancelled') {
    const how = job.state === 'completed' ? paint('succeeded', 'green') : `${paintState(job.state)} (${lastOutcome(job)})`;
    return `${how} ${relative(job.finished_at, now)}`;
  }
  return `${paintState(job.state)} (enqueued ${relative(job.created_at, now)})`;
}

export async function runScheduleAdd(name: string, command: string[] | null, o: ScheduleAddOptions): Promise<number> {
  const input = inputFrom(name, command, o);
  const seen = await withQueue(o.db, async (queue) => look(queue, await queue.schedules.add(input)), { create: true });
  if (o.json) printJson(toJson(seen));
  else {
    const first = seen.next[0];
    out(`added schedule ${name} (${describeSpec(seen.schedule.spec)}); first firing ${first === undefined ? '-' : new Date(first).toISOString()}. Workers fire it: queuectl worker start`);
  }
  return 0;
}

export async function runScheduleList(o: ScheduleOptions): Promise<number> {
  const { seen, now } = await withQueue(o.db, async (queue) => {
    return { seen: await queue.schedules.overview(), now: queue.now() };
  });
  if (o.json) {
    printJson(seen.map(toJson));
    return 0;
  }
  if (seen.length === 0) {
    writeFd(2, 'no schedules yet (add one: queuectl schedule add <name> --every 5m -- <command>)\n');
    return 0;
  }
  const rows = seen.map((v) => [
    v.schedule.name,
    describeSpec(v.schedule.spec),
    v.next.length === 0 ? '-' : v.next.map(shortTime).join(', '),
    lastRun(v.last, now),
    v.schedule.paused ? paint('paused', 'yellow') : 'active',
    v.schedule.job.command,
  ]);
  out(
    renderTable(
      [{ header: 'NAME' }, { header: 'SPEC' }, { header: 'NEXT FIRINGS (UTC)' }, { header: 'LAST RUN' }, { header: 'STATE' }, { header: 'COMMAND', shrink: true }],
      rows,
    ),
  );
  return 0;
}

export async function runScheduleShow(name: string, o: ScheduleOptions): Promise<number> {
  const { seen, now } = await withQueue(o.db, async (queue) => ({ seen: await look(queue, await queue.schedules.get(name)), now: queue.now() }));
  if (o.json) {
    printJson(toJson(seen));
    return 0;
  }
  const s = seen.schedule;
  const pairs: Array<[string, string]> = [
    ['name', s.name],
    ['spec', describeSpec(s.spec)],
    ['command', s.job.command],
    ['queue', s.job.queue],
    ['cwd', s.job.cwd],
    ['priority', String(s.job.priority)],
    ['max retries', s.job.max_retries === null ? 'default (config max_retries)' : String(s.job.max_retries)],
    ['timeout', s.job.timeout_seconds === null ? 'default (config job_timeout_seconds)' : `${s.job.timeout_seconds}s`],
    ['catch-up', s.catch_up],
    ['overlap', s.overlap],
    ['state', s.paused ? paint('paused', 'yellow') : 'active'],
    ['created', isoAndRelative(s.created_at, now)],
    ['next firings', seen.next.length === 0 ? '-' : seen.next.map((t) => isoAndRelative(t, now)).join('\n' + ' '.repeat(14))],
    ['last firing', isoAndRelative(s.last_fire_at, now)],
    ['last run', seen.last === null ? '-' : `${seen.last.id}: ${lastRun(seen.last, now)}`],
  ];
  out(renderFields(pairs));
  return 0;
}

export async function runSchedulePause(name: string, paused: boolean, o: ScheduleOptions): Promise<number> {
  const seen = await withQueue(o.db, async (queue) => look(queue, paused ? await queue.schedules.pause(name) : await queue.schedules.resume(name)));
  if (o.json) printJson(toJson(seen));
  else if (paused) out(`paused schedule ${name}: it fires nothing until "queuectl schedule resume ${name}" (jobs already enqueued still run)`);
  else out(`resumed schedule ${name}; next firing ${seen.next[0] === undefined ? '-' : new Date(seen.next[0]).toISOString()}`);
  return 0;
}

export async function runScheduleRemove(name: string, o: ScheduleOptions): Promise<number> {
  await withQueue(o.db, (queue) => queue.schedules.remove(name));
  if (o.json) printJson({ name, removed: true });
  else out(`removed schedule ${name} (the jobs it enqueued are kept)`);
  return 0;
}

export async function runScheduleRun(name: string, o: ScheduleOptions): Promise<number> {
  const job = await withQueue(o.db, (queue) => queue.schedules.runNow(name));
  if (o.json) printJson(jobToJson(job));
  else out(`enqueued ${job.id}`);
  return 0;
}
