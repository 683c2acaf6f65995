import type { Database, Statement } from 'better-sqlite3';
import { type JobPatch, type Move, PATCHABLE_FIELDS } from '../../backend.js';
import { dependencyVerdict, verdictMove } from '../../dependencies.js';
import { isFinished } from '../../state-machine.js';
import type { Job, JobState, NewEvent } from '../../types.js';
import type { EventWriter } from './events.js';
import type { SeqCounter } from './seq.js';
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
  /** The same, for a caller already inside a transaction (a settle with the next claim). */
  moveWithin(id: string, move: Move): Job | null;
  moveAll(states: readonly JobState[], set: JobPatch, event: Omit<NewEvent, 'job_id' | 'queue'>): number;
  /** Resolves these waiting jobs (`Backend.resolveWaiting`), in a transaction of its own. */
  resolveWaiting(ids: readonly string[], now: number): number;
  /** The same, for a caller already inside a transaction (the insert of waiting jobs). */
  resolveWithin(ids: readonly string[], now: number): number;
}

function setClause(set: JobPatch): { sql: string; keys: string[] } {
  const keys = Object.keys(set).filter((k) => ALLOWED.has(k));
  return { keys, sql: keys.map((k) => `${k} = @s_${k}`).join(', ') };
}

export function makeMover(db: Database, events: EventWriter, counter: SeqCounter): Mover {
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

  /** The move itself: the guarded UPDATE, its attempt and its event (the caller holds the transaction). */
  const applyRaw = (id: string, m: Move): Job | null => {
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
  };

  // Dependencies: the waiting jobs that depend on a job are read through job_deps (keyed by the
  // dependency), and each is decided by the engine's verdict on its dependencies' states.
  const waitingAfter = db.prepare("SELECT after_ids FROM jobs WHERE id = ? AND state = 'waiting'").pluck();
  const stateOf = db.prepare('SELECT state FROM jobs WHERE id = ?').pluck();
  const dependentsOf = db.prepare('SELECT job_id FROM job_deps WHERE depends_on = ?').pluck();

  /** Releases or cancels each waiting job whose dependencies have settled; a cancel carries on down its own dependents. */
  const resolve = (ids: readonly string[], now: number): number => {
    const work = [...ids];
    let moved = 0;
    while (work.length > 0) {
      const id = work.pop()!;
      const afterIds = waitingAfter.get(id) as string | null | undefined;
      if (afterIds === undefined) continue;
      const after = afterIds === null ? [] : (JSON.parse(afterIds) as string[]);
      const states = new Map<string, JobState>();
      for (const d of after) {
        const s = stateOf.get(d) as JobState | undefined;
        if (s !== undefined) states.set(d, s);
      }
      const m = verdictMove(dependencyVerdict(after, states), now);
      if (!m) continue;
      const job = applyRaw(id, m);
      if (!job) continue;
      moved++;
      if (isFinished(job.state)) work.push(...(dependentsOf.all(id) as string[]));
    }
    return moved;
  };

  // A move that finishes a job resolves its dependents in the same transaction: a dependent is
  // released (or cancelled) if and only if its dependency's end is committed.
  const applyWithin = (id: string, m: Move): Job | null => {
    const job = applyRaw(id, m);
    if (job && m.set.state !== undefined && isFinished(job.state)) {
      const dependents = dependentsOf.all(id) as string[];
      if (dependents.length > 0) resolve(dependents, job.updated_at);
    }
    return job;
  };
  const apply = db.transaction(applyWithin);
  const resolveTx = db.transaction((ids: readonly string[], now: number) => resolve(ids, now));

  const applyAll = db.transaction((states: readonly JobState[], set: JobPatch, event: Omit<NewEvent, 'job_id' | 'queue'>): number => {
    const { keys, sql } = setClause(set);
    const inStates = states.map((_, i) => `@g_state${i}`).join(', ');
    const params: Record<string, unknown> = { ...event };
    states.forEach((s, i) => (params[`g_state${i}`] = s));
    // One event per job, numbered in seq order after the sequence's last (seq.ts).
    const base = counter.take(0);
    params.base = base;
    const added = db
      .prepare(
        `INSERT INTO events (seq, at, type, job_id, queue, worker_id, attempt, detail)
         SELECT @base + ROW_NUMBER() OVER (ORDER BY seq), @at, @type, id, queue, @worker_id, @attempt, @detail FROM jobs WHERE state IN (${inStates}) ORDER BY seq`,
      )
      .run(params).changes;
    counter.advanceTo(base + added);
    for (const k of keys) params[`s_${k}`] = sqlValue((set as Record<string, unknown>)[k]);
    return db.prepare(`UPDATE jobs SET ${sql} WHERE state IN (${inStates})`).run(params).changes;
  });

  return {
    move: (id, m) => apply.immediate(id, m),
    moveWithin: applyWithin,
    moveAll: (states, set, event) => applyAll.immediate(states, set, event),
    resolveWaiting: (ids, now) => resolveTx.immediate(ids, now),
    resolveWithin: resolve,
  };
}
