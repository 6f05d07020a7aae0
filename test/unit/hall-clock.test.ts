// The hall clock of a multi-node deployment (server/clock.ts): each node measures its offset to a
// reference (Redis TIME) and keeps the reference's time, so a node whose own clock is wrong stamps
// events, arms deadlines and answers pings on the same time as the others.
import { afterEach, describe, expect, it } from 'vitest'
import { measureOffset, referenceClock, type HallClock } from '../../server/clock'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('hall clock', () => {
  let clock: HallClock | null = null
  afterEach(() => clock?.close())

  it('measures a reference 90 s ahead as a +90 s offset, from the quickest of its samples', async () => {
    let calls = 0
    // The first answers are slow (a loaded network); the quickest one decides.
    const reference = async () => {
      calls++
      await sleep(calls < 3 ? 30 : 1)
      return Date.now() + 90_000
    }
    const m = await measureOffset(reference)
    expect(calls).toBe(5)
    expect(m.rttMs).toBeLessThan(20)
    expect(Math.abs(m.offsetMs - 90_000)).toBeLessThan(m.rttMs + 2)
  })

  it('keeps the reference’s time, follows a real correction, ignores jitter and outlives an unreachable reference', async () => {
    let ahead = -90_000
    let up = true
    const reference = async () => {
      if (!up) throw new Error('connection refused')
      return Date.now() + ahead
    }
    clock = await referenceClock(reference, 20)
    expect(Math.abs(clock.now() - (Date.now() - 90_000))).toBeLessThan(5)
    const first = clock.offsetMs
    // A couple of milliseconds of jitter do not move it.
    ahead = first + 2
    await sleep(80)
    expect(clock.offsetMs).toBe(first)
    // A real correction (the reference stepped by a second) does.
    ahead = -89_000
    await sleep(80)
    expect(Math.abs(clock.offsetMs - -89_000)).toBeLessThan(5)
    // The reference gone: the last good offset stays.
    up = false
    const last = clock.offsetMs
    await sleep(80)
    expect(clock.offsetMs).toBe(last)
  })
})
