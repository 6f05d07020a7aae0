import { describe, expect, it } from 'vitest'
import type { Engine } from '../../server/engine'
import { startIdleGc } from '../../server/idle-gc'

describe('idle garbage collection', () => {
  it('collects once after a burst when the hall goes quiet, and not again while nothing happens', async () => {
    const engine = { stats: { batches: 0 }, version: 0 }
    const g = startIdleGc(engine as unknown as Engine, { quietS: 0.5, minGapS: 0 })
    try {
      await new Promise((r) => setTimeout(r, 1200))
      expect(g.collections(), 'nothing happened: nothing to collect').toBe(0)
      engine.stats.batches = 40 // a burst of commands
      await new Promise((r) => setTimeout(r, 2000))
      expect(g.collections()).toBe(1)
      await new Promise((r) => setTimeout(r, 1200))
      expect(g.collections()).toBe(1)
    } finally {
      g.stop()
    }
  })

  it('IDLE_GC_S=0 turns it off', async () => {
    const engine = { stats: { batches: 1 }, version: 1 }
    const g = startIdleGc(engine as unknown as Engine, { quietS: 0 })
    engine.stats.batches = 2
    await new Promise((r) => setTimeout(r, 1200))
    expect(g.collections()).toBe(0)
    g.stop()
  })
})
