// Attendance counts, quorum per meeting type (DOMAIN.md, "Attendance and quorum") and the opening
// announcement built from the live numbers.
import type { Attendance, MeetingState, MeetingType, Person, QuorumRule, QuorumRules } from './types'
import { memoByMaps, NO_ATTENDANCE } from './types'

const HALF_GT: QuorumRule = { num: 1, den: 2, op: 'gt' }
const TWO_THIRDS_GT: QuorumRule = { num: 2, den: 3, op: 'gt' }
const TWO_THIRDS_GTE: QuorumRule = { num: 2, den: 3, op: 'gte' }
const FOUR_FIFTHS_GT: QuorumRule = { num: 4, den: 5, op: 'gt' }

/** Defaults per meeting type; the secretariat may change them per meeting. */
export function defaultQuorum(type: MeetingType): QuorumRules {
  switch (type) {
    case 'congress':
      return { general: HALF_GT, election: HALF_GT, vote: HALF_GT, appointment: TWO_THIRDS_GTE }
    case 'plenary':
      return { general: TWO_THIRDS_GT, election: TWO_THIRDS_GT, vote: TWO_THIRDS_GT, appointment: TWO_THIRDS_GTE }
    case 'grassroots':
      return { general: FOUR_FIFTHS_GT, election: FOUR_FIFTHS_GT, vote: FOUR_FIFTHS_GT, appointment: FOUR_FIFTHS_GT }
  }
}

export function meetsRule(count: number, base: number, rule: QuorumRule): boolean {
  if (base <= 0) return false
  const lhs = count * rule.den
  const rhs = base * rule.num
  return rule.op === 'gt' ? lhs > rhs : lhs >= rhs
}

/** The smallest count that satisfies the rule for this base. */
export function requiredFor(base: number, rule: QuorumRule): number {
  if (base <= 0) return 1
  const exact = (base * rule.num) / rule.den
  if (rule.op === 'gte') return Math.ceil(exact)
  return Math.floor(exact) + 1
}

/** 应到会: voting delegates whose status is active. */
export function shouldAttend(p: Person): boolean {
  return p.role === 'delegate' && p.votingRight && p.status === 'active'
}

export interface Counts {
  /** 应到 */
  shouldAttend: number
  /** 实到: checked in and not checked out */
  present: number
  /** 请假, split by reason */
  onLeave: number
  leaveBusiness: number
  leaveIllness: number
  /** 离场: checked out after checking in */
  left: number
  /** 未到: neither present nor on leave */
  absent: number
}

export function emptyCounts(): Counts {
  return { shouldAttend: 0, present: 0, onLeave: 0, leaveBusiness: 0, leaveIllness: 0, left: 0, absent: 0 }
}

export function addToCounts(c: Counts, a: Attendance): void {
  c.shouldAttend++
  switch (a.presence) {
    case 'present':
      c.present++
      break
    case 'leave':
      c.onLeave++
      if (a.leaveReason === 'illness') c.leaveIllness++
      else c.leaveBusiness++
      break
    case 'left':
      c.left++
      c.absent++
      break
    default:
      c.absent++
  }
}

export interface AttendanceSummary {
  total: Counts
  byDelegation: Map<string, Counts>
}

/** One pass over the roster: totals and per-delegation counts of the delegates who should attend. */
const summaries = new WeakMap<object, { deps: readonly object[]; value: AttendanceSummary }>()

/** Counts for the whole hall and per delegation. Computed again only when persons, attendance or
 * delegations changed (the result is shared: do not modify it). */
export function summarize(state: MeetingState): AttendanceSummary {
  return memoByMaps(summaries, [state.attendance, state.persons, state.delegations], () => summarizeNow(state))
}

function summarizeNow(state: MeetingState): AttendanceSummary {
  const total = emptyCounts()
  const byDelegation = new Map<string, Counts>()
  for (const d of state.delegations.keys()) byDelegation.set(d, emptyCounts())
  for (const p of state.persons.values()) {
    if (!shouldAttend(p)) continue
    const a = state.attendance.get(p.id) ?? NO_ATTENDANCE
    addToCounts(total, a)
    if (p.delegationId) {
      let c = byDelegation.get(p.delegationId)
      if (!c) byDelegation.set(p.delegationId, (c = emptyCounts()))
      addToCounts(c, a)
    }
  }
  return { total, byDelegation }
}

export interface QuorumStatus {
  met: boolean
  rule: QuorumRule
  /** The least number present that meets the rule. */
  required: number
}

export function quorumStatus(c: Counts, rule: QuorumRule): QuorumStatus {
  return { met: meetsRule(c.present, c.shouldAttend, rule), rule, required: requiredFor(c.shouldAttend, rule) }
}

const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十']

/** "半数", "三分之二", "五分之四": how a hall says the fraction. */
export function fractionZh(rule: QuorumRule): string {
  if (rule.num * 2 === rule.den) return '半数'
  const n = ZH_DIGITS[rule.num] ?? String(rule.num)
  const d = ZH_DIGITS[rule.den] ?? String(rule.den)
  return `${d}分之${n}`
}

export function fractionEn(rule: QuorumRule): string {
  if (rule.num * 2 === rule.den) return 'half'
  return `${rule.num}/${rule.den}`
}

/** The opening announcement read by the chair (DOMAIN.md), from live numbers, in both languages. */
export function announcement(c: Counts, q: QuorumStatus): { zh: string; en: string } {
  const frac = fractionZh(q.rule)
  const head = `应到会代表${c.shouldAttend}名，因事因病请假${c.onLeave}名，实到会代表${c.present}名，`
  const verbZh = q.rule.op === 'gt' ? '超过' : '达到'
  const zh = q.met
    ? `${head}${verbZh}应到会人数的${frac}，符合规定人数，可以开会。`
    : `${head}未${verbZh}应到会人数的${frac}，不符合规定人数，不能开会。`
  const fracEn = fractionEn(q.rule)
  const verbEn = q.rule.op === 'gt' ? 'more than' : 'at least'
  const headEn = `${c.shouldAttend} delegates should attend, ${c.onLeave} are on leave for business or illness, ${c.present} are present, `
  const en = q.met
    ? `${headEn}which is ${verbEn} ${fracEn} of those who should attend: the quorum is met and the meeting may open.`
    : `${headEn}which is not ${verbEn} ${fracEn} of those who should attend: the quorum is not met and the meeting cannot open.`
  return { zh, en }
}
