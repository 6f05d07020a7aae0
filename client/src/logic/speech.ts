// The countdown and the queue, as screens show them. The remaining time always comes from the
// server's facts (start, pauses, limit) and the server clock offset; a local timer only decides when
// to look again.
import {
  formatCountdown,
  remainingMs,
  speechPhase,
  type SpeechPhase,
  type SpeechTiming,
} from '../../../shared/domain/speechTime'

export interface Countdown {
  /** `8:00`, `0:59`, `-1:05`. */
  text: string
  /** idle: called to the stage, the clock not started yet. */
  phase: SpeechPhase | 'idle'
  leftMs: number
  paused: boolean
}

export function countdown(timing: SpeechTiming | null, limitMs: number, serverNow: number): Countdown {
  if (!timing) return { text: formatCountdown(limitMs), phase: 'idle', leftMs: limitMs, paused: false }
  const leftMs = remainingMs(timing, serverNow)
  return { text: formatCountdown(leftMs), phase: speechPhase(timing, serverNow), leftMs, paused: timing.pausedAt !== null }
}

/** Milliseconds until the shown seconds change (the digits flip when leftMs crosses a whole second),
 * or null when nothing will change (no timing, or paused). */
export function msUntilNextChange(timing: SpeechTiming | null, serverNow: number): number | null {
  if (!timing || timing.pausedAt !== null) return null
  const left = remainingMs(timing, serverNow)
  // Counting down, the display shows ceil(left/1000): it changes when left reaches the next lower
  // multiple of 1000. Past zero the same holds for the negative side.
  const r = ((left % 1000) + 1000) % 1000
  return r === 0 ? 1000 : r
}

/** The queue after moving `id` to `position` (what the chair sees while dragging, and what the
 * server will do with speakers:move). */
export function moved(ids: readonly string[], id: string, position: number): string[] {
  const rest = ids.filter((x) => x !== id)
  const at = Math.max(0, Math.min(rest.length, position))
  return [...rest.slice(0, at), id, ...rest.slice(at)]
}

/** Where a dragged row lands when dropped on `overId`: before it in the upper half of its row, after
 * it in the lower half. Positions count in the list without the dragged row. */
export function dropPosition(ids: readonly string[], draggedId: string, overId: string, lowerHalf: boolean): number {
  const rest = ids.filter((x) => x !== draggedId)
  const at = rest.indexOf(overId)
  if (at < 0) return rest.length
  return lowerHalf ? at + 1 : at
}

/** `8 分钟` style minutes from ms, for inputs in whole minutes (and half minutes). */
export function minutes(ms: number): number {
  return Math.round((ms / 60_000) * 2) / 2
}

export function fromMinutes(m: number): number {
  return Math.round(m * 60_000)
}
