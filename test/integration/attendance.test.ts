// Check-in at the desk and on the tablet, as the desk, the display and the delegate see it, on both
// stores.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { PublicView, StateChanged } from '../../shared/protocol'
import { latest, send, startHall, STORE_KINDS, type Hall } from '../helpers/server'

describe.each(STORE_KINDS)('attendance on %s', (kind) => {
  let hall: Hall
  beforeEach(async () => {
    hall = await startHall(kind)
  })
  afterEach(async () => {
    await hall.close()
  })

  it('a card scanned at the desk checks the delegate in and the display count changes', async () => {
    const desk = await hall.connect(hall.secretariat.code)
    const display = await hall.connect(hall.display.code)
    const initial = display.snapshot.view as PublicView
    expect(display.snapshot.kind).toBe('public')
    expect(initial.attendance.shouldAttend).toBe(251)
    expect(initial.attendance.present).toBe(0)
    expect(initial.quorum.met).toBe(false)
    expect(initial.quorum.required).toBe(126)
    const seen = latest<StateChanged>(display.socket, 'state:changed')

    const d = hall.delegates[0]
    // A USB scanner types the code with dashes and lower case: still accepted.
    const typed = d.code.toLowerCase().replace(/(.{4})(?!$)/g, '$1-')
    const ack = await send(desk.socket, 'attendance:checkIn', { code: typed })
    expect(ack).toMatchObject({ ok: true, data: { personId: d.personId, name: d.name, delegation: d.delegation } })
    await vi.waitFor(() => expect((seen.value?.view as PublicView | undefined)?.attendance.present).toBe(1), { timeout: 2000 })

    const again = await send(desk.socket, 'attendance:checkIn', { code: d.code })
    expect(again).toMatchObject({ ok: false, code: 'ALREADY_CHECKED_IN' })
    expect((again as { message: string }).message).toContain(d.name)

    const unknown = await send(desk.socket, 'attendance:checkIn', { code: 'ABCD-EFGH-JKMN-PQRS' })
    expect(unknown).toMatchObject({ ok: false, code: 'UNKNOWN_CARD', message: '无法识别的证件，请核对' })

    const undo = await send(desk.socket, 'attendance:undoCheckIn', { personId: d.personId })
    expect(undo.ok).toBe(true)
    await vi.waitFor(() => expect((seen.value?.view as PublicView).attendance.present).toBe(0))
  })

  it('the tablet checks itself in, sees its own status, and the quorum is met at 126 of 251', async () => {
    const display = await hall.connect(hall.display.code)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    const engine = hall.server.app.engine
    const desk = await hall.connect(hall.secretariat.code)
    // 125 at the desk: one short of more than half.
    for (const d of hall.delegates.slice(0, 125)) {
      const r = await send(desk.socket, 'attendance:checkIn', { personId: d.personId })
      expect(r.ok).toBe(true)
    }
    await vi.waitFor(() => expect((seen.value?.view as PublicView).attendance.present).toBe(125))
    expect((seen.value?.view as PublicView).quorum.met).toBe(false)
    expect((seen.value?.view as PublicView).announcement.zh).toContain('未超过应到会人数的半数，不符合规定人数，不能开会')

    const me = hall.delegates[200]
    const tablet = await hall.connect(me.code)
    expect(tablet.snapshot.me).toMatchObject({ id: me.personId, presence: 'absent', canVote: false })
    const mine = latest<{ presence: string; canVote: boolean }>(tablet.socket, 'me:updated')
    const r = await send(tablet.socket, 'attendance:checkIn', {})
    expect(r.ok).toBe(true)
    await vi.waitFor(() => expect(mine.value).toMatchObject({ presence: 'present', canVote: true }))
    await vi.waitFor(() => expect((seen.value?.view as PublicView).quorum.met).toBe(true))
    expect((seen.value?.view as PublicView).announcement.zh).toBe(
      '应到会代表251名，因事因病请假0名，实到会代表126名，超过应到会人数的半数，符合规定人数，可以开会。',
    )
    expect(engine.state.attendance.get(me.personId)?.via).toBe('tablet')

    // A tablet may not check in somebody else.
    const other = await send(tablet.socket, 'attendance:checkIn', { personId: hall.delegates[201].personId })
    expect(other).toMatchObject({ ok: false, code: 'FORBIDDEN' })
  })

  it('the chair puts the opening announcement on the hall display and takes it off; nobody else may', async () => {
    const display = await hall.connect(hall.display.code)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    expect((display.snapshot.view as PublicView).announcementOnDisplay).toBe(false)
    const chair = await hall.connect(hall.chair.code)
    expect(await send(chair.socket, 'meeting:showAnnouncement', { shown: true })).toEqual({ ok: true, data: { shown: true } })
    await vi.waitFor(() => expect((seen.value?.view as PublicView | undefined)?.announcementOnDisplay).toBe(true))
    expect(hall.server.app.engine.state.meeting?.announcementOnDisplay).toBe(true)
    // Again: nothing changes, the same answer.
    const v = hall.server.app.engine.state.version
    expect(await send(chair.socket, 'meeting:showAnnouncement', { shown: true })).toEqual({ ok: true, data: { shown: true } })
    expect(hall.server.app.engine.state.version).toBe(v)
    for (const code of [hall.secretariat.code, hall.delegates[0].code]) {
      const c = await hall.connect(code)
      expect(await send(c.socket, 'meeting:showAnnouncement', { shown: false })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    }
    expect(await send(chair.socket, 'meeting:showAnnouncement', { shown: false })).toEqual({ ok: true, data: { shown: false } })
    await vi.waitFor(() => expect((seen.value?.view as PublicView).announcementOnDisplay).toBe(false))
  })

  it('leave and walk-outs are counted, per delegation too', async () => {
    const desk = await hall.connect(hall.secretariat.code)
    const chair = await hall.connect(hall.chair.code)
    expect(chair.snapshot.kind).toBe('chair')
    const seen = latest<StateChanged>(chair.socket, 'state:changed')
    const [a, b, c] = hall.delegates
    expect((await send(desk.socket, 'attendance:registerLeave', { personId: a.personId, reason: 'illness' })).ok).toBe(true)
    expect((await send(desk.socket, 'attendance:registerLeave', { personId: b.personId, reason: 'business' })).ok).toBe(true)
    expect((await send(desk.socket, 'attendance:checkIn', { personId: c.personId })).ok).toBe(true)
    expect((await send(desk.socket, 'attendance:checkOut', { personId: c.personId })).ok).toBe(true)
    // Someone on leave who turns up after all checks in normally.
    expect((await send(desk.socket, 'attendance:checkIn', { personId: b.personId })).ok).toBe(true)
    await vi.waitFor(() => {
      const v = seen.value?.view as PublicView & { delegations: Array<{ id: string; onLeave: number; present: number; left: number }> }
      expect(v.attendance).toMatchObject({ shouldAttend: 251, present: 1, onLeave: 1, leaveIllness: 1, leaveBusiness: 0, left: 1 })
      const total = v.delegations.reduce((n, d) => n + d.present + d.onLeave + d.left, 0)
      expect(total).toBe(3)
    })
    const presentAgain = await send(desk.socket, 'attendance:registerLeave', { personId: b.personId, reason: 'business' })
    expect(presentAgain).toMatchObject({ ok: false, code: 'LEAVE_WHILE_PRESENT' })
  })

  it('errors come in English when the client asks', async () => {
    const desk = await hall.connect(hall.secretariat.code, undefined, { lang: 'en' })
    const r = await send(desk.socket, 'attendance:checkIn', { code: 'nonsense' })
    expect(r).toMatchObject({ ok: false, code: 'UNKNOWN_CARD', message: 'Unknown card; please check it' })
    expect((r as { messages: { zh: string } }).messages.zh).toBe('无法识别的证件，请核对')
  })
})
