// The ballot box stores each secret ballot in a stored form (for an election, one letter per
// candidate: compactElectionBallot); what is counted, exported and digested is the ballot read back
// from it. Reading back must give exactly the ballot checkBallot returned, whatever the ids hold,
// so that the digest over canonical JSON is the same as if the box had stored canonical JSON.
import { describe, expect, it } from 'vitest'
import { prng } from '../../shared/prng'
import { checkBallot, checkStoredBallot, readStoredBallot } from '../../shared/domain/counting'
import { canonicalJson } from '../../shared/domain/digest'
import { compactElectionBallot, expandElectionBallot, type ElectionBallot, type ElectionMark } from '../../shared/domain/elections'
import type { PollSpec } from '../../shared/domain/polls'
import { emptyState } from '../../shared/domain/types'

const MARKS: ElectionMark[] = ['for', 'against', 'abstain']

const electionOf = (ids: string[]): PollSpec =>
  ({
    kind: 'election',
    seats: 2,
    electionKind: 'committee',
    thresholdBase: 'shouldAttend',
    minSurplusPct: 0,
    candidates: ids.map((id, i) => ({ id, name: `候选人${i + 1}`, personId: null })),
  }) as PollSpec

describe('stored election ballots', () => {
  it('read back to the same ballot, for any subset of marks and odd candidate and write-in ids', () => {
    const rand = prng(99)
    // Server ids sort as strings (c1 < c10 < c2), and ids a client could never choose still round-trip.
    const ids = [...Array.from({ length: 24 }, (_, i) => `c${i + 1}`), 'Z', 'a"b', 'ü', '__proto__', '候选人']
    const people = ['p1', 'p10', 'p2', 'x"y\\z', '李四', 'line\nbreak', '\u2028', 'F', '-']
    for (let n = 0; n < 2000; n++) {
      const marks: Record<string, ElectionMark> = {}
      for (const id of ids) {
        if (rand() >= 0.8) continue
        const m = MARKS[Math.floor(rand() * 3)]
        if (id === '__proto__') Object.defineProperty(marks, id, { value: m, enumerable: true, writable: true, configurable: true })
        else marks[id] = m
      }
      const b: ElectionBallot = { marks, writeIns: people.filter(() => rand() < 0.2).sort() }
      const stored = compactElectionBallot(b, ids)
      expect(stored.slice(0, ids.length)).toMatch(new RegExp(`^[FAB-]{${ids.length}}$`))
      expect(canonicalJson(expandElectionBallot(stored, ids))).toBe(canonicalJson(b))
    }
  })

  it('depend on the choices only, not on the order the marks were sent in', () => {
    const s = emptyState()
    const election = electionOf(Array.from({ length: 12 }, (_, i) => `c${i + 1}`))
    const rand = prng(7)
    for (let n = 0; n < 200; n++) {
      const entries = Array.from({ length: 12 }, (_, i) => [`c${i + 1}`, MARKS[Math.floor(rand() * 3)]] as const)
      const a = checkStoredBallot(election, { writeIns: [], marks: Object.fromEntries(entries) }, s)
      const b = checkStoredBallot(election, { marks: Object.fromEntries([...entries].sort(() => rand() - 0.5)), writeIns: [] }, s)
      expect(a.ok && b.ok).toBe(true)
      if (!a.ok || !b.ok) continue
      expect(b.stored).toBe(a.stored)
      // One letter per candidate, in the list's order.
      expect(a.stored).toBe(entries.map(([, m]) => ({ for: 'F', against: 'A', abstain: 'B' })[m]).join(''))
      const checked = checkBallot(election, { marks: Object.fromEntries(entries), writeIns: [] }, s)
      expect(checked.ok && canonicalJson(readStoredBallot(election, a.stored))).toBe(checked.ok && canonicalJson(checked.ballot))
    }
  })

  it('the cast path stores what checkBallot would accept, and refuses what it refuses, with the same reason', () => {
    const s = emptyState()
    s.persons.set('p1', { id: 'p1', role: 'delegate', status: 'active' } as never)
    s.persons.set('p2', { id: 'p2', role: 'delegate', status: 'active' } as never)
    s.persons.set('gone', { id: 'gone', role: 'delegate', status: 'withdrawn' } as never)
    const election = electionOf(['c1', 'c2', 'c3'])
    const all = { c1: 'for', c2: 'against', c3: 'abstain' }
    const cases: unknown[] = [
      { marks: all, writeIns: [] },
      { marks: all },
      { marks: all, writeIns: ['p2', 'p1'] },
      { marks: all, writeIns: ['p1', 'p1'] },
      { marks: all, writeIns: ['gone'] },
      { marks: all, writeIns: ['nobody'] },
      { marks: all, writeIns: [''] },
      { marks: all, writeIns: 'p1' },
      { marks: { c1: 'for', c2: 'for' }, writeIns: [] },
      { marks: { ...all, c9: 'for' }, writeIns: [] },
      { marks: { ...all, c3: 'maybe' }, writeIns: [] },
      { marks: all, writeIns: [], extra: 1 },
      { marks: [], writeIns: [] },
      null,
      'FAB',
      { marks: all, writeIns: Array.from({ length: 40 }, (_, i) => `x${i}`) },
    ]
    for (const ballot of cases) {
      const want = checkBallot(election, ballot, s)
      const got = checkStoredBallot(election, ballot, s)
      if (want.ok) expect(got).toEqual({ ok: true, stored: compactElectionBallot(want.ballot as ElectionBallot, ['c1', 'c2', 'c3']) })
      else expect(got).toEqual(want)
    }
    expect(checkStoredBallot(election, { marks: all, writeIns: ['p2', 'p1'] }, s)).toEqual({ ok: true, stored: 'FAB["p1","p2"]' })
  })

  it('the other kinds are stored as canonical JSON; JSON in a box is read as it is', () => {
    const s = emptyState()
    const resolution = { kind: 'resolution' } as PollSpec
    expect(checkStoredBallot(resolution, { mark: 'against' }, s)).toEqual({ ok: true, stored: '{"mark":"against"}' })
    expect(checkStoredBallot(resolution, { mark: 'maybe' }, s).ok).toBe(false)
    expect(readStoredBallot(resolution, '{"mark":"against"}')).toEqual({ mark: 'against' })
    // An election ballot a box holds as canonical JSON (stored before the letter form) still counts.
    const election = electionOf(['c1', 'c2'])
    expect(readStoredBallot(election, '{"marks":{"c1":"for","c2":"against"},"writeIns":["p9"]}')).toEqual({ marks: { c1: 'for', c2: 'against' }, writeIns: ['p9'] })
  })

  it('a stored form that does not fit the round is refused, not miscounted', () => {
    const election = electionOf(['c1', 'c2', 'c3'])
    expect(() => readStoredBallot(election, 'FA')).toThrow()
    expect(() => readStoredBallot(election, 'FAX')).toThrow()
    expect(() => readStoredBallot(election, 'FA-{"p1":1}')).toThrow()
    expect(() => readStoredBallot(election, 'FA-[1]')).toThrow()
    expect(() => readStoredBallot({ kind: 'resolution' } as PollSpec, 'F')).toThrow()
    expect(readStoredBallot(election, 'F-B["p1"]')).toEqual({ marks: { c1: 'for', c3: 'abstain' }, writeIns: ['p1'] })
  })
})
