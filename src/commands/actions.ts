import { ValidationError } from '../engine/errors.js';
import { jobToJson } from '../engine/serialize.js';
import { type GlobalOptions, out, printJson, withQueue } from './shared.js';

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
