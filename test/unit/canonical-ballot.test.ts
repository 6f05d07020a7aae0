// The cast path stores each secret ballot in canonical form through a fast writer for elections; it
// must give byte for byte what the generic canonical JSON (the digest and the export use) gives.
import { describe, expect, it } from 'vitest'
import { prng } from '../../shared/prng'
import { canonicalBallot, checkBallot } from '../../shared/domain/counting'
import { canonicalJson } from '../../shared/domain/digest'
import { canonicalElectionBallot, type ElectionBallot, type ElectionMark } from '../../shared/domain/elections'
import type { PollSpec } from '../../shared/domain/polls'
import { emptyState } from '../../shared/domain/types'

const MARKS: ElectionMark[] = ['for', 'against', 'abstain']

describe('canonical election ballots', () => {
  it('match canonicalJson for ballots with any subset of marks and odd write-in ids', () => {
    const rand = prng(99)
    // Server ids sort as strings (c1 < c10 < c2), and ids a client could never choose still encode.
    const ids = [...Array.from({ length: 24 }, (_, i) => `c${i + 1}`), 'Z', 'a"b', 'ü', '__proto__', '候选人']
    const people = ['p1', 'p10', 'p2', 'x"y\\z', '李四', 'line\nbreak', '\u2028']
    for (let n = 0; n < 2000; n++) {
      const entries: Array<[string, ElectionMark]> = []
      for (const id of ids) if (rand() < 0.8) entries.push([id, MARKS[Math.floor(rand() * 3)]])
      const writeIns = people.filter(() => rand() < 0.2).sort()
      const b: ElectionBallot = { marks: Object.fromEntries(entries), writeIns }
      expect(canonicalElectionBallot(b, ids)).toBe(canonicalJson(b))
    }
  })

  it('canonicalBallot gives the canonical JSON of what checkBallot returned, for every kind', () => {
    const s = emptyState()
    const election: PollSpec = {
      kind: 'election',
      seats: 2,
      electionKind: 'committee',
      thresholdBase: 'shouldAttend',
      minSurplusPct: 0,
      candidates: Array.from({ length: 12 }, (_, i) => ({ id: `c${i + 1}`, name: `候选人${i + 1}`, personId: null })),
    } as PollSpec
    const rand = prng(7)
    for (let n = 0; n < 200; n++) {
      // Sent with the keys in any order: the stored form is the same.
      const entries = Array.from({ length: 12 }, (_, i) => [`c${i + 1}`, MARKS[Math.floor(rand() * 3)]] as const).sort(() => rand() - 0.5)
      const checked = checkBallot(election, { writeIns: [], marks: Object.fromEntries(entries) }, s)
      expect(checked.ok).toBe(true)
      if (!checked.ok) continue
      const stored = canonicalBallot(election, checked.ballot)
      expect(stored).toBe(canonicalJson(checked.ballot))
      expect(stored.startsWith('{"marks":{"c1":')).toBe(true)
    }
    const resolution: PollSpec = { kind: 'resolution' } as PollSpec
    const r = checkBallot(resolution, { mark: 'against' }, s)
    expect(r.ok && canonicalBallot(resolution, r.ballot)).toBe('{"mark":"against"}')
  })
})
