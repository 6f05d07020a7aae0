// The chair's live table of a named vote: per delegation the marks cast and who has not voted,
// every voter under the delegation they belong to now.
import { describe, expect, it } from 'vitest'
import type { DomainEvent } from '../../shared/domain/events'
import { pollView } from '../../shared/domain/poll-views'
import { freezeState, type MeetingState } from '../../shared/domain/types'
import { CHAIR, DESK, demoState, fold, run } from '../helpers/domain'

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r)}`)
  return r as Extract<T, { ok: true }>
}

describe("the chair's per-delegation table of a named vote", () => {
  const { state: s0, ctx } = demoState()
  const delegates = [...s0.persons.values()].filter((p) => p.role === 'delegate')
  let s: MeetingState = s0
  for (const d of delegates) s = ok(run(s, 'attendance:checkIn', { personId: d.id }, DESK, ctx)).state
  const created = ok(run(s, 'poll:create', { title: '决议', spec: { kind: 'resolution', question: '通过' }, secret: false }, CHAIR, ctx))
  const pollId = (created.result as { pollId: string }).pollId
  s = freezeState(ok(run(created.state, 'poll:open', { pollId }, CHAIR, ctx)).state)

  const table = (st: MeetingState) => pollView(st, st.polls.get(pollId)!, 'chair', new Map()).byDelegation!
  const step = (st: MeetingState, events: DomainEvent[]) => freezeState(fold(st, events, ctx.tick()))
  const cast = (personId: string, mark: string): DomainEvent => ({ type: 'ballot.castOpen', pollId, n: 1, personId, ballot: { mark } })
  const row = (st: MeetingState, delegationId: string) => table(st).find((r) => r.id === delegationId)!

  const [a, b] = [...new Set(delegates.map((d) => d.delegationId!))]
  const inA = delegates.filter((d) => d.delegationId === a)
  const inB = delegates.filter((d) => d.delegationId === b)

  it('counts each delegation, and is not rebuilt for a view of the same ballots and roster', () => {
    const s1 = step(s, [cast(inA[0].id, 'for'), cast(inA[1].id, 'against'), cast(inB[0].id, 'for')])
    expect(row(s1, a)).toMatchObject({ tally: { for: 1, against: 1 }, notVoted: inA.length - 2 })
    expect(row(s1, b)).toMatchObject({ tally: { for: 1 }, notVoted: inB.length - 1 })
    expect(table(s1).reduce((n, r) => n + r.notVoted, 0)).toBe(delegates.length - 3)
    // A later version that changed neither (a check-out) shares the table already built.
    const s2 = freezeState(ok(run(s1, 'attendance:checkOut', { personId: inB[5].id }, DESK, ctx)).state)
    expect(table(s2)).toBe(table(s1))
  })

  it('shows a delegate moved to another delegation during the round under the new one, ballot and all', () => {
    const mover = inA[0]
    const s1 = step(s, [cast(mover.id, 'for'), cast(inA[1].id, 'against')])
    const s2 = step(s1, [{ type: 'person.saved', person: { ...mover, delegationId: b } }])
    expect(row(s2, a)).toMatchObject({ tally: { against: 1 }, notVoted: inA.length - 2 })
    expect(row(s2, b)).toMatchObject({ tally: { for: 1 }, notVoted: inB.length })
    // Still every voter once, and every ballot once.
    expect(table(s2).reduce((n, r) => n + r.notVoted, 0)).toBe(delegates.length - 2)
    expect(table(s2).reduce((n, r) => n + (r.tally.for ?? 0) + (r.tally.against ?? 0), 0)).toBe(2)
  })
})
