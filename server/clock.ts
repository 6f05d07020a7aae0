// The hall's clock: the time every node stamps on events, arms round deadlines with and tells the
// screens (serverTime in snapshots, views and system:ping). One node, or SQLite: the machine's own
// clock. Several nodes sharing Redis: Redis's clock (TIME), measured from each node as an offset to
// its own, so a node whose clock is wrong (no NTP on a closed hall network) still stamps, closes and
// counts down on the same time as the others. The offset is the sample with the shortest round trip
// of a few, taken again every 15 s; it moves only by more than 50 ms at a time (a real correction),
// so a node's timestamps do not jitter back and forth by a millisecond or two.
import type Redis from 'ioredis'

export interface HallClock {
  now(): number
  /** Hall time minus this machine's Date.now(), ms. */
  readonly offsetMs: number
  close(): void
}

export const LOCAL_CLOCK: HallClock = { now: () => Date.now(), offsetMs: 0, close() {} }

const SAMPLES = 5
const EVERY_MS = 15_000
const STEP_MS = 50

/** One measurement of `reference − Date.now()`: the sample with the shortest round trip. */
export async function measureOffset(reference: () => Promise<number>, samples = SAMPLES): Promise<{ offsetMs: number; rttMs: number }> {
  let best: { offsetMs: number; rttMs: number } | null = null
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now()
    const remote = await reference()
    const t1 = Date.now()
    const rttMs = t1 - t0
    if (!best || rttMs < best.rttMs) best = { offsetMs: remote - (t0 + t1) / 2, rttMs }
  }
  return best!
}

/** Redis TIME, in ms. */
export function redisTime(redis: Redis): () => Promise<number> {
  return async () => {
    const [s, us] = await redis.time()
    return Number(s) * 1000 + Math.floor(Number(us) / 1000)
  }
}

/** A clock on `reference` (Redis TIME): measured now, then every `everyMs`; the last good offset
 * stays while the reference cannot be reached. */
export async function referenceClock(reference: () => Promise<number>, everyMs = EVERY_MS): Promise<HallClock> {
  let offset = Math.round((await measureOffset(reference)).offsetMs)
  const timer = setInterval(() => {
    measureOffset(reference).then(
      (m) => {
        if (Math.abs(m.offsetMs - offset) > STEP_MS) offset = Math.round(m.offsetMs)
      },
      () => {},
    )
  }, everyMs)
  timer.unref()
  return {
    now: () => Date.now() + offset,
    get offsetMs() {
      return offset
    },
    close: () => clearInterval(timer),
  }
}
