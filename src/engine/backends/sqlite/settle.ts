import type Database from 'better-sqlite3';

/**
 * Settling an attempt, built once (the worker runs it after every job).
 *
 * The UPDATE moves the job only while this worker still holds this attempt of it: state
 * processing, its worker id, its attempt count. A worker whose job was recovered as lost in the
 * meantime matches nothing and learns it lost the job. The finished attempt is written in the
 * same transaction, with the start time the claim left on the job.
 */
export function makeSettler(db: Database.Database): (params: Record<string, unknown>) => boolean {
  const job = db
    .prepare(
      `UPDATE jobs SET state = @state, run_at = @run_at, attempts = @attempts, worker_id = NULL,
         lease_expires_at = NULL, finished_at = @finished_at, exit_code = @exit_code, last_error = @error,
         last_outcome = @outcome, output = @output, output_bytes = @output_bytes, updated_at = @now, command_pid = NULL
       WHERE id = @jobId AND state = 'processing' AND worker_id = @workerId AND attempts = @attempt
       RETURNING started_at`,
    )
    .pluck();
  const attempt = db.prepare(
    `INSERT INTO attempts (job_id, n, worker_id, started_at, finished_at, outcome, exit_code, signal, error)
     VALUES (@jobId, @attempt, @workerId, @started_at, @now, @outcome, @exit_code, @signal, @error)`,
  );
  const settle = db.transaction((params: Record<string, unknown>) => {
    const startedAt = job.get(params) as number | null | undefined;
    if (startedAt === undefined) return false;
    params.started_at = startedAt ?? params.now;
    attempt.run(params);
    return true;
  });
  return (params) => settle.immediate(params);
}
