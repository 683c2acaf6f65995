import type { JobState } from './types.js';

/**
 * Every legal move of a job, as data. Adapters guard their conditional updates with the
 * `from` states listed here, so a job can never take a move this table does not allow.
 */
export const TRANSITIONS = {
  /** A worker takes an eligible job. */
  claim: { from: ['pending', 'failed'], to: 'processing' },
  /** The attempt succeeded. */
  complete: { from: ['processing'], to: 'completed' },
  /** The attempt failed and retries remain: back off until `run_at`. */
  fail: { from: ['processing'], to: 'failed' },
  /** The attempt failed and no retry remains. */
  bury: { from: ['processing'], to: 'dead' },
  /** Graceful shutdown: the attempt is given back and the job waits again. */
  release: { from: ['processing'], to: 'pending' },
  /** `retry <id>`: run a failed job now instead of after its backoff. */
  retry: { from: ['failed'], to: 'failed' },
  /** `dlq retry`: a dead job starts over with its attempts reset. */
  revive: { from: ['dead'], to: 'pending' },
  /** `cancel <id>`: the job leaves the queue but keeps its history. */
  cancel: { from: ['pending', 'failed'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly JobState[]; to: JobState }>;

export type Transition = keyof typeof TRANSITIONS;

export function canTransition(action: Transition, from: JobState): boolean {
  return (TRANSITIONS[action].from as readonly JobState[]).includes(from);
}

/** States in which a job will never run again unless someone acts on it. */
export const FINISHED_STATES: readonly JobState[] = ['completed', 'dead', 'cancelled'];

export function isFinished(state: JobState): boolean {
  return FINISHED_STATES.includes(state);
}
