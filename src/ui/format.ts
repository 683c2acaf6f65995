import { formatDuration } from '../engine/duration.js';
import { describeOutcome } from '../engine/policy.js';
import type { Attempt, Job, WorkerRecord } from '../engine/types.js';
import type { WorkerHealth } from '../store/types.js';

/** Pure model → display strings. Nothing here reads the clock: `now` is always passed in. */

/** One line of text: control characters and line breaks become spaces. */
export function singleLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ');
}

/** Cuts or pads to exactly `width` columns, marking a cut with an ellipsis. */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = [...s];
  if (chars.length > width) return width === 1 ? '…' : chars.slice(0, width - 1).join('') + '…';
  const pad = ' '.repeat(width - chars.length);
  return align === 'right' ? pad + s : s + pad;
}

/** Compact counts for narrow headers: 999, 12.3k, 1.2M. */
export function compactCount(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)}M`;
}

/** A coarse age, stable for a minute at a time so a quiet table does not redraw every tick. */
export function age(ms: number): string {
  if (ms < 60_000) return '<1m';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

export function duration(ms: number): string {
  return formatDuration(Math.max(0, ms));
}

/** How the latest attempt ended, in the engine's words (`exit 1`, `timed out`, `killed by signal SIGKILL`). */
export function outcomeText(job: Pick<Job, 'state' | 'last_outcome' | 'exit_code' | 'last_error'>): string {
  if (job.last_outcome === null) return job.state === 'processing' ? 'running' : '';
  const signal = job.last_outcome === 'signal' ? (job.last_error?.match(/SIG[A-Z0-9]+/)?.[0] ?? null) : null;
  return describeOutcome({ outcome: job.last_outcome, exit_code: job.exit_code, signal });
}

export function attemptOutcome(a: Attempt): string {
  return a.outcome === null ? 'running' : describeOutcome(a);
}

/** The "next run or duration" column: how long it has run, when it runs next, or how long it took. */
export function whenText(job: Job, now: number): string {
  switch (job.state) {
    case 'processing':
      return job.started_at === null ? '' : `▶ ${duration(now - job.started_at)}`;
    case 'pending':
    case 'failed':
      return job.run_at > now ? `in ${duration(job.run_at - now)}` : 'due';
    default:
      return job.started_at !== null && job.finished_at !== null ? duration(job.finished_at - job.started_at) : '';
  }
}

/** Attempts used out of the attempts allowed (the first run plus `max_retries`). */
export function attemptsText(job: Pick<Job, 'attempts' | 'max_retries'>): string {
  return `${job.attempts}/${job.max_retries + 1}`;
}

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** The last `n` lines of an output tail, each made printable (a job's own colours are dropped). */
export function tailLines(output: string, n: number): string[] {
  if (n <= 0 || output.length === 0) return [];
  const lines = output.replace(ESCAPES, '').replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n).map((l) => singleLine(l.replace(/\t/g, '  ')));
}

/** The last non-empty line of an output tail. */
export function lastLine(output: string): string {
  const lines = tailLines(output, 5);
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].trim() !== '') return lines[i].trim();
  return '';
}

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of the last `width` values, scaled to the largest; zeros draw as the lowest bar. */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const shown = values.slice(-width);
  const max = Math.max(0, ...shown);
  const bars = shown.map((v) => (max <= 0 || v <= 0 ? BARS[0] : BARS[Math.min(7, Math.max(1, Math.round((v / max) * 7)))]));
  return BARS[0].repeat(Math.max(0, width - bars.length)) + bars.join('');
}

/** A rate per second, short: `0/s`, `3.5/s`, `120/s`. */
export function rate(perSecond: number): string {
  if (perSecond <= 0) return '0/s';
  if (perSecond < 10) return `${perSecond.toFixed(1).replace(/\.0$/, '')}/s`;
  return `${Math.round(perSecond)}/s`;
}

export function workerStateText(w: WorkerRecord, health: WorkerHealth): string {
  if (health === 'dead') return 'dead';
  if (health === 'stale') return `${w.state}?`;
  return w.stop_requested && w.state !== 'stopping' ? `${w.state}→stop` : w.state;
}

export function heartbeatAge(w: WorkerRecord, now: number): string {
  const ms = now - w.heartbeat_at;
  return ms < 1000 ? 'now' : `${duration(ms)} ago`;
}

/** Local date-time to the second, for the details screen. */
export function timestamp(ms: number | null): string {
  if (ms === null) return '-';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
