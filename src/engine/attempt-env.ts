import type { Job } from './types.js';

/**
 * The variables that name a job's attempt in its command's environment: the job may read them,
 * and recovery finds a lost worker's command by them (`os/host.ts jobCommandGroups`).
 */
export function attemptEnv(job: Pick<Job, 'id' | 'attempts'>): Record<string, string> {
  return { QUEUECTL_JOB_ID: job.id, QUEUECTL_ATTEMPT: String(job.attempts) };
}
