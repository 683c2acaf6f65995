/**
 * Job dependencies (`enqueue --after`): the rules, as pure decisions. Adapters resolve waiting
 * jobs by these (SQLite inside the transaction that finishes a dependency, MongoDB right after
 * it, checking again after inserting), so the decisions are made once, here.
 */
import type { Move } from './backend.js';
import { ValidationError } from './errors.js';
import { TRANSITIONS, isFinished } from './state-machine.js';
import type { Dependency, JobState } from './types.js';

/** More than this many dependencies on one job is refused: a fan-in that wide wants a barrier job. */
export const MAX_DEPENDENCIES = 100;

export type DependencyVerdict =
  | { kind: 'release' }
  | { kind: 'cancel'; dependency: string; state: JobState | null }
  | { kind: 'wait'; open: string[] };

/**
 * What a waiting job's dependencies, in their states now, mean for it: released once all have
 * completed; cancelled, naming the first, when one ended dead or cancelled (or no longer exists:
 * purged, so whether it completed is not known); otherwise it keeps waiting.
 */
export function dependencyVerdict(after: readonly string[], states: ReadonlyMap<string, JobState>): DependencyVerdict {
  const open: string[] = [];
  for (const id of after) {
    const s = states.get(id) ?? null;
    if (s === 'completed') continue;
    if (s === null || isFinished(s)) return { kind: 'cancel', dependency: id, state: s };
    open.push(id);
  }
  return open.length === 0 ? { kind: 'release' } : { kind: 'wait', open };
}

/** The last_error and event detail of a job cancelled by its dependency. */
export function dependencyFailure(dependency: string, state: JobState | null): string {
  return state === null ? `dependency ${dependency} no longer exists (purged)` : `dependency ${dependency} ended ${state}`;
}

/** A waiting job whose dependencies all completed joins the queue, runnable at once (or at its run_at). */
export function releaseMove(now: number): Move {
  return {
    guard: { states: TRANSITIONS.release.from },
    set: { state: 'pending', updated_at: now },
    event: { at: now, type: 'released', worker_id: null, attempt: null, detail: 'every dependency completed' },
  };
}

/** A waiting job whose dependency ended dead or cancelled is cancelled, saying which. */
export function dependencyCancelMove(now: number, dependency: string, state: JobState | null): Move {
  const why = dependencyFailure(dependency, state);
  return {
    guard: { states: TRANSITIONS.dependencyFailed.from },
    set: { state: 'cancelled', finished_at: now, updated_at: now, last_error: why },
    event: { at: now, type: 'cancelled', worker_id: null, attempt: null, detail: why },
  };
}

/** The move a verdict calls for, or null when the job keeps waiting. */
export function verdictMove(v: DependencyVerdict, now: number): Move | null {
  if (v.kind === 'release') return releaseMove(now);
  if (v.kind === 'cancel') return dependencyCancelMove(now, v.dependency, v.state);
  return null;
}

/**
 * Checks the dependencies of a batch before it is inserted: each names an existing job or one of
 * the batch, none names its own job, and the batch holds no cycle. Returns, for each job, whether
 * it starts waiting. `states`: the states of the dependencies outside the batch (absent: unknown).
 * A dependency already dead or cancelled is refused: the job could never run, and saying so now
 * is more use than enqueueing it cancelled.
 */
export function planDependencies(
  jobs: ReadonlyArray<{ id: string; after: readonly string[] }>,
  states: ReadonlyMap<string, JobState>,
  where: (i: number) => string,
): boolean[] {
  const inBatch = new Map(jobs.map((j, i) => [j.id, i]));
  const waiting = jobs.map((j, i) => {
    let wait = false;
    for (const dep of j.after) {
      if (dep === j.id) throw new ValidationError(`invalid job${where(i)}: it cannot wait for itself`);
      if (inBatch.has(dep)) {
        wait = true;
        continue;
      }
      const s = states.get(dep);
      if (s === undefined) throw new ValidationError(`invalid job${where(i)}: --after names no job with id "${dep}"`);
      if (s === 'dead' || s === 'cancelled') {
        throw new ValidationError(`invalid job${where(i)}: dependency ${dep} is ${s} and will never complete (retry it first, or drop it from --after)`);
      }
      if (s !== 'completed') wait = true;
    }
    return wait;
  });
  const cycle = findCycle(jobs, inBatch);
  if (cycle) throw new ValidationError(`invalid jobs: dependency cycle ${cycle.join(' -> ')}`);
  return waiting;
}

/** A cycle among the batch's dependencies (ids, the first repeated at the end), or null. */
function findCycle(jobs: ReadonlyArray<{ id: string; after: readonly string[] }>, inBatch: ReadonlyMap<string, number>): string[] | null {
  // Iterative depth-first search, so a long chain in a large file cannot overflow the stack.
  const mark = new Uint8Array(jobs.length); // 0 new, 1 on the path, 2 done
  for (let root = 0; root < jobs.length; root++) {
    if (mark[root] !== 0) continue;
    const path: Array<{ i: number; next: number }> = [{ i: root, next: 0 }];
    mark[root] = 1;
    while (path.length > 0) {
      const top = path[path.length - 1];
      const deps = jobs[top.i].after;
      if (top.next >= deps.length) {
        mark[top.i] = 2;
        path.pop();
        continue;
      }
      const d = inBatch.get(deps[top.next++]);
      if (d === undefined || mark[d] === 2) continue;
      if (mark[d] === 1) {
        const from = path.findIndex((p) => p.i === d);
        return [...path.slice(from).map((p) => jobs[p.i].id), jobs[d].id];
      }
      mark[d] = 1;
      path.push({ i: d, next: 0 });
    }
  }
  return null;
}

/** A job's dependencies with their states now, for `show` and the dashboard. */
export function describeDependencies(after: readonly string[], states: ReadonlyMap<string, JobState>): Dependency[] {
  return after.map((id) => ({ id, state: states.get(id) ?? null }));
}
