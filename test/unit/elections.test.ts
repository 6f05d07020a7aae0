// Election counting as the scrutineers do it (DOMAIN.md, "Elections"): count the ballots returned,
// declare validity, tally, then apply "more than half" with ties and shortfalls, on worked examples
// from a 251-delegate county congress.
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_MIN_SURPLUS_PCT,
  checkBallotShape,
  countElection,
  forCount,
  surplusCheck,
  type Candidate,
  type ElectionBallot,
  type ElectionCountInput,
  type ElectionMark,
} from '../../shared/domain/elections'

const NAMES: Record<string, string> = { p1: '王明', p2: '李红', p3: '张强', p4: '刘洋', p5: '陈静', p9: '赵磊', p8: '周敏' }
const nameOf = (p: string) => NAMES[p] ?? p

function cands(...ids: string[]): Candidate[] {
  return ids.map((id, i) => ({ id, name: `候选人${id}`, personId: `p${i + 1}` }))
}

/** A ballot marking `forIds` for, everyone else in `all` with `rest`, plus write-ins. */
function ballot(all: string[], forIds: string[], writeIns: string[] = [], rest: ElectionMark = 'against'): ElectionBallot {
  const marks: Record<string, ElectionMark> = {}
  for (const id of all) marks[id] = forIds.includes(id) ? 'for' : rest
  return { marks, writeIns }
}

function times(n: number, b: ElectionBallot): ElectionBallot[] {
  return Array.from({ length: n }, () => structuredClone(b))
}

function count(partial: Partial<ElectionCountInput> & Pick<ElectionCountInput, 'seats' | 'candidates' | 'ballots'>) {
  return countElection({ issued: 240, shouldAttend: 251, present: 240, thresholdBase: 'shouldAttend', nameOf, ...partial })
}

function row(c: ReturnType<typeof countElection>, id: string) {
  const r = c.results.find((x) => x.id === id)
  if (!r) throw new Error(`no result for ${id}`)
  return r
}

describe('surplusCheck (差额比例)', () => {
  it('ships the configured defaults', () => {
    expect(DEFAULT_MIN_SURPLUS_PCT).toEqual({ delegates: 20, committee: 10, alternates: 10, discipline: 10, other: 0 })
  })

  it('rounds the required surplus up', () => {
    // 5 delegates at 20%: exactly 1 extra.
    expect(surplusCheck(5, 6, 20)).toEqual({ competitive: true, surplus: 1, required: 1, ok: true })
    // 7 at 20% = 1.4 -> 2.
    expect(surplusCheck(7, 8, 20)).toMatchObject({ required: 2, ok: false })
    expect(surplusCheck(7, 9, 20)).toMatchObject({ required: 2, ok: true })
    // 11 committee members at 10% = 1.1 -> 2; 10 at 10% is exactly 1, never rounded to 2.
    expect(surplusCheck(11, 12, 10)).toMatchObject({ required: 2, ok: false })
    expect(surplusCheck(11, 13, 10)).toMatchObject({ required: 2, ok: true })
    expect(surplusCheck(10, 11, 10)).toMatchObject({ required: 1, ok: true })
    expect(surplusCheck(30, 33, 10)).toMatchObject({ required: 3, ok: true })
  })

  it('warns on an uncontested list unless the minimum is 0', () => {
    expect(surplusCheck(3, 3, 10)).toEqual({ competitive: false, surplus: 0, required: 1, ok: false })
    expect(surplusCheck(3, 3, 0)).toEqual({ competitive: false, surplus: 0, required: 0, ok: true })
    expect(surplusCheck(1, 1, 0).ok).toBe(true)
  })

  it('is never ok with fewer candidates than seats', () => {
    expect(surplusCheck(3, 2, 0)).toEqual({ competitive: false, surplus: -1, required: 0, ok: false })
  })

  it('rejects nonsense input', () => {
    expect(() => surplusCheck(0, 1, 10)).toThrow(RangeError)
    expect(() => surplusCheck(2, -1, 10)).toThrow(RangeError)
    expect(() => surplusCheck(2, 3, -5)).toThrow(RangeError)
    expect(() => surplusCheck(2.5, 3, 10)).toThrow(RangeError)
  })
})

describe('checkBallotShape (cast time)', () => {
  const ids = ['a', 'b', 'c']
  const listed = new Set(['p1', 'p2', 'p3'])
  const eligible = (p: string) => p.startsWith('p')
  const check = (b: unknown) => checkBallotShape(b, ids, eligible, listed)

  it('accepts a complete ballot and returns a clean copy with write-ins sorted', () => {
    const b = { marks: { c: 'abstain', a: 'for', b: 'against' }, writeIns: ['p9', 'p8'] }
    const r = check(b)
    expect(r).toEqual({ ok: true, ballot: { marks: { a: 'for', b: 'against', c: 'abstain' }, writeIns: ['p8', 'p9'] } })
    if (r.ok) expect(r.ballot).not.toBe(b)
  })

  it('accepts a missing writeIns as none', () => {
    expect(check({ marks: { a: 'for', b: 'for', c: 'for' } })).toEqual({
      ok: true,
      ballot: { marks: { a: 'for', b: 'for', c: 'for' }, writeIns: [] },
    })
  })

  it('accepts an over-voted ballot: it is invalid at count, not refused at cast', () => {
    expect(check(ballot(ids, ids, ['p9'])).ok).toBe(true)
  })

  it.each([
    ['not an object', null],
    ['an array', []],
    ['no marks', { writeIns: [] }],
    ['a candidate unmarked', { marks: { a: 'for', b: 'for' }, writeIns: [] }],
    ['an unknown mark', { marks: { a: 'for', b: 'yes', c: 'for' }, writeIns: [] }],
    ['an unknown candidate', { marks: { a: 'for', b: 'for', c: 'for', d: 'for' }, writeIns: [] }],
    ['an extra field', { marks: { a: 'for', b: 'for', c: 'for' }, writeIns: [], voter: 'p7' }],
    ['write-ins not a list', { marks: { a: 'for', b: 'for', c: 'for' }, writeIns: 'p9' }],
    ['a write-in that is not a string', { marks: { a: 'for', b: 'for', c: 'for' }, writeIns: [9] }],
    ['an empty write-in', { marks: { a: 'for', b: 'for', c: 'for' }, writeIns: [''] }],
    ['a repeated write-in', { marks: { a: 'against', b: 'for', c: 'for' }, writeIns: ['p9', 'p9'] }],
    ['an ineligible write-in', { marks: { a: 'against', b: 'for', c: 'for' }, writeIns: ['x1'] }],
  ])('refuses %s', (_label, b) => {
    expect(check(b).ok).toBe(false)
  })

  it('refuses a write-in naming a listed candidate, with a reason', () => {
    const r = check({ marks: { a: 'against', b: 'for', c: 'for' }, writeIns: ['p1'] })
    expect(r).toEqual({ ok: false, reason: 'write-in "p1" is a listed candidate' })
  })

  it('caps the write-ins at candidates + 50', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `p${100 + i}`)
    expect(check({ marks: { a: 'against', b: 'against', c: 'against' }, writeIns: many(53) }).ok).toBe(true)
    expect(check({ marks: { a: 'against', b: 'against', c: 'against' }, writeIns: many(54) }).ok).toBe(false)
  })

  it('keeps a hostile __proto__ key as data and refuses it as an unknown candidate', () => {
    const b = JSON.parse('{"marks":{"a":"for","b":"for","c":"for","__proto__":"for"},"writeIns":[]}')
    expect(check(b).ok).toBe(false)
  })

  it('counts for marks plus write-ins', () => {
    expect(forCount(ballot(ids, ['a'], ['p9', 'p8']))).toBe(3)
    expect(forCount(ballot(ids, [], [], 'abstain'))).toBe(0)
  })
})

describe('countElection: the threshold', () => {
  it('251 should attend, 240 present: 126 "for" elects, 125 does not', () => {
    const all = ['A', 'B', 'C']
    const c = count({
      seats: 2,
      candidates: cands(...all),
      ballots: [
        ...times(125, ballot(all, ['A', 'B'])),
        ...times(1, ballot(all, ['A', 'C'])),
        ...times(114, ballot(all, ['C'])),
      ],
    })
    expect(c).toMatchObject({ returned: 240, issued: 240, roundValid: true, valid: 240, invalid: 0 })
    expect(c).toMatchObject({ base: 251, baseKind: 'shouldAttend', threshold: 126, needMoreThan: 125.5 })
    expect(row(c, 'A')).toMatchObject({ for: 126, against: 114, abstain: 0, elected: true })
    expect(row(c, 'B')).toMatchObject({ for: 125, against: 115, elected: false })
    expect(row(c, 'C')).toMatchObject({ for: 115, elected: false })
    expect(c.elected).toEqual(['A'])
    expect(c.outcome).toBe('shortfall')
    expect(c.remainingSeats).toBe(1)
    expect(c.nextRound).toEqual({ seats: 1, candidates: [cands(...all)[1], cands(...all)[2]] })
  })

  it('exactly half of the base is not enough (base 250: 125 fails, 126 passes)', () => {
    const all = ['A', 'B']
    const c = count({
      seats: 2,
      candidates: cands(...all),
      shouldAttend: 250,
      issued: 250,
      ballots: [...times(125, ballot(all, ['A', 'B'])), ...times(1, ballot(all, ['A'])), ...times(124, ballot(all, [], [], 'abstain'))],
    })
    expect(c).toMatchObject({ base: 250, threshold: 126, needMoreThan: 125 })
    expect(row(c, 'A')).toMatchObject({ for: 126, elected: true })
    expect(row(c, 'B')).toMatchObject({ for: 125, against: 1, abstain: 124, elected: false })
    expect(c.outcome).toBe('shortfall')
  })

  it('on the present base (grassroots rule), 240 present needs 121', () => {
    const all = ['A', 'B']
    const c = count({
      seats: 2,
      candidates: cands(...all),
      thresholdBase: 'present',
      ballots: [...times(120, ballot(all, ['A', 'B'])), ...times(1, ballot(all, ['A'])), ...times(119, ballot(all, []))],
    })
    expect(c).toMatchObject({ base: 240, baseKind: 'present', threshold: 121, needMoreThan: 120 })
    expect(row(c, 'A')).toMatchObject({ for: 121, elected: true })
    expect(row(c, 'B')).toMatchObject({ for: 120, elected: false })
    // The same ballots on the should-attend base elect nobody: 121 is not more than 125.5.
    const strict = count({ seats: 2, candidates: cands(...all), ballots: [...times(121, ballot(all, ['A'])), ...times(119, ballot(all, []))] })
    expect(strict.elected).toEqual([])
    expect(strict.outcome).toBe('shortfall')
    expect(strict.remainingSeats).toBe(2)
  })

  it('elects everyone over the threshold when they fit the seats', () => {
    const all = ['A', 'B', 'C', 'D']
    const c = count({ seats: 3, candidates: cands(...all), ballots: [...times(200, ballot(all, ['A', 'B', 'C'])), ...times(40, ballot(all, ['D']))] })
    expect(c.outcome).toBe('complete')
    expect(c.elected).toEqual(['A', 'B', 'C'])
    expect(c.nextRound).toBeNull()
    expect(c.remainingSeats).toBe(0)
    expect(c.tied).toEqual([])
  })
})

describe('countElection: more winners than seats', () => {
  it('gives the seats to the highest counts', () => {
    // Seats 2. 100 x {A,B}, 80 x {A,C}, 60 x {B,C}: A 180, B 160, C 140, all over 125.5.
    const all = ['A', 'B', 'C']
    const c = count({
      seats: 2,
      candidates: cands(...all),
      ballots: [...times(100, ballot(all, ['A', 'B'])), ...times(80, ballot(all, ['A', 'C'])), ...times(60, ballot(all, ['B', 'C']))],
    })
    expect([row(c, 'A').for, row(c, 'B').for, row(c, 'C').for]).toEqual([180, 160, 140])
    expect(c.outcome).toBe('complete')
    expect(c.elected).toEqual(['A', 'B'])
    expect(row(c, 'C')).toMatchObject({ elected: false, tiedAtLastSeat: false })
  })

  it('a tie at the last seat elects those above it and sends the tied to a new round', () => {
    // Seats 2. 100 x {A,B}, 100 x {A,C}, 40 x {B,C}: A 200, B 140, C 140.
    const all = ['A', 'B', 'C']
    const c = count({
      seats: 2,
      candidates: cands(...all),
      ballots: [...times(100, ballot(all, ['A', 'B'])), ...times(100, ballot(all, ['A', 'C'])), ...times(40, ballot(all, ['B', 'C']))],
    })
    expect([row(c, 'A').for, row(c, 'B').for, row(c, 'C').for]).toEqual([200, 140, 140])
    expect(c.outcome).toBe('tie')
    expect(c.elected).toEqual(['A'])
    expect(c.tied).toEqual(['B', 'C'])
    expect(row(c, 'B')).toMatchObject({ elected: false, tiedAtLastSeat: true })
    expect(row(c, 'C')).toMatchObject({ elected: false, tiedAtLastSeat: true })
    expect(row(c, 'A').tiedAtLastSeat).toBe(false)
    expect(c.remainingSeats).toBe(1)
    expect(c.nextRound).toEqual({ seats: 1, candidates: [cands(...all)[1], cands(...all)[2]] })
  })

  it('a three-way tie for two remaining seats', () => {
    // Seats 3. 80 x {A,B,C}, 80 x {A,B,D}, 80 x {A,C,D}: A 240, B/C/D 160 each.
    const all = ['A', 'B', 'C', 'D']
    const c = count({
      seats: 3,
      candidates: cands(...all),
      ballots: [...times(80, ballot(all, ['A', 'B', 'C'])), ...times(80, ballot(all, ['A', 'B', 'D'])), ...times(80, ballot(all, ['A', 'C', 'D']))],
    })
    expect(c.outcome).toBe('tie')
    expect(c.elected).toEqual(['A'])
    expect(c.tied).toEqual(['B', 'C', 'D'])
    expect(c.remainingSeats).toBe(2)
    expect(c.nextRound?.seats).toBe(2)
    expect(c.nextRound?.candidates.map((x) => x.id)).toEqual(['B', 'C', 'D'])
  })

  it('a tie for a single seat elects nobody', () => {
    const all = ['A', 'B']
    const c = count({ seats: 1, candidates: cands(...all), shouldAttend: 200, ballots: [...times(120, ballot(all, ['A'])), ...times(120, ballot(all, ['B']))] })
    expect(c.outcome).toBe('tie')
    expect(c.elected).toEqual([])
    expect(c.tied).toEqual(['A', 'B'])
    expect(c.nextRound).toEqual({ seats: 1, candidates: cands(...all) })
  })

  it('a tie above the last seat is no tie', () => {
    // Seats 3. 90 x {A,B,C}, 80 x {A,B,D}, 70 x {C,D}: A 170, B 170, C 160, D 150.
    const all = ['A', 'B', 'C', 'D']
    const c = count({
      seats: 3,
      candidates: cands(...all),
      ballots: [...times(90, ballot(all, ['A', 'B', 'C'])), ...times(80, ballot(all, ['A', 'B', 'D'])), ...times(70, ballot(all, ['C', 'D']))],
    })
    expect([row(c, 'A').for, row(c, 'B').for, row(c, 'C').for, row(c, 'D').for]).toEqual([170, 170, 160, 150])
    expect(c.outcome).toBe('complete')
    expect(c.elected).toEqual(['A', 'B', 'C'])
    expect(c.tied).toEqual([])
  })
})

describe('countElection: fewer winners than seats', () => {
  it('two seats short: a further round among the unelected for 2 seats', () => {
    const all = ['A', 'B', 'C', 'D', 'E']
    const cs = cands(...all)
    const c = count({
      seats: 3,
      candidates: cs,
      ballots: [...times(125, ballot(all, ['A', 'B', 'C'])), ...times(115, ballot(all, ['A', 'D', 'E']))],
    })
    expect(c.elected).toEqual(['A'])
    expect(c.outcome).toBe('shortfall')
    expect(c.remainingSeats).toBe(2)
    expect(c.nextRound).toEqual({ seats: 2, candidates: [cs[1], cs[2], cs[3], cs[4]] })
    // Never filled by plurality: B and C lead the rest with 125, one short of the threshold.
    expect(row(c, 'B')).toMatchObject({ for: 125, elected: false })
    expect(row(c, 'C')).toMatchObject({ for: 125, elected: false })
  })

  it('proposes listed candidates only, not write-ins, for the further round', () => {
    const all = ['A', 'B']
    const cs = cands(...all)
    const c = count({
      seats: 2,
      candidates: cs,
      ballots: [...times(200, ballot(all, ['A'], ['p9'])), ...times(40, ballot(all, ['B']))],
      shouldAttend: 251,
    })
    // p9 got 200 write-in votes: elected like anyone else.
    expect(c.elected).toEqual(['A', 'w:p9'])
    expect(c.outcome).toBe('complete')
    const d = count({ seats: 2, candidates: cs, ballots: times(240, ballot(all, ['A'], ['p9'])), shouldAttend: 600 })
    expect(d.outcome).toBe('shortfall')
    expect(d.nextRound).toEqual({ seats: 2, candidates: cs })
  })

  it('with nobody over the threshold the round elects no one', () => {
    const all = ['A', 'B']
    const c = count({ seats: 1, candidates: cands(...all), ballots: times(240, ballot(all, [], [], 'abstain')) })
    expect(c.elected).toEqual([])
    expect(c.outcome).toBe('shortfall')
    expect(c.nextRound?.seats).toBe(1)
  })
})

describe('countElection: counting and validity', () => {
  it('more ballots returned than issued voids the round, without tallying', () => {
    const all = ['A', 'B']
    const cs = cands(...all)
    const c = count({ seats: 1, candidates: cs, issued: 240, ballots: times(241, ballot(all, ['A'])) })
    expect(c).toMatchObject({ returned: 241, issued: 240, roundValid: false, valid: 0, invalid: 0, outcome: 'void' })
    expect(c.results).toEqual([])
    expect(c.elected).toEqual([])
    expect(c.remainingSeats).toBe(1)
    expect(c.nextRound).toEqual({ seats: 1, candidates: cs })
    // As many returned as issued is fine.
    expect(count({ seats: 1, candidates: cs, issued: 241, ballots: times(241, ballot(all, ['A'])) }).roundValid).toBe(true)
  })

  it('an over-voted ballot is invalid and counts for no one; all-abstain is valid', () => {
    const all = ['A', 'B', 'C']
    const c = count({
      seats: 2,
      candidates: cands(...all),
      issued: 10,
      shouldAttend: 10,
      present: 10,
      ballots: [
        ballot(all, ['A', 'B', 'C']), // three for two seats
        ballot(all, ['A', 'B'], ['p9']), // two plus a write-in
        ballot(all, ['A', 'B']),
        ballot(all, [], [], 'abstain'),
        ballot(all, ['C'], ['p9']), // exactly two people: valid
      ],
    })
    expect(c).toMatchObject({ returned: 5, valid: 3, invalid: 2 })
    expect(row(c, 'A')).toMatchObject({ for: 1, against: 1, abstain: 1 })
    expect(row(c, 'C')).toMatchObject({ for: 1, against: 1, abstain: 1 })
    expect(row(c, 'w:p9')).toMatchObject({ for: 1, against: 0, abstain: 0, writeIn: true, name: '赵磊', personId: 'p9' })
  })

  it('ballots that are not ballots of this round are invalid, not fatal', () => {
    const all = ['A', 'B']
    const c = count({
      seats: 1,
      candidates: cands(...all),
      issued: 5,
      ballots: [
        ballot(all, ['A']),
        { marks: { A: 'for', Z: 'for' }, writeIns: [] },
        { marks: { A: 'maybe', B: 'for' }, writeIns: [] } as unknown as ElectionBallot,
        { marks: { A: 'against', B: 'against' }, writeIns: ['p1'] }, // names a listed candidate
        null as unknown as ElectionBallot,
      ],
    })
    expect(c).toMatchObject({ returned: 5, valid: 1, invalid: 4 })
  })

  it('a candidate left unmarked (a spoiled part on paper) counts for no one on that ballot', () => {
    const all = ['A', 'B']
    const c = count({ seats: 1, candidates: cands(...all), issued: 2, ballots: [{ marks: { A: 'for' }, writeIns: [] }, ballot(all, ['B'])] })
    expect(c.valid).toBe(2)
    expect(row(c, 'A')).toMatchObject({ for: 1, against: 1, abstain: 0 })
    expect(row(c, 'B')).toMatchObject({ for: 1, against: 0, abstain: 0 })
  })

  it('lists candidates in list order, then write-ins by votes and name', () => {
    const all = ['Z', 'A']
    const c = count({
      seats: 2,
      candidates: [
        { id: 'Z', name: '丁一', personId: 'p1' },
        { id: 'A', name: '王二', personId: null },
      ],
      issued: 6,
      ballots: [
        ballot(all, [], ['p8']),
        ballot(all, [], ['p9', 'p8']),
        ballot(all, [], ['p4']),
        ballot(all, [], ['p5']),
        ballot(all, ['Z']),
      ],
    })
    // p8 周敏 2 votes; then 刘洋 (U+5218), 赵磊 (U+8D75), 陈静 (U+9648) with 1 each, by code point.
    expect(c.results.map((r) => r.id)).toEqual(['Z', 'A', 'w:p8', 'w:p4', 'w:p9', 'w:p5'])
    expect(c.results.map((r) => r.name)).toEqual(['丁一', '王二', '周敏', '刘洋', '赵磊', '陈静'])
    expect(c.results.every((r) => !r.elected)).toBe(true)
  })

  it('announces alternates by votes, others in list order', () => {
    const all = ['A', 'B', 'C']
    const ballots = [...times(130, ballot(all, ['B', 'C'])), ...times(110, ballot(all, ['A', 'C']))]
    // A 110 is under 125.5 with base 251; use base 200 so all three pass with B 130, C 240, A 110.
    const base = { seats: 3, candidates: cands(...all), ballots, shouldAttend: 200 }
    expect(count(base).elected).toEqual(['A', 'B', 'C'])
    expect(count({ ...base, kind: 'alternates' }).elected).toEqual(['C', 'B', 'A'])
  })

  it('is deterministic and does not depend on ballot order', () => {
    const all = ['A', 'B', 'C']
    const ballots = [...times(100, ballot(all, ['A', 'B'], [])), ...times(100, ballot(all, ['A', 'C'])), ...times(40, ballot(all, ['B'], ['p9']))]
    const a = count({ seats: 2, candidates: cands(...all), ballots })
    const b = count({ seats: 2, candidates: cands(...all), ballots: [...ballots].reverse() })
    expect(b).toEqual(a)
  })

  it('rejects input no round can have', () => {
    const cs = cands('A')
    expect(() => count({ seats: 0, candidates: cs, ballots: [] })).toThrow(RangeError)
    expect(() => count({ seats: 1, candidates: [...cs, ...cs], ballots: [] })).toThrow(RangeError)
    expect(() => count({ seats: 1, candidates: cs, ballots: [], issued: -1 })).toThrow(RangeError)
  })
})
