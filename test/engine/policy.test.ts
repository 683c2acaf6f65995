import { describe, expect, it } from 'vitest';
import { backoffSeconds, countsAsAttempt, decideAfterFailure, describeOutcome, fenceAfterMs, heartbeatIntervalMs, isWorkerStale, recoveryGraceMs, recoveryVerdict } from '../../src/engine/policy.js';
import { TRANSITIONS, canTransition, isFinished } from '../../src/engine/state-machine.js';
import { JOB_STATES } from '../../src/engine/types.js';

describe('backoff', () => {
  it('waits base ^ attempts seconds, capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffSeconds(n, 2, 3600))).toEqual([2, 4, 8, 16]);
    expect(backoffSeconds(20, 2, 3600)).toBe(3600);
    expect(backoffSeconds(5000, 10, 60)).toBe(60);
    expect(backoffSeconds(0, 2, 3600)).toBe(0);
    expect(backoffSeconds(3, 1, 3600)).toBe(1);
  });
});

describe('retry or dead', () => {
  const backoff = { base: 2, maxSeconds: 3600 };
  it('retries while attempts do not exceed max_retries, then buries', () => {
    expect(decideAfterFailure({ attempts: 1, max_retries: 3, run_at: 0 }, 1000, backoff)).toEqual({ state: 'failed', run_at: 3000 });
    expect(decideAfterFailure({ attempts: 3, max_retries: 3, run_at: 0 }, 1000, backoff)).toEqual({ state: 'failed', run_at: 9000 });
    expect(decideAfterFailure({ attempts: 4, max_retries: 3, run_at: 7 }, 1000, backoff)).toEqual({ state: 'dead', run_at: 7 });
    expect(decideAfterFailure({ attempts: 1, max_retries: 0, run_at: 7 }, 1000, backoff).state).toBe('dead');
  });
  it('does not count an interrupted attempt', () => {
    expect(countsAsAttempt('interrupted')).toBe(false);
    expect(countsAsAttempt('worker_lost')).toBe(true);
    expect(countsAsAttempt('timed_out')).toBe(true);
  });
  it('describes each outcome in words', () => {
    expect(describeOutcome({ outcome: 'exit', exit_code: 3, signal: null })).toBe('exit 3');
    expect(describeOutcome({ outcome: 'signal', exit_code: null, signal: 'SIGKILL' })).toBe('killed by signal SIGKILL');
    expect(describeOutcome({ outcome: 'timed_out', exit_code: null, signal: 'SIGTERM' })).toBe('timed out');
    expect(describeOutcome({ outcome: 'worker_lost', exit_code: null, signal: null })).toBe('worker lost');
    expect(describeOutcome({ outcome: 'interrupted', exit_code: null, signal: null })).toBe('interrupted');
    expect(describeOutcome({ outcome: 'succeeded', exit_code: 0, signal: null })).toBe('succeeded');
  });
});

describe('leases', () => {
  it('takes a job at once from a worker proven gone, and from any other only after its lease stayed expired past the grace', () => {
    const running = { state: 'processing' as const, lease_expires_at: 100 };
    expect(recoveryVerdict({ ...running, lease_expires_at: 500 }, 'gone', 100, 0, 1000)).toBe('recover');
    expect(recoveryVerdict(running, 'alive', 100, 0, 1000)).toBe('keep');
    expect(recoveryVerdict(running, 'remote', 101, 0, 1000)).toBe('watch');
    expect(recoveryVerdict(running, 'remote', 101, 999, 1000)).toBe('watch');
    expect(recoveryVerdict(running, 'remote', 101, 1000, 1000)).toBe('recover');
    expect(recoveryVerdict(running, 'alive', 101, 1000, 1000)).toBe('recover');
    expect(recoveryVerdict(running, 'stopped', 101, 0, 1000)).toBe('recover');
    expect(recoveryVerdict({ state: 'failed', lease_expires_at: 1 }, 'gone', 100, 0, 1000)).toBe('keep');
  });
  it('fences a command before its lease can run out, and lets a live worker renew within the grace', () => {
    for (const lease of [1, 5, 30, 300]) {
      expect(fenceAfterMs(lease)).toBeLessThan(lease * 1000);
      expect(recoveryGraceMs(lease)).toBeGreaterThanOrEqual(2 * heartbeatIntervalMs(lease));
    }
  });
  it('marks a worker stale after a lease without heartbeat', () => {
    expect(isWorkerStale({ heartbeat_at: 0 }, 30_001, 30)).toBe(true);
    expect(isWorkerStale({ heartbeat_at: 0 }, 30_000, 30)).toBe(false);
  });
});

describe('transition table', () => {
  it('allows exactly the documented moves', () => {
    const allowed = (action: keyof typeof TRANSITIONS) => JOB_STATES.filter((s) => canTransition(action, s));
    expect(allowed('claim')).toEqual(['pending', 'failed']);
    expect(allowed('settle')).toEqual(['processing']);
    expect(allowed('retry')).toEqual(['failed']);
    expect(allowed('revive')).toEqual(['dead']);
    expect(allowed('cancel')).toEqual(['pending', 'waiting', 'failed']);
    expect(allowed('release')).toEqual(['waiting']);
    expect(allowed('dependencyFailed')).toEqual(['waiting']);
  });
  it('knows which states are final', () => {
    expect(JOB_STATES.filter(isFinished)).toEqual(['completed', 'dead', 'cancelled']);
  });
});
