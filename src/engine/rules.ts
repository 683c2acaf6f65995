/**
 * The rule book: what each move of a job writes, which states it may start from, what it records.
 * Adapters receive these as data (a guard, the fields to set, the attempt and the event) and turn
 * each into one conditional write; none of them decides anything here again.
 */
import type { JobPatch, Move } from './backend.js';
import type { Config } from './config.js';
import { countsAsAttempt, decideAfterFailure, describeOutcome } from './policy.js';
import { ACTIVE_STATES, TRANSITIONS } from './state-machine.js';
import type { AttemptResult, EventType, Job, JobState, NewEvent, NewJob, OutcomeKind, QueueInfo, QueueLimits } from './types.js';

/** The fields a claim sets (it also adds one to `attempts`). */
export function claimSet(workerId: string, now: number, leaseMs: number, token: string): JobPatch {
  return {
    state: 'processing',
    worker_id: workerId,
    lease_expires_at: now + leaseMs,
    started_at: now,
    finished_at: null,
    updated_at: now,
    exit_code: null,
    output: '',
    output_bytes: 0,
    command_pid: null,
    command_start: null,
    command_host: null,
    claim_token: token,
    cancel_requested: false,
  };
}

/** The event of a claim, from the job as the claim left it. */
export function startedEvent(job: Pick<Job, 'id' | 'queue' | 'worker_id' | 'attempts' | 'started_at' | 'updated_at'>): NewEvent {
  return { at: job.started_at ?? job.updated_at, type: 'started', job_id: job.id, queue: job.queue, worker_id: job.worker_id, attempt: job.attempts, detail: null };
}

export function enqueuedEvent(job: Pick<NewJob, 'id' | 'queue' | 'created_at'>): NewEvent {
  return { at: job.created_at, type: 'enqueued', job_id: job.id, queue: job.queue, worker_id: null, attempt: null, detail: null };
}

/**
 * Whether the job that last took a unique key still holds it: while it is active (pending,
 * failed awaiting a retry, processing), and, when it was given a window, until that window ends
 * whatever its state. `holder` null: the job is gone (purged), so only its window can hold the key.
 */
export function holdsUniqueKey(holder: { state: JobState } | null, until: number | null, now: number): boolean {
  if (holder !== null && ACTIVE_STATES.includes(holder.state)) return true;
  return until !== null && now < until;
}

/** A window length as limits are written: `1m`, `30s`, `1h`, `250ms` (the largest whole unit). */
export function formatWindow(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A queue's limits in a few words: `concurrency 2, rate 10/1m`, or `no limits`. */
export function describeLimits(l: QueueLimits): string {
  const parts: string[] = [];
  if (l.concurrency !== null) parts.push(`concurrency ${l.concurrency}`);
  if (l.rate !== null) parts.push(`rate ${l.rate.limit}/${formatWindow(l.rate.window_ms)}`);
  return parts.length === 0 ? 'no limits' : parts.join(', ');
}

/** A queue's limits with what they hold back now: `2 at once (1 running), 10/1m`, or `-`. */
export function limitsSummary(q: Pick<QueueInfo, 'limits' | 'counts'>): string {
  const parts: string[] = [];
  if (q.limits.concurrency !== null) parts.push(`${q.limits.concurrency} at once (${q.counts.processing} running)`);
  if (q.limits.rate !== null) parts.push(`${q.limits.rate.limit}/${formatWindow(q.limits.rate.window_ms)}`);
  return parts.length === 0 ? '-' : parts.join(', ');
}

/** The event recording a change of a queue's limits (it belongs to no job). */
export function queueLimitsEvent(queue: string, limits: QueueLimits, at: number): NewEvent {
  return { at, type: 'queue_limits', job_id: null, queue, worker_id: null, attempt: null, detail: describeLimits(limits) };
}

export interface SettleDecision {
  state: Extract<JobState, 'completed' | 'failed' | 'dead' | 'pending' | 'cancelled'>;
  run_at: number;
  /** The job's attempt count afterwards (one less when the attempt is given back). */
  attempts: number;
}

/**
 * Where an attempt's result leads: completed; failed with a backoff; dead when retries are
 * exhausted; or back to pending, uncounted, when it was interrupted.
 */
export function decideSettlement(
  job: Pick<Job, 'attempts' | 'max_retries' | 'run_at' | 'cancel_requested'>,
  outcome: OutcomeKind,
  config: Config,
  now: number,
): SettleDecision {
  if (outcome === 'succeeded') return { state: 'completed', run_at: job.run_at, attempts: job.attempts };
  // Cancelled while it ran: whatever stopped it, the job ends here (a success just before still counts).
  if (outcome === 'cancelled' || job.cancel_requested) return { state: 'cancelled', run_at: job.run_at, attempts: job.attempts };
  if (!countsAsAttempt(outcome)) return { state: 'pending', run_at: now, attempts: Math.max(0, job.attempts - 1) };
  const d = decideAfterFailure(job, now, { base: config.backoff_base, maxSeconds: config.backoff_max_seconds });
  return { state: d.state, run_at: d.run_at, attempts: job.attempts };
}

/**
 * Ends the attempt a worker holds. The guard is the worker and the attempt number it claimed:
 * a worker whose job was recovered in the meantime matches nothing and learns it lost the job.
 * `recovered`: written by another worker for a lost one (the event says so).
 */
export function settleMove(job: Job, workerId: string, result: AttemptResult, decision: SettleDecision, now: number, recovered = false): Move {
  const set: JobPatch = {
    state: decision.state,
    run_at: decision.run_at,
    attempts: decision.attempts,
    worker_id: null,
    lease_expires_at: null,
    finished_at: decision.state === 'pending' ? null : now,
    exit_code: result.exit_code,
    last_error: result.error,
    last_outcome: result.outcome,
    output: result.output,
    output_bytes: result.output_bytes,
    updated_at: now,
    command_pid: null,
    command_start: null,
    command_host: null,
    claim_token: null,
  };
  return {
    guard: { states: TRANSITIONS.settle.from, worker_id: workerId, attempts: job.attempts },
    set,
    attempt: {
      n: job.attempts,
      worker_id: workerId,
      started_at: job.started_at ?? now,
      finished_at: now,
      outcome: result.outcome,
      exit_code: result.exit_code,
      signal: result.signal,
      error: result.error,
    },
    event: {
      at: now,
      type: settleEventType(decision.state, recovered),
      worker_id: workerId,
      attempt: job.attempts,
      detail: settleDetail(result, decision),
    },
  };
}

function settleEventType(state: SettleDecision['state'], recovered: boolean): EventType {
  switch (state) {
    case 'completed':
      return 'succeeded';
    case 'dead':
      return 'dead';
    case 'pending':
      return 'interrupted';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
      return recovered ? 'recovered' : 'failed';
  }
}

function settleDetail(result: AttemptResult, d: SettleDecision): string {
  const what = describeOutcome(result);
  return d.state === 'failed' ? `${what}; retry at ${new Date(d.run_at).toISOString()}` : what;
}

/** The result recorded for an attempt whose worker was lost. */
export function lostResult(job: Job, why: string): AttemptResult {
  return {
    outcome: 'worker_lost',
    exit_code: null,
    signal: null,
    error: why,
    output: job.output,
    output_bytes: job.output_bytes,
    finished_at: 0,
  };
}

/**
 * Recovery ends the attempt of a lost worker. Besides the worker and the attempt, the guard holds
 * the lease as the recoverer saw it expire: if the worker renewed it since (it was alive after
 * all, its database merely slow), the recovery misses.
 */
export function recoverMove(job: Job, why: string, config: Config, now: number): { move: Move; decision: SettleDecision } {
  const result = lostResult(job, why);
  const decision = decideSettlement(job, result.outcome, config, now);
  const move = settleMove(job, job.worker_id ?? '', result, decision, now, true);
  move.guard = { ...move.guard, lease_expires_at: job.lease_expires_at };
  return { move, decision };
}

/** Renews the lease of the attempt this worker holds, saving its output tail if given. */
export function renewMove(job: Pick<Job, 'attempts'>, workerId: string, leaseExpiresAt: number, output?: { text: string; bytes: number }): Move {
  const set: JobPatch = { lease_expires_at: leaseExpiresAt };
  if (output) {
    set.output = output.text;
    set.output_bytes = output.bytes;
  }
  return { guard: { states: ['processing'], worker_id: workerId, attempts: job.attempts }, set };
}

/** Notes the process group running the attempt, on which host, so it can be ended if its worker is lost. */
export function commandMove(job: Pick<Job, 'attempts'>, workerId: string, pid: number, start: number | null, host: string): Move {
  return {
    guard: { states: ['processing'], worker_id: workerId, attempts: job.attempts },
    set: { command_pid: pid, command_start: start, command_host: host },
  };
}

/** `retry <id>`: a failed job runs now instead of after its backoff. */
export function retryMove(now: number): Move {
  return {
    guard: { states: TRANSITIONS.retry.from },
    set: { run_at: now, updated_at: now },
    event: { at: now, type: 'retried', worker_id: null, attempt: null, detail: 'run now' },
  };
}

/** `dlq retry`: what reviving a dead job resets. */
export function reviveSet(now: number): JobPatch {
  return { state: 'pending', attempts: 0, run_at: now, finished_at: null, updated_at: now };
}

export function reviveMove(now: number): Move {
  return {
    guard: { states: TRANSITIONS.revive.from },
    set: reviveSet(now),
    event: { at: now, type: 'revived', worker_id: null, attempt: null, detail: 'back to pending, attempts reset' },
  };
}

/**
 * `cancel <id>` of a running job: marks it; its worker sees the mark within a second, stops the
 * command, and settles the attempt as cancelled.
 */
export function cancelRunningMove(now: number): Move {
  return {
    guard: { states: TRANSITIONS.cancelRunning.from },
    set: { cancel_requested: true, updated_at: now },
  };
}

/** `cancel <id>`: the job stays, in state `cancelled`, and never runs. */
export function cancelMove(now: number, detail = 'cancelled by an operator'): Move {
  return {
    guard: { states: TRANSITIONS.cancel.from },
    set: { state: 'cancelled', finished_at: now, updated_at: now },
    event: { at: now, type: 'cancelled', worker_id: null, attempt: null, detail },
  };
}

/** Throughput counts every finished attempt: a success, or a failure of any kind but an interruption. */
export function classifyOutcome(outcome: OutcomeKind | null): 'completed' | 'failed' | null {
  if (outcome === null || outcome === 'interrupted' || outcome === 'cancelled') return null;
  return outcome === 'succeeded' ? 'completed' : 'failed';
}
