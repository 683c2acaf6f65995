import { describe, expect, it } from 'vitest';
import { Waker } from '../../src/worker/wake.js';

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => 'resolved'), new Promise((r) => setTimeout(() => r('still waiting'), ms))]);

describe('Waker', () => {
  it('ends a wait when woken', async () => {
    const w = new Waker();
    const waiting = w.sleep(60_000);
    w.wake();
    expect(await within(waiting, 1000)).toBe('resolved');
  });

  it('keeps a wake that came while nobody waited, once', async () => {
    const w = new Waker();
    w.wake();
    expect(await within(w.sleep(60_000), 1000)).toBe('resolved');
    expect(await within(w.sleep(60_000), 50)).toBe('still waiting');
    w.wake(); // releases the pending wait
  });

  it('forgets earlier wakes when cleared before looking for work', async () => {
    const w = new Waker();
    w.wake();
    w.clear();
    expect(await within(w.sleep(60_000), 50)).toBe('still waiting');
    w.wake(); // releases the pending wait
  });

  it('looks again soon after a wake that found nothing, then settles into the long wait', async () => {
    const w = new Waker();
    w.wake();
    w.clear(); // the look that found nothing
    for (let i = 0; i < 3; i++) expect(await within(w.idle(60_000), 1000)).toBe('resolved');
    expect(await within(w.idle(60_000), 200)).toBe('still waiting');
    w.wake();
  });
});
