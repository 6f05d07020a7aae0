// The tablet's ballot: the voter's marks while filling it in (kept in memory only, never stored),
// the checks before review (everything marked that must be, over the seats), the ballot as it goes
// on the wire, the idempotency key, and what each cast reply means for the screen.
import type { ElectionMark } from '../../../shared/domain/elections'
import type { AppointmentMark, VoteMark } from '../../../shared/domain/votes'
import type { PollSpec } from '../../../shared/domain/polls'
import type { ClientErrorCode } from './errors'

export interface ElectionDraft {
  kind: 'election'
  marks: Record<string, ElectionMark>
  /** 另选他人, person ids in the order the voter added them. */
  writeIns: string[]
}
export interface ResolutionDraft {
  kind: 'resolution'
  mark: VoteMark | null
}
export interface AppointmentDraft {
  kind: 'appointment'
  marks: Record<string, AppointmentMark>
}
export interface EvaluationDraft {
  kind: 'evaluation'
  /** Index into the scale; missing or null = 弃权 (unmarked is allowed). */
  grades: Record<string, number | null>
}
export type BallotDraft = ElectionDraft | ResolutionDraft | AppointmentDraft | EvaluationDraft

export function emptyDraft(spec: PollSpec): BallotDraft {
  switch (spec.kind) {
    case 'election':
      return { kind: 'election', marks: {}, writeIns: [] }
    case 'resolution':
      return { kind: 'resolution', mark: null }
    case 'appointment':
      return { kind: 'appointment', marks: {} }
    case 'evaluation':
      return { kind: 'evaluation', grades: {} }
  }
}

/** The people an election ballot votes for: "for" marks plus write-ins. */
export function forCount(d: ElectionDraft): number {
  let n = d.writeIns.length
  for (const m of Object.values(d.marks)) if (m === 'for') n++
  return n
}

/** More people voted for than seats: the count will declare the ballot invalid. */
export function overSeats(spec: PollSpec, d: BallotDraft): boolean {
  return spec.kind === 'election' && d.kind === 'election' && forCount(d) > spec.seats
}

/** How many entries still need a mark before the ballot can be cast (the server refuses an
 * election or appointment ballot with anyone unmarked; an evaluation may leave subjects blank). */
export function unmarked(spec: PollSpec, d: BallotDraft): number {
  if (spec.kind === 'election' && d.kind === 'election') return spec.candidates.filter((c) => !d.marks[c.id]).length
  if (spec.kind === 'appointment' && d.kind === 'appointment') return spec.nominees.filter((n) => !d.marks[n.id]).length
  if (spec.kind === 'resolution' && d.kind === 'resolution') return d.mark ? 0 : 1
  return 0
}

export function ready(spec: PollSpec, d: BallotDraft): boolean {
  return spec.kind === d.kind && unmarked(spec, d) === 0
}

/** Marks every candidate or nominee not marked yet with the neutral choice (弃权 / the third option). */
export function markRestNeutral(spec: PollSpec, d: BallotDraft): BallotDraft {
  if (spec.kind === 'election' && d.kind === 'election') {
    const marks = { ...d.marks }
    for (const c of spec.candidates) marks[c.id] ??= 'abstain'
    return { ...d, marks }
  }
  if (spec.kind === 'appointment' && d.kind === 'appointment') {
    const marks = { ...d.marks }
    for (const n of spec.nominees) marks[n.id] ??= spec.thirdOption
    return { ...d, marks }
  }
  return d
}

/** Tapping a chosen grade again clears it (back to abstain). */
export function toggleGrade(d: EvaluationDraft, subjectId: string, grade: number): EvaluationDraft {
  const cur = d.grades[subjectId]
  return { ...d, grades: { ...d.grades, [subjectId]: cur === grade ? null : grade } }
}

export function addWriteIn(d: ElectionDraft, personId: string): ElectionDraft {
  return d.writeIns.includes(personId) ? d : { ...d, writeIns: [...d.writeIns, personId] }
}

export function removeWriteIn(d: ElectionDraft, personId: string): ElectionDraft {
  return { ...d, writeIns: d.writeIns.filter((x) => x !== personId) }
}

/** The ballot as `ballot:cast` carries it, with only the fields the server expects, in list order. */
export function toBallot(spec: PollSpec, d: BallotDraft): unknown {
  if (!ready(spec, d)) throw new Error('the ballot is not complete')
  switch (spec.kind) {
    case 'election': {
      const e = d as ElectionDraft
      return { marks: Object.fromEntries(spec.candidates.map((c) => [c.id, e.marks[c.id]])), writeIns: [...e.writeIns] }
    }
    case 'resolution':
      return { mark: (d as ResolutionDraft).mark }
    case 'appointment': {
      const a = d as AppointmentDraft
      return { marks: Object.fromEntries(spec.nominees.map((n) => [n.id, a.marks[n.id]])) }
    }
    case 'evaluation': {
      const g = (d as EvaluationDraft).grades
      return { grades: Object.fromEntries(spec.subjects.map((s) => [s.id, g[s.id] ?? null])) }
    }
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** 128 random bits as 22 url-safe characters (the schema allows [A-Za-z0-9_-], 8 to 64). Made once
 * per ballot and sent again unchanged on every retry, so a lost ack never makes a second ballot. */
export function newIdempotencyKey(fill: (a: Uint8Array) => Uint8Array = (a) => crypto.getRandomValues(a)): string {
  const bytes = fill(new Uint8Array(16))
  let bits = 0
  let acc = 0
  let out = ''
  for (const b of bytes) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 6) {
      bits -= 6
      out += B64URL[(acc >> bits) & 63]
    }
    acc &= (1 << bits) - 1
  }
  if (bits > 0) out += B64URL[(acc << (6 - bits)) & 63]
  return out
}

/**
 * What a cast reply means for the tablet:
 * - `received`: stored (a repeat with the same key gets the same ack);
 * - `voted`: this voter's ballot is already in the box (another device, an earlier attempt);
 * - `uncertain`: no reply; the ballot may or may not be stored. The tablet keeps the ballot and its
 *   key unchanged and may only send exactly the same again;
 * - `retry`: certainly not stored (offline, store unavailable, rate limited); sending again is safe;
 * - `refused`: the server refused it for good (not on the roll, round closed, malformed).
 */
export type CastOutcome = 'received' | 'voted' | 'uncertain' | 'retry' | 'refused'

export function castOutcome(res: { ok: true } | { ok: false; code: ClientErrorCode }): CastOutcome {
  if (res.ok) return 'received'
  switch (res.code) {
    case 'ALREADY_VOTED':
      return 'voted'
    case 'TIMEOUT':
      return 'uncertain'
    case 'OFFLINE':
    case 'NETWORK':
    case 'STORE_UNAVAILABLE':
    case 'RATE_LIMITED':
      return 'retry'
    default:
      return 'refused'
  }
}
