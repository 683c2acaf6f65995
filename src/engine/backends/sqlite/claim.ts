import type { Database, Statement } from 'better-sqlite3';
import type { ClaimRequest } from '../../backend.js';

/**
 * Claiming a job, in one statement.
 *
 * The inner SELECT walks the partial index `jobs_ready` (or `jobs_ready_queue`), which holds only
 * claimable rows (pending or failed) ordered by priority, run_at and age, and stops at the first
 * whose run_at has come. The outer UPDATE … RETURNING marks it processing for this worker with a
 * lease and counts the attempt. Because it runs inside BEGIN IMMEDIATE, which takes SQLite's
 * single write lock before reading, no other process can claim between the read and the write:
 * a job is never handed to two workers.
 *
 * Idle workers first ask, without any lock, whether anything is claimable at all, so a fleet of
 * idle workers polling an empty queue never contends for the write lock.
 */
const ANY_QUEUE = `
  SELECT seq FROM jobs INDEXED BY jobs_ready
  WHERE state IN ('pending', 'failed') AND run_at <= @now
  ORDER BY priority DESC, run_at, seq LIMIT 1`;

const ONE_QUEUE = `
  SELECT seq FROM jobs INDEXED BY jobs_ready_queue
  WHERE state IN ('pending', 'failed') AND queue = @queue AND run_at <= @now
  ORDER BY priority DESC, run_at, seq LIMIT 1`;

const claimSql = (pick: string) => `
  UPDATE jobs SET
    state = 'processing', worker_id = @workerId, lease_expires_at = @lease,
    attempts = attempts + 1, started_at = @now, finished_at = NULL, updated_at = @now,
    exit_code = NULL, output = '', output_bytes = 0, command_pid = NULL
  WHERE seq = (${pick})
  RETURNING *`;

export interface Claimer {
  claim(request: ClaimRequest): Record<string, unknown> | undefined;
}

export function makeClaimer(db: Database): Claimer {
  const peekAny = db.prepare(`SELECT 1 FROM (${ANY_QUEUE})`).pluck();
  const peekOne = db.prepare(`SELECT 1 FROM (${ONE_QUEUE})`).pluck();
  const takeAny = db.prepare(claimSql(ANY_QUEUE));
  const takeOne = db.prepare(claimSql(ONE_QUEUE));
  const take = db.transaction((stmt: Statement, params: Record<string, unknown>) => stmt.get(params) as Record<string, unknown> | undefined)
    .immediate;

  return {
    claim(r) {
      const params: Record<string, unknown> = { now: r.now, workerId: r.workerId, lease: r.leaseExpiresAt };
      if (r.queue !== null) params.queue = r.queue;
      const peek = r.queue === null ? peekAny : peekOne;
      if (peek.get(r.queue === null ? { now: r.now } : { now: r.now, queue: r.queue }) === undefined) return undefined;
      return take(r.queue === null ? takeAny : takeOne, params);
    },
  };
}
