// Quorum as the hall meets it (DOMAIN.md, "Attendance and quorum"): the default rule per meeting
// type, the edges where "more than" and "at least" differ, who counts as "should attend", and the
// opening announcement the chair reads out.
import { describe, expect, it } from 'vitest'
import type { DomainEvent } from '../../shared/domain/events'
import {
  announcement,
  defaultQuorum,
  meetsRule,
  quorumStatus,
  requiredFor,
  shouldAttend,
  summarize,
  type Counts,
} from '../../shared/domain/quorum'
import { publicView } from '../../shared/domain/views'
import { emptyState, type Meeting, type MeetingType, type Person, type QuorumRule } from '../../shared/domain/types'
import { fold, person } from '../helpers/domain'

const AT = 1_700_000_000_000

function counts(shouldAttend: number, present: number, leaveBusiness = 0, leaveIllness = 0): Counts {
  const onLeave = leaveBusiness + leaveIllness
  return { shouldAttend, present, onLeave, leaveBusiness, leaveIllness, left: 0, absent: shouldAttend - present - onLeave }
}

/** The least present count that meets the rule, found by trying every count. */
function leastMeeting(base: number, rule: QuorumRule): number | null {
  for (let n = 0; n <= base; n++) if (meetsRule(n, base, rule)) return n
  return null
}

function meeting(type: MeetingType): Meeting {
  return { id: 'm', name: '测试会议', type, quorum: defaultQuorum(type), selfCheckIn: true, createdAt: AT }
}

/** A hall of `persons`, with the given ids checked in and on leave. */
function hall(type: MeetingType, persons: Person[], present: string[] = [], leave: Array<[string, 'business' | 'illness']> = []) {
  const events: DomainEvent[] = [
    { type: 'meeting.created', meeting: meeting(type) },
    { type: 'roster.imported', mode: 'replace', delegations: [{ id: 'g1', name: '第一代表团', order: 1 }], persons },
    ...present.map((personId): DomainEvent => ({ type: 'attendance.checkedIn', personId, via: 'desk' })),
    ...leave.map(([personId, reason]): DomainEvent => ({ type: 'attendance.leaveRegistered', personId, reason })),
  ]
  return fold(emptyState(), events, AT)
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)

describe('default quorum per meeting type', () => {
  it('a congress opens with more than half present, and exactly half is not enough', () => {
    const q = defaultQuorum('congress')
    for (const rule of [q.general, q.election, q.vote]) {
      expect(meetsRule(10, 20, rule)).toBe(false)
      expect(meetsRule(11, 20, rule)).toBe(true)
      expect(meetsRule(50, 100, rule)).toBe(false)
      expect(meetsRule(51, 100, rule)).toBe(true)
    }
  })

  it('a committee plenary elects with more than 2/3 present, but an appointment vote needs only at least 2/3', () => {
    const q = defaultQuorum('plenary')
    // 30 members: two thirds is exactly 20.
    expect(meetsRule(20, 30, q.election)).toBe(false)
    expect(meetsRule(21, 30, q.election)).toBe(true)
    expect(meetsRule(20, 30, q.general)).toBe(false)
    expect(meetsRule(20, 30, q.vote)).toBe(false)
    expect(meetsRule(20, 30, q.appointment)).toBe(true)
    expect(meetsRule(19, 30, q.appointment)).toBe(false)
  })

  it('a grassroots congress needs more than 4/5 present', () => {
    const q = defaultQuorum('grassroots')
    for (const rule of [q.general, q.election, q.vote, q.appointment]) {
      expect(meetsRule(40, 50, rule)).toBe(false)
      expect(meetsRule(41, 50, rule)).toBe(true)
    }
  })

  it('each type has its own numbers: 251 who should attend need 126, 168 and 201 present', () => {
    expect(requiredFor(251, defaultQuorum('congress').general)).toBe(126)
    expect(requiredFor(251, defaultQuorum('plenary').general)).toBe(168)
    expect(requiredFor(251, defaultQuorum('grassroots').general)).toBe(201)
    expect(meetsRule(125, 251, defaultQuorum('congress').general)).toBe(false)
    expect(meetsRule(126, 251, defaultQuorum('congress').general)).toBe(true)
  })
})

describe('required count', () => {
  it('for 30 members under 2/3 is 21 with "more than" and 20 with "at least"', () => {
    expect(requiredFor(30, { num: 2, den: 3, op: 'gt' })).toBe(21)
    expect(requiredFor(30, { num: 2, den: 3, op: 'gte' })).toBe(20)
    expect(requiredFor(31, { num: 2, den: 3, op: 'gt' })).toBe(21)
    expect(requiredFor(31, { num: 2, den: 3, op: 'gte' })).toBe(21)
  })

  it('agrees with meetsRule for every hall size up to 300, for every default rule', () => {
    const rules = (['congress', 'plenary', 'grassroots'] as const).flatMap((t) => Object.values(defaultQuorum(t)))
    for (const rule of rules) {
      for (let base = 1; base <= 300; base++) expect(requiredFor(base, rule), `${base} ${JSON.stringify(rule)}`).toBe(leastMeeting(base, rule))
    }
  })

  it('a hall where nobody should attend never has a quorum', () => {
    expect(meetsRule(0, 0, defaultQuorum('congress').general)).toBe(false)
    expect(quorumStatus(counts(0, 0), defaultQuorum('congress').general).met).toBe(false)
  })
})

describe('who should attend', () => {
  it('counts only active voting delegates: not suspended, terminated, observers, no-vote members or staff', () => {
    const roster: Person[] = [
      ...ids('d', 6).map((id) => person(id, { delegationId: 'g1' })),
      person('s1', { status: 'suspended', delegationId: 'g1' }),
      person('t1', { status: 'terminated', delegationId: 'g1' }),
      person('o1', { role: 'observer', votingRight: false }),
      person('alt1', { votingRight: false, delegationId: 'g1' }),
      person('sec', { role: 'secretariat', votingRight: false }),
      person('ch', { role: 'chair', votingRight: false }),
    ]
    expect(roster.filter(shouldAttend).map((p) => p.id)).toEqual(ids('d', 6))

    // The ones who do not count change nothing, whether they check in or not.
    const s = hall('congress', roster, ['d1', 'd2', 'd3', 's1', 't1', 'o1', 'alt1'])
    const sum = summarize(s)
    expect(sum.total).toMatchObject({ shouldAttend: 6, present: 3, absent: 3, onLeave: 0 })
    expect(sum.byDelegation.get('g1')).toMatchObject({ shouldAttend: 6, present: 3 })
    // 3 of 6 is exactly half: no quorum, although seven people are checked in.
    expect(publicView(s).quorum).toMatchObject({ met: false, required: 4 })
  })

  it('leave and walk-outs are not present; a delegate on leave still counts as should attend', () => {
    const roster = ids('d', 10).map((id) => person(id, { delegationId: 'g1' }))
    let s = hall('congress', roster, ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'], [['d9', 'business'], ['d10', 'illness']])
    s = fold(s, [{ type: 'attendance.checkedOut', personId: 'd6' }], AT + 1)
    expect(summarize(s).total).toEqual({
      shouldAttend: 10,
      present: 5,
      onLeave: 2,
      leaveBusiness: 1,
      leaveIllness: 1,
      left: 1,
      absent: 3,
    })
    // 5 of 10 present after the walk-out: the quorum is lost.
    expect(publicView(s).quorum.met).toBe(false)
  })
})

describe('the opening announcement', () => {
  it('reads exactly as DOMAIN.md when the congress quorum is met, with leave counted', () => {
    const c = counts(251, 240, 6, 5)
    const a = announcement(c, quorumStatus(c, defaultQuorum('congress').general))
    expect(a.zh).toBe('应到会代表251名，因事因病请假11名，实到会代表240名，超过应到会人数的半数，符合规定人数，可以开会。')
    expect(a.en).toContain('251 delegates should attend, 11 are on leave')
    expect(a.en).toContain('the quorum is met')
  })

  it('says the meeting cannot open when it is not met', () => {
    const c = counts(251, 125, 3, 2)
    const a = announcement(c, quorumStatus(c, defaultQuorum('congress').general))
    expect(a.zh).toBe('应到会代表251名，因事因病请假5名，实到会代表125名，未超过应到会人数的半数，不符合规定人数，不能开会。')
    expect(a.en).toContain('the quorum is not met and the meeting cannot open')
  })

  it('names the fraction of the rule in force: two thirds, four fifths, "reaches" for at-least rules', () => {
    const plenary = counts(30, 21)
    expect(announcement(plenary, quorumStatus(plenary, defaultQuorum('plenary').general)).zh).toBe(
      '应到会代表30名，因事因病请假0名，实到会代表21名，超过应到会人数的三分之二，符合规定人数，可以开会。',
    )
    const edge = counts(30, 20)
    expect(announcement(edge, quorumStatus(edge, defaultQuorum('plenary').general)).zh).toBe(
      '应到会代表30名，因事因病请假0名，实到会代表20名，未超过应到会人数的三分之二，不符合规定人数，不能开会。',
    )
    expect(announcement(edge, quorumStatus(edge, defaultQuorum('plenary').appointment)).zh).toBe(
      '应到会代表30名，因事因病请假0名，实到会代表20名，达到应到会人数的三分之二，符合规定人数，可以开会。',
    )
    const grassroots = counts(50, 41, 1, 0)
    expect(announcement(grassroots, quorumStatus(grassroots, defaultQuorum('grassroots').general)).zh).toBe(
      '应到会代表50名，因事因病请假1名，实到会代表41名，超过应到会人数的五分之四，符合规定人数，可以开会。',
    )
  })

  it('is built from the live state: the view the display shows counts leave and only active voters', () => {
    const roster = [
      ...ids('d', 9).map((id) => person(id, { delegationId: 'g1' })),
      person('s1', { status: 'suspended', delegationId: 'g1' }),
      person('o1', { role: 'observer', votingRight: false }),
    ]
    const s = hall('congress', roster, ['d1', 'd2', 'd3', 'd4', 'd5', 'o1'], [['d8', 'illness'], ['d9', 'business']])
    expect(publicView(s).announcement.zh).toBe(
      '应到会代表9名，因事因病请假2名，实到会代表5名，超过应到会人数的半数，符合规定人数，可以开会。',
    )
  })
})
