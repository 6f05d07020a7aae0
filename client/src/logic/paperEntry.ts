// Paper election rounds (纸质选票) at the desk: the tellers' count form (收回票数, 无效票数, per
// candidate 赞成 / 不赞成 / 弃权, 另选他人), read into the `poll:paperEntry` totals and checked live
// with the server's own rule (paperTotalsProblems, shared); which of the two entries this desk makes;
// and what the server's comparison of the two entries means for the tellers.
import type { Candidate, PaperElectionTotals } from '../../../shared/domain/elections'
import { paperTotalsProblems } from '../../../shared/domain/elections'

export const PAPER_MARKS = ['for', 'against', 'abstain'] as const
export type PaperMark = (typeof PAPER_MARKS)[number]

/** The form as typed: strings, so a blank stays blank (not 0) until the teller fills it in. */
export interface PaperForm {
  returned: string
  invalid: string
  tallies: Record<string, Record<PaperMark, string>>
  /** 另选他人: people written in on the ballots, with their votes. */
  writeIns: Array<{ personId: string; name: string; for: string }>
}

export type PaperSpec = { seats: number; candidates: Candidate[]; electedBefore?: string[] }

export function emptyPaperForm(candidates: ReadonlyArray<Pick<Candidate, 'id'>>): PaperForm {
  return {
    returned: '',
    invalid: '',
    tallies: Object.fromEntries(candidates.map((c) => [c.id, { for: '', against: '', abstain: '' }])),
    writeIns: [],
  }
}

/** A form for this round's candidates, keeping what was typed for those still listed. */
export function fitPaperForm(form: PaperForm, candidates: ReadonlyArray<Pick<Candidate, 'id'>>): PaperForm {
  const fresh = emptyPaperForm(candidates)
  for (const c of candidates) if (form.tallies[c.id]) fresh.tallies[c.id] = { ...form.tallies[c.id] }
  return { ...fresh, returned: form.returned, invalid: form.invalid, writeIns: form.writeIns.map((w) => ({ ...w })) }
}

/** Field keys, for highlighting: 'returned', 'invalid', 'c1.for', 'w:d017'. */
export const tallyKey = (candidateId: string, mark: PaperMark) => `${candidateId}.${mark}`
export const writeInKey = (personId: string) => `w:${personId}`
/** A candidate's whole row (used when the entries differ on that candidate). */
export const rowKey = (candidateId: string) => `c:${candidateId}`

/**
 * A typed count: a whole number from 0 (full-width digits, as a Chinese input method types them,
 * count as digits; spaces are ignored). null when blank, NaN when it is not a whole number.
 */
export function parseCount(input: string): number | null {
  const s = input.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[\s,，]/g, '')
  if (s === '') return null
  if (!/^\d{1,6}$/.test(s)) return Number.NaN
  return Number(s)
}

export interface PaperCheck {
  /** The totals to send, once every field holds a whole number; else null. */
  totals: PaperElectionTotals | null
  /** Blank fields. */
  missing: string[]
  /** Fields that are not whole numbers. */
  malformed: string[]
  /** The server's own objections (paperTotalsProblems), in its words; empty when the entry adds up. */
  problems: string[]
  /** 有效票 = 收回 − 无效, when both are typed. */
  valid: number | null
  /** Per candidate: the sum of the three marks and what is left of the valid ballots (a part left
   * blank or spoiled); `over` when the sum passes the valid ballots. */
  rows: Record<string, { sum: number | null; rest: number | null; over: boolean }>
  /** All "for" votes (candidates and write-ins), and the most the valid ballots can hold (valid × seats). */
  forTotal: number | null
  forLimit: number | null
  /** More ballots returned than issued: the server will count the round void (held again). */
  returnedOverIssued: boolean
}

export function checkPaperForm(form: PaperForm, spec: PaperSpec, issued: number | null): PaperCheck {
  const missing: string[] = []
  const malformed: string[] = []
  const read = (key: string, raw: string): number | null => {
    const n = parseCount(raw)
    if (n === null) missing.push(key)
    else if (Number.isNaN(n)) malformed.push(key)
    return n === null || Number.isNaN(n) ? null : n
  }
  const returned = read('returned', form.returned)
  const invalid = read('invalid', form.invalid)
  const valid = returned !== null && invalid !== null ? returned - invalid : null
  const rows: PaperCheck['rows'] = {}
  const tallies: PaperElectionTotals['tallies'] = {}
  let complete = true
  let forTotal: number | null = 0
  for (const c of spec.candidates) {
    const x = form.tallies[c.id] ?? { for: '', against: '', abstain: '' }
    const v = PAPER_MARKS.map((m) => read(tallyKey(c.id, m), x[m]))
    const sum = v.every((n) => n !== null) ? (v as number[]).reduce((a, b) => a + b, 0) : null
    rows[c.id] = { sum, rest: sum !== null && valid !== null ? valid - sum : null, over: sum !== null && valid !== null && sum > valid }
    if (sum === null) complete = false
    else tallies[c.id] = { for: v[0]!, against: v[1]!, abstain: v[2]! }
    forTotal = forTotal !== null && v[0] !== null ? forTotal + v[0] : null
  }
  const writeIns: PaperElectionTotals['writeIns'] = []
  for (const w of form.writeIns) {
    const n = read(writeInKey(w.personId), w.for)
    if (n === null) complete = false
    // A write-in with no votes is left out: the other entry need not list them to agree.
    else if (n > 0) writeIns.push({ personId: w.personId, for: n })
    forTotal = forTotal !== null && n !== null ? forTotal + n : null
  }
  const totals = complete && returned !== null && invalid !== null && !malformed.length ? { returned, invalid, tallies, writeIns } : null
  return {
    totals,
    missing,
    malformed,
    problems: totals ? paperTotalsProblems(spec.seats, spec.candidates, totals, spec.electedBefore) : [],
    valid,
    rows,
    forTotal,
    forLimit: valid !== null && valid >= 0 ? valid * spec.seats : null,
    returnedOverIssued: returned !== null && issued !== null && returned > issued,
  }
}

/** Whether the form may be sent: every field typed, and nothing the server would refuse. */
export function readyToSend(c: PaperCheck): boolean {
  return !!c.totals && !c.missing.length && !c.malformed.length && !c.problems.length
}

/**
 * Which entry this desk makes: the one it made before (a re-entry after the counts differed), else
 * the first one not yet in; null when both are in and this desk made neither (the teller chooses:
 * the server refuses an entry that would compare a person's count with their own).
 */
export function suggestEntry(entered: ReadonlyArray<1 | 2>, mine: 1 | 2 | null): 1 | 2 | null {
  if (mine) return mine
  if (!entered.includes(1)) return 1
  if (!entered.includes(2)) return 2
  return null
}

/** After PAPER_SAME_PERSON on entry `tried`: the other entry is this person's own. */
export function ownEntryAfterRefusal(tried: 1 | 2): 1 | 2 {
  return tried === 1 ? 2 : 1
}

/** What the ack's `differences` means: the first entry (nothing to compare yet), or the two agree, or differ. */
export function entryOutcome(differences: string[] | null): 'first' | 'agree' | 'differ' {
  if (differences === null) return 'first'
  return differences.length ? 'differ' : 'agree'
}

/** Where the two entries stand, from the view (`paper.entered`): the chair's and the desk's status. */
export function paperStage(paper: { entered: ReadonlyArray<1 | 2> } | null): 'none' | 'one' | 'both' {
  const n = paper ? new Set(paper.entered).size : 0
  return n === 0 ? 'none' : n === 1 ? 'one' : 'both'
}

/**
 * The fields of this form named by the server's differences (paperDifferences: '收回票数', '无效票数',
 * a candidate's name, '另选他人 name'), as field or row keys to highlight for the recount.
 */
export function differingKeys(
  differences: readonly string[],
  candidates: ReadonlyArray<Pick<Candidate, 'id' | 'name'>>,
  writeIns: ReadonlyArray<{ personId: string; name: string }>,
): Set<string> {
  const out = new Set<string>()
  for (const d of differences) {
    if (d === '收回票数') out.add('returned')
    else if (d === '无效票数') out.add('invalid')
    else if (d.startsWith('另选他人 ')) {
      const who = d.slice('另选他人 '.length)
      for (const w of writeIns) if (w.name === who || w.personId === who) out.add(writeInKey(w.personId))
    } else for (const c of candidates) if (c.name === d || c.id === d) out.add(rowKey(c.id))
  }
  return out
}

/** Adds a written-in person (once); listed candidates cannot be written in. */
export function addWriteInRow(form: PaperForm, person: { personId: string; name: string }, listed: ReadonlySet<string>): PaperForm {
  if (listed.has(person.personId) || form.writeIns.some((w) => w.personId === person.personId)) return form
  return { ...form, writeIns: [...form.writeIns, { personId: person.personId, name: person.name, for: '' }] }
}

export function removeWriteInRow(form: PaperForm, personId: string): PaperForm {
  return { ...form, writeIns: form.writeIns.filter((w) => w.personId !== personId) }
}
