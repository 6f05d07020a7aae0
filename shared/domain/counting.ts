// One entry point from a closed round to its count, whatever the poll's kind, and one for checking a
// ballot's shape at cast time. The rules themselves are in elections.ts and votes.ts.
import { canonicalJson } from './digest'
import { checkBallotShape, checkStoredBallotShape, countElection, expandElectionBallot } from './elections'
import { listedPersons, type PollSpec, type Round } from './polls'
import type { MeetingState } from './types'
import { checkVoteBallotShape, countAppointment, countEvaluation, countResolution } from './votes'

export interface RoundCount {
  count: unknown
  /** The further round the count calls for (a tie, a shortfall, a void round), or null. */
  nextRound: PollSpec | null
}

export function countRound(r: Pick<Round, 'spec' | 'electorate' | 'shouldAttend' | 'present'>, ballots: unknown[], nameOf: (personId: string) => string): RoundCount {
  const spec = r.spec
  const issued = r.electorate.length
  switch (spec.kind) {
    case 'election': {
      const count = countElection({
        seats: spec.seats,
        candidates: spec.candidates,
        ballots: ballots as never,
        issued,
        shouldAttend: r.shouldAttend,
        present: r.present,
        thresholdBase: spec.thresholdBase,
        nameOf,
        kind: spec.electionKind,
      })
      const next = count.nextRound ? { ...spec, seats: count.nextRound.seats, candidates: count.nextRound.candidates } : null
      return { count, nextRound: next }
    }
    case 'resolution': {
      const count = countResolution({ ballots, issued, shouldAttend: r.shouldAttend, present: r.present, rule: spec.passRule })
      return { count, nextRound: count.roundValid ? null : spec }
    }
    case 'appointment': {
      const count = countAppointment({ nominees: spec.nominees, ballots, issued, shouldAttend: r.shouldAttend, thirdOption: spec.thirdOption })
      return { count, nextRound: count.roundValid ? null : spec }
    }
    case 'evaluation': {
      const count = countEvaluation({ subjects: spec.subjects, scale: spec.scale, ballots, issued })
      return { count, nextRound: count.roundValid ? null : spec }
    }
  }
}

/** Who may be written in (另选他人): an active delegate who is not on the list. */
export function eligibleWriteIn(s: MeetingState, listed: Set<string>) {
  return (personId: string): boolean => {
    const p = s.persons.get(personId)
    return !!p && p.role === 'delegate' && p.status === 'active' && !listed.has(personId)
  }
}

/** Per election spec (specs are never changed in place, only replaced): what every cast checks against. */
const electionLists = new WeakMap<object, { listed: Set<string>; candidateIds: string[] }>()

function listsOf(spec: Extract<PollSpec, { kind: 'election' }>): { listed: Set<string>; candidateIds: string[] } {
  let m = electionLists.get(spec)
  if (!m) electionLists.set(spec, (m = { listed: new Set(listedPersons(spec)), candidateIds: spec.candidates.map((c) => c.id) }))
  return m
}

/**
 * checkBallot for a secret round, giving what the ballot box stores: for an election the compact
 * form (compactElectionBallot against the round's own candidate list, built as the ballot is
 * checked), for the other kinds the canonical JSON. Either way the bytes depend on the choices
 * only, never on how they were sent; the refusals are checkBallot's.
 */
export function checkStoredBallot(spec: PollSpec, ballot: unknown, s: MeetingState): { ok: true; stored: string } | { ok: false; reason: string } {
  if (spec.kind === 'election') {
    const m = listsOf(spec)
    return checkStoredBallotShape(ballot, m.candidateIds, eligibleWriteIn(s, m.listed), m.listed)
  }
  const r = checkBallot(spec, ballot, s)
  return r.ok ? { ok: true, stored: canonicalJson(r.ballot) } : r
}

/** The ballot a stored string stands for, read back against the spec of the round it was cast in.
 * JSON (the other kinds, and election ballots a box stored before the compact form) is parsed. */
export function readStoredBallot(spec: PollSpec, stored: string): unknown {
  if (stored.startsWith('{')) return JSON.parse(stored) as unknown
  if (spec.kind !== 'election') throw new Error(`stored ${spec.kind} ballot is not JSON`)
  return expandElectionBallot(stored, listsOf(spec).candidateIds)
}

export function checkBallot(spec: PollSpec, ballot: unknown, s: MeetingState): { ok: true; ballot: unknown } | { ok: false; reason: string } {
  switch (spec.kind) {
    case 'election': {
      const m = listsOf(spec)
      return checkBallotShape(ballot, m.candidateIds, eligibleWriteIn(s, m.listed), m.listed)
    }
    case 'resolution':
      return checkVoteBallotShape('resolution', ballot)
    case 'appointment':
      return checkVoteBallotShape('appointment', ballot, { nomineeIds: spec.nominees.map((n) => n.id), thirdOption: spec.thirdOption })
    case 'evaluation':
      return checkVoteBallotShape('evaluation', ballot, { subjectIds: spec.subjects.map((x) => x.id), scaleSize: spec.scale.length })
  }
}
