// Speaking time from server facts (shared/domain/speechTime.ts): elapsed and remaining time through
// pauses, the amber warning and red overrun on the same second as the digits, and the countdown text.
import { describe, expect, it } from 'vitest'
import {
  displaySeconds,
  elapsedMs,
  formatCountdown,
  formatDuration,
  overrunMs,
  pauseTiming,
  remainingMs,
  resumeTiming,
  speechPhase,
  startTiming,
} from '../../shared/domain/speechTime'

const T0 = 1_700_000_000_000
const MIN = 60_000

describe('elapsed and remaining time', () => {
  it('runs from the start and stands still while paused', () => {
    let t = startTiming(T0, 8 * MIN, MIN)
    expect(elapsedMs(t, T0)).toBe(0)
    expect(remainingMs(t, T0 + 90_000)).toBe(8 * MIN - 90_000)
    t = pauseTiming(t, T0 + 2 * MIN)
    expect(t).toMatchObject({ pausedAt: T0 + 2 * MIN, elapsedBeforePauseMs: 2 * MIN, startedAt: T0 })
    // Ten minutes of pause count for nothing.
    expect(elapsedMs(t, T0 + 12 * MIN)).toBe(2 * MIN)
    t = resumeTiming(t, T0 + 12 * MIN)
    expect(t).toMatchObject({ pausedAt: null, resumedAt: T0 + 12 * MIN, startedAt: T0 })
    expect(elapsedMs(t, T0 + 13 * MIN)).toBe(3 * MIN)
    // Pausing twice or resuming a running speech changes nothing.
    expect(resumeTiming(t, T0 + 14 * MIN)).toBe(t)
    const p = pauseTiming(t, T0 + 14 * MIN)
    expect(pauseTiming(p, T0 + 15 * MIN)).toBe(p)
  })

  it('counts the overrun once the limit is passed', () => {
    const t = startTiming(T0, 8 * MIN, MIN)
    expect(overrunMs(t, T0 + 8 * MIN)).toBe(0)
    expect(overrunMs(t, T0 + 9 * MIN + 5000)).toBe(65_000)
    expect(remainingMs(t, T0 + 9 * MIN + 5000)).toBe(-65_000)
  })

  it('never counts time before the start, whatever clock asks', () => {
    const t = startTiming(T0, 8 * MIN, MIN)
    expect(elapsedMs(t, T0 - 5000)).toBe(0)
  })

  it('gives every screen the same remaining time from the same facts, whatever its own clock', () => {
    const t = startTiming(T0, 8 * MIN, MIN)
    const serverNow = T0 + 200_000
    // A tablet 7 minutes slow and one 3 minutes fast: each adds its measured offset to its own clock.
    for (const skew of [-7 * MIN, 3 * MIN, 0]) {
      const localNow = serverNow + skew
      const offset = -skew
      expect(remainingMs(t, localNow + offset)).toBe(280_000)
    }
  })
})

describe('phases: normal, amber warning, red overrun', () => {
  const t = startTiming(T0, 8 * MIN, MIN)
  it('turns amber when the countdown shows the warning time', () => {
    expect(speechPhase(t, T0 + 7 * MIN - 1)).toBe('normal') // shows 1:01
    expect(formatCountdown(remainingMs(t, T0 + 7 * MIN - 1))).toBe('1:01')
    expect(speechPhase(t, T0 + 7 * MIN - 999 + 999)).toBe('warning') // shows 1:00
    expect(formatCountdown(remainingMs(t, T0 + 7 * MIN))).toBe('1:00')
    expect(speechPhase(t, T0 + 8 * MIN - 1)).toBe('warning') // shows 0:01
  })
  it('turns red at the limit and counts up with a minus sign', () => {
    expect(speechPhase(t, T0 + 8 * MIN)).toBe('overrun')
    expect(formatCountdown(remainingMs(t, T0 + 8 * MIN))).toBe('0:00')
    expect(formatCountdown(remainingMs(t, T0 + 8 * MIN + 999))).toBe('0:00')
    expect(formatCountdown(remainingMs(t, T0 + 8 * MIN + 1000))).toBe('-0:01')
    expect(formatCountdown(remainingMs(t, T0 + 9 * MIN + 5000))).toBe('-1:05')
  })
  it('a warning of zero never shows amber', () => {
    const z = startTiming(T0, MIN, 0)
    expect(speechPhase(z, T0 + MIN - 1)).toBe('normal')
    expect(speechPhase(z, T0 + MIN)).toBe('overrun')
  })
})

describe('formatting', () => {
  it('rounds a countdown up so 0:01 shows until the last millisecond', () => {
    expect(displaySeconds(1)).toBe(1)
    expect(displaySeconds(1000)).toBe(1)
    expect(displaySeconds(1001)).toBe(2)
    expect(displaySeconds(0)).toBe(0)
    expect(Object.is(displaySeconds(-1), 0)).toBe(true)
    expect(formatCountdown(8 * MIN)).toBe('8:00')
    expect(formatCountdown(65 * MIN)).toBe('65:00')
  })
  it('writes durations as m:ss', () => {
    expect(formatDuration(0)).toBe('0:00')
    expect(formatDuration(61_400)).toBe('1:01')
    expect(formatDuration(-5)).toBe('0:00')
  })
})
