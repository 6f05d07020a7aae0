// Counts reach the tablets a little later while the node is busy acking a burst (a whole hall casting
// at once): the acks go first, the turnout frame to every tablet waits (server/gateway/broadcast.ts),
// but never more than a few seconds, and a change that is not only counts is never held back. The
// hall display and the chair's console get every change at once either way.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyPublicPatch } from '../../shared/domain/view-patch'
import type { PublicView } from '../../shared/protocol'
import { send, startHall, type Hall } from '../helpers/server'

interface Got {
  at: number
  /** The view after this message (a tablet applies a patch to the view it holds). */
  view: PublicView
  serverTime: number
  patched: boolean
}

/** Every view change a socket receives, with when it arrived and the view it leaves. */
function record(socket: Hall['clients'][number], initial: PublicView) {
  const got: Got[] = []
  let held = initial
  socket.on('state:changed', (c) => {
    held = c.view as PublicView
    got.push({ at: Date.now(), view: held, serverTime: c.serverTime, patched: false })
  })
  socket.on('state:patched', (p) => {
    const next = applyPublicPatch(held, p)
    if (!next) throw new Error(`patch ${p.baseVersion} -> ${p.version} does not apply to ${held.version}`)
    held = next
    got.push({ at: Date.now(), view: held, serverTime: p.serverTime, patched: true })
  })
  return got
}

async function until<T>(f: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

const present = (g: Got) => g.view.attendance.present

describe('count-only views to tablets during a burst of commands', () => {
  let hall: Hall
  beforeEach(async () => {
    hall = await startHall('sqlite', { broadcastIntervalMs: 50, tabletBroadcastIntervalMs: 200 })
  })
  afterEach(async () => {
    await hall.close()
  })

  it('wait while many commands are in flight, go out when the burst ends, and wait at most 3 s', async () => {
    const desk = await hall.connect(hall.secretariat.code)
    const display = await hall.connect(hall.display.code)
    const tablet = await hall.connect(hall.delegates[5].code)
    const onDisplay = record(display.socket, display.snapshot.view as PublicView)
    const onTablet = record(tablet.socket, tablet.snapshot.view as PublicView)
    const broadcaster = hall.server.app.broadcaster

    // Quiet node: a check-in reaches the tablet within its 200 ms pace.
    const t0 = Date.now()
    expect((await send(desk.socket, 'attendance:checkIn', { personId: hall.delegates[0].personId })).ok).toBe(true)
    await until(() => onTablet.find((g) => present(g) === 1), 1500)
    expect(onTablet.find((g) => present(g) === 1)!.at - t0).toBeLessThan(1000)
    // After the first view, counts reach the tablet as a patch of the view it holds; the display
    // gets whole views.
    expect((await send(desk.socket, 'attendance:checkIn', { personId: hall.delegates[3].personId })).ok).toBe(true)
    expect((await until(() => onTablet.find((g) => present(g) === 2), 1500)).patched).toBe(true)
    expect(onDisplay.every((g) => !g.patched)).toBe(true)

    // A burst is in flight (as when 3000 ballots arrive at once): the display sees the next
    // check-in at once, the tablet does not while the burst lasts...
    broadcaster.commandsInFlight += 100
    const t1 = Date.now()
    expect((await send(desk.socket, 'attendance:checkIn', { personId: hall.delegates[1].personId })).ok).toBe(true)
    await until(() => onDisplay.find((g) => present(g) === 3), 1000)
    await new Promise((r) => setTimeout(r, 800))
    expect(onTablet.some((g) => present(g) === 3)).toBe(false)
    // ...and gets it as soon as the burst is acked.
    broadcaster.commandsInFlight -= 100
    const released = Date.now()
    const seen = await until(() => onTablet.find((g) => present(g) === 3), 1500)
    expect(seen.at - released).toBeLessThan(500)
    expect(seen.at - t1).toBeGreaterThan(800)
    // The view that waited tells the time it was sent, not the time it was built.
    expect(Math.abs(seen.serverTime - seen.at)).toBeLessThan(250)

    // A burst that does not end: the counts still reach the tablet, about 3 s late at most.
    broadcaster.commandsInFlight += 100
    const t2 = Date.now()
    expect((await send(desk.socket, 'attendance:checkIn', { personId: hall.delegates[2].personId })).ok).toBe(true)
    const late = await until(() => onTablet.find((g) => present(g) === 4), 6000)
    expect(late.at - t2).toBeGreaterThan(2500)
    expect(late.at - t2).toBeLessThan(4500)

    // Not only counts (a new body of electors is a change of the meeting's set-up): sent at once,
    // however busy the node is.
    const before = onTablet.length
    const t3 = Date.now()
    const saved = await send(desk.socket, 'body:save', { id: 'b-standing', name: '常委会', memberIds: [hall.delegates[0].personId] })
    expect(saved.ok).toBe(true)
    await until(() => (onTablet.length > before ? true : undefined), 1500)
    expect(onTablet[onTablet.length - 1].at - t3).toBeLessThan(1000)
    expect(onTablet[onTablet.length - 1].patched).toBe(false)
    broadcaster.commandsInFlight -= 100
  })

  it('the gateway counts commands while they are in flight and not after their acks', async () => {
    const desk = await hall.connect(hall.secretariat.code)
    const broadcaster = hall.server.app.broadcaster
    const acks = await Promise.all(hall.delegates.slice(10, 60).map((d) => send(desk.socket, 'attendance:checkIn', { personId: d.personId })))
    expect(acks.every((a) => a.ok)).toBe(true)
    // Refused and malformed commands are counted out too.
    expect((await send(desk.socket, 'attendance:checkIn', { personId: hall.delegates[10].personId })).ok).toBe(false)
    expect((await send(desk.socket, 'attendance:checkIn', { personId: 42 })).ok).toBe(false)
    expect(broadcaster.commandsInFlight).toBe(0)
  })
})
