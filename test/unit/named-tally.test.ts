import { describe, expect, it } from 'vitest'
import { namedBallots, namedTally } from '../../shared/domain/polls'
import { freezeState } from '../../shared/domain/types'
import { demoState, fold } from '../helpers/domain'

describe('named votes: the running tally kept as ballots are folded in', () => {
  it('equals a recount of the ballots, version after version', () => {
    const demo = demoState()
    const voters = [...demo.state.persons.values()].filter((p) => p.role === 'delegate').slice(0, 200)
    const marks = ['for', 'against', 'abstain'] as const
    let s = freezeState(demo.state)
    // Ballots arrive in batches, as the engine folds them; another round's ballots interleave.
    for (let i = 0; i < voters.length; i += 7) {
      const batch = voters.slice(i, i + 7).flatMap((v, j) => [
        { type: 'ballot.castOpen' as const, pollId: 'pv', n: 1, personId: v.id, ballot: { mark: marks[(i + j) % 3] } },
        ...(j === 0 ? [{ type: 'ballot.castOpen' as const, pollId: 'other', n: 2, personId: v.id, ballot: { mark: 'for' } }] : []),
      ])
      s = freezeState(fold(s, batch, demo.ctx.now))
      const recount = { cast: 0, marks: {} as Record<string, number> }
      for (const b of namedBallots(s, 'pv', 1).values()) {
        const mark = (b as { mark: string }).mark
        recount.cast++
        recount.marks[mark] = (recount.marks[mark] ?? 0) + 1
      }
      expect(namedTally(s, 'pv', 1)).toEqual(recount)
    }
    expect(namedTally(s, 'pv', 1).cast).toBe(200)
    expect(namedTally(s, 'other', 2).cast).toBe(Math.ceil(200 / 7))
    expect(namedTally(s, 'none', 1)).toEqual({ cast: 0, marks: {} })
  })
})
