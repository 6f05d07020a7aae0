// The rules of the check-in desk and the tablets, straight on the pure core: decide on a state folded
// from the demo meeting's events, then evolve, as the engine does, without a server.
import { describe, expect, it } from 'vitest'
import { decideRosterImport, isRefusal } from '../../shared/domain/commands'
import { summarize } from '../../shared/domain/quorum'
import { deskView, ownStatus, publicView } from '../../shared/domain/views'
import { errorMessage } from '../../shared/errors'
import { formatCode } from '../../shared/credentials'
import type { MeetingState } from '../../shared/domain/types'
import { DESK, CHAIR, DISPLAY, delegate, demoState, fold, person, run, type Demo } from '../helpers/domain'

function expectOk<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r)}`)
  return r as Extract<T, { ok: true }>
}

function presence(s: MeetingState, id: string) {
  return ownStatus(s, id)!.presence
}

function present(s: MeetingState) {
  return summarize(s).total.present
}

describe('the demo meeting as seeded', () => {
  it('has 251 who should attend, nobody present, and a live card for everyone', () => {
    const { state, codes } = demoState()
    expect(summarize(state).total).toMatchObject({ shouldAttend: 251, present: 0, absent: 251 })
    expect(state.meeting?.selfCheckIn).toBe(true)
    expect(codes).toHaveLength(251 + 8 + 4)
    expect(state.credentials.size).toBe(codes.length)
  })
})

describe('check-in by card at the desk', () => {
  it('accepts the code as a scanner or a person types it: lower case, dashes, spaces, a URL', () => {
    const { state, ctx, code } = demoState()
    const raw = code('d0007')
    for (const typed of [raw, raw.toLowerCase(), formatCode(raw).toLowerCase(), ` ${formatCode(raw)} `, `https://hall/delegate#code=${raw}`]) {
      const r = expectOk(run(state, 'attendance:checkIn', { code: typed }, DESK, ctx))
      expect(r.result).toMatchObject({ personId: 'd0007', delegation: '县直机关代表团', seat: '1排7座', previous: 'absent' })
      expect(r.state.attendance.get('d0007')).toMatchObject({ presence: 'present', via: 'desk' })
      expect(present(r.state)).toBe(1)
    }
  })

  it('refuses an unknown card and a string that cannot be a code', () => {
    const { state, ctx } = demoState()
    expect(run(state, 'attendance:checkIn', { code: 'ABCD-EFGH-JKMN-PQRS' }, DESK, ctx)).toMatchObject({ ok: false, error: 'UNKNOWN_CARD' })
    expect(run(state, 'attendance:checkIn', { code: 'hello' }, DESK, ctx)).toMatchObject({ ok: false, error: 'UNKNOWN_CARD' })
  })

  it('a revoked card is refused with the holder’s name, so the desk knows whom to call', () => {
    const demo = demoState()
    const { ctx, code } = demo
    const name = demo.state.persons.get('d0003')!.name
    const revoked = expectOk(run(demo.state, 'credential:revoke', { personId: 'd0003' }, DESK, ctx))
    const r = run(revoked.state, 'attendance:checkIn', { code: code('d0003') }, DESK, ctx)
    expect(r).toMatchObject({ ok: false, error: 'CARD_REVOKED', params: { name } })
    if (r.ok) return
    expect(errorMessage(r.error, r.params)).toBe(`该证件已作废（${name}），请使用新证件`)
    expect(present(r.state)).toBe(0)
    // Revoking again: there is nothing left to revoke.
    expect(run(revoked.state, 'credential:revoke', { personId: 'd0003' }, DESK, ctx)).toMatchObject({ ok: false, error: 'NO_CREDENTIAL' })
  })

  it('a reissued card works and the old one is refused as revoked', () => {
    const { state, ctx, code } = demoState()
    const old = code('d0010')
    const issued = expectOk(run(state, 'credential:issue', { personIds: ['d0010', 'd0010'] }, DESK, ctx))
    const cards = (issued.result as { issued: Array<{ personId: string; code: string }> }).issued
    // Asked twice in one list: one card, not two.
    expect(cards).toHaveLength(1)
    expect(cards[0].personId).toBe('d0010')
    expect(cards[0].code).not.toBe(old)
    const byOld = run(issued.state, 'attendance:checkIn', { code: old }, DESK, ctx)
    expect(byOld).toMatchObject({ ok: false, error: 'CARD_REVOKED', params: { name: state.persons.get('d0010')!.name } })
    const byNew = expectOk(run(issued.state, 'attendance:checkIn', { code: cards[0].code }, DESK, ctx))
    expect(byNew.result).toMatchObject({ personId: 'd0010' })
  })

  it('the desk must say whom it checks in', () => {
    const { state, ctx } = demoState()
    expect(run(state, 'attendance:checkIn', {}, DESK, ctx)).toMatchObject({ ok: false, error: 'INVALID_PAYLOAD' })
    expect(run(state, 'attendance:checkIn', { personId: 'nobody' }, DESK, ctx)).toMatchObject({
      ok: false,
      error: 'PERSON_NOT_FOUND',
      params: { personId: 'nobody' },
    })
  })

  it('a second check-in is refused and names the person; staff do not check in', () => {
    const { state, ctx } = demoState()
    const first = expectOk(run(state, 'attendance:checkIn', { personId: 'd0001' }, DESK, ctx))
    const again = run(first.state, 'attendance:checkIn', { personId: 'd0001' }, DESK, ctx)
    expect(again).toMatchObject({ ok: false, error: 'ALREADY_CHECKED_IN', params: { name: state.persons.get('d0001')!.name } })
    expect(run(state, 'attendance:checkIn', { personId: 'chair' }, DESK, ctx)).toMatchObject({ ok: false, error: 'NOT_ATTENDEE' })
  })
})

describe('undoing a check-in', () => {
  it('restores what was there before: leave → check-in → undo gives the leave back, with its reason', () => {
    const { state, ctx } = demoState()
    const leave = expectOk(run(state, 'attendance:registerLeave', { personId: 'd0020', reason: 'illness' }, DESK, ctx))
    expect(summarize(leave.state).total).toMatchObject({ onLeave: 1, leaveIllness: 1, present: 0 })
    const came = expectOk(run(leave.state, 'attendance:checkIn', { personId: 'd0020' }, DESK, ctx))
    expect(came.result).toMatchObject({ previous: 'leave' })
    expect(summarize(came.state).total).toMatchObject({ onLeave: 0, present: 1 })
    const undone = expectOk(run(came.state, 'attendance:undoCheckIn', { personId: 'd0020' }, DESK, ctx))
    expect(undone.state.attendance.get('d0020')).toMatchObject({ presence: 'leave', leaveReason: 'illness' })
    expect(summarize(undone.state).total).toMatchObject({ onLeave: 1, leaveIllness: 1, present: 0 })
    expect(deskView(undone.state).roster.find((r) => r.id === 'd0020')).toMatchObject({ presence: 'leave', undoable: false })
    // Only one undo per check-in.
    expect(run(undone.state, 'attendance:undoCheckIn', { personId: 'd0020' }, DESK, ctx)).toMatchObject({ ok: false, error: 'NOTHING_TO_UNDO' })
  })

  it('after a walk-out and a return, undo puts the delegate back to "left", not "absent"', () => {
    const { state, ctx } = demoState()
    let s = expectOk(run(state, 'attendance:checkIn', { personId: 'd0021' }, DESK, ctx)).state
    s = expectOk(run(s, 'attendance:checkOut', { personId: 'd0021' }, DESK, ctx)).state
    s = expectOk(run(s, 'attendance:checkIn', { personId: 'd0021' }, DESK, ctx)).state
    s = expectOk(run(s, 'attendance:undoCheckIn', { personId: 'd0021' }, DESK, ctx)).state
    expect(presence(s, 'd0021')).toBe('left')
    expect(summarize(s).total).toMatchObject({ present: 0, left: 1 })
  })

  it('there is nothing to undo for someone never checked in, and only the desk may undo', () => {
    const { state, ctx } = demoState()
    expect(run(state, 'attendance:undoCheckIn', { personId: 'd0022' }, DESK, ctx)).toMatchObject({ ok: false, error: 'NOTHING_TO_UNDO' })
    const s = expectOk(run(state, 'attendance:checkIn', { personId: 'd0022' }, DESK, ctx)).state
    expect(run(s, 'attendance:undoCheckIn', { personId: 'd0022' }, delegate('d0022'), ctx)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(run(s, 'attendance:undoCheckIn', { personId: 'd0022' }, CHAIR, ctx)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
  })
})

describe('check-out (walk-out)', () => {
  it('takes a present delegate out of the count and refuses one who is not present', () => {
    const { state, ctx } = demoState()
    expect(run(state, 'attendance:checkOut', { personId: 'd0030' }, DESK, ctx)).toMatchObject({ ok: false, error: 'NOT_CHECKED_IN' })
    const inside = expectOk(run(state, 'attendance:checkIn', { personId: 'd0030' }, DESK, ctx)).state
    const out = expectOk(run(inside, 'attendance:checkOut', { personId: 'd0030' }, DESK, ctx))
    expect(summarize(out.state).total).toMatchObject({ present: 0, left: 1, absent: 251 })
    expect(ownStatus(out.state, 'd0030')).toMatchObject({ presence: 'left', canVote: false })
    expect(run(out.state, 'attendance:checkOut', { personId: 'd0030' }, DESK, ctx)).toMatchObject({ ok: false, error: 'NOT_CHECKED_IN' })
    expect(run(out.state, 'attendance:checkOut', {}, DESK, ctx)).toMatchObject({ ok: false, error: 'INVALID_PAYLOAD' })
  })

  it('a delegate checks themselves out on the tablet, but not someone else', () => {
    const { state, ctx } = demoState()
    const me = delegate('d0031')
    const inside = expectOk(run(state, 'attendance:checkIn', {}, me, ctx))
    expect(inside.state.attendance.get('d0031')).toMatchObject({ presence: 'present', via: 'tablet' })
    expect(ownStatus(inside.state, 'd0031')!.canVote).toBe(true)
    const other = expectOk(run(inside.state, 'attendance:checkIn', { personId: 'd0032' }, DESK, ctx)).state
    expect(run(other, 'attendance:checkOut', { personId: 'd0032' }, me, ctx)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    const out = expectOk(run(other, 'attendance:checkOut', {}, me, ctx))
    expect(presence(out.state, 'd0031')).toBe('left')
    expect(presence(out.state, 'd0032')).toBe('present')
  })
})

describe('leave (请假)', () => {
  it('is registered with a reason, may change reason, is refused twice and while present, and can be cancelled', () => {
    const { state, ctx } = demoState()
    const name = state.persons.get('d0040')!.name
    const business = expectOk(run(state, 'attendance:registerLeave', { personId: 'd0040', reason: 'business' }, DESK, ctx))
    expect(summarize(business.state).total).toMatchObject({ onLeave: 1, leaveBusiness: 1, absent: 250 })
    expect(run(business.state, 'attendance:registerLeave', { personId: 'd0040', reason: 'business' }, DESK, ctx)).toMatchObject({
      ok: false,
      error: 'ALREADY_ON_LEAVE',
      params: { name },
    })
    const illness = expectOk(run(business.state, 'attendance:registerLeave', { personId: 'd0040', reason: 'illness' }, DESK, ctx))
    expect(summarize(illness.state).total).toMatchObject({ onLeave: 1, leaveBusiness: 0, leaveIllness: 1 })
    const cancelled = expectOk(run(illness.state, 'attendance:cancelLeave', { personId: 'd0040' }, DESK, ctx))
    expect(presence(cancelled.state, 'd0040')).toBe('absent')
    expect(summarize(cancelled.state).total.onLeave).toBe(0)
    expect(run(cancelled.state, 'attendance:cancelLeave', { personId: 'd0040' }, DESK, ctx)).toMatchObject({ ok: false, error: 'NOT_ON_LEAVE' })

    const inside = expectOk(run(state, 'attendance:checkIn', { personId: 'd0041' }, DESK, ctx)).state
    expect(run(inside, 'attendance:registerLeave', { personId: 'd0041', reason: 'illness' }, DESK, ctx)).toMatchObject({
      ok: false,
      error: 'LEAVE_WHILE_PRESENT',
    })
  })

  it('is for attendees only, registered by the desk, and a leaving delegate who walked out may take leave', () => {
    const { state, ctx } = demoState()
    expect(run(state, 'attendance:registerLeave', { personId: 'sec2', reason: 'business' }, DESK, ctx)).toMatchObject({
      ok: false,
      error: 'NOT_ATTENDEE',
    })
    expect(run(state, 'attendance:registerLeave', { personId: 'd0042', reason: 'business' }, delegate('d0042'), ctx)).toMatchObject({
      ok: false,
      error: 'FORBIDDEN',
    })
    let s = expectOk(run(state, 'attendance:checkIn', { personId: 'd0043' }, DESK, ctx)).state
    s = expectOk(run(s, 'attendance:checkOut', { personId: 'd0043' }, DESK, ctx)).state
    s = expectOk(run(s, 'attendance:registerLeave', { personId: 'd0043', reason: 'illness' }, DESK, ctx)).state
    expect(summarize(s).total).toMatchObject({ present: 0, left: 0, onLeave: 1 })
  })
})

describe('self check-in on the tablet', () => {
  it('is switched off by meeting:configure: the tablet is refused, the desk still checks in', () => {
    const { state, ctx } = demoState()
    const me = delegate('d0050')
    const off = expectOk(run(state, 'meeting:configure', { selfCheckIn: false }, DESK, ctx))
    expect(off.events).toEqual([{ type: 'meeting.configured', changes: { selfCheckIn: false } }])
    expect(publicView(off.state).meeting?.selfCheckIn).toBe(false)
    expect(run(off.state, 'attendance:checkIn', {}, me, ctx)).toMatchObject({ ok: false, error: 'SELF_CHECKIN_DISABLED' })
    const desk = expectOk(run(off.state, 'attendance:checkIn', { personId: 'd0050' }, DESK, ctx)).state
    expect(run(desk, 'attendance:checkOut', {}, me, ctx)).toMatchObject({ ok: false, error: 'SELF_CHECKIN_DISABLED' })
    const on = expectOk(run(desk, 'meeting:configure', { selfCheckIn: true }, DESK, ctx)).state
    expect(expectOk(run(on, 'attendance:checkOut', {}, me, ctx)).result).toMatchObject({ personId: 'd0050' })
  })

  it('only the delegate’s own check-in: another id or a card code from a tablet is refused', () => {
    const { state, ctx, code } = demoState()
    const me = delegate('d0051')
    expect(run(state, 'attendance:checkIn', { personId: 'd0052' }, me, ctx)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(run(state, 'attendance:checkIn', { code: code('d0052') }, me, ctx)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    const own = expectOk(run(state, 'attendance:checkIn', { personId: 'd0051' }, me, ctx))
    expect(presence(own.state, 'd0051')).toBe('present')
    expect(presence(own.state, 'd0052')).toBe('absent')
  })

  it('the chair and the display cannot check anyone in', () => {
    const { state, ctx } = demoState()
    expect(run(state, 'attendance:checkIn', { personId: 'd0053' }, CHAIR, ctx)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(run(state, 'attendance:checkIn', { personId: 'd0053' }, DISPLAY, ctx)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
  })
})

describe('who may check in', () => {
  it('observers check in but are not counted as present, and cannot vote', () => {
    const { state, ctx, code } = demoState()
    const byTablet = expectOk(run(state, 'attendance:checkIn', {}, { personId: 'o01', role: 'observer' }, ctx))
    const byDesk = expectOk(run(byTablet.state, 'attendance:checkIn', { code: code('o02') }, DESK, ctx))
    expect(presence(byDesk.state, 'o01')).toBe('present')
    expect(presence(byDesk.state, 'o02')).toBe('present')
    expect(summarize(byDesk.state).total).toMatchObject({ shouldAttend: 251, present: 0 })
    expect(ownStatus(byDesk.state, 'o01')!.canVote).toBe(false)
  })

  it('a suspended or terminated delegate is refused by name', () => {
    const { state, ctx } = demoState()
    const p = state.persons.get('d0060')!
    const suspended = expectOk(run(state, 'person:save', { ...p, status: 'suspended' }, DESK, ctx)).state
    expect(summarize(suspended).total.shouldAttend).toBe(250)
    expect(run(suspended, 'attendance:checkIn', { personId: 'd0060' }, DESK, ctx)).toMatchObject({
      ok: false,
      error: 'NOT_ACTIVE',
      params: { name: p.name },
    })
    expect(run(suspended, 'attendance:checkIn', {}, delegate('d0060'), ctx)).toMatchObject({ ok: false, error: 'NOT_ACTIVE' })
    const terminated = expectOk(run(state, 'person:save', { ...p, status: 'terminated' }, DESK, ctx)).state
    expect(run(terminated, 'attendance:registerLeave', { personId: 'd0060', reason: 'illness' }, DESK, ctx)).toMatchObject({
      ok: false,
      error: 'NOT_ACTIVE',
    })
  })

  it('person:save refuses an unknown delegation and saving an unchanged person writes nothing', () => {
    const { state, ctx } = demoState()
    const p = state.persons.get('d0061')!
    expect(run(state, 'person:save', { ...p, delegationId: 'g99' }, DESK, ctx)).toMatchObject({
      ok: false,
      error: 'DELEGATION_NOT_FOUND',
      params: { delegationId: 'g99' },
    })
    expect(expectOk(run(state, 'person:save', { ...p }, DESK, ctx)).events).toEqual([])
  })
})

describe('roster import', () => {
  function importRoster(demo: Demo, mode: 'replace' | 'merge', persons = [person('n1', { delegationId: 'h1' }), person('n2', { delegationId: 'h1' })]) {
    const d = decideRosterImport(demo.state, mode, [{ id: 'h1', name: '新代表团', order: 1 }], persons)
    if (isRefusal(d)) return d
    return { ...d, state: fold(demo.state, d.events, demo.ctx.tick()) }
  }

  it('replace keeps the staff accounts and their cards, and drops old delegates with their attendance and cards', () => {
    const demo = demoState()
    let s = expectOk(run(demo.state, 'attendance:checkIn', { personId: 'd0001' }, DESK, demo.ctx)).state
    s = expectOk(run(s, 'attendance:registerLeave', { personId: 'd0002', reason: 'illness' }, DESK, demo.ctx)).state
    s = expectOk(run(s, 'attendance:checkIn', { personId: 'o01' }, DESK, demo.ctx)).state
    const r = importRoster({ ...demo, state: s }, 'replace')
    if (isRefusal(r)) throw new Error(r.error)
    expect(r.result).toEqual({ delegations: 1, persons: 2 })
    const after = r.state
    expect([...after.persons.keys()].sort()).toEqual(['chair', 'display1', 'n1', 'n2', 'sec1', 'sec2'])
    expect(after.attendance.has('d0001')).toBe(false)
    expect(after.attendance.has('d0002')).toBe(false)
    expect(after.attendance.has('o01')).toBe(false)
    expect([...after.delegations.keys()]).toEqual(['h1'])
    expect(summarize(after).total).toMatchObject({ shouldAttend: 2, present: 0, onLeave: 0 })
    // Staff can still log in; the old delegates' cards no longer identify anyone live.
    for (const id of ['chair', 'sec1', 'sec2', 'display1']) expect(after.credentialOf.has(id)).toBe(true)
    expect(after.credentialOf.has('d0001')).toBe(false)
    // The holder is gone from the roster: the card is simply not a card of this meeting any more.
    expect(run(after, 'attendance:checkIn', { code: demo.code('d0001') }, DESK, demo.ctx)).toMatchObject({ ok: false, error: 'UNKNOWN_CARD' })
    // The new delegates exist and check in by id.
    expect(expectOk(run(after, 'attendance:checkIn', { personId: 'n1' }, DESK, demo.ctx)).result).toMatchObject({ delegation: '新代表团' })
  })

  it('merge adds to the roster and keeps attendance and cards', () => {
    const demo = demoState()
    const s = expectOk(run(demo.state, 'attendance:checkIn', { personId: 'd0001' }, DESK, demo.ctx)).state
    const r = importRoster({ ...demo, state: s }, 'merge')
    if (isRefusal(r)) throw new Error(r.error)
    expect(summarize(r.state).total).toMatchObject({ shouldAttend: 253, present: 1 })
    expect(r.state.credentialOf.has('d0001')).toBe(true)
  })

  it('refuses duplicate ids, in the file or against a staff account, and changes nothing', () => {
    const demo = demoState()
    expect(importRoster(demo, 'merge', [person('n1'), person('n2'), person('n1')])).toMatchObject({ error: 'DUPLICATE_ID', params: { id: 'n1' } })
    expect(importRoster(demo, 'replace', [person('n1'), person('sec1')])).toMatchObject({ error: 'DUPLICATE_ID', params: { id: 'sec1' } })
    expect(demo.state.persons.get('sec1')!.role).toBe('secretariat')
  })

  it('needs a meeting', () => {
    const demo = demoState()
    expect(decideRosterImport({ ...demo.state, meeting: null }, 'merge', [], [person('n1')])).toMatchObject({ error: 'NO_MEETING' })
  })
})
