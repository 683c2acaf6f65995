import { attemptEnv } from '../engine/attempt-env.js';

/**
 * Variables a job never inherits: where the database is and how to log in to it. A job that needs
 * the queue is given it on purpose (`QUEUECTL_DB=… queuectl …` in its command), not by accident.
 * (And the attempt's own variables, which each job is given afresh: a worker started by a job
 * must not pass that job's on.)
 */
const WITHHELD = ['QUEUECTL_DB', 'MONGO_URI', ...Object.keys(attemptEnv({ id: '', attempts: 0 }))];

/**
 * The worker's environment without the database's address: what every job of it starts from,
 * computed once (reading `process.env` is slow, and a worker's own environment does not change);
 * each job adds `attemptEnv(job)` to it.
 */
export function baseJobEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!WITHHELD.includes(k)) env[k] = v;
  return env;
}
