// A full garbage collection when the hall goes quiet. V8 lets its heap float up after bursts (every
// tablet checking in, a ballot, a broadcast to thousands of sockets) and returns the pages to the
// system only after a full collection, which a server that then sits idle may not run for a long
// time. After a burst, once no command has arrived for `quietS` seconds, one full collection brings
// the process back to its working size (a soak's "memory at the end within 10% of the start").
// A collection on a few hundred MB takes tens of milliseconds; it runs only in a quiet moment and at
// most once per `minGapS`.
//
// One more moment is known to be calm before a storm: a round has just opened. The chair has the
// ack, the delegates are reading their ballots, and within seconds the whole hall casts at once.
// A full collection then (200 ms after the opening) means the burst starts on a clean heap instead
// of meeting a full collection half-way through the voters' acks.
import v8 from 'node:v8'
import vm from 'node:vm'
import type { Engine } from './engine'

export interface IdleGcOptions {
  /** Seconds without a committed batch or a new event before collecting (IDLE_GC_S; 0 turns it off). */
  quietS: number
  /** At least this long between two collections. */
  minGapS?: number
}

function exposeGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc
  if (typeof g === 'function') return g
  try {
    v8.setFlagsFromString('--expose-gc')
    return vm.runInNewContext('gc') as () => void
  } catch {
    return null
  }
}

export function startIdleGc(engine: Engine, opts: IdleGcOptions): { stop(): void; collections: () => number } {
  const gc = opts.quietS > 0 ? exposeGc() : null
  let n = 0
  if (!gc) return { stop() {}, collections: () => n }
  const minGapMs = (opts.minGapS ?? 30) * 1000
  let seen = `${engine.stats.batches}:${engine.version}`
  let lastChange = Date.now()
  let lastGc = 0
  let dirty = false
  const timer = setInterval(() => {
    const now = Date.now()
    const mark = `${engine.stats.batches}:${engine.version}`
    if (mark !== seen) {
      seen = mark
      lastChange = now
      dirty = true
      return
    }
    if (dirty && now - lastChange >= opts.quietS * 1000 && now - lastGc >= minGapMs) {
      dirty = false
      lastGc = now
      gc()
      n++
    }
  }, 500)
  timer.unref()
  let beforeBurst: NodeJS.Timeout | null = null
  const onCommitted = (events: Array<{ event: { type: string } }>) => {
    if (beforeBurst || !events.some((e) => e.event.type === 'poll.opened')) return
    beforeBurst = setTimeout(() => {
      beforeBurst = null
      lastGc = Date.now()
      dirty = false
      gc()
      n++
    }, 200)
    beforeBurst.unref()
  }
  engine.on('committed', onCommitted)
  return {
    stop: () => {
      clearInterval(timer)
      if (beforeBurst) clearTimeout(beforeBurst)
      engine.off('committed', onCommitted)
    },
    collections: () => n,
  }
}
