// Count-only changes reach tablets as patches of the public view (state:patched). A tablet that
// applies the patch to the view it holds must end with exactly the view the server built, as it
// would arrive over the wire; a patch for a view the tablet never got must not be applied.
import { describe, expect, it } from 'vitest'
import { roundKey } from '../../shared/domain/polls'
import { applyPublicPatch, publicPatch, viewParts, type StatePatched } from '../../shared/domain/view-patch'
import { publicView, type PublicView } from '../../shared/domain/views'
import type { MeetingState } from '../../shared/domain/types'
import { initialGate, patchAction } from '../../client/src/logic/versions'
import { CHAIR, DESK, demoState, run } from '../helpers/domain'

/** As a tablet gets it: through JSON. */
const wire = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r)}`)
  return r as Extract<T, { ok: true }>
}

describe('public view patches', () => {
  const { state: s0, ctx } = demoState()
  let s: MeetingState = s0
  const delegates = [...s0.persons.values()].filter((p) => p.role === 'delegate').map((p) => p.id)
  for (const id of delegates.slice(0, 150)) s = ok(run(s, 'attendance:checkIn', { personId: id }, DESK, ctx)).state
  const created = ok(
    run(
      s,
      'poll:create',
      { title: '选举委员', spec: { kind: 'election', seats: 2, electionKind: 'committee', candidates: [{ name: '丁一' }, { name: '王二' }, { name: '李三' }] } },
      CHAIR,
      ctx,
    ),
  )
  const pollId = (created.result as { pollId: string }).pollId
  s = ok(run(created.state, 'poll:open', { pollId }, CHAIR, ctx)).state
  const key = roundKey(pollId, 1)
  const view = (st: MeetingState, turnout: number) => publicView(st, undefined, { turnout: new Map([[key, turnout]]) })

  /** The public view now and after each further check-in (of delegates[first], delegates[first + 1],
   * …), with these turnouts. */
  function afterCheckIns(first: number, turnouts: number[]): PublicView[] {
    let st = s
    return turnouts.map((t, i) => {
      if (i > 0) st = ok(run(st, 'attendance:checkIn', { personId: delegates[first + i - 1] }, DESK, ctx)).state
      return view(st, t)
    })
  }

  /** Server side: the patch from `a` to `b`; tablet side: `a` (as received) with the patch applied. */
  function step(a: PublicView, b: PublicView) {
    const patch = wire(publicPatch(viewParts(a), b, viewParts(b), 123))
    return { patch, applied: applyPublicPatch(wire(a), patch) }
  }

  it('a check-in: the tablet ends with the server’s view, from a patch a fraction of its size', () => {
    const a = view(s, 10)
    const s2 = ok(run(s, 'attendance:checkIn', { personId: delegates[160] }, DESK, ctx)).state
    const b = view(s2, 11)
    const { patch, applied } = step(a, b)
    expect(applied).toEqual(wire(b))
    expect(applied!.attendance.present).toBe(151)
    expect(patch).toMatchObject({ kind: 'public', baseVersion: a.version, version: b.version })
    // Only the open poll's turnout rides along; its entry, the agenda, speech and meeting do not.
    expect(patch.polls).toEqual([])
    expect(patch.turnout).toEqual({ [pollId]: 11 })
    expect(Object.keys(patch.set).sort()).toEqual(['announcement', 'attendance', 'quorum'])
    expect(JSON.stringify(patch).length).toBeLessThan(JSON.stringify(b).length / 2)
  })

  it('turnout alone (no new version): applied to the same version', () => {
    const a = view(s, 10)
    const b = view(s, 57)
    const { patch, applied } = step(a, b)
    expect(patch.baseVersion).toBe(patch.version)
    expect(applied).toEqual(wire(b))
    expect(applied!.polls.find((p) => p.id === pollId)!.round!.turnout).toBe(57)
  })

  it('a change to the list of polls sends the list; a changed entry is sent whole', () => {
    const a = view(s, 3)
    // (Drafts are not in the public view: the list is extended by hand, as a published poll would.)
    const b: PublicView = { ...a, polls: [...a.polls, { ...a.polls[0], id: 'poll-later', title: '另一项' }] }
    const listed = step(a, b)
    expect(listed.patch.set.polls?.length).toBe(2)
    expect(listed.applied).toEqual(wire(b))
    const c: PublicView = { ...a, polls: [{ ...a.polls[0], title: '选举委员（第二轮）' }] }
    const changed = step(a, c)
    expect(changed.patch.polls.map((p) => p.title)).toEqual(['选举委员（第二轮）'])
    expect(changed.patch.turnout).toEqual({})
    expect(changed.applied).toEqual(wire(c))
  })

  it('a patch for a view the tablet never got is not applied: the tablet asks for a snapshot', () => {
    const [a, b, c] = afterCheckIns(170, [1, 2, 3])
    // The tablet holds a; the patch b -> c arrives (it missed a -> b).
    const missed = wire(publicPatch(viewParts(b), c, viewParts(c), 1))
    expect(applyPublicPatch(wire(a), missed)).toBeNull()
    const gate = { version: a.version, resync: false }
    expect(patchAction(gate, a.version, missed)).toBe('sync')
    expect(patchAction(gate, b.version, missed)).toBe('apply')
    // Older than what is shown, or while a snapshot is awaited: dropped.
    expect(patchAction({ version: c.version + 1, resync: false }, c.version + 1, missed)).toBe('ignore')
    expect(patchAction(initialGate(), null, missed)).toBe('ignore')
  })

  it('a view taken between two patches (a snapshot after a reconnect) takes the next patch exactly', () => {
    const [a, between, c] = afterCheckIns(172, [1, 4, 6])
    const patch = wire(publicPatch(viewParts(a), c, viewParts(c), 1))
    expect(patch.baseVersion).toBeLessThan(between.version)
    expect(patchAction({ version: between.version, resync: false }, between.version, patch)).toBe('apply')
    expect(applyPublicPatch(wire(between), patch)).toEqual(wire(c))
  })

  it('applied in sequence over many check-ins and turnout moves, the tablet never drifts', () => {
    let st = s
    let held = wire(view(st, 0))
    let prev = view(st, 0)
    let turnout = 0
    for (let i = 0; i < 60; i++) {
      if (i % 3 !== 2) st = ok(run(st, 'attendance:checkIn', { personId: delegates[180 + i] }, DESK, ctx)).state
      turnout += i % 2
      const next = view(st, turnout)
      const patch: StatePatched = wire(publicPatch(viewParts(prev), next, viewParts(next), i))
      held = applyPublicPatch(held, patch)!
      expect(held).not.toBeNull()
      prev = next
    }
    expect(held).toEqual(wire(prev))
  })
})
