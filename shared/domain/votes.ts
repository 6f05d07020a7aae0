// Counting rules of a resolution vote (表决), a full-committee appointment vote (全委会票决) and a
// democratic evaluation (民主测评) (DOMAIN.md): ballot shapes at cast time and the count of a round.
// Pure and deterministic: the ballot box and the log live elsewhere.
import { meetsRule, requiredFor } from './quorum'
import type { QuorumRule } from './types'

type Shape<T> = { ok: true; ballot: T } | { ok: false; reason: string }

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function assertCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be an integer >= 0, got ${n}`)
}

function onlyFields(b: Record<string, unknown>, fields: readonly string[]): string | null {
  for (const k of Object.keys(b)) if (!fields.includes(k)) return `unknown field ${JSON.stringify(k)}`
  return null
}

// ---------------------------------------------------------------------------------------------
// Resolutions

/** 赞成 (for), 反对 (against), 弃权 (abstain). */
export type VoteMark = 'for' | 'against' | 'abstain'

export const VOTE_MARKS: readonly VoteMark[] = ['for', 'against', 'abstain']

/**
 * 通过规则: what "for" must reach for a resolution to pass.
 * - `shouldAttend`: more than half of those who should attend (the default);
 * - `present`: more than half of those present when the round opened;
 * - `cast`: more than half of the valid ballots (abstentions count as cast: they were handed in);
 * - `twoThirdsShouldAttend`: two thirds or more of those who should attend. "三分之二以上" includes
 *   two thirds itself, as in every Chinese rule that says "以上", so exactly 20 of 30 passes.
 */
export type PassRule = 'shouldAttend' | 'present' | 'cast' | 'twoThirdsShouldAttend'

export const PASS_RULES: readonly PassRule[] = ['shouldAttend', 'present', 'cast', 'twoThirdsShouldAttend']

/** The fraction behind each pass rule, in the quorum's terms, for the count and for the UI text. */
export const PASS_RULE_FRACTION: Record<PassRule, QuorumRule> = {
  shouldAttend: { num: 1, den: 2, op: 'gt' },
  present: { num: 1, den: 2, op: 'gt' },
  cast: { num: 1, den: 2, op: 'gt' },
  twoThirdsShouldAttend: { num: 2, den: 3, op: 'gte' },
}

/** 表决票 */
export interface ResolutionBallot {
  mark: VoteMark
}

/** 表决结果 of one round. */
export interface ResolutionCount {
  returned: number
  issued: number
  /** returned <= issued; otherwise the round is void (all tallies 0) and held again. */
  roundValid: boolean
  valid: number
  invalid: number
  for: number
  against: number
  abstain: number
  /** The number the rule's fraction applies to (should attend, present, or valid ballots). */
  base: number
  /** The least "for" count that passes. */
  required: number
  passed: boolean
  rule: PassRule
}

function parseResolutionBallot(b: unknown): Shape<ResolutionBallot> {
  if (!isPlainObject(b)) return { ok: false, reason: 'ballot is not an object' }
  const extra = onlyFields(b, ['mark'])
  if (extra) return { ok: false, reason: extra }
  const m = b.mark
  if (m !== 'for' && m !== 'against' && m !== 'abstain') return { ok: false, reason: 'unknown mark' }
  return { ok: true, ballot: { mark: m } }
}

/** Counts one round of a resolution: ballots against issued, then validity, then the tally. */
export function countResolution(input: {
  ballots: unknown[]
  issued: number
  shouldAttend: number
  present: number
  rule: PassRule
}): ResolutionCount {
  const { ballots, issued, shouldAttend, present, rule } = input
  assertCount('issued', issued)
  assertCount('shouldAttend', shouldAttend)
  assertCount('present', present)
  const fraction = PASS_RULE_FRACTION[rule]
  if (!fraction) throw new RangeError(`unknown pass rule ${String(rule)}`)
  const returned = ballots.length
  const tally = { for: 0, against: 0, abstain: 0 }
  let valid = 0
  let invalid = 0
  const roundValid = returned <= issued
  if (roundValid) {
    for (const raw of ballots) {
      const p = parseResolutionBallot(raw)
      if (!p.ok) {
        invalid++
        continue
      }
      valid++
      tally[p.ballot.mark]++
    }
  }
  const base = rule === 'present' ? present : rule === 'cast' ? valid : shouldAttend
  return {
    returned,
    issued,
    roundValid,
    valid,
    invalid,
    ...tally,
    base,
    required: requiredFor(base, fraction),
    passed: roundValid && meetsRule(tally.for, base, fraction),
    rule,
  }
}

// ---------------------------------------------------------------------------------------------
// Appointment votes

/** 同意 (agree), 不同意 (disagree), and the third option the poll offers: 缓议 (defer) or 弃权
 * (abstain), as the locality uses. A ballot may carry only the one offered. */
export type AppointmentMark = 'agree' | 'disagree' | 'defer' | 'abstain'

/** 拟任人选 on an appointment ballot. */
export interface Nominee {
  id: string
  name: string
  personId: string | null
  /** 拟任职务 */
  position?: string
}

/** 票决票: one mark per nominee; no write-ins. */
export interface AppointmentBallot {
  marks: Record<string, AppointmentMark>
}

export interface AppointmentResult {
  id: string
  name: string
  agree: number
  disagree: number
  /** Ballots marked with the poll's third option (缓议 or 弃权). */
  third: number
  /** Valid ballots that left this nominee unmarked (paper only: electronic ballots mark everyone). */
  unmarked: number
  passed: boolean
}

/** 票决结果 of one round. */
export interface AppointmentCount {
  returned: number
  issued: number
  roundValid: boolean
  valid: number
  invalid: number
  /** 应到会: the members of the body, the base of "more than half". */
  base: number
  /** The least "agree" count that passes. */
  required: number
  thirdOption: 'defer' | 'abstain'
  /** In ballot order. Every count is 0 and nobody passes in a void round. */
  results: AppointmentResult[]
}

function parseAppointmentBallot(
  b: unknown,
  nomineeIds: readonly string[],
  thirdOption: 'defer' | 'abstain',
  requireAllMarked: boolean,
): Shape<AppointmentBallot> {
  if (!isPlainObject(b)) return { ok: false, reason: 'ballot is not an object' }
  const extra = onlyFields(b, ['marks'])
  if (extra) return { ok: false, reason: extra }
  const marks = b.marks
  if (!isPlainObject(marks)) return { ok: false, reason: 'marks is not an object' }
  const known = new Set(nomineeIds)
  for (const k of Object.keys(marks)) if (!known.has(k)) return { ok: false, reason: `unknown nominee ${JSON.stringify(k)}` }
  const out: Array<[string, AppointmentMark]> = []
  for (const id of nomineeIds) {
    if (!Object.hasOwn(marks, id)) {
      if (requireAllMarked) return { ok: false, reason: `nominee ${JSON.stringify(id)} is not marked` }
      continue
    }
    const m = marks[id]
    if (m !== 'agree' && m !== 'disagree' && m !== thirdOption) {
      return { ok: false, reason: `nominee ${JSON.stringify(id)} has a mark this ballot does not offer` }
    }
    out.push([id, m as AppointmentMark])
  }
  return { ok: true, ballot: { marks: Object.fromEntries(out) } }
}

/**
 * Counts one round of an appointment vote. A nominee passes with more "agree" than half of the
 * members who should attend; disagree and the third option only inform the report.
 *
 * Electronic ballots must mark every nominee (the third option is how a member declines to choose).
 * A paper ballot entered with a nominee unmarked stays valid for the others; that nominee's blank is
 * reported as `unmarked`, not folded into the third option, because 缓议 is a choice of its own and
 * the count should not make it for the voter. It cannot change `passed`, which only counts agree.
 */
export function countAppointment(input: {
  nominees: Nominee[]
  ballots: unknown[]
  issued: number
  shouldAttend: number
  thirdOption: 'defer' | 'abstain'
}): AppointmentCount {
  const { nominees, ballots, issued, shouldAttend, thirdOption } = input
  assertCount('issued', issued)
  assertCount('shouldAttend', shouldAttend)
  if (thirdOption !== 'defer' && thirdOption !== 'abstain') throw new RangeError(`unknown third option ${String(thirdOption)}`)
  const ids = nominees.map((n) => n.id)
  if (new Set(ids).size !== ids.length) throw new RangeError('nominee ids repeat')
  const rule = PASS_RULE_FRACTION.shouldAttend
  const returned = ballots.length
  const roundValid = returned <= issued
  const rows = new Map<string, AppointmentResult>(
    nominees.map((n) => [n.id, { id: n.id, name: n.name, agree: 0, disagree: 0, third: 0, unmarked: 0, passed: false }]),
  )
  let valid = 0
  let invalid = 0
  if (roundValid) {
    for (const raw of ballots) {
      const p = parseAppointmentBallot(raw, ids, thirdOption, false)
      if (!p.ok) {
        invalid++
        continue
      }
      valid++
      for (const [id, r] of rows) {
        const m = p.ballot.marks[id]
        if (m === undefined) r.unmarked++
        else if (m === 'agree') r.agree++
        else if (m === 'disagree') r.disagree++
        else r.third++
      }
    }
    for (const r of rows.values()) r.passed = meetsRule(r.agree, shouldAttend, rule)
  }
  return {
    returned,
    issued,
    roundValid,
    valid,
    invalid,
    base: shouldAttend,
    required: requiredFor(shouldAttend, rule),
    thirdOption,
    results: [...rows.values()],
  }
}

// ---------------------------------------------------------------------------------------------
// Democratic evaluation

/** 测评对象: a person or a body being rated. */
export interface EvaluationSubject {
  id: string
  name: string
}

/** 测评票: per subject, the index of the grade in the scale (best first), or null for unmarked. */
export interface EvaluationBallot {
  grades: Record<string, number | null>
}

/** 测评等次 in use; configurable per evaluation. Best first. */
export const EVALUATION_SCALES: Record<string, string[]> = {
  satisfaction4: ['满意', '比较满意', '基本满意', '不满意'],
  quality4: ['好', '较好', '一般', '差'],
  satisfaction3: ['满意', '不满意', '不了解'],
}

/**
 * How many of the top grades take part in ranking (see countEvaluation). 不了解 ("don't know") is not
 * a worse grade than 不满意, so the three-grade scale ranks on 满意 alone; on the four-grade scales
 * the worst grade never helps, so all but it count.
 */
export const EVALUATION_RANK_DEPTH: Record<string, number> = {
  satisfaction4: 3,
  quality4: 3,
  satisfaction3: 1,
}

export interface EvaluationResult {
  id: string
  name: string
  /** Ballots per grade, in scale order. */
  counts: number[]
  /** Valid ballots leaving this subject unmarked (弃权). */
  abstain: number
  /** counts as a percentage of ballots returned, one decimal, half rounded up. */
  pct: number[]
  abstainPct: number
  /** 1 = best; equal subjects share a rank and the next rank skips (1, 2, 2, 4). */
  rank: number
}

/** 测评结果 */
export interface EvaluationCount {
  returned: number
  issued: number
  roundValid: boolean
  valid: number
  invalid: number
  scale: string[]
  rankDepth: number
  /** By rank, equal ranks in the subjects' given order. Counts are 0 and rank 1 in a void round. */
  results: EvaluationResult[]
}

function parseEvaluationBallot(b: unknown, subjectIds: readonly string[], scaleSize: number): Shape<EvaluationBallot> {
  if (!isPlainObject(b)) return { ok: false, reason: 'ballot is not an object' }
  const extra = onlyFields(b, ['grades'])
  if (extra) return { ok: false, reason: extra }
  const grades = b.grades
  if (!isPlainObject(grades)) return { ok: false, reason: 'grades is not an object' }
  const known = new Set(subjectIds)
  for (const k of Object.keys(grades)) if (!known.has(k)) return { ok: false, reason: `unknown subject ${JSON.stringify(k)}` }
  const out: Array<[string, number | null]> = []
  for (const id of subjectIds) {
    // Unmarked is abstain (DOMAIN), so a missing subject is legal and stored as an explicit null:
    // every published ballot then has the same fields.
    const g = Object.hasOwn(grades, id) ? grades[id] : null
    if (g !== null && !(Number.isInteger(g) && (g as number) >= 0 && (g as number) < scaleSize)) {
      return { ok: false, reason: `subject ${JSON.stringify(id)} has a grade outside the scale` }
    }
    out.push([id, g as number | null])
  }
  return { ok: true, ballot: { grades: Object.fromEntries(out) } }
}

/** Share in percent with one decimal, half up, in integers so that 12.45 never becomes 12.4. */
function pct1(count: number, of: number): number {
  if (of === 0) return 0
  return Math.floor((count * 2000 + of) / (2 * of)) / 10
}

function builtInDepth(scale: readonly string[]): number | undefined {
  for (const [name, labels] of Object.entries(EVALUATION_SCALES)) {
    if (labels.length === scale.length && labels.every((l, i) => l === scale[i])) return EVALUATION_RANK_DEPTH[name]
  }
  return undefined
}

/**
 * Counts an evaluation. Percentages are of ballots returned (DOMAIN), so with invalid ballots a row
 * sums to less than 100.
 *
 * Ranking: by the share of the best grade; on a tie, by the share of the best two grades together;
 * and so on for `rankDepth` grades (default: the built-in scale's EVALUATION_RANK_DEPTH, else all
 * grades but the worst, since counting the worst grade in would reward it). Subjects equal on every
 * step share a rank. Shares have the same denominator for every subject, so the counts themselves
 * are compared, and rounding can never decide a rank.
 */
export function countEvaluation(input: {
  subjects: EvaluationSubject[]
  scale: string[]
  ballots: unknown[]
  issued: number
  rankDepth?: number
}): EvaluationCount {
  const { subjects, scale, ballots, issued } = input
  assertCount('issued', issued)
  if (scale.length < 2) throw new RangeError('a scale needs at least two grades')
  const ids = subjects.map((s) => s.id)
  if (new Set(ids).size !== ids.length) throw new RangeError('subject ids repeat')
  const rankDepth = input.rankDepth ?? builtInDepth(scale) ?? scale.length - 1
  if (!Number.isInteger(rankDepth) || rankDepth < 1 || rankDepth > scale.length) {
    throw new RangeError(`rankDepth must be between 1 and ${scale.length}`)
  }
  const returned = ballots.length
  const roundValid = returned <= issued
  const counts = new Map(ids.map((id) => [id, { counts: new Array<number>(scale.length).fill(0), abstain: 0 }]))
  let valid = 0
  let invalid = 0
  if (roundValid) {
    for (const raw of ballots) {
      const p = parseEvaluationBallot(raw, ids, scale.length)
      if (!p.ok) {
        invalid++
        continue
      }
      valid++
      for (const [id, c] of counts) {
        const g = p.ballot.grades[id]
        if (g === null || g === undefined) c.abstain++
        else c.counts[g]++
      }
    }
  }

  const keyOf = new Map<string, number[]>()
  for (const [id, c] of counts) {
    const key: number[] = []
    let cum = 0
    for (let i = 0; i < rankDepth; i++) key.push((cum += c.counts[i]))
    keyOf.set(id, key)
  }
  const compareKeys = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i] - a[i]
    return 0
  }
  const order = subjects.map((s, i) => ({ s, i })).sort((x, y) => compareKeys(keyOf.get(x.s.id)!, keyOf.get(y.s.id)!) || x.i - y.i)

  const results: EvaluationResult[] = []
  order.forEach(({ s }, pos) => {
    const c = counts.get(s.id)!
    const prev = results[pos - 1]
    const rank = prev && compareKeys(keyOf.get(prev.id)!, keyOf.get(s.id)!) === 0 ? prev.rank : pos + 1
    results.push({
      id: s.id,
      name: s.name,
      counts: c.counts,
      abstain: c.abstain,
      pct: c.counts.map((n) => pct1(n, returned)),
      abstainPct: pct1(c.abstain, returned),
      rank,
    })
  })
  return { returned, issued, roundValid, valid, invalid, scale: [...scale], rankDepth, results }
}

// ---------------------------------------------------------------------------------------------
// Cast-time shape

export type VoteBallotKind = 'resolution' | 'appointment' | 'evaluation'
export type VoteBallot = ResolutionBallot | AppointmentBallot | EvaluationBallot

export interface AppointmentShapeOpts {
  nomineeIds: string[]
  thirdOption: 'defer' | 'abstain'
}

export interface EvaluationShapeOpts {
  subjectIds: string[]
  /** Number of grades in the scale. */
  scaleSize: number
}

export type VoteShapeOpts = Partial<AppointmentShapeOpts & EvaluationShapeOpts>

/**
 * Structural check of an electronic ballot at cast time. Returns a fresh ballot with only the known
 * fields (and, for an evaluation, every subject present, null where unmarked), so a published ballot
 * carries the choices and nothing a voter could use to make it recognisable. A ballot that passes is
 * valid at count.
 */
export function checkVoteBallotShape(kind: 'resolution', b: unknown, opts?: VoteShapeOpts): Shape<ResolutionBallot>
export function checkVoteBallotShape(kind: 'appointment', b: unknown, opts: AppointmentShapeOpts): Shape<AppointmentBallot>
export function checkVoteBallotShape(kind: 'evaluation', b: unknown, opts: EvaluationShapeOpts): Shape<EvaluationBallot>
export function checkVoteBallotShape(kind: VoteBallotKind, b: unknown, opts: VoteShapeOpts): Shape<VoteBallot>
export function checkVoteBallotShape(kind: VoteBallotKind, b: unknown, opts: VoteShapeOpts = {}): Shape<VoteBallot> {
  switch (kind) {
    case 'resolution':
      return parseResolutionBallot(b)
    case 'appointment': {
      const { nomineeIds, thirdOption } = opts
      if (!nomineeIds || (thirdOption !== 'defer' && thirdOption !== 'abstain')) {
        throw new TypeError('appointment ballots need nomineeIds and thirdOption')
      }
      return parseAppointmentBallot(b, nomineeIds, thirdOption, true)
    }
    case 'evaluation': {
      const { subjectIds, scaleSize } = opts
      if (!subjectIds || !Number.isInteger(scaleSize)) throw new TypeError('evaluation ballots need subjectIds and scaleSize')
      return parseEvaluationBallot(b, subjectIds, scaleSize!)
    }
    default:
      throw new TypeError(`unknown ballot kind ${String(kind)}`)
  }
}
