// Preload for fault tests (NODE_OPTIONS="--require <this file>"): shifts this process's wall clock by
// CLOCK_OFFSET_MS milliseconds, as a server whose clock is wrong (no NTP) would see time. Date.now()
// and `new Date()` are shifted; timers and performance.now() are not (they are monotonic anyway).
'use strict'
const offset = Number(process.env.CLOCK_OFFSET_MS || 0)
if (offset) {
  const RealDate = Date
  const realNow = RealDate.now.bind(RealDate)
  const now = () => realNow() + offset
  RealDate.now = now
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return args.length === 0 ? Reflect.construct(target, [now()], newTarget) : Reflect.construct(target, args, newTarget)
    },
    apply() {
      return new RealDate(now()).toString()
    },
  })
}
