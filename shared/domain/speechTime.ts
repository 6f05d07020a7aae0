// Speaking time from server facts: every screen computes the same remaining time from when the speech
// started, when it paused and its limit, plus its own measured offset to the server clock. No screen
// ever counts down with a local timer of its own.

/** The facts of one speech, all times in server milliseconds. */
export interface SpeechTiming {
  /** When the speech first started (the record's start time). */
  startedAt: number
  /** When the current running stretch began: startedAt, or the last resume. */
  resumedAt: number
  /** When the speech was paused, or null while it runs. */
  pausedAt: number | null
  /** Time spoken before the current stretch (the sum of the earlier stretches). */
  elapsedBeforePauseMs: number
  /** The speaker's limit as fixed when the speech started (the chair may change it while speaking). */
  limitMs: number
  /** How long before the end the warning shows. */
  warnMs: number
}

export type SpeechPhase = 'normal' | 'warning' | 'overrun'

/** Time spoken so far, at server time `now`. */
export function elapsedMs(t: SpeechTiming, now: number): number {
  const running = t.pausedAt === null ? Math.max(0, now - t.resumedAt) : 0
  return t.elapsedBeforePauseMs + running
}

/** Time left; negative once the speaker overruns. */
export function remainingMs(t: SpeechTiming, now: number): number {
  return t.limitMs - elapsedMs(t, now)
}

/** Overrun so far (0 while within the limit). */
export function overrunMs(t: SpeechTiming, now: number): number {
  return Math.max(0, -remainingMs(t, now))
}

/** normal, then warning (amber) within warnMs of the end, then overrun (red) from the moment the
 * limit is reached. The phase flips on the same whole second that the displayed countdown shows. */
export function speechPhase(t: SpeechTiming, now: number): SpeechPhase {
  const left = remainingMs(t, now)
  if (left <= 0) return 'overrun'
  if (displaySeconds(left) * 1000 <= t.warnMs) return 'warning'
  return 'normal'
}

/** The whole seconds a countdown shows for `leftMs`, rounded up: `0:01` shows until the limit is
 * reached, then `0:00` for the first second over it, `-0:01` after that. */
export function displaySeconds(leftMs: number): number {
  const s = Math.ceil(leftMs / 1000)
  return s === 0 ? 0 : s
}

/** `8:00`, `0:59`, `-1:05` (overrun, counting up): minutes and seconds, minus once past the limit. */
export function formatCountdown(leftMs: number): string {
  const s = displaySeconds(leftMs)
  const abs = Math.abs(s)
  const text = `${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, '0')}`
  return s < 0 ? `-${text}` : text
}

/** The timing when the speech starts at `now`. */
export function startTiming(now: number, limitMs: number, warnMs: number): SpeechTiming {
  return { startedAt: now, resumedAt: now, pausedAt: null, elapsedBeforePauseMs: 0, limitMs, warnMs }
}

export function pauseTiming(t: SpeechTiming, now: number): SpeechTiming {
  if (t.pausedAt !== null) return t
  return { ...t, pausedAt: now, elapsedBeforePauseMs: elapsedMs(t, now) }
}

export function resumeTiming(t: SpeechTiming, now: number): SpeechTiming {
  if (t.pausedAt === null) return t
  return { ...t, pausedAt: null, resumedAt: now }
}

/** A duration as `m:ss` (records and exports). */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.max(0, ms) / 1000)
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}
