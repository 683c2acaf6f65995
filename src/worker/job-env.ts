import type { Job } from '../engine/types.js';

/**
 * Variables a job never inherits: where the database is and how to log in to it. A job that needs
 * the queue is given it on purpose (`QUEUECTL_DB=… queuectl …` in its command), not by accident.
 */
const WITHHELD = ['QUEUECTL_DB', 'MONGO_URI'];

/** The environment a job runs with: the worker's, without the database's address, plus the job's id and attempt. */
export function jobEnv(base: NodeJS.ProcessEnv, job: Pick<Job, 'id' | 'attempts'>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!WITHHELD.includes(k)) env[k] = v;
  env.QUEUECTL_JOB_ID = job.id;
  env.QUEUECTL_ATTEMPT = String(job.attempts);
  return env;
}
