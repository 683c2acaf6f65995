import { canCancel as engineCanCancel } from '../engine/state-machine.js';
import type { JobState } from '../engine/types.js';

/**
 * Which operator actions a job's state allows, as the engine decides them. The dashboard asks here
 * before it offers, hints or confirms an action, so it never asks about something that will fail.
 */

/** `queuectl cancel` takes pending and failed jobs at once, and stops running ones (the engine's rule). */
export function canCancel(state: JobState): boolean {
  return engineCanCancel(state);
}

/** What `r` does to a job in this state: `retry` (failed), `dlq retry` (dead), or nothing. */
export function retryKind(state: JobState): 'retry' | 'dlq retry' | null {
  if (state === 'failed') return 'retry';
  if (state === 'dead') return 'dlq retry';
  return null;
}

export function canRetry(state: JobState): boolean {
  return retryKind(state) !== null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The jobs an action over marks will touch, and those it will skip, by state. */
export interface BulkPlan {
  act: string[];
  /** Marked jobs the action does not apply to, with the state that rules them out (or `gone`). */
  skip: Array<{ id: string; state: JobState | 'gone' }>;
  /** How many jobs of each state will be acted on, in order of first appearance. */
  byState: Array<[JobState, number]>;
}

export function bulkPlan(jobs: ReadonlyArray<{ id: string; state: JobState | 'gone' }>, applies: (s: JobState) => boolean): BulkPlan {
  const plan: BulkPlan = { act: [], skip: [], byState: [] };
  for (const j of jobs) {
    if (j.state !== 'gone' && applies(j.state)) {
      plan.act.push(j.id);
      const entry = plan.byState.find(([s]) => s === j.state);
      if (entry) entry[1]++;
      else plan.byState.push([j.state, 1]);
    } else {
      plan.skip.push(j);
    }
  }
  return plan;
}

/**
 * One sentence for a confirmation: "retry 12 dead jobs; 2 marked jobs are completed and will be
 * skipped". `verb` is the action; the jobs acted on are counted by state.
 */
export function describePlan(verb: string, plan: BulkPlan): string {
  const what = plan.byState.map(([s, n]) => plural(n, `${s} job`)).join(' and ');
  let text = `${verb} ${what}`;
  if (plan.skip.length > 0) {
    const states = [...new Set(plan.skip.map((j) => j.state))];
    const n = plan.skip.length;
    const marked = plural(n, 'marked job');
    const be = n === 1 ? 'is' : 'are';
    if (states.length === 1) {
      text += states[0] === 'gone' ? `; ${marked} no longer ${n === 1 ? 'exists' : 'exist'} and will be skipped` : `; ${marked} ${be} ${states[0]} and will be skipped`;
    } else {
      const counts = states.map((s) => `${plan.skip.filter((j) => j.state === s).length} ${s}`).join(', ');
      text += `; ${marked} will be skipped (${counts})`;
    }
  }
  return text;
}

/** Why nothing can be done: "none of the 3 marked jobs can be cancelled (2 completed, 1 dead)". */
export function describeNothing(participle: string, plan: BulkPlan): string {
  const states = [...new Set(plan.skip.map((j) => j.state))];
  const counts = states.map((s) => `${plan.skip.filter((j) => j.state === s).length} ${s}`).join(', ');
  const n = plan.skip.length;
  if (n === 1) {
    const j = plan.skip[0];
    return `the marked job ${j.id} cannot be ${participle}: ${j.state === 'gone' ? 'there is no such job' : `it is ${j.state}`}`;
  }
  return `none of the ${n} marked jobs can be ${participle} (${counts})`;
}
