import { attemptEnv } from '../engine/attempt-env.js';
import type { Job } from '../engine/types.js';

/**
 * Variables a job never inherits: where the database is and how to log in to it. A job that needs
 * the queue is given it on purpose (`QUEUECTL_DB=… queuectl …` in its command), not by accident.
 */
const WITHHELD = ['QUEUECTL_DB', 'MONGO_URI'];

/** The worker's environment without the database's address: what every job of it starts from. */
export function baseJobEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!WITHHELD.includes(k)) env[k] = v;
  return env;
}

/**
 * The environment a job runs with: `base` (from `baseJobEnv`, computed once: reading
 * `process.env` is slow, and a worker's own environment does not change) plus the job's id and attempt.
 */
export function jobEnv(base: NodeJS.ProcessEnv, job: Pick<Job, 'id' | 'attempts'>): NodeJS.ProcessEnv {
  return { ...base, ...attemptEnv(job) };
}
