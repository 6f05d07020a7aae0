// Two engines on one log (two nodes): their batches race for the head; the loser of each race folds
// in what it missed (handed back with the refusal, or read) and decides again. Every command is
// acked exactly once, both engines end on the same chain, and nothing is lost or doubled.
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '../../server/engine'
import type { Store } from '../../server/store/types'
import { storeHandle, STORE_KINDS, type StoreHandle } from '../helpers/server'

describe.each(STORE_KINDS)('two engines racing on one %s log', (kind) => {
  let handle: StoreHandle
  const stores: Store[] = []
  const engines: Engine[] = []

  afterEach(async () => {
    for (const e of engines.splice(0)) e.stop()
    for (const s of stores.splice(0)) await s.close()
    await handle.cleanup()
  })

  it('acks every command once, both end on the same head, and each decision saw the other engine\'s events', async () => {
    handle = storeHandle(kind)
    for (let i = 0; i < 2; i++) {
      const s = await handle.open()
      stores.push(s)
      const e = new Engine(s.log)
      await e.start()
      engines.push(e)
    }
    // Each command records the number of check-ins its decision saw: with a stale state that number
    // would repeat, so a strictly increasing sequence in the log proves every decision was current.
    const submit = (e: Engine, tag: string) =>
      e.submit((s) => ({ events: [{ type: 'attendance.checkedIn', personId: `${tag}-${s.attendance.size}`, via: 'desk' }], result: s.attendance.size }), null)
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, burst) => {
        await new Promise((r) => setTimeout(r, burst * 5))
        return Promise.all(Array.from({ length: 40 }, (_, i) => submit(engines[i % 2], `e${i % 2}`)))
      }),
    ).then((x) => x.flat())
    expect(results.every((r) => r.ok)).toBe(true)
    const seen = results.map((r) => (r.ok ? (r.result as number) : -1)).sort((a, b) => a - b)
    expect(seen).toEqual(Array.from({ length: 400 }, (_, i) => i))
    // Each engine learns the other's last batches from the log.
    await expect.poll(() => engines.map((e) => e.version), { timeout: 10_000 }).toEqual([400, 400])
    expect(engines[1].state.head).toBe(engines[0].state.head)
    expect(engines[0].state.attendance.size).toBe(400)
    expect(engines[0].stats.conflicts + engines[1].stats.conflicts, 'the engines did race').toBeGreaterThan(0)
  })
})
