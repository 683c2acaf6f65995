import { ValidationError } from '../engine/errors.js';
import { describeOutcome } from '../engine/policy.js';
import { jobToJson } from '../engine/serialize.js';
import type { Job, ListQuery } from '../engine/types.js';
import { shellQuote } from '../present/text.js';
import { type Column, colorEnabled, paint, paintState, relative, renderTable, tries } from './format.js';
import { type GlobalOptions, err, out, parseState, parseWhole, printJson, withQueue, write } from './shared.js';

export interface ListOptions extends GlobalOptions {
  state?: string;
  queue?: string;
  search?: string;
  limit?: string;
  offset?: string;
  cursor?: string;
  json?: boolean;
  /** `{"jobs": [...], "next": cursor}`: the page and where the next one starts. */
  cursorJson?: boolean;
  /** One compact JSON object per line. */
  jsonl?: boolean;
  /** Every matching job, page after page (needs --jsonl). */
  all?: boolean;
}

export const DEFAULT_LIMIT = 50;

/** The last outcome in a few words (`exit 1`, `timed out`), or `-` when the job has not run. */
export function lastOutcome(job: Job): string {
  if (job.last_outcome === null) return '-';
  const text = describeOutcome({ outcome: job.last_outcome, exit_code: job.exit_code, signal: null });
  return text.replace(/ \?$/, '');
}

/** The time that matters for the job's state: when it runs next, how long it has run, or when it ended. */
export function when(job: Job, now: number): string {
  switch (job.state) {
    case 'pending':
    case 'failed':
      return job.run_at <= now ? 'ready' : relative(job.run_at, now);
    case 'waiting':
      return `after ${job.after.length === 1 ? job.after[0] : `${job.after.length} jobs`}`;
    case 'processing':
      return job.started_at === null ? 'running' : `running ${relative(job.started_at, now).replace(/ ago$/, '')}`;
    default:
      return relative(job.finished_at ?? job.updated_at, now);
  }
}

/** The output options that cannot be combined, each rejected with one line. */
function checkOutput(o: ListOptions): void {
  if (o.jsonl && o.json) throw new ValidationError('give --json or --jsonl, not both');
  if (o.jsonl && o.cursorJson) throw new ValidationError('give --cursor-json or --jsonl, not both (--jsonl --all walks every page itself)');
  if (o.all && !o.jsonl) throw new ValidationError('--all needs --jsonl (one job per line, streamed page by page)');
}

function buildQuery(o: ListOptions, forcedState?: 'dead'): ListQuery {
  const q: ListQuery = { limit: parseWhole(o.limit, '--limit', 1, 10_000) ?? DEFAULT_LIMIT };
  // The DLQ shows the latest deaths first.
  if (forcedState) Object.assign(q, { state: forcedState, order: 'finished' });
  else if (o.state !== undefined) q.state = parseState(o.state);
  if (o.queue !== undefined) q.queue = o.queue;
  if (o.search !== undefined && o.search !== '') q.search = o.search;
  if (o.offset !== undefined && o.cursor !== undefined) throw new ValidationError('give --offset or --cursor, not both');
  const offset = parseWhole(o.offset, '--offset', 0, Number.MAX_SAFE_INTEGER);
  if (offset !== undefined) q.offset = offset;
  if (o.cursor !== undefined) q.cursor = o.cursor;
  return q;
}

function jobsTable(jobs: Job[], now: number, dlq: boolean): string {
  const showQueue = jobs.some((j) => j.queue !== 'default');
  const cols: Column[] = [{ header: 'ID' }];
  if (!dlq) cols.push({ header: 'STATE' });
  cols.push({ header: 'TRIES', align: 'right' });
  if (!dlq) cols.push({ header: 'PRI', align: 'right' });
  if (showQueue) cols.push({ header: 'QUEUE' });
  cols.push({ header: 'COMMAND', shrink: true, min: 16 });
  cols.push({ header: dlq ? 'DIED' : 'WHEN' });
  cols.push(dlq ? { header: 'LAST ERROR', shrink: true, min: 20 } : { header: 'LAST' });
  const rows = jobs.map((j) => {
    const r = [j.id];
    if (!dlq) r.push(paintState(j.state));
    r.push(tries(j));
    if (!dlq) r.push(String(j.priority));
    if (showQueue) r.push(j.queue);
    r.push(j.command.replace(/\s+/g, ' '));
    r.push(when(j, now));
    r.push(dlq ? (j.last_error ?? lastOutcome(j)).replace(/\s+/g, ' ') : lastOutcome(j));
    return r;
  });
  return renderTable(cols, rows);
}

/** Re-types the command with the next cursor, so the hint can be pasted as is. */
function nextPageHint(base: string, o: ListOptions, cursor: string): string {
  const parts = [base];
  if (o.db !== undefined) parts.push(`--db ${shellQuote(o.db)}`);
  if (o.state !== undefined) parts.push(`--state ${shellQuote(o.state)}`);
  if (o.queue !== undefined) parts.push(`--queue ${shellQuote(o.queue)}`);
  if (o.search !== undefined) parts.push(`--search ${shellQuote(o.search)}`);
  if (o.limit !== undefined) parts.push(`--limit ${shellQuote(o.limit)}`);
  parts.push(`--cursor ${cursor}`);
  return parts.join(' ');
}

/** One job per line, compact JSON. */
function jsonLines(jobs: Job[]): string {
  let text = '';
  for (const job of jobs) text += `${JSON.stringify(jobToJson(job))}\n`;
  return text;
}

/**
 * Writes every matching job, one line each, a page at a time: the next page is read only once
 * the reader has taken the previous one, so memory stays at one page whatever the job count.
 */
async function streamAll(o: ListOptions, query: ListQuery): Promise<void> {
  await withQueue(o.db, async (queue) => {
    let q = query;
    for (;;) {
      const page = await queue.list(q);
      if (page.jobs.length > 0) await write(jsonLines(page.jobs));
      if (page.next_cursor === null || page.jobs.length === 0) return;
      q = { ...query, offset: undefined, cursor: page.next_cursor };
    }
  });
}

export async function runList(o: ListOptions, mode: 'list' | 'dlq' = 'list'): Promise<number> {
  const dlq = mode === 'dlq';
  checkOutput(o);
  const query = buildQuery(o, dlq ? 'dead' : undefined);
  if (o.all) {
    await streamAll(o, query);
    return 0;
  }
  const { page, now } = await withQueue(o.db, async (queue) => ({ page: await queue.list(query), now: queue.now() }));
  if (o.cursorJson) {
    printJson({ jobs: page.jobs.map(jobToJson), next: page.next_cursor });
    return 0;
  }
  if (o.json) {
    printJson(page.jobs.map(jobToJson));
    return 0;
  }
  if (o.jsonl) {
    await write(jsonLines(page.jobs));
    return 0;
  }
  if (page.jobs.length === 0) {
    err(dlq ? 'the dead letter queue is empty' : 'no jobs match');
    return 0;
  }
  out(jobsTable(page.jobs, now, dlq));
  if (page.next_cursor !== null) {
    const base = dlq ? 'queuectl dlq list' : 'queuectl list';
    err(paint(`more: ${nextPageHint(base, o, page.next_cursor)}`, 'dim', colorEnabled(2)));
  }
  return 0;
}
