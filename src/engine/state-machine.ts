import type { JobState } from './types.js';

/**
 * Every legal move of a job, as data. The engine builds each write's guard from the `from` states
 * listed here (see `rules.ts`), and adapters apply that guard in the write itself, so a job can
 * never take a move this table does not allow, whichever backend stores it.
 */
export const TRANSITIONS = {
  /** A worker takes an eligible job. */
  claim: { from: ['pending', 'failed'], to: ['processing'] },
  /**
   * An attempt ends, reported by its worker or, when the worker is lost, by the one recovering
   * the job: completed, failed with a backoff, dead, or back to pending when it was interrupted.
   */
  settle: { from: ['processing'], to: ['completed', 'failed', 'dead', 'pending'] },
  /** `retry <id>`: run a failed job now instead of after its backoff. */
  retry: { from: ['failed'], to: ['failed'] },
  /** `dlq retry`: a dead job starts over with its attempts reset. */
  revive: { from: ['dead'], to: ['pending'] },
  /** `cancel <id>`: the job leaves the queue but keeps its history. */
  cancel: { from: ['pending', 'waiting', 'failed'], to: ['cancelled'] },
  /** Every dependency of a waiting job has completed: it joins the queue. */
  release: { from: ['waiting'], to: ['pending'] },
  /** A dependency ended dead or cancelled: the waiting job can never run, and is cancelled. */
  dependencyFailed: { from: ['waiting'], to: ['cancelled'] },
  /**
   * `cancel <id>` of a running job: it stays processing, marked; its worker stops the command
   * and the attempt's settle ends it cancelled.
   */
  cancelRunning: { from: ['processing'], to: ['processing'] },
} as const satisfies Record<string, { from: readonly JobState[]; to: readonly JobState[] }>;

export type Transition = keyof typeof TRANSITIONS;

export function canTransition(action: Transition, from: JobState): boolean {
  return (TRANSITIONS[action].from as readonly JobState[]).includes(from);
}

/** The states a claim may take a job from: the claim indexes hold exactly these. */
export const CLAIMABLE_STATES: readonly JobState[] = TRANSITIONS.claim.from;

/** States in which a job will never run again unless someone acts on it. */
export const FINISHED_STATES: readonly JobState[] = ['completed', 'dead', 'cancelled'];

/** Whether an operator may cancel a job in this state (at once, or by stopping its command). */
export function canCancel(state: JobState): boolean {
  return canTransition('cancel', state) || canTransition('cancelRunning', state);
}

/**
 * States in which a job is still on its way to running (or running): a job in one of them holds
 * its unique key. Every other state is finished.
 */
export const ACTIVE_STATES: readonly JobState[] = ['waiting', 'pending', 'failed', 'processing'];

export function isFinished(state: JobState): boolean {
  return FINISHED_STATES.includes(state);
}
