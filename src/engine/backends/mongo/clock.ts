import type mongoose from 'mongoose';

/**
 * The database's clock, as this process estimates it.
 *
 * Every time the engine records (leases, heartbeats, run_at, events) must agree between workers
 * on different hosts, so it is taken from the server: `hello` (or, where the server does not
 * report the time there, `serverStatus`) gives the server's `localTime`, and the offset to this
 * process's clock is that minus the middle of the round trip. The estimate is refreshed in the
 * background at most once per `refreshMs`, when the clock is read. A server that reports no time
 * leaves the offset at 0 (this process's clock).
 */
export class ServerClock {
  private offset = 0;
  private measuredAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  /** Which command reports the time; null once neither does. */
  private command: 'hello' | 'serverStatus' | null = 'hello';

  constructor(
    private readonly db: () => mongoose.mongo.Db | undefined,
    private readonly refreshMs = 30_000,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  now(): number {
    if (this.command !== null && this.inFlight === null && this.monotonic() - this.measuredAt >= this.refreshMs) {
      this.inFlight = this.measure()
        .catch(() => {})
        .finally(() => {
          this.inFlight = null;
        });
    }
    return Date.now() + this.offset;
  }

  /** How far this process's clock is ahead of the database's (ms). */
  skewMs(): number {
    return -this.offset;
  }

  /** Measures the offset once; a failure leaves the previous estimate. */
  async measure(): Promise<void> {
    const db = this.db();
    if (!db || this.command === null) return;
    this.measuredAt = this.monotonic();
    while (this.command !== null) {
      const t0 = Date.now();
      let reply: Record<string, unknown>;
      try {
        reply = await db.admin().command(this.command === 'hello' ? { hello: 1 } : { serverStatus: 1 });
      } catch (e) {
        if (!/no such (cmd|command)|command not found|CommandNotFound|not authorized|unauthorized/i.test(String((e as Error).message ?? e))) throw e;
        reply = {};
      }
      const t1 = Date.now();
      const local = reply.localTime;
      if (local instanceof Date && Number.isFinite(local.getTime())) {
        // The server read its clock somewhere within the round trip: the middle is the best guess.
        this.offset = Math.round(local.getTime() - (t0 + t1) / 2);
        return;
      }
      this.command = this.command === 'hello' ? 'serverStatus' : null;
    }
  }
}
