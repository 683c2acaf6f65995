import type { JobState } from './engine/types.js';

/** The colour of each job state, the same in the CLI's tables and the dashboard. */
export const STATE_COLORS = {
  pending: 'cyan',
  waiting: 'magenta',
  processing: 'blue',
  completed: 'green',
  failed: 'yellow',
  dead: 'red',
  cancelled: 'gray',
} as const satisfies Record<JobState, string>;
