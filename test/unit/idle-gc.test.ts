import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { Engine } from '../../server/engine'
import { startIdleGc } from '../../server/idle-gc'

/** What the collector reads of an engine: its counters and its commits. */
function fakeEngine(batches = 0, version = 0) {
  return Object.assign(new EventEmitter(), { stats: { batches }, version })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('idle garbage collection', () => {
  it('collects once after a burst when the hall goes quiet, and not again while nothing happens', async () => {
    const engine = fakeEngine()
    const g = startIdleGc(engine as unknown as Engine, { quietS: 0.5, minGapS: 0 })
    try {
      await sleep(1200)
      expect(g.collections(), 'nothing happened: nothing to collect').toBe(0)
      engine.stats.batches = 40 // a burst of commands
      await sleep(2000)
      expect(g.collections()).toBe(1)
      await sleep(1200)
      expect(g.collections()).toBe(1)
    } finally {
      g.stop()
    }
  })

  it('collects right after a round opens, before the hall casts, once however many events follow', async () => {
    const engine = fakeEngine()
    // A long quiet period and gap: only the opening can be the reason.
    const g = startIdleGc(engine as unknown as Engine, { quietS: 60, minGapS: 600 })
    try {
      engine.emit('committed', [{ event: { type: 'attendance.checkedIn' } }])
      await sleep(400)
      expect(g.collections(), 'a check-in is no reason').toBe(0)
      engine.emit('committed', [{ event: { type: 'poll.opened' } }])
      engine.emit('committed', [{ event: { type: 'poll.opened' } }])
      expect(g.collections(), 'not while the chair waits for the ack').toBe(0)
      await sleep(400)
      expect(g.collections()).toBe(1)
    } finally {
      g.stop()
    }
    expect(engine.listenerCount('committed'), 'stop() lets go of the engine').toBe(0)
  })

  it('IDLE_GC_S=0 turns it off', async () => {
    const engine = fakeEngine(1, 1)
    const g = startIdleGc(engine as unknown as Engine, { quietS: 0 })
    engine.stats.batches = 2
    engine.emit('committed', [{ event: { type: 'poll.opened' } }])
    await sleep(1200)
    expect(g.collections()).toBe(0)
    g.stop()
  })
})
