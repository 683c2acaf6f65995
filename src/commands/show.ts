import { formatDuration } from '../engine/duration.js';
import { describeOutcome } from '../engine/policy.js';
import { attemptToJson, dependenciesToJson, jobToJson } from '../engine/serialize.js';
import type { Attempt, Dependency, Job } from '../engine/types.js';
import { isoAndRelative, paint, paintState, relative, renderFields, renderTable } from './format.js';
import { terminalSafe } from '../present/text.js';
import { lastOutcome } from './list.js';
import { type GlobalOptions, printJson, withQueue } from './shared.js';
import { writeFd } from './stdio.js';

export interface ShowOptions extends GlobalOptions {
  json?: boolean;
}

function attemptResult(a: Attempt): string {
  if (a.outcome === null) return paint('running', 'blue');
  const text = describeOutcome({ outcome: a.outcome, exit_code: a.exit_code, signal: a.signal });
  return a.outcome === 'succeeded' ? paint(text, 'green') : a.outcome === 'interrupted' ? text : paint(text, 'red');
}

/** Each dependency with its state now; those not yet completed are what the job waits for. */
export function dependencyText(deps: Dependency[]): string {
  return deps.map((d) => `${d.id} (${d.state === null ? 'purged' : paintState(d.state)})`).join(', ');
}

function jobFields(job: Job, now: number, deps: Dependency[]): Array<[string, string]> {
  const timeout = job.timeout_seconds === null ? 'default (config job_timeout_seconds)' : formatDuration(job.timeout_seconds * 1000);
  const pairs: Array<[string, string]> = [
    ['id', job.id],
    ['command', job.command],
    ['state', paintState(job.state)],
    ['attempts', `${job.attempts} of ${job.max_retries + 1} (max_retries ${job.max_retries})`],
    ['priority', String(job.priority)],
    ['queue', job.queue],
    ...(job.schedule !== null ? [['schedule', job.schedule] as [string, string]] : []),
    ['cwd', job.cwd],
    ['timeout', timeout],
  ];
  if (job.unique_key !== null) {
    pairs.push(['unique key', job.unique_until === null ? job.unique_key : `${job.unique_key} (held until ${isoAndRelative(job.unique_until, now)})`]);
  }
  if (deps.length > 0) {
    pairs.push(['after', dependencyText(deps)]);
    const open = deps.filter((d) => d.state !== 'completed').map((d) => d.id);
    if (job.state === 'waiting') pairs.push(['waiting for', open.length > 0 ? open.join(', ') : 'nothing (being released)']);
  }
  pairs.push(
    ['created', isoAndRelative(job.created_at, now)],
    ['updated', isoAndRelative(job.updated_at, now)],
  );
  if (job.state === 'pending' || job.state === 'failed') pairs.push(['runs at', isoAndRelative(job.run_at, now)]);
  if (job.started_at !== null) pairs.push(['started', isoAndRelative(job.started_at, now)]);
  if (job.finished_at !== null) pairs.push(['finished', isoAndRelative(job.finished_at, now)]);
  if (job.worker_id !== null) pairs.push(['worker', job.worker_id]);
  if (job.state === 'processing' && job.lease_expires_at !== null) pairs.push(['lease until', isoAndRelative(job.lease_expires_at, now)]);
  if (job.last_outcome !== null) pairs.push(['last outcome', lastOutcome(job)]);
  if (job.exit_code !== null) pairs.push(['exit code', String(job.exit_code)]);
  if (job.last_error !== null) pairs.push(['last error', paint(job.last_error, 'red')]);
  return pairs;
}

function attemptsTable(attempts: Attempt[], now: number): string {
  const rows = attempts.map((a) => [
    String(a.n),
    new Date(a.started_at).toISOString(),
    a.finished_at === null ? '-' : new Date(a.finished_at).toISOString(),
    a.finished_at === null ? `${relative(a.started_at, now).replace(/ ago$/, '')}…` : formatDuration(a.finished_at - a.started_at),
    attemptResult(a),
    a.exit_code === null ? '-' : String(a.exit_code),
    a.worker_id,
    (a.error ?? '').replace(/\s+/g, ' '),
  ]);
  return renderTable(
    [
      { header: '#', align: 'right' },
      { header: 'STARTED' },
      { header: 'FINISHED' },
      { header: 'DURATION', align: 'right' },
      { header: 'RESULT' },
      { header: 'EXIT', align: 'right' },
      { header: 'WORKER' },
      { header: 'ERROR', shrink: true, min: 10 },
    ],
    rows,
  );
}

/** A heading for the stored output, saying when the tail has dropped earlier bytes. */
export function outputHeading(job: Job): string {
  const kept = Buffer.byteLength(job.output);
  const dropped = job.output_bytes - kept;
  return dropped > 0 ? `output (last ${kept} of ${job.output_bytes} bytes)` : `output (${job.output_bytes} bytes)`;
}

export async function runShow(id: string, o: ShowOptions): Promise<number> {
  const { job, attempts, dependencies, now } = await withQueue(o.db, async (queue) => ({ ...(await queue.show(id)), now: queue.now() }));
  if (o.json) {
    // `attempts` stays the job's count, as in every other job shape; the attempts themselves are `history`.
    printJson({ ...jobToJson(job), ...dependenciesToJson(dependencies), history: attempts.map(attemptToJson) });
    return 0;
  }
  let text = renderFields(jobFields(job, now, dependencies));
  text += `\n${paint('attempts', 'bold')}\n`;
  text += attempts.length === 0 ? 'none yet\n' : attemptsTable(attempts, now);
  text += `\n${paint(outputHeading(job), 'bold')}\n`;
  if (job.output.length > 0) text += job.output.endsWith('\n') ? job.output : `${job.output}\n`;
  else text += paint('(none)', 'dim') + '\n';
  writeFd(1, terminalSafe(text));
  return 0;
}
