// Polls: elections (选举), resolution votes (表决), appointment votes (票决) and democratic evaluation
// (民主测评) share one life cycle — draft, open round, closed and counted, confirmed by the
// scrutineers, published — and one casting path. Secret ballots never enter the event log: the log
// holds the electorate at opening and, at closing, the count and the digest of the ballot box.
import type { Candidate, ElectionCount, ElectionKind, PaperElectionTotals } from './elections'
import type { EvaluationSubject, Nominee, PassRule } from './votes'
import type { MeetingState, NamedTally, QuorumRules } from './types'

export type PollKind = 'election' | 'resolution' | 'appointment' | 'evaluation'

export interface ElectionSpec {
  kind: 'election'
  /** 应选人数 */
  seats: number
  /** In surname-stroke order (姓氏笔画), as the server sorted them. */
  candidates: Candidate[]
  electionKind: ElectionKind
  /** More "for" than half of those who should attend (default) or of those present. */
  thresholdBase: 'shouldAttend' | 'present'
  minSurplusPct: number
  /** A further round's: the people earlier rounds of this election elected (set by the server).
   * Like the listed candidates, they cannot be written in. */
  electedBefore?: string[]
}

export interface ResolutionSpec {
  kind: 'resolution'
  question: string
  passRule: PassRule
}

export interface AppointmentSpec {
  kind: 'appointment'
  nominees: Nominee[]
  /** 缓议 (defer) or 弃权 (abstain), as the locality uses. */
  thirdOption: 'defer' | 'abstain'
}

export interface EvaluationSpec {
  kind: 'evaluation'
  subjects: EvaluationSubject[]
  /** Grade labels, best first; unmarked counts as abstain. */
  scale: string[]
}

export type PollSpec = ElectionSpec | ResolutionSpec | AppointmentSpec | EvaluationSpec

export type RoundStatus = 'open' | 'closed' | 'published'

/** One round of voting (a further round of an election is a new round of the same poll). */
export interface Round {
  n: number
  status: RoundStatus
  openedAt: number
  /** Server time at which the round closes by itself, or null. */
  closesAt: number | null
  /** Who may vote, fixed at opening (sorted ids); late arrivals admitted by the desk are added. */
  electorate: string[]
  /** 应到 and 实到 when the round opened: the bases of thresholds. */
  shouldAttend: number
  present: number
  /** The spec of this round (a further election round has fewer seats and candidates). */
  spec: PollSpec
  closedAt: number | null
  /** Ballots returned (cast), from the ballot box at closing. */
  returned: number | null
  /** The count, by kind (ElectionCount, ResolutionCount, ...). */
  count: unknown
  /** SHA-256 of the sorted canonical ballots: the published ballots must hash to it. */
  ballotsDigest: string | null
  /** Seq of the log event that closed the round (its hash chains the digest into the log). */
  closedSeq: number | null
  /** Scrutineers who confirmed the count report. */
  confirmations: string[]
  publishedAt: number | null
  /** Paper rounds: the two independent entries of the tellers' counts, by entry number. */
  paper: { entries: Partial<Record<1 | 2, { by: string; totals: PaperElectionTotals }>> } | null
}

/** 投票事项: one election, vote or evaluation. */
export interface Poll {
  id: string
  title: string
  agendaItemId: string | null
  /** Who votes: null for the congress (every delegate with voting rights), else a Body's members. */
  bodyId: string | null
  secret: boolean
  mode: 'electronic' | 'paper'
  spec: PollSpec
  quorumPurpose: keyof QuorumRules
  /** Seconds a round stays open before it closes by itself; null for no limit. */
  timeLimitS: number | null
  /** 监票人 (the first is the chief, 总监票人) and 计票人. */
  scrutineers: string[]
  tellers: string[]
  /** Open votes only: show the tally while voting. */
  liveResults: boolean
  /** draft until the first round opens; done when the last round is published and nothing remains. */
  status: 'draft' | 'active' | 'done' | 'cancelled'
  rounds: Round[]
  /** A further round prepared by a count (a tie at the last seat, a shortfall, a void round). */
  nextRound: PollSpec | null
  createdAt: number
}

export function currentRound(p: Poll): Round | null {
  return p.rounds.length ? p.rounds[p.rounds.length - 1] : null
}

export function roundKey(pollId: string, n: number): string {
  return `${pollId}:${n}`
}

/** Named (open) votes: each voter's ballot, keyed by round and voter in one flat map of the state,
 * so recording a ballot costs the same whether it is the first or the three-thousandth. */
export function namedBallotKey(pollId: string, n: number, personId: string): string {
  return `${roundKey(pollId, n)}|${personId}`
}

const NO_TALLY: NamedTally = { cast: 0, marks: {} }

/** A named round's tally with one more ballot: copies the small record it changes. */
export function withBallot(t: NamedTally | undefined, ballot: unknown): NamedTally {
  const prev = t ?? NO_TALLY
  const mark = (ballot as { mark?: unknown } | null)?.mark
  return { cast: prev.cast + 1, marks: typeof mark === 'string' ? { ...prev.marks, [mark]: (prev.marks[mark] ?? 0) + 1 } : prev.marks }
}

/** The running tally of a named round (nothing cast yet: zeros). */
export function namedTally(s: Pick<MeetingState, 'namedTallies'>, pollId: string, n: number): NamedTally {
  return s.namedTallies.get(roundKey(pollId, n)) ?? NO_TALLY
}

/** Whether a person is in a round's electorate (electorates are kept sorted: a binary search). */
export function inElectorate(r: Pick<Round, 'electorate'>, personId: string): boolean {
  const sorted = r.electorate
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid] === personId) return true
    if (sorted[mid] < personId) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

/** The named ballots of one round, by voter (for the count and the exports; live figures come from
 * namedTally). */
export function namedBallots(s: Pick<MeetingState, 'namedBallots'>, pollId: string, n: number): Map<string, unknown> {
  const prefix = `${roundKey(pollId, n)}|`
  const out = new Map<string, unknown>()
  for (const [k, v] of s.namedBallots) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v)
  return out
}

/** Persons listed on the ballot (candidates, nominees) who exist in the roster. */
export function listedPersons(spec: PollSpec): string[] {
  if (spec.kind === 'election') return [...spec.candidates.map((c) => c.personId).filter((x): x is string => !!x), ...(spec.electedBefore ?? [])]
  if (spec.kind === 'appointment') return spec.nominees.map((n) => n.personId).filter((x): x is string => !!x)
  return []
}

/** 应到, 实到 and the voters present, for the congress (bodyId null) or one body's members. */
export function electorateOf(s: MeetingState, bodyId: string | null): { shouldAttend: number; present: number; voters: string[] } | null {
  if (bodyId === null) {
    const voters = presentVoters(s)
    let should = 0
    for (const p of s.persons.values()) if (p.role === 'delegate' && p.votingRight && p.status === 'active') should++
    return { shouldAttend: should, present: voters.length, voters }
  }
  const body = s.bodies.get(bodyId)
  if (!body) return null
  const voters: string[] = []
  let should = 0
  for (const id of body.memberIds) {
    const p = s.persons.get(id)
    if (!p || p.status !== 'active') continue
    should++
    if (s.attendance.get(id)?.presence === 'present') voters.push(id)
  }
  return { shouldAttend: should, present: voters.length, voters: voters.sort() }
}

/** Whether a person votes in this body (or the congress). */
export function votesIn(s: MeetingState, bodyId: string | null, personId: string): boolean {
  const p = s.persons.get(personId)
  if (!p || p.status !== 'active') return false
  if (bodyId === null) return p.role === 'delegate' && p.votingRight
  return !!s.bodies.get(bodyId)?.memberIds.includes(personId)
}

/** The voters of the congress right now: active delegates with voting rights who are checked in. */
export function presentVoters(s: MeetingState): string[] {
  const out: string[] = []
  for (const p of s.persons.values()) {
    if (p.role !== 'delegate' || !p.votingRight || p.status !== 'active') continue
    if (s.attendance.get(p.id)?.presence === 'present') out.push(p.id)
  }
  return out.sort()
}

/** How many choices a ballot offers, per kind, for the tablet and the report. */
export const MARK_LABELS = {
  election: { for: '赞成', against: '不赞成', abstain: '弃权' },
  resolution: { for: '赞成', against: '反对', abstain: '弃权' },
  appointment: { agree: '同意', disagree: '不同意', defer: '缓议', abstain: '弃权' },
} as const

export type { ElectionCount }

export type PollEvent =
  | { type: 'poll.created'; poll: Poll }
  | { type: 'poll.updated'; poll: Poll }
  | { type: 'poll.cancelled'; pollId: string }
  | {
      type: 'poll.opened'
      pollId: string
      n: number
      closesAt: number | null
      electorate: string[]
      shouldAttend: number
      present: number
      spec: PollSpec
    }
  | { type: 'poll.voterAdmitted'; pollId: string; n: number; personId: string }
  /** Named (open) votes only: who voted how is public for them. */
  | { type: 'ballot.castOpen'; pollId: string; n: number; personId: string; ballot: unknown }
  | {
      type: 'poll.closed'
      pollId: string
      n: number
      returned: number
      count: unknown
      ballotsDigest: string
      /** The further round the count calls for, if any. */
      nextRound: PollSpec | null
    }
  | { type: 'poll.confirmed'; pollId: string; n: number; personId: string }
  /** A teller's entry of a paper round's counts (entered twice, by two people). */
  | { type: 'poll.paperEntered'; pollId: string; n: number; entry: 1 | 2; by: string; totals: PaperElectionTotals }
  | { type: 'poll.published'; pollId: string; n: number }
  /** The presidium's further round after a shortfall: fewer seats, a shorter list, a written-in person nominated. */
  | { type: 'poll.nextRoundSet'; pollId: string; nextRound: PollSpec }
  /** The presidium ends an election without the further round its count called for (不再另行选举). */
  | { type: 'poll.finished'; pollId: string }
  /** The chair shows (or hides) a named vote's running tally in the hall. */
  | { type: 'poll.liveResultsSet'; pollId: string; live: boolean }

function withRound(p: Poll, n: number, f: (r: Round) => Round): Poll {
  return { ...p, rounds: p.rounds.map((r) => (r.n === n ? f(r) : r)) }
}

/** Folds a poll event into the draft state's polls map (entries replaced, never mutated). */
export function evolvePoll(polls: Map<string, Poll>, ev: PollEvent, at: number, seq: number): void {
  switch (ev.type) {
    case 'poll.created':
    case 'poll.updated':
      polls.set(ev.poll.id, ev.poll)
      return
    case 'poll.cancelled': {
      const p = polls.get(ev.pollId)
      if (p) polls.set(p.id, { ...p, status: 'cancelled' })
      return
    }
  }
  const p = polls.get(ev.pollId)
  if (!p) return
  switch (ev.type) {
    case 'poll.opened': {
      const round: Round = {
        n: ev.n,
        status: 'open',
        openedAt: at,
        closesAt: ev.closesAt,
        electorate: ev.electorate,
        shouldAttend: ev.shouldAttend,
        present: ev.present,
        spec: ev.spec,
        closedAt: null,
        returned: null,
        count: null,
        ballotsDigest: null,
        closedSeq: null,
        confirmations: [],
        publishedAt: null,
        paper: p.mode === 'paper' ? { entries: {} } : null,
      }
      polls.set(p.id, { ...p, status: 'active', rounds: [...p.rounds, round], nextRound: null })
      return
    }
    case 'poll.voterAdmitted':
      polls.set(
        p.id,
        withRound(p, ev.n, (r) => ({ ...r, electorate: [...r.electorate, ev.personId].sort() })),
      )
      return
    case 'poll.closed':
      polls.set(p.id, {
        ...withRound(p, ev.n, (r) => ({
          ...r,
          status: 'closed',
          closedAt: at,
          returned: ev.returned,
          count: ev.count,
          ballotsDigest: ev.ballotsDigest,
          closedSeq: seq,
        })),
        nextRound: ev.nextRound,
      })
      return
    case 'poll.paperEntered':
      polls.set(
        p.id,
        withRound(p, ev.n, (r) => ({
          ...r,
          paper: { entries: { ...(r.paper?.entries ?? {}), [ev.entry]: { by: ev.by, totals: ev.totals } } },
        })),
      )
      return
    case 'poll.confirmed':
      polls.set(
        p.id,
        withRound(p, ev.n, (r) => ({ ...r, confirmations: [...new Set([...r.confirmations, ev.personId])] })),
      )
      return
    case 'poll.published': {
      const q = withRound(p, ev.n, (r) => ({ ...r, status: 'published', publishedAt: at }))
      polls.set(p.id, { ...q, status: q.nextRound ? 'active' : 'done' })
      return
    }
    case 'poll.nextRoundSet':
      polls.set(p.id, { ...p, nextRound: ev.nextRound })
      return
    case 'poll.finished':
      polls.set(p.id, { ...p, status: 'done', nextRound: null })
      return
    case 'poll.liveResultsSet':
      // Never on a secret poll, whatever the log says.
      polls.set(p.id, { ...p, liveResults: ev.live && !p.secret })
      return
  }
}
