import type { Database, Statement } from 'better-sqlite3';
import { type JobPatch, type Move, PATCHABLE_FIELDS } from '../../backend.js';
import type { Job, JobState, NewEvent } from '../../types.js';
import type { EventWriter } from './events.js';
import { type Row, sqlValue, toJob } from './rows.js';

/**
 * A move, as one conditional UPDATE: the engine's fields are set only where the row still matches
 * the engine's guard (its states, and where given its worker, attempt, lease and claim token).
 * The finished attempt and the event are written in the same transaction, so each is there if and
 * only if the move happened. Statements are prepared once per shape of move.
 */
const ALLOWED = new Set<string>(PATCHABLE_FIELDS);

export interface Mover {
  move(id: string, move: Move): Job | null;
  moveAll(states: readonly JobState[], set: JobPatch, event: Omit<NewEvent, 'job_id' | 'queue'>): number;
}

function setClause(set: JobPatch): { sql: string; keys: string[] } {
  const keys = Object.keys(set).filter((k) => ALLOWED.has(k));
  return { keys, sql: keys.map((k) => `${k} = @s_${k}`).join(', ') };
}

export function makeMover(db: Database, events: EventWriter): Mover {
  const statements = new Map<string, Statement>();
  const prepared = (sig: string, sql: () => string) => {
    let s = statements.get(sig);
    if (!s) {
      s = db.prepare(sql());
      statements.set(sig, s);
    }
    return s;
  };
  const attempt = db.prepare(
    `INSERT INTO attempts (job_id, n, worker_id, started_at, finished_at, outcome, exit_code, signal, error)
     VALUES (@job_id, @n, @worker_id, @started_at, @finished_at, @outcome, @exit_code, @signal, @error)`,
  );

  const apply = db.transaction((id: string, m: Move): Job | null => {
    const { keys, sql } = setClause(m.set);
    const g = m.guard;
    const conds = ['id = @id', `state IN (${g.states.map((_, i) => `@g_state${i}`).join(', ')})`];
    const params: Record<string, unknown> = { id };
    g.states.forEach((s, i) => (params[`g_state${i}`] = s));
    if (g.worker_id !== undefined) {
      conds.push('worker_id = @g_worker');
      params.g_worker = g.worker_id;
    }
    if (g.attempts !== undefined) {
      conds.push('attempts = @g_attempts');
      params.g_attempts = g.attempts;
    }
    if (g.lease_expires_at !== undefined) {
      conds.push('lease_expires_at IS @g_lease');
      params.g_lease = g.lease_expires_at;
    }
    if (g.claim_token !== undefined) {
      conds.push('claim_token IS @g_token');
      params.g_token = g.claim_token;
    }
    for (const k of keys) params[`s_${k}`] = sqlValue((m.set as Record<string, unknown>)[k]);
    const sig = `${keys.join(',')}|${conds.join(' AND ')}`;
    const stmt = prepared(sig, () => `UPDATE jobs SET ${sql} WHERE ${conds.join(' AND ')} RETURNING *`);
    const row = stmt.get(params) as Row | undefined;
    if (!row) return null;
    const job = toJob(row);
    if (m.attempt) attempt.run({ job_id: id, ...m.attempt });
    if (m.event) events.add({ ...m.event, job_id: id, queue: job.queue });
    return job;
  });

  const applyAll = db.transaction((states: readonly JobState[], set: JobPatch, event: Omit<NewEvent, 'job_id' | 'queue'>): number => {
    const { keys, sql } = setClause(set);
    const inStates = states.map((_, i) => `@g_state${i}`).join(', ');
    const params: Record<string, unknown> = { ...event };
    states.forEach((s, i) => (params[`g_state${i}`] = s));
    db.prepare(
      `INSERT INTO events (at, type, job_id, queue, worker_id, attempt, detail)
       SELECT @at, @type, id, queue, @worker_id, @attempt, @detail FROM jobs WHERE state IN (${inStates})`,
    ).run(params);
    for (const k of keys) params[`s_${k}`] = sqlValue((set as Record<string, unknown>)[k]);
    return db.prepare(`UPDATE jobs SET ${sql} WHERE state IN (${inStates})`).run(params).changes;
  });

  return {
    move: (id, m) => apply.immediate(id, m),
    moveAll: (states, set, event) => applyAll.immediate(states, set, event),
  };
}
