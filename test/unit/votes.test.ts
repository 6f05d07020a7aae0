// Resolution votes, appointment votes and democratic evaluation (DOMAIN.md): the pass rules at their
// edges on a 30-member committee, a deferred nominee, evaluation shares and ranking, and the
// cast-time ballot shapes.
import { describe, expect, it } from 'vitest'
import {
  EVALUATION_RANK_DEPTH,
  EVALUATION_SCALES,
  PASS_RULE_FRACTION,
  checkVoteBallotShape,
  countAppointment,
  countEvaluation,
  countResolution,
  type AppointmentMark,
  type Nominee,
  type PassRule,
  type VoteMark,
} from '../../shared/domain/votes'

function marks(spec: Partial<Record<VoteMark, number>>): Array<{ mark: VoteMark }> {
  const out: Array<{ mark: VoteMark }> = []
  for (const m of ['for', 'against', 'abstain'] as const) for (let i = 0; i < (spec[m] ?? 0); i++) out.push({ mark: m })
  return out
}

function resolution(rule: PassRule, spec: Partial<Record<VoteMark, number>>, extra: unknown[] = [], o: { shouldAttend?: number; present?: number; issued?: number } = {}) {
  return countResolution({ ballots: [...marks(spec), ...extra], issued: o.issued ?? 30, shouldAttend: o.shouldAttend ?? 30, present: o.present ?? 30, rule })
}

describe('countResolution', () => {
  it('more than half of 30 who should attend: 15 fails, 16 passes', () => {
    const fifteen = resolution('shouldAttend', { for: 15, against: 10, abstain: 5 })
    expect(fifteen).toEqual({
      returned: 30,
      issued: 30,
      roundValid: true,
      valid: 30,
      invalid: 0,
      for: 15,
      against: 10,
      abstain: 5,
      base: 30,
      required: 16,
      passed: false,
      rule: 'shouldAttend',
    })
    expect(resolution('shouldAttend', { for: 16, against: 14 }).passed).toBe(true)
  })

  it('two thirds of 30: 19 fails, exactly 20 passes (三分之二以上 includes two thirds)', () => {
    expect(resolution('twoThirdsShouldAttend', { for: 19, against: 11 })).toMatchObject({ base: 30, required: 20, passed: false })
    expect(resolution('twoThirdsShouldAttend', { for: 20, against: 10 })).toMatchObject({ base: 30, required: 20, passed: true })
    // 31 members: two thirds is 20.67, so 21.
    expect(resolution('twoThirdsShouldAttend', { for: 20, against: 11 }, [], { shouldAttend: 31, issued: 31 })).toMatchObject({ required: 21, passed: false })
  })

  it('counts on those present when the rule says so', () => {
    // 30 should attend, 25 present: 13 of 25 passes, 12 does not; against the 30 neither would.
    expect(resolution('present', { for: 13, against: 12 }, [], { present: 25, issued: 25 })).toMatchObject({ base: 25, required: 13, passed: true })
    expect(resolution('present', { for: 12, against: 13 }, [], { present: 25, issued: 25 })).toMatchObject({ passed: false })
    expect(resolution('shouldAttend', { for: 13, against: 12 }, [], { present: 25, issued: 25 }).passed).toBe(false)
  })

  it('counts on the valid ballots cast, abstentions included, invalid ones not', () => {
    const r = resolution('cast', { for: 10, against: 5, abstain: 5 }, [{ mark: 'maybe' }, { mark: 'for', voter: 'x' }])
    expect(r).toMatchObject({ returned: 22, valid: 20, invalid: 2, base: 20, required: 11, passed: false })
    expect(resolution('cast', { for: 11, against: 5, abstain: 4 }).passed).toBe(true)
    // Nobody cast a valid ballot: nothing passes.
    expect(resolution('cast', {}, [null]).passed).toBe(false)
  })

  it('voids the round when more ballots are returned than issued', () => {
    const r = resolution('shouldAttend', { for: 29, against: 2 })
    expect(r).toMatchObject({ returned: 31, issued: 30, roundValid: false, valid: 0, invalid: 0, for: 0, passed: false })
  })

  it('exposes each rule as a fraction for the UI', () => {
    expect(PASS_RULE_FRACTION.twoThirdsShouldAttend).toEqual({ num: 2, den: 3, op: 'gte' })
    expect(PASS_RULE_FRACTION.cast).toEqual({ num: 1, den: 2, op: 'gt' })
  })
})

describe('countAppointment (全委会票决)', () => {
  const nominees: Nominee[] = [
    { id: 'n1', name: '王明', personId: 'p1', position: '县委办公室主任' },
    { id: 'n2', name: '李红', personId: 'p2', position: '县财政局局长' },
    { id: 'n3', name: '张强', personId: null },
  ]
  const ids = nominees.map((n) => n.id)
  const b = (m1: AppointmentMark, m2: AppointmentMark, m3: AppointmentMark) => ({ marks: { n1: m1, n2: m2, n3: m3 } })
  const rep = <T>(n: number, x: T) => Array.from({ length: n }, () => structuredClone(x))

  it('a nominee passes with more agree than half of the members; a deferred one does not', () => {
    // 30 members, 28 present and voting.
    const ballots = [
      ...rep(15, b('agree', 'agree', 'agree')),
      ...rep(1, b('agree', 'defer', 'disagree')),
      ...rep(8, b('agree', 'defer', 'defer')),
      ...rep(4, b('disagree', 'defer', 'agree')),
    ]
    const c = countAppointment({ nominees, ballots, issued: 28, shouldAttend: 30, thirdOption: 'defer' })
    expect(c).toMatchObject({ returned: 28, issued: 28, roundValid: true, valid: 28, invalid: 0, base: 30, required: 16, thirdOption: 'defer' })
    expect(c.results).toEqual([
      { id: 'n1', name: '王明', agree: 24, disagree: 4, third: 0, unmarked: 0, passed: true },
      { id: 'n2', name: '李红', agree: 15, disagree: 0, third: 13, unmarked: 0, passed: false },
      { id: 'n3', name: '张强', agree: 19, disagree: 1, third: 8, unmarked: 0, passed: true },
    ])
  })

  it('exactly half of the members is not enough', () => {
    const c = countAppointment({ nominees, ballots: [...rep(15, b('agree', 'agree', 'abstain')), ...rep(15, b('disagree', 'abstain', 'agree'))], issued: 30, shouldAttend: 30, thirdOption: 'abstain' })
    expect(c.results.map((r) => [r.agree, r.passed])).toEqual([
      [15, false],
      [15, false],
      [15, false],
    ])
  })

  it('a mark the ballot does not offer makes that ballot invalid at count', () => {
    const c = countAppointment({ nominees, ballots: [b('agree', 'agree', 'agree'), b('agree', 'abstain', 'agree')], issued: 2, shouldAttend: 3, thirdOption: 'defer' })
    expect(c).toMatchObject({ valid: 1, invalid: 1 })
    expect(c.results[0].agree).toBe(1)
  })

  it('a nominee left blank on a paper ballot is reported unmarked, not as the third option', () => {
    const c = countAppointment({ nominees, ballots: [{ marks: { n1: 'agree', n3: 'defer' } }], issued: 1, shouldAttend: 1, thirdOption: 'defer' })
    expect(c.valid).toBe(1)
    expect(c.results[1]).toEqual({ id: 'n2', name: '李红', agree: 0, disagree: 0, third: 0, unmarked: 1, passed: false })
  })

  it('voids the round when more ballots are returned than issued', () => {
    const c = countAppointment({ nominees, ballots: rep(3, b('agree', 'agree', 'agree')), issued: 2, shouldAttend: 3, thirdOption: 'defer' })
    expect(c).toMatchObject({ roundValid: false, valid: 0, invalid: 0 })
    expect(c.results.every((r) => r.agree === 0 && !r.passed)).toBe(true)
  })

  it('checks the cast shape: every nominee, with the offered marks only', () => {
    const opts = { nomineeIds: ids, thirdOption: 'defer' as const }
    expect(checkVoteBallotShape('appointment', b('agree', 'defer', 'disagree'), opts)).toEqual({ ok: true, ballot: b('agree', 'defer', 'disagree') })
    expect(checkVoteBallotShape('appointment', b('agree', 'abstain', 'disagree'), opts).ok).toBe(false)
    expect(checkVoteBallotShape('appointment', { marks: { n1: 'agree', n2: 'agree' } }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('appointment', { marks: { ...b('agree', 'agree', 'agree').marks, n4: 'agree' } }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('appointment', { ...b('agree', 'agree', 'agree'), writeIns: ['p9'] }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('appointment', b('agree', 'abstain', 'disagree'), { nomineeIds: ids, thirdOption: 'abstain' }).ok).toBe(true)
  })
})

describe('countEvaluation (民主测评)', () => {
  const scale = EVALUATION_SCALES.satisfaction4
  const subjects = [
    { id: 's1', name: '县委常委会' },
    { id: 's2', name: '县纪委常委会' },
    { id: 's3', name: '王明' },
    { id: 's4', name: '李红' },
  ]
  const g = (s1: number | null, s2: number | null, s3: number | null, s4: number | null) => ({ grades: { s1, s2, s3, s4 } })
  const rep = <T>(n: number, x: T) => Array.from({ length: n }, () => structuredClone(x))

  it('ships the three scales, best first', () => {
    expect(EVALUATION_SCALES).toEqual({
      satisfaction4: ['满意', '比较满意', '基本满意', '不满意'],
      quality4: ['好', '较好', '一般', '差'],
      satisfaction3: ['满意', '不满意', '不了解'],
    })
    expect(EVALUATION_RANK_DEPTH).toEqual({ satisfaction4: 3, quality4: 3, satisfaction3: 1 })
  })

  it('reports counts and shares of ballots returned, and ranks by the best grade, then the best two', () => {
    // 8 ballots returned, one of them invalid (a grade off the scale).
    const ballots = [
      ...rep(4, g(0, 0, 0, 1)),
      ...rep(2, g(1, 0, 1, 1)),
      g(2, 3, null, 0),
      g(0, 9, 0, 0), // invalid
    ]
    const c = countEvaluation({ subjects, scale, ballots, issued: 8 })
    expect(c).toMatchObject({ returned: 8, issued: 8, roundValid: true, valid: 7, invalid: 1, rankDepth: 3 })
    const by = Object.fromEntries(c.results.map((r) => [r.id, r]))
    expect(by.s1).toMatchObject({ counts: [4, 2, 1, 0], abstain: 0, pct: [50, 25, 12.5, 0], abstainPct: 0 })
    expect(by.s2).toMatchObject({ counts: [6, 0, 0, 1], abstain: 0, pct: [75, 0, 0, 12.5] })
    expect(by.s3).toMatchObject({ counts: [4, 2, 0, 0], abstain: 1, pct: [50, 25, 0, 0], abstainPct: 12.5 })
    expect(by.s4).toMatchObject({ counts: [1, 6, 0, 0], pct: [12.5, 75, 0, 0] })
    // s2 has the most 满意. s1 and s3 tie on 满意 (4) and on 满意+比较满意 (6); s1 wins on the best three
    // (7 against 6). s4 is last.
    expect(c.results.map((r) => [r.id, r.rank])).toEqual([
      ['s2', 1],
      ['s1', 2],
      ['s3', 3],
      ['s4', 4],
    ])
  })

  it('equal subjects share a rank, in their given order, and the next rank skips', () => {
    const c = countEvaluation({ subjects, scale, ballots: [g(0, 1, 1, 0), g(1, 0, 1, 3)], issued: 2 })
    // s1 and s2: one 满意 and one 比较满意 each; s4: one 满意 and one 不满意; s3: no 满意.
    expect(c.results.map((r) => [r.id, r.rank])).toEqual([
      ['s1', 1],
      ['s2', 1],
      ['s4', 3],
      ['s3', 4],
    ])
  })

  it('never lets the worst grade help a subject', () => {
    // s1: 满意 1, 不满意 1. s2: 满意 1, abstain 1. Equal on the best three grades: shared rank.
    const c = countEvaluation({ subjects: subjects.slice(0, 2), scale, ballots: [{ grades: { s1: 0, s2: 0 } }, { grades: { s1: 3, s2: null } }], issued: 2 })
    expect(c.results.map((r) => r.rank)).toEqual([1, 1])
  })

  it('ranks the 满意/不满意/不了解 scale on 满意 alone', () => {
    const s3 = EVALUATION_SCALES.satisfaction3
    const two = subjects.slice(0, 2)
    // Both 满意 5; s1 has 3 不满意, s2 3 不了解. 不满意 must not rank s1 above s2.
    const ballots = [...rep(5, { grades: { s1: 0, s2: 0 } }), ...rep(3, { grades: { s1: 1, s2: 2 } })]
    const c = countEvaluation({ subjects: two, scale: s3, ballots, issued: 8 })
    expect(c.rankDepth).toBe(1)
    expect(c.results.map((r) => r.rank)).toEqual([1, 1])
    // An explicit depth wins over the built-in one.
    expect(countEvaluation({ subjects: two, scale: s3, ballots, issued: 8, rankDepth: 2 }).results.map((r) => r.id)).toEqual(['s1', 's2'])
  })

  it('rounds shares half up to one decimal', () => {
    // 1 of 3 = 33.33 -> 33.3; 2 of 3 = 66.67 -> 66.7; 1 of 8 = 12.5; 249 of 2000 = 12.45 -> 12.5.
    const one = [{ id: 's', name: 'x' }]
    const c3 = countEvaluation({ subjects: one, scale, ballots: [{ grades: { s: 0 } }, { grades: { s: 1 } }, { grades: { s: 1 } }], issued: 3 })
    expect(c3.results[0].pct).toEqual([33.3, 66.7, 0, 0])
    const big = [...rep(249, { grades: { s: 0 } }), ...rep(1751, { grades: { s: 2 } })]
    const c2000 = countEvaluation({ subjects: one, scale, ballots: big, issued: 2000 })
    expect(c2000.results[0].pct).toEqual([12.5, 0, 87.6, 0])
  })

  it('treats a subject missing from a ballot as unmarked', () => {
    const c = countEvaluation({ subjects, scale, ballots: [{ grades: { s1: 0 } }], issued: 1 })
    expect(c.valid).toBe(1)
    expect(c.results.find((r) => r.id === 's2')).toMatchObject({ counts: [0, 0, 0, 0], abstain: 1, abstainPct: 100 })
  })

  it('voids the round when more ballots are returned than issued', () => {
    const c = countEvaluation({ subjects, scale, ballots: rep(3, g(0, 0, 0, 0)), issued: 2 })
    expect(c).toMatchObject({ returned: 3, roundValid: false, valid: 0, invalid: 0 })
    expect(c.results.every((r) => r.counts.every((n) => n === 0) && r.rank === 1)).toBe(true)
  })

  it('checks the cast shape and fills unmarked subjects with null', () => {
    const opts = { subjectIds: ['s1', 's2'], scaleSize: 4 }
    expect(checkVoteBallotShape('evaluation', { grades: { s2: 3 } }, opts)).toEqual({ ok: true, ballot: { grades: { s1: null, s2: 3 } } })
    expect(checkVoteBallotShape('evaluation', { grades: { s1: 4 } }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('evaluation', { grades: { s1: 1.5 } }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('evaluation', { grades: { s1: -1 } }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('evaluation', { grades: { s1: '0' } }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('evaluation', { grades: { s3: 0 } }, opts).ok).toBe(false)
    expect(checkVoteBallotShape('evaluation', { grades: {}, note: 'x' }, opts).ok).toBe(false)
  })
})

describe('checkVoteBallotShape (resolution)', () => {
  it('accepts one known mark and nothing else', () => {
    expect(checkVoteBallotShape('resolution', { mark: 'abstain' })).toEqual({ ok: true, ballot: { mark: 'abstain' } })
    expect(checkVoteBallotShape('resolution', { mark: 'yes' }).ok).toBe(false)
    expect(checkVoteBallotShape('resolution', { mark: 'for', at: 1 }).ok).toBe(false)
    expect(checkVoteBallotShape('resolution', 'for').ok).toBe(false)
    expect(checkVoteBallotShape('resolution', {}).ok).toBe(false)
  })

  it('demands the options each kind needs', () => {
    expect(() => checkVoteBallotShape('appointment', {}, {} as never)).toThrow(TypeError)
    expect(() => checkVoteBallotShape('evaluation', {}, {} as never)).toThrow(TypeError)
  })
})
