import { describe, expect, it } from 'vitest';
import { backoffSeconds, countsAsAttempt, decideAfterFailure, describeOutcome, isLost, isWorkerStale } from '../../src/engine/policy.js';
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
  it('treats an expired lease or a dead local worker as lost', () => {
    expect(isLost({ state: 'processing', lease_expires_at: 100 }, 101, false)).toBe(true);
    expect(isLost({ state: 'processing', lease_expires_at: 100 }, 100, false)).toBe(false);
    expect(isLost({ state: 'processing', lease_expires_at: 500 }, 100, true)).toBe(true);
    expect(isLost({ state: 'failed', lease_expires_at: 1 }, 100, true)).toBe(false);
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
    expect(allowed('complete')).toEqual(['processing']);
    expect(allowed('retry')).toEqual(['failed']);
    expect(allowed('revive')).toEqual(['dead']);
    expect(allowed('cancel')).toEqual(['pending', 'failed']);
    expect(allowed('release')).toEqual(['processing']);
  });
  it('knows which states are final', () => {
    expect(JOB_STATES.filter(isFinished)).toEqual(['completed', 'dead', 'cancelled']);
  });
});
