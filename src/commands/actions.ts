import { ValidationError } from '../engine/errors.js';
import { jobToJson } from '../engine/serialize.js';
import { type GlobalOptions, err, out, printJson, withQueue } from './shared.js';

export interface ActionOptions extends GlobalOptions {
  json?: boolean;
}

/** `retry <id>`: a failed job waiting out its backoff runs now. */
export async function runRetry(id: string, o: ActionOptions): Promise<number> {
  const job = await withQueue(o.db, (queue) => queue.retry(id));
  if (o.json) printJson(jobToJson(job));
  else out(`${job.id} will run now (attempt ${job.attempts + 1} of ${job.max_retries + 1})`);
  return 0;
}

/** `cancel <id>`: the job never runs; it stays, in state cancelled, with its history. */
export async function runCancel(id: string, o: ActionOptions): Promise<number> {
  const job = await withQueue(o.db, (queue) => queue.cancel(id));
  if (o.json) printJson(jobToJson(job));
  else if (job.state === 'processing') out(`cancelling ${job.id}: its worker is stopping the command (see: queuectl wait ${job.id})`);
  else out(`cancelled ${job.id} (kept with its history; remove it with: queuectl purge --state cancelled)`);
  return 0;
}

export interface DlqRetryOptions extends ActionOptions {
  all?: boolean;
}

/** `dlq retry <id>` or `dlq retry --all`: dead jobs go back to pending with their attempts reset. */
export async function runDlqRetry(id: string | undefined, o: DlqRetryOptions): Promise<number> {
  if (o.all && id !== undefined) throw new ValidationError('give a job id or --all, not both');
  if (!o.all && id === undefined) throw new ValidationError('missing job id (or --all to retry every dead job)');
  if (o.all) {
    const n = await withQueue(o.db, (queue) => queue.reviveAll());
    if (o.json) printJson({ retried: n });
    else out(n === 0 ? 'the dead letter queue is empty' : `moved ${n} dead job${n === 1 ? '' : 's'} back to pending`);
    return 0;
  }
  const job = await withQueue(o.db, (queue) => queue.revive(id as string));
  if (o.json) printJson(jobToJson(job));
  else out(`${job.id} is pending again with its attempts reset`);
  return 0;
}

export interface DlqDeleteOptions extends ActionOptions {
  all?: boolean;
  yes?: boolean;
  search?: string;
  queue?: string;
}

/**
 * `dlq delete <id…>` or `dlq delete --all --yes`: dead jobs are deleted with their attempts and
 * events. A job no longer dead when the delete runs (revived meanwhile) is kept. Ids that were not
 * deleted are named on stderr, and the exit code is 2, as `dlq retry` gives for a job not dead.
 */
export async function runDlqDelete(ids: string[], o: DlqDeleteOptions): Promise<number> {
  if (o.all && ids.length > 0) throw new ValidationError('give job ids or --all, not both');
  if (!o.all && ids.length === 0) throw new ValidationError('missing job id (or --all --yes to delete every dead job)');
  if (!o.all && (o.search !== undefined || o.queue !== undefined)) throw new ValidationError('--search and --queue go with --all');
  if (o.all) {
    if (!o.yes) throw new ValidationError('--all deletes every dead job for good; add --yes to confirm');
    const filter = { ...(o.search !== undefined ? { search: o.search } : {}), ...(o.queue !== undefined ? { queue: o.queue } : {}) };
    const n = await withQueue(o.db, (queue) => queue.deleteAllDead(filter));
    if (o.json) printJson({ deleted: n });
    else out(n === 0 ? 'no dead jobs to delete' : `deleted ${n} dead job${n === 1 ? '' : 's'} with their history`);
    return 0;
  }
  const { deleted, missed } = await withQueue(o.db, async (queue) => {
    const deleted = await queue.deleteDead(ids);
    const done = new Set(deleted);
    const missed: Array<{ id: string; why: string }> = [];
    for (const id of new Set(ids)) {
      if (done.has(id)) continue;
      const job = await queue.backend.getJob(id);
      missed.push({ id, why: job ? `it is ${job.state}, not dead` : 'no such job' });
    }
    return { deleted, missed };
  });
  for (const m of missed) err(`queuectl: cannot delete job "${m.id}": ${m.why}`);
  if (o.json) printJson({ deleted, not_deleted: missed });
  else if (deleted.length > 0) out(deleted.length === 1 ? `deleted ${deleted[0]} with its history` : `deleted ${deleted.length} dead jobs with their history`);
  return missed.length > 0 ? 2 : 0;
}

/** `rerun <id>`: a completed job runs again as a copy, `<id>.rerun-N`, with fresh attempts. */
export async function runRerun(id: string, o: ActionOptions): Promise<number> {
  const job = await withQueue(o.db, (queue) => queue.rerun(id));
  if (o.json) printJson(jobToJson(job));
  else out(`enqueued ${job.id}, a copy of ${id} (same command and options, fresh attempts; ${id} is kept as it is)`);
  return 0;
}
