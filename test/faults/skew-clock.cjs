// Preloaded with --require: this process's wall clock runs QUEUECTL_TEST_CLOCK_SHIFT_MS ahead
// (or behind, when negative), as on a host whose clock is wrong. Monotonic time is untouched.
const shift = Number(process.env.QUEUECTL_TEST_CLOCK_SHIFT_MS || 0);
const RealDate = Date;
const realNow = RealDate.now;
class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(realNow() + shift);
    else super(...args);
  }
  static now() {
    return realNow() + shift;
  }
}
globalThis.Date = ShiftedDate;
