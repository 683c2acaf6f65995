import type { Database, Statement } from 'better-sqlite3';
import type { ClaimRequest } from '../../backend.js';
import { startedEvent } from '../../rules.js';
import { CLAIMABLE_STATES } from '../../state-machine.js';
import { type Row, sqlValue, toJob } from './rows.js';
import { type EventWriter } from './events.js';
import type { Job } from '../../types.js';

/**
 * Claiming a job, in one statement.
 *
 * The inner SELECT walks the partial index `jobs_ready` (or `jobs_ready_queue`), which holds only
 * claimable rows ordered by priority, run_at and age, and stops at the first whose run_at has
 * come. The outer UPDATE … RETURNING applies the engine's claim (`rules.claimSet`) and counts the
 * attempt. Because it runs inside BEGIN IMMEDIATE, which takes SQLite's single write lock before
 * reading, no other process can claim between the read and the write: a job is never handed to
 * two workers. The `started` event is written in the same transaction.
 *
 * Idle workers first ask, without any lock, whether anything is claimable at all, so a fleet of
 * idle workers polling an empty queue never contends for the write lock.
 */
const STATES = CLAIMABLE_STATES.map((s) => `'${s}'`).join(', ');

// Queues that may not start a job now are skipped inside the same statement, so neither a pause
// nor a limit is ever raced by a claim: paused; as many processing as the concurrency limit
// (`running` is kept by triggers, see schema.ts); or the rate window's starts used up (the
// trigger that counts `running` also counts the start, in the same write as the claim). The
// subquery does not depend on the row, so SQLite evaluates it once per claim, over the handful of
// queues with settings, and the claim still stops at the first eligible row of its index.
const NOT_PAUSED = `queue NOT IN (SELECT name FROM queue_settings WHERE paused = 1
  OR running >= concurrency
  OR (rate_count >= rate_limit AND rate_window_start = @now - @now % rate_window_ms))`;

const ANY_QUEUE = `
  SELECT seq FROM jobs INDEXED BY jobs_ready
  WHERE state IN (${STATES}) AND run_at <= @now AND ${NOT_PAUSED}
  ORDER BY priority DESC, run_at, seq LIMIT 1`;

const ONE_QUEUE = `
  SELECT seq FROM jobs INDEXED BY jobs_ready_queue
  WHERE state IN (${STATES}) AND queue = @queue AND run_at <= @now AND ${NOT_PAUSED}
  ORDER BY priority DESC, run_at, seq LIMIT 1`;

export interface Claimer {
  claim(request: ClaimRequest): Job | null;
  /** The same, for a caller already inside a write transaction. */
  claimWithin(request: ClaimRequest): Job | null;
  findClaimed(token: string): Job | null;
}

export function makeClaimer(db: Database, events: EventWriter): Claimer {
  const peekAny = db.prepare(`SELECT 1 FROM (${ANY_QUEUE})`).pluck();
  const peekOne = db.prepare(`SELECT 1 FROM (${ONE_QUEUE})`).pluck();
  const takes = new Map<string, Statement>();
  const takeStatement = (keys: string[], one: boolean) => {
    const sig = `${one ? 1 : 0}:${keys.join(',')}`;
    let s = takes.get(sig);
    if (!s) {
      const set = keys.map((k) => `${k} = @s_${k}`).join(', ');
      s = db.prepare(`UPDATE jobs SET ${set}, attempts = attempts + 1 WHERE seq = (${one ? ONE_QUEUE : ANY_QUEUE}) RETURNING *`);
      takes.set(sig, s);
    }
    return s;
  };
  const takeWithin = (stmt: Statement, params: Record<string, unknown>): Job | null => {
    const row = stmt.get(params) as Row | undefined;
    if (!row) return null;
    const job = toJob(row);
    events.add(startedEvent(job));
    return job;
  };
  const take = db.transaction(takeWithin).immediate;
  const prepare = (r: ClaimRequest): [Statement, Record<string, unknown>] => {
    const one = r.queue !== null;
    const keys = Object.keys(r.set);
    const params: Record<string, unknown> = { now: r.now };
    if (one) params.queue = r.queue;
    for (const k of keys) params[`s_${k}`] = sqlValue((r.set as Record<string, unknown>)[k]);
    return [takeStatement(keys, one), params];
  };
  const byToken = db.prepare("SELECT * FROM jobs WHERE claim_token = ? AND state = 'processing'");

  return {
    claim(r) {
      const one = r.queue !== null;
      if ((one ? peekOne : peekAny).get(one ? { now: r.now, queue: r.queue } : { now: r.now }) === undefined) return null;
      return take(...prepare(r));
    },
    // Already holding the write lock: no lock-free look first, the claim itself finds nothing.
    claimWithin: (r) => takeWithin(...prepare(r)),
    findClaimed(token) {
      const row = byToken.get(token) as Row | undefined;
      return row ? toJob(row) : null;
    },
  };
}
