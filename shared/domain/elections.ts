// Counting rules of an election or by-election (DOMAIN.md, "Elections"): the surplus check on a
// candidate list, the shape of an electronic ballot at cast time, and the count of one round.
// Pure and deterministic: the ballot box and the log live elsewhere.

/** 赞成 (for), 不赞成 (against), 弃权 (abstain): the one mark each listed candidate gets. */
export type ElectionMark = 'for' | 'against' | 'abstain'

export const ELECTION_MARKS: readonly ElectionMark[] = ['for', 'against', 'abstain']

/** What is being elected: 代表 (delegates), 委员 (committee), 候补委员 (alternates), 纪委委员
 * (discipline commission), or anything else. It picks the default minimum surplus. */
export type ElectionKind = 'delegates' | 'committee' | 'alternates' | 'discipline' | 'other'

/** 候选人. `personId` is null for a candidate who is not on the meeting's roster. */
export interface Candidate {
  id: string
  name: string
  personId: string | null
}

/** 选票: one mark per listed candidate, and the people written in (另选他人), by person id. */
export interface ElectionBallot {
  marks: Record<string, ElectionMark>
  writeIns: string[]
}

/** 差额比例, in percent of the seats, rounded up; configurable per election. */
export const DEFAULT_MIN_SURPLUS_PCT: Record<ElectionKind, number> = {
  delegates: 20,
  committee: 10,
  alternates: 10,
  discipline: 10,
  other: 0,
}

/** Write-ins a ballot may carry beyond one per candidate. Enough for any real over-vote (which is
 * legal to cast and invalid at count) while bounding what one ballot can put in the box. */
export const MAX_EXTRA_WRITE_INS = 50

/** Id of a write-in's result row; `w:` cannot clash with a listed candidate's id in practice and
 * keeps the person id readable in the count report. */
export function writeInId(personId: string): string {
  return `w:${personId}`
}

function assertCount(name: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${n}`)
}

/**
 * 差额 check of a candidate list. `required` is the least number of candidates beyond the seats.
 * An uncontested list (等额) is ok only where the configured minimum is 0; the caller warns on
 * `ok === false` and lets the presidium go ahead, as the rules ask of the system.
 */
export function surplusCheck(
  seats: number,
  candidates: number,
  minPct: number,
): { competitive: boolean; surplus: number; required: number; ok: boolean } {
  assertCount('seats', seats, 1)
  assertCount('candidates', candidates, 0)
  if (!Number.isFinite(minPct) || minPct < 0) throw new RangeError(`minPct must be >= 0, got ${minPct}`)
  const surplus = candidates - seats
  // seats * minPct is an integer for integer percentages, and an exact multiple of 100 divides
  // exactly in binary floating point, so ceil never rounds a whole number up.
  const required = Math.ceil((seats * minPct) / 100)
  return { competitive: surplus > 0, surplus, required, ok: surplus >= 0 && surplus >= required }
}

type Shape<T> = { ok: true; ballot: T } | { ok: false; reason: string }

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** The candidate ids as a set, per candidate list (lists are never changed in place). */
const knownSets = new WeakMap<readonly string[], Set<string>>()

/** One letter per mark in the stored (compact) form; '-' is a candidate left unmarked. */
const MARK_CODE: Record<ElectionMark, number> = { for: 0x46, against: 0x41, abstain: 0x42 }
const UNMARKED_CODE = 0x2d
/** The letters of the ballot being parsed, as character codes: one string is made of them at the
 * end, not one string per candidate (parsing is synchronous, so one array serves every call). */
const letterCodes: number[] = []
const LETTER_MARK: Record<string, ElectionMark | undefined> = { F: 'for', A: 'against', B: 'abstain' }

/** A parsed election ballot: its marks as an object (`withMarks`), or else as the stored form's
 * letters (a string of one letter per candidate costs less than the object). */
type Parsed = { ok: true; marks: Record<string, ElectionMark> | null; letters: string | null; writeIns: string[] } | { ok: false; reason: string }

/**
 * The structure of an election ballot, without the rules that need the roster (write-in
 * eligibility) or the voter's intent (every candidate marked): shared by the cast-time checks and
 * the count. Builds a fresh ballot holding only the known fields, with write-ins sorted, so that a
 * published ballot carries the choices and nothing a voter could use to make it recognisable.
 * `withMarks` false: the letters are built instead (the cast path of a secret round stores those).
 */
function parseElection(b: unknown, candidateIds: readonly string[], listedPersonIds: ReadonlySet<string>, requireAllMarked: boolean, withMarks: boolean): Parsed {
  if (!isPlainObject(b)) return { ok: false, reason: 'ballot is not an object' }
  for (const k in b) {
    if (k !== 'marks' && k !== 'writeIns') return { ok: false, reason: `unknown field ${JSON.stringify(k)}` }
  }
  const { marks, writeIns } = b
  if (!isPlainObject(marks)) return { ok: false, reason: 'marks is not an object' }
  let known = knownSets.get(candidateIds)
  if (!known) knownSets.set(candidateIds, (known = new Set(candidateIds)))
  // Own keys only: isPlainObject leaves nothing enumerable to inherit (no array of keys is made).
  for (const k in marks) {
    if (!known.has(k)) return { ok: false, reason: `unknown candidate ${JSON.stringify(k)}` }
  }
  // In list order. Defined, not assigned: even a hostile id such as "__proto__" stays data.
  const out: Record<string, ElectionMark> | null = withMarks ? {} : null
  letterCodes.length = candidateIds.length
  for (let i = 0; i < candidateIds.length; i++) {
    const id = candidateIds[i]
    if (!Object.hasOwn(marks, id)) {
      if (requireAllMarked) return { ok: false, reason: `candidate ${JSON.stringify(id)} is not marked` }
      letterCodes[i] = UNMARKED_CODE
      continue
    }
    const m = marks[id]
    if (m !== 'for' && m !== 'against' && m !== 'abstain') {
      return { ok: false, reason: `candidate ${JSON.stringify(id)} has an unknown mark` }
    }
    if (!out) {
      letterCodes[i] = MARK_CODE[m]
      continue
    }
    if (id === '__proto__') Object.defineProperty(out, id, { value: m, enumerable: true, writable: true, configurable: true })
    else out[id] = m
  }
  const letters = out ? null : String.fromCharCode.apply(null, letterCodes)
  const w = writeIns === undefined ? [] : writeIns
  if (!Array.isArray(w)) return { ok: false, reason: 'writeIns is not a list' }
  if (w.length === 0) return { ok: true, marks: out, letters, writeIns: [] }
  if (w.length > candidateIds.length + MAX_EXTRA_WRITE_INS) return { ok: false, reason: 'too many write-ins' }
  const seen = new Set<string>()
  for (const p of w) {
    if (typeof p !== 'string' || p === '') return { ok: false, reason: 'a write-in is not a person id' }
    if (seen.has(p)) return { ok: false, reason: `write-in ${JSON.stringify(p)} appears twice` }
    if (listedPersonIds.has(p)) return { ok: false, reason: `write-in ${JSON.stringify(p)} is a listed candidate` }
    seen.add(p)
  }
  return { ok: true, marks: out, letters, writeIns: [...seen].sort() }
}

function parseElectionBallot(b: unknown, candidateIds: readonly string[], listedPersonIds: ReadonlySet<string>, requireAllMarked: boolean): Shape<ElectionBallot> {
  const r = parseElection(b, candidateIds, listedPersonIds, requireAllMarked, true)
  return r.ok ? { ok: true, ballot: { marks: r.marks!, writeIns: r.writeIns } } : r
}

/** The write-in not eligible, if any, as a refusal. */
function ineligibleWriteIn(writeIns: string[], eligibleWriteIn: (personId: string) => boolean): { ok: false; reason: string } | null {
  for (const p of writeIns) {
    if (!eligibleWriteIn(p)) return { ok: false, reason: `write-in ${JSON.stringify(p)} is not eligible` }
  }
  return null
}

/**
 * Structural check of an electronic ballot at cast time. Refuses what cannot be a ballot: a
 * candidate unmarked or with an unknown mark, an unknown candidate or field, a repeated or
 * ineligible write-in, a write-in naming a listed candidate's person, more write-ins than
 * candidates + MAX_EXTRA_WRITE_INS. An over-voted ballot passes: it
 * is the voter's right to spoil it, and the count declares it invalid.
 *
 * Write-ins are not tied to "against" marks here (the rules say a voter who marks against *may*
 * write someone in): a write-in beside no against mark is still a vote for that person, and a ballot
 * over the seats is invalid at count either way.
 */
export function checkBallotShape(
  b: unknown,
  candidateIds: string[],
  eligibleWriteIn: (personId: string) => boolean,
  listedPersonIds: Set<string>,
): { ok: true; ballot: ElectionBallot } | { ok: false; reason: string } {
  const r = parseElectionBallot(b, candidateIds, listedPersonIds, true)
  if (!r.ok) return r
  return ineligibleWriteIn(r.ballot.writeIns, eligibleWriteIn) ?? r
}

/** checkBallotShape, giving the ballot straight in its stored form (compactElectionBallot of the
 * ballot checkBallotShape returns), without building the ballot itself: the cast path of a secret
 * round, which every tablet of the hall may take at the same instant. */
export function checkStoredBallotShape(
  b: unknown,
  candidateIds: string[],
  eligibleWriteIn: (personId: string) => boolean,
  listedPersonIds: Set<string>,
): { ok: true; stored: string } | { ok: false; reason: string } {
  const r = parseElection(b, candidateIds, listedPersonIds, true, false)
  if (!r.ok) return r
  const letters = r.letters!
  if (r.writeIns.length === 0) return { ok: true, stored: letters }
  return ineligibleWriteIn(r.writeIns, eligibleWriteIn) ?? { ok: true, stored: letters + JSON.stringify(r.writeIns) }
}

/**
 * The ballot box's form of a ballot checkBallotShape returned: one letter per listed candidate in
 * the round's list order (F for, A against, B abstain, - unmarked), then the write-ins as a JSON
 * list when there are any ("FFA-B…" or "FFA-B…["p12","p40"]"). It depends on the choices only, and
 * is a tenth of the canonical JSON's size: the box writes less per ballot while the hall votes.
 * expandElectionBallot turns it back into the ballot, whose canonicalJson is what is counted,
 * exported and digested.
 */
export function compactElectionBallot(b: ElectionBallot, candidateIds: readonly string[]): string {
  let out = ''
  for (const id of candidateIds) out += String.fromCharCode(Object.hasOwn(b.marks, id) ? MARK_CODE[b.marks[id]] : UNMARKED_CODE)
  return b.writeIns.length === 0 ? out : out + JSON.stringify(b.writeIns)
}

/** The ballot a compact form stands for (see compactElectionBallot); throws on a malformed one. */
export function expandElectionBallot(stored: string, candidateIds: readonly string[]): ElectionBallot {
  const n = candidateIds.length
  if (stored.length < n) throw new Error('stored ballot shorter than the candidate list')
  const marks: Record<string, ElectionMark> = {}
  for (let i = 0; i < n; i++) {
    const letter = stored[i]
    if (letter === '-') continue
    const m = LETTER_MARK[letter]
    if (!m) throw new Error('stored ballot has an unknown mark letter')
    const id = candidateIds[i]
    if (id === '__proto__') Object.defineProperty(marks, id, { value: m, enumerable: true, writable: true, configurable: true })
    else marks[id] = m
  }
  const rest = stored.slice(n)
  const writeIns = rest === '' ? [] : (JSON.parse(rest) as unknown)
  if (!Array.isArray(writeIns) || !writeIns.every((p) => typeof p === 'string')) throw new Error('stored ballot has malformed write-ins')
  return { marks, writeIns }
}

/** The people a ballot votes for: "for" marks plus write-ins. More than the seats spoils it. */
export function forCount(b: ElectionBallot): number {
  let n = b.writeIns.length
  for (const m of Object.values(b.marks)) if (m === 'for') n++
  return n
}

export interface ElectionCountInput {
  /** 应选人数 of this round. */
  seats: number
  /** Listed candidates in list (surname-stroke) order. */
  candidates: Candidate[]
  /** The ballots in the box: expected to have passed checkBallotShape. */
  ballots: ElectionBallot[]
  /** 发出票数 */
  issued: number
  /** 应到会 and 实到会 when the round opened. */
  shouldAttend: number
  present: number
  /** Whose half the "for" votes must exceed: should attend (local rule) or present (grassroots). */
  thresholdBase: 'shouldAttend' | 'present'
  /** Name of a written-in person, for the count report. */
  nameOf: (personId: string) => string
  /** 候补委员 are announced by votes; every other kind in list order (see `elected`). */
  kind?: ElectionKind
}

/** One row of the count report (计票结果报告单). */
export interface CandidateResult {
  id: string
  name: string
  personId: string | null
  writeIn: boolean
  for: number
  against: number
  abstain: number
  elected: boolean
  tiedAtLastSeat: boolean
}

/** 计票结果 of one round. */
export interface ElectionCount {
  /** 收回票数 */
  returned: number
  /** 发出票数 */
  issued: number
  /** returned <= issued; otherwise the round is void and held again. */
  roundValid: boolean
  /** 有效票 / 无效票; both 0 in a void round, whose ballots are never examined. */
  valid: number
  invalid: number
  /** The least "for" count that elects: floor(base / 2) + 1. */
  threshold: number
  /** Half the base; "for" must be strictly more (exactly half is not enough). */
  needMoreThan: number
  base: number
  baseKind: 'shouldAttend' | 'present'
  /** Echoed for the count report. */
  seats: number
  shouldAttend: number
  present: number
  /** Listed candidates in list order, then write-ins with at least one vote by votes desc, then
   * name and person id (code point order). Empty in a void round. */
  results: CandidateResult[]
  /** Elected ids (write-ins as `w:<personId>`): in results order, or for alternates by votes desc
   * with ties in results order. */
  elected: string[]
  outcome: 'complete' | 'tie' | 'shortfall' | 'void'
  /** Ids tied at the last seat (outcome 'tie'), in results order. */
  tied: string[]
  /** Seats still to fill: after a tie or shortfall, or all of them in a void round. */
  remainingSeats: number
  /** The round to hold next, null when complete. See countElection for who stands in it. */
  nextRound: { seats: number; candidates: Candidate[] } | null
}

type CountHead = Pick<ElectionCount, 'returned' | 'issued' | 'threshold' | 'needMoreThan' | 'base' | 'baseKind' | 'seats' | 'shouldAttend' | 'present'>

function countHead(input: Pick<ElectionCountInput, 'seats' | 'issued' | 'shouldAttend' | 'present' | 'thresholdBase'>, returned: number): CountHead {
  const base = input.thresholdBase === 'present' ? input.present : input.shouldAttend
  return {
    returned,
    issued: input.issued,
    threshold: Math.floor(base / 2) + 1,
    needMoreThan: base / 2,
    base,
    baseKind: input.thresholdBase,
    seats: input.seats,
    shouldAttend: input.shouldAttend,
    present: input.present,
  }
}

/** More ballots returned than issued: the round is void and held again with the same list. */
function voidRound(head: CountHead, candidates: Candidate[]): ElectionCount {
  return {
    ...head,
    roundValid: false,
    valid: 0,
    invalid: 0,
    results: [],
    elected: [],
    outcome: 'void',
    tied: [],
    remainingSeats: head.seats,
    nextRound: { seats: head.seats, candidates: candidates.map((c) => ({ ...c })) },
  }
}

/** From the tallies of the valid ballots to the outcome: shared by electronic and paper counts. */
function decide(
  input: Pick<ElectionCountInput, 'seats' | 'kind'>,
  head: CountHead,
  rows: Map<string, CandidateResult>,
  writeIns: Map<string, CandidateResult>,
  valid: number,
  invalid: number,
): ElectionCount {
  const { seats } = input
  const base = head.base
  const writeInRows = [...writeIns.values()].sort(
    (a, b) => b.for - a.for || byCodePoint(a.name, b.name) || byCodePoint(a.personId!, b.personId!),
  )
  const results = [...rows.values(), ...writeInRows]
  const position = new Map(results.map((r, i) => [r.id, i]))
  const inResultsOrder = (a: CandidateResult, b: CandidateResult) => position.get(a.id)! - position.get(b.id)!

  // Strictly more than half: for * 2 > base, in integers.
  const qualified = results.filter((r) => r.for * 2 > base).sort((a, b) => b.for - a.for || inResultsOrder(a, b))

  let winners: CandidateResult[]
  let tiedRows: CandidateResult[] = []
  if (qualified.length <= seats) {
    winners = qualified
  } else {
    const last = qualified[seats - 1].for
    if (qualified[seats].for < last) {
      winners = qualified.slice(0, seats)
    } else {
      winners = qualified.filter((r) => r.for > last)
      tiedRows = qualified.filter((r) => r.for === last).sort(inResultsOrder)
    }
  }
  for (const r of winners) r.elected = true
  for (const r of tiedRows) r.tiedAtLastSeat = true

  const electedRows = input.kind === 'alternates' ? winners : [...winners].sort(inResultsOrder)
  const remainingSeats = seats - winners.length
  const asCandidate = (r: CandidateResult): Candidate => ({ id: r.id, name: r.name, personId: r.personId })

  let outcome: ElectionCount['outcome']
  let nextRound: ElectionCount['nextRound']
  if (tiedRows.length > 0) {
    outcome = 'tie'
    nextRound = { seats: remainingSeats, candidates: tiedRows.map(asCandidate) }
  } else if (remainingSeats > 0) {
    outcome = 'shortfall'
    nextRound = { seats: remainingSeats, candidates: [...rows.values()].filter((r) => !r.elected).map(asCandidate) }
  } else {
    outcome = 'complete'
    nextRound = null
  }

  return {
    ...head,
    roundValid: true,
    valid,
    invalid,
    results,
    elected: electedRows.map((r) => r.id),
    outcome,
    tied: tiedRows.map((r) => r.id),
    remainingSeats,
    nextRound,
  }
}

/** Code point order, so that the result does not depend on the runtime's locale data. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Counts one round: first ballots returned against issued (more returned voids the round), then
 * validity (a ballot voting for more people than seats is invalid; all-abstain is valid), then the
 * tally of valid ballots only.
 *
 * Elected: more "for" than half of the base. If more reach that than there are seats, the seats go
 * to the highest counts; a tie across the last seat elects those above it and sends the tied to a
 * new round for the seats left. If fewer reach it, the round is short and a further round
 * (另行选举) for the remaining seats is proposed among the unelected *listed* candidates, in list
 * order: written-in people are not candidates and stand only if the presidium nominates them (it may
 * also trim the list by first-round votes or reduce the seats; surplusCheck tells it whether the
 * proposed list keeps the ratio). A seat is never filled below the threshold.
 *
 * A void round proposes the same seats and candidates again. A tied write-in enters the tie-break
 * round as a candidate with id `w:<personId>`.
 *
 * Ballots are checked again here (without write-in eligibility, which needs the roster): one that
 * is not a ballot of this round counts as invalid rather than failing the count. A candidate left
 * unmarked (paper entry of a spoiled part) counts for nobody on that ballot.
 */
export function countElection(input: ElectionCountInput): ElectionCount {
  const { seats, candidates, ballots, issued, shouldAttend, present } = input
  assertCount('seats', seats, 1)
  assertCount('issued', issued, 0)
  assertCount('shouldAttend', shouldAttend, 0)
  assertCount('present', present, 0)
  const candidateIds = candidates.map((c) => c.id)
  if (new Set(candidateIds).size !== candidateIds.length) throw new RangeError('candidate ids repeat')

  const returned = ballots.length
  const head = countHead(input, returned)
  if (returned > issued) return voidRound(head, candidates)

  const listedPersonIds = new Set<string>()
  for (const c of candidates) if (c.personId !== null) listedPersonIds.add(c.personId)

  const rows = new Map<string, CandidateResult>()
  for (const c of candidates) {
    rows.set(c.id, { ...c, writeIn: false, for: 0, against: 0, abstain: 0, elected: false, tiedAtLastSeat: false })
  }
  const writeIns = new Map<string, CandidateResult>()
  let valid = 0
  let invalid = 0
  for (const raw of ballots) {
    const parsed = parseElectionBallot(raw, candidateIds, listedPersonIds, false)
    if (!parsed.ok || forCount(parsed.ballot) > seats) {
      invalid++
      continue
    }
    valid++
    const b = parsed.ballot
    for (const [id, m] of Object.entries(b.marks)) rows.get(id)![m]++
    for (const p of b.writeIns) {
      let r = writeIns.get(p)
      if (!r) {
        const id = writeInId(p)
        if (rows.has(id)) throw new RangeError(`candidate id ${id} clashes with a write-in`)
        r = { id, name: input.nameOf(p), personId: p, writeIn: true, for: 0, against: 0, abstain: 0, elected: false, tiedAtLastSeat: false }
        writeIns.set(p, r)
      }
      r.for++
    }
  }

  return decide(input, head, rows, writeIns, valid, invalid)
}


/** What tellers enter at the desk for a paper round (纸质选票): the counts, not the ballots. */
export interface PaperElectionTotals {
  /** 收回票数 */
  returned: number
  /** 无效票 */
  invalid: number
  /** Per listed candidate, over the valid ballots. */
  tallies: Record<string, { for: number; against: number; abstain: number }>
  /** 另选他人: votes for written-in people, over the valid ballots. */
  writeIns: Array<{ personId: string; for: number }>
}

/** Where a paper entry does not add up, in words a teller can act on; empty when it does. */
export function paperTotalsProblems(seats: number, candidates: Candidate[], t: PaperElectionTotals, electedBefore: readonly string[] = []): string[] {
  const problems: string[] = []
  const valid = t.returned - t.invalid
  if (valid < 0) problems.push('无效票多于收回票')
  for (const c of candidates) {
    const x = t.tallies[c.id]
    if (!x) {
      problems.push(`缺少${c.name}的票数`)
      continue
    }
    // On a valid ballot every listed candidate carries one mark, or none where a part was spoiled.
    if (x.for + x.against + x.abstain > valid) problems.push(`${c.name}的赞成、不赞成、弃权之和超过有效票数`)
  }
  const listed = new Set(candidates.map((c) => c.personId).filter(Boolean))
  const seen = new Set<string>()
  for (const w of t.writeIns) {
    if (listed.has(w.personId)) problems.push('另选他人不能是候选人')
    if (electedBefore.includes(w.personId)) problems.push('另选他人不能是前几轮已当选的人')
    if (seen.has(w.personId)) problems.push('另选他人重复')
    seen.add(w.personId)
  }
  const forVotes = candidates.reduce((n, c) => n + (t.tallies[c.id]?.for ?? 0), 0) + t.writeIns.reduce((n, w) => n + w.for, 0)
  if (forVotes > valid * seats) problems.push('赞成票总数超过有效票数乘以应选人数')
  return problems
}

/** Counts a paper round from the tellers' totals by the same rules as an electronic one. */
export function countElectionFromTotals(
  input: Omit<ElectionCountInput, 'ballots'> & { totals: PaperElectionTotals },
): ElectionCount {
  const { seats, candidates, issued, totals } = input
  assertCount('seats', seats, 1)
  assertCount('returned', totals.returned, 0)
  assertCount('invalid', totals.invalid, 0)
  const head = countHead(input, totals.returned)
  if (totals.returned > issued) return voidRound(head, candidates)
  const rows = new Map<string, CandidateResult>()
  for (const c of candidates) {
    const x = totals.tallies[c.id] ?? { for: 0, against: 0, abstain: 0 }
    rows.set(c.id, { ...c, writeIn: false, for: x.for, against: x.against, abstain: x.abstain, elected: false, tiedAtLastSeat: false })
  }
  const writeIns = new Map<string, CandidateResult>()
  for (const w of totals.writeIns) {
    if (w.for <= 0) continue
    writeIns.set(w.personId, {
      id: writeInId(w.personId),
      name: input.nameOf(w.personId),
      personId: w.personId,
      writeIn: true,
      for: w.for,
      against: 0,
      abstain: 0,
      elected: false,
      tiedAtLastSeat: false,
    })
  }
  return decide(input, head, rows, writeIns, totals.returned - totals.invalid, totals.invalid)
}
