// Server clock offset: tablets' own clocks are often wrong, so every clock on screen is the local
// monotonic-ish Date.now() plus an offset measured against the server.

export interface ClockSample {
  /** serverTime - localTime, ms */
  offset: number
  /** Round trip of the measurement; pushes without a round trip count as the worst case. */
  rtt: number
}

/** From a ping: the server stamped its time roughly halfway through the round trip. */
export function sampleFromPing(sentAt: number, receivedAt: number, serverTime: number): ClockSample {
  const rtt = Math.max(0, receivedAt - sentAt)
  return { offset: Math.round(serverTime - (sentAt + rtt / 2)), rtt }
}

/** From a pushed message: the one-way delay is unknown, so it only serves until a ping answers. */
export function sampleFromPush(serverTime: number, receivedAt: number): ClockSample {
  return { offset: Math.round(serverTime - receivedAt), rtt: Number.POSITIVE_INFINITY }
}

/** The sample with the shortest round trip is the most trustworthy; keep a few recent ones. */
export function addSample(samples: ClockSample[], s: ClockSample, keep = 5): ClockSample[] {
  const next = [...samples, s]
  return next.length > keep ? next.slice(next.length - keep) : next
}

export function bestOffset(samples: ClockSample[]): number {
  if (samples.length === 0) return 0
  let best = samples[0]
  for (const s of samples) if (s.rtt < best.rtt) best = s
  return best.offset
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/** HH:mm:ss in the device's time zone (the zone is usually right even when the clock is not). */
export function formatClock(ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export function formatDate(ms: number, lang: 'zh' | 'en'): string {
  const d = new Date(ms)
  if (lang === 'zh') return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}
