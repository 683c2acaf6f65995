/**
 * After a wake finds nothing to claim, look again this soon, then this soon… before falling back
 * to the poll interval. A change notification can arrive a moment before the commit that caused it
 * becomes visible (the write-ahead log is written before the commit is published), and no further
 * notification follows it.
 */
const RECHECK_MS = [2, 10, 40];

/**
 * How an idle worker waits: until its poll interval ends, or at once when woken by a change.
 * Wakes that arrive while the worker is not waiting are kept, so none is lost and a burst of
 * them costs one look.
 */
export class Waker {
  private woken = false;
  private onWake: (() => void) | null = null;
  private rechecks = RECHECK_MS.length;

  wake(): void {
    this.woken = true;
    this.rechecks = 0;
    this.onWake?.();
  }

  /** Forgets earlier wakes: call it right before looking for work. */
  clear(): void {
    this.woken = false;
  }

  /** After looking and finding nothing: waits up to `ms`, less shortly after a wake, none if woken meanwhile. */
  idle(ms: number): Promise<void> {
    const wait = this.rechecks < RECHECK_MS.length ? Math.min(ms, RECHECK_MS[this.rechecks++]) : ms;
    return this.sleep(wait);
  }

  /** Waits `ms`, or less when woken. */
  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onWake = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.onWake = done;
    });
  }
}
