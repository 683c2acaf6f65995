/**
 * Recovery's fallback for a command whose pid was never recorded: the processes carrying one
 * attempt of a job in their environment are found through /proc, and only those.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { jobCommandGroups, localProbe } from '../../src/os/host.js';
import { isAlive, killQuietly, waitFor } from './helpers.js';

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) killQuietly(-pid, 'SIGKILL');
});

/** A detached `sh` (a group of its own, as a worker starts a command) with a child, carrying a job attempt's environment. */
function command(jobId: string, attempt: number): number {
  const child = spawn('/bin/sh', ['-c', 'sleep 30 & sleep 30; wait'], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, QUEUECTL_JOB_ID: jobId, QUEUECTL_ATTEMPT: String(attempt) },
  });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

describe('jobCommandGroups', () => {
  it('finds the process group of exactly the attempt named, and endJobCommand ends all of it', async () => {
    const mine = command('job-1', 2);
    const earlier = command('job-1', 1);
    const prefixed = command('job-10', 2);
    await waitFor(() => jobCommandGroups('job-1', 2).length === 1, 'the command to be seen');
    expect(jobCommandGroups('job-1', 2)).toEqual([mine]);
    expect(jobCommandGroups('job-1', 1)).toEqual([earlier]);
    expect(jobCommandGroups('job-1', 3)).toEqual([]);
    expect(jobCommandGroups('nope', 2)).toEqual([]);

    await localProbe().endJobCommand!('job-1', 2);
    expect(isAlive(mine)).toBe(false);
    expect(jobCommandGroups('job-1', 2)).toEqual([]);
    expect(isAlive(earlier)).toBe(true);
    expect(isAlive(prefixed)).toBe(true);
  });
});
