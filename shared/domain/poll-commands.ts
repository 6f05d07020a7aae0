// The rules of a poll's life: who may set it up, open, close, confirm and publish it, and when.
// Casting a secret ballot does not pass through here (see server/polls.ts): only its rules do.
import type { CommandSpec, DecideContext, Decision, Refusal } from './commands'
import type { Candidate, ElectionCount } from './elections'
import { DEFAULT_MIN_SURPLUS_PCT, paperTotalsProblems, surplusCheck, type PaperElectionTotals } from './elections'
import type { DomainEvent } from './events'
import { electorateOf, inElectorate, listedPersons, namedBallotKey, roundKey, votesIn, type Poll, type PollSpec, type Round } from './polls'
import { meetsRule, requiredFor } from './quorum'
import type { Actor, MeetingState, Role } from './types'
import type { CommandPayload } from '../schemas'
import type { ErrorCode, Params } from '../errors'

const MANAGERS: readonly Role[] = ['chair', 'secretariat']

function refuse(error: ErrorCode, params?: Params, details?: unknown): Refusal {
  return { error, params, details }
}

type SpecInput = CommandPayload<'poll:create'>['spec']

/** Turns the spec as entered into the stored one: ids for candidates, stroke order, defaults. */
function buildSpec(s: MeetingState, input: SpecInput, ctx: DecideContext): PollSpec | Refusal {
  switch (input.kind) {
    case 'election': {
      const seen = new Set<string>()
      const candidates: Candidate[] = []
      for (const [i, c] of input.candidates.entries()) {
        if (c.personId && !s.persons.has(c.personId)) return refuse('PERSON_NOT_FOUND', { personId: c.personId })
        const key = c.personId ?? `name:${c.name}`
        if (seen.has(key)) return refuse('DUPLICATE_CANDIDATE', { name: c.name })
        seen.add(key)
        candidates.push({ id: `c${i + 1}`, name: c.name, personId: c.personId ?? null })
      }
      if (input.seats > candidates.length) return refuse('TOO_FEW_CANDIDATES', { seats: input.seats, candidates: candidates.length })
      return {
        kind: 'election',
        seats: input.seats,
        candidates: ctx.sortByStrokes(candidates, (c) => c.name),
        electionKind: input.electionKind,
        thresholdBase: input.thresholdBase ?? 'shouldAttend',
        minSurplusPct: input.minSurplusPct ?? DEFAULT_MIN_SURPLUS_PCT[input.electionKind],
      }
    }
    case 'resolution':
      return { kind: 'resolution', question: input.question, passRule: input.passRule ?? 'shouldAttend' }
    case 'appointment': {
      const seen = new Set<string>()
      for (const n of input.nominees) {
        if (n.personId && !s.persons.has(n.personId)) return refuse('PERSON_NOT_FOUND', { personId: n.personId })
        const key = n.personId ?? `name:${n.name}`
        if (seen.has(key)) return refuse('DUPLICATE_CANDIDATE', { name: n.name })
        seen.add(key)
      }
      return {
        kind: 'appointment',
        nominees: input.nominees.map((n, i) => ({ id: `n${i + 1}`, name: n.name, personId: n.personId ?? null, position: n.position })),
        thirdOption: input.thirdOption ?? 'defer',
      }
    }
    case 'evaluation':
      return {
        kind: 'evaluation',
        subjects: input.subjects.map((x, i) => ({ id: `s${i + 1}`, name: x.name })),
        scale: input.scale,
      }
  }
}

function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && 'error' in x
}

/** Scrutineers are voters who are not on the ballot; tellers may be staff. */
function checkOfficials(s: MeetingState, spec: PollSpec, bodyId: string | null, scrutineers: string[], tellers: string[]): Refusal | null {
  const listed = new Set(listedPersons(spec))
  for (const id of scrutineers) {
    const p = s.persons.get(id)
    if (!p) return refuse('PERSON_NOT_FOUND', { personId: id })
    if (listed.has(id)) return refuse('SCRUTINEER_IS_CANDIDATE', { name: p.name })
    if (!votesIn(s, bodyId, id)) return refuse('SCRUTINEER_NOT_VOTER', { name: p.name })
  }
  for (const id of tellers) if (!s.persons.has(id)) return refuse('PERSON_NOT_FOUND', { personId: id })
  return null
}

function warnings(spec: PollSpec): string[] {
  if (spec.kind !== 'election') return []
  const check = surplusCheck(spec.seats, spec.candidates.length, spec.minSurplusPct)
  return check.ok ? [] : ['SURPLUS_BELOW_MIN']
}

function buildPoll(s: MeetingState, p: CommandPayload<'poll:create'>, id: string, ctx: DecideContext, createdAt: number): Poll | Refusal {
  const spec = buildSpec(s, p.spec, ctx)
  if (isRefusal(spec)) return spec
  // Elections, appointments and evaluations are always secret; a resolution chooses.
  const secret = spec.kind === 'resolution' ? (p.secret ?? true) : true
  if (p.mode === 'paper' && spec.kind !== 'election') return refuse('PAPER_ONLY_ELECTIONS')
  // A paper round ends when the tellers' counts agree, not at a time.
  const timeLimitS = p.mode === 'paper' ? null : (p.timeLimitS ?? null)
  const bodyId = p.bodyId ?? null
  if (bodyId !== null && !s.bodies.has(bodyId)) return refuse('BODY_NOT_FOUND', { bodyId })
  const bad = checkOfficials(s, spec, bodyId, p.scrutineers ?? [], p.tellers ?? [])
  if (bad) return bad
  return {
    id,
    title: p.title,
    agendaItemId: p.agendaItemId ?? null,
    bodyId,
    secret,
    mode: p.mode ?? 'electronic',
    spec,
    quorumPurpose: spec.kind === 'election' ? 'election' : spec.kind === 'appointment' ? 'appointment' : 'vote',
    timeLimitS,
    scrutineers: p.scrutineers ?? [],
    tellers: p.tellers ?? [],
    liveResults: !secret && (p.liveResults ?? false),
    status: 'draft',
    rounds: [],
    nextRound: null,
    createdAt,
  }
}

/** An election whose last round is published and whose count called for a further round not yet
 * opened: that count and the round it proposed (or the presidium has set since); refused when there
 * is none, or when the last round was void (it is held again as it was). */
function furtherRound(
  s: MeetingState,
  pollId: string,
): { poll: Poll; count: ElectionCount; next: Extract<PollSpec, { kind: 'election' }> } | Refusal {
  const poll = s.polls.get(pollId)
  if (!poll) return refuse('POLL_NOT_FOUND', { pollId })
  const last = poll.rounds[poll.rounds.length - 1]
  if (poll.status !== 'active' || poll.spec.kind !== 'election' || !last || last.status !== 'published' || !last.count || poll.nextRound?.kind !== 'election')
    return refuse('NO_FURTHER_ROUND', { title: poll.title })
  const count = last.count as ElectionCount
  if (count.outcome === 'void') return refuse('ROUND_VOID', { title: poll.title })
  return { poll, count, next: poll.nextRound }
}

function openRound(p: Poll): Round | null {
  const r = p.rounds[p.rounds.length - 1]
  return r && r.status === 'open' ? r : null
}

function ok<R>(events: DomainEvent[], result: R): Decision<R> {
  return { events, result }
}

type PollCommand =
  | 'poll:create'
  | 'poll:update'
  | 'poll:cancel'
  | 'poll:open'
  | 'poll:admit'
  | 'poll:confirm'
  | 'poll:publish'
  | 'poll:setNextRound'
  | 'poll:finish'
  | 'poll:setLiveResults'
  | 'poll:paperEntry'
  | 'body:save'
  | 'body:remove'

export const pollCommands: { [C in PollCommand]: CommandSpec<CommandPayload<C>> } = {
  'poll:create': {
    roles: MANAGERS,
    decide(s, p, _a, ctx) {
      if (!s.meeting) return refuse('NO_MEETING')
      const id = `poll${s.polls.size + 1}`
      const poll = buildPoll(s, p, id, ctx, ctx.now)
      if (isRefusal(poll)) return poll
      return ok([{ type: 'poll.created', poll }], { pollId: id, warnings: warnings(poll.spec), spec: poll.spec })
    },
  },

  'poll:update': {
    roles: MANAGERS,
    decide(s, p, _a, ctx) {
      const old = s.polls.get(p.pollId)
      if (!old) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      if (old.status !== 'draft') return refuse('POLL_NOT_DRAFT', { title: old.title })
      const { pollId: _id, ...rest } = p
      const poll = buildPoll(s, rest, old.id, ctx, old.createdAt)
      if (isRefusal(poll)) return poll
      return ok([{ type: 'poll.updated', poll }], { pollId: old.id, warnings: warnings(poll.spec), spec: poll.spec })
    },
  },

  'poll:cancel': {
    roles: MANAGERS,
    decide(s, p) {
      const poll = s.polls.get(p.pollId)
      if (!poll) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      if (poll.status === 'cancelled' || poll.status === 'done') return refuse('POLL_FINISHED', { title: poll.title })
      if (openRound(poll)) return refuse('POLL_IS_OPEN', { title: poll.title })
      const last = poll.rounds[poll.rounds.length - 1]
      if (last && last.status === 'closed') return refuse('POLL_NOT_PUBLISHED', { title: poll.title })
      return ok([{ type: 'poll.cancelled', pollId: poll.id }], { pollId: poll.id })
    },
  },

  'poll:open': {
    roles: ['chair'],
    decide(s, p, _a, ctx) {
      const poll = s.polls.get(p.pollId)
      if (!poll) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      if (!s.meeting) return refuse('NO_MEETING')
      if (poll.status === 'cancelled' || poll.status === 'done') return refuse('POLL_FINISHED', { title: poll.title })
      if (openRound(poll)) return refuse('POLL_IS_OPEN', { title: poll.title })
      const last = poll.rounds[poll.rounds.length - 1]
      if (last && last.status === 'closed') return refuse('POLL_NOT_PUBLISHED', { title: poll.title })
      const spec = last ? poll.nextRound : poll.spec
      if (!spec) return refuse('POLL_FINISHED', { title: poll.title })
      const counts = electorateOf(s, poll.bodyId)
      if (!counts) return refuse('BODY_NOT_FOUND', { bodyId: poll.bodyId ?? '' })
      const rule = s.meeting.quorum[poll.quorumPurpose]
      if (!meetsRule(counts.present, counts.shouldAttend, rule))
        return refuse('QUORUM_NOT_MET', { present: counts.present, required: requiredFor(counts.shouldAttend, rule) })
      const electorate = counts.voters
      const n = (last?.n ?? 0) + 1
      const closesAt = poll.timeLimitS ? ctx.now + poll.timeLimitS * 1000 : null
      return ok(
        [
          {
            type: 'poll.opened',
            pollId: poll.id,
            n,
            closesAt,
            electorate,
            shouldAttend: counts.shouldAttend,
            present: counts.present,
            spec,
          },
        ],
        { pollId: poll.id, round: n, issued: electorate.length, closesAt, roundKey: roundKey(poll.id, n) },
      )
    },
  },

  'poll:admit': {
    roles: ['secretariat'],
    decide(s, p) {
      const poll = s.polls.get(p.pollId)
      if (!poll) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      const r = openRound(poll)
      if (!r) return refuse('POLL_NOT_OPEN', { title: poll.title })
      const person = s.persons.get(p.personId)
      if (!person) return refuse('PERSON_NOT_FOUND', { personId: p.personId })
      if (!votesIn(s, poll.bodyId, person.id)) return refuse('NOT_A_VOTER', { name: person.name })
      if (s.attendance.get(person.id)?.presence !== 'present') return refuse('NOT_CHECKED_IN', { name: person.name })
      if (inElectorate(r, person.id)) return refuse('ALREADY_ADMITTED', { name: person.name })
      return ok([{ type: 'poll.voterAdmitted', pollId: poll.id, n: r.n, personId: person.id }], {
        pollId: poll.id,
        round: r.n,
        personId: person.id,
        name: person.name,
        roundKey: roundKey(poll.id, r.n),
      })
    },
  },

  'poll:confirm': {
    roles: ['delegate'],
    decide(s, p, actor: Actor) {
      const poll = s.polls.get(p.pollId)
      if (!poll) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      if (!poll.scrutineers.includes(actor.personId)) return refuse('NOT_SCRUTINEER')
      const r = poll.rounds[poll.rounds.length - 1]
      if (!r || r.status !== 'closed') return refuse('POLL_NOT_CLOSED', { title: poll.title })
      if (r.confirmations.includes(actor.personId)) return refuse('ALREADY_CONFIRMED')
      return ok([{ type: 'poll.confirmed', pollId: poll.id, n: r.n, personId: actor.personId }], {
        pollId: poll.id,
        round: r.n,
        confirmations: r.confirmations.length + 1,
        of: poll.scrutineers.length,
      })
    },
  },

  'poll:publish': {
    roles: ['chair'],
    decide(s, p) {
      const poll = s.polls.get(p.pollId)
      if (!poll) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      const r = poll.rounds[poll.rounds.length - 1]
      if (!r || r.status !== 'closed') return refuse('POLL_NOT_CLOSED', { title: poll.title })
      const missing = poll.scrutineers.filter((id) => !r.confirmations.includes(id))
      if (missing.length)
        return refuse('NOT_CONFIRMED', { names: missing.map((id) => s.persons.get(id)?.name ?? id).join('、') })
      return ok([{ type: 'poll.published', pollId: poll.id, n: r.n }], { pollId: poll.id, round: r.n })
    },
  },

  'poll:setNextRound': {
    roles: MANAGERS,
    decide(s, p, _a, ctx) {
      const pending = furtherRound(s, p.pollId)
      if (isRefusal(pending)) return pending
      const { poll, count, next } = pending
      if (count.outcome === 'tie') return refuse('TIE_ROUND_FIXED', { title: poll.title })
      if (p.seats > count.remainingSeats) return refuse('SEATS_OUT_OF_RANGE', { max: count.remainingSeats })
      // Who may stand: the last round's unelected candidates and the people written in on it, less
      // anyone elected so far (the close put them in the further round's spec).
      const electedBefore = new Set(next.electedBefore ?? [])
      const pool = new Map(count.results.filter((r) => !r.elected && !(r.personId && electedBefore.has(r.personId))).map((r) => [r.id, r]))
      const candidates: Candidate[] = []
      for (const cid of p.candidateIds) {
        const r = pool.get(cid)
        if (!r) {
          const name = count.results.find((x) => x.id === cid)?.name ?? s.persons.get(cid)?.name ?? cid
          return refuse('NOT_IN_POOL', { name })
        }
        if (r.personId && poll.scrutineers.includes(r.personId)) return refuse('SCRUTINEER_IS_CANDIDATE', { name: r.name })
        candidates.push({ id: r.id, name: r.name, personId: r.personId })
      }
      if (candidates.length < p.seats) return refuse('TOO_FEW_CANDIDATES', { seats: p.seats, candidates: candidates.length })
      const spec: PollSpec = { ...next, seats: p.seats, candidates: ctx.sortByStrokes(candidates, (c) => c.name) }
      return ok([{ type: 'poll.nextRoundSet', pollId: poll.id, nextRound: spec }], { pollId: poll.id, warnings: warnings(spec), spec })
    },
  },

  'poll:finish': {
    roles: MANAGERS,
    decide(s, p) {
      const pending = furtherRound(s, p.pollId)
      if (isRefusal(pending)) return pending
      const { poll } = pending
      let elected = 0
      for (const r of poll.rounds) elected += (r.count as ElectionCount | null)?.elected?.length ?? 0
      const seats = poll.spec.kind === 'election' ? poll.spec.seats : 0
      return ok([{ type: 'poll.finished', pollId: poll.id }], { pollId: poll.id, elected, seats })
    },
  },

  'poll:setLiveResults': {
    roles: MANAGERS,
    decide(s, p) {
      const poll = s.polls.get(p.pollId)
      if (!poll) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      if (poll.status === 'cancelled' || poll.status === 'done') return refuse('POLL_FINISHED', { title: poll.title })
      // Secrecy: a secret round shows turnout only, whoever asks.
      if (poll.secret) return refuse('POLL_IS_SECRET', { title: poll.title })
      if (poll.liveResults === p.live) return ok([], { pollId: poll.id, live: p.live })
      return ok([{ type: 'poll.liveResultsSet', pollId: poll.id, live: p.live }], { pollId: poll.id, live: p.live })
    },
  },

  'poll:paperEntry': {
    roles: ['secretariat'],
    decide(s, p, actor) {
      const poll = s.polls.get(p.pollId)
      if (!poll) return refuse('POLL_NOT_FOUND', { pollId: p.pollId })
      if (poll.mode !== 'paper' || poll.spec.kind !== 'election') return refuse('POLL_IS_ELECTRONIC', { title: poll.title })
      const r = openRound(poll)
      if (!r || r.spec.kind !== 'election') return refuse('POLL_NOT_OPEN', { title: poll.title })
      const other = r.paper?.entries[p.entry === 1 ? 2 : 1]
      // Two independent entries: the second must come from another person.
      if (other && other.by === actor.personId) return refuse('PAPER_SAME_PERSON')
      const problems = paperTotalsProblems(r.spec.seats, r.spec.candidates, p.totals, r.spec.electedBefore)
      if (problems.length) return refuse('PAPER_INVALID', { problems: problems.join('；') }, problems)
      for (const w of p.totals.writeIns) if (!s.persons.has(w.personId)) return refuse('PERSON_NOT_FOUND', { personId: w.personId })
      const names = new Map<string, string>([...r.spec.candidates.map((c): [string, string] => [c.id, c.name])])
      for (const w of p.totals.writeIns) names.set(w.personId, s.persons.get(w.personId)?.name ?? w.personId)
      const differences = other ? paperDifferences(p.totals, other.totals, names) : null
      return ok([{ type: 'poll.paperEntered', pollId: poll.id, n: r.n, entry: p.entry, by: actor.personId, totals: p.totals }], {
        pollId: poll.id,
        round: r.n,
        entry: p.entry,
        /** null until both entries exist; then the fields that differ (empty: they agree). */
        differences,
      })
    },
  },

  'body:save': {
    roles: ['secretariat'],
    decide(s, p) {
      const missing = p.memberIds.find((id) => !s.persons.has(id))
      if (missing) return refuse('PERSON_NOT_FOUND', { personId: missing })
      const inUse = [...s.polls.values()].find((x) => x.bodyId === p.id && x.rounds.some((r) => r.status === 'open'))
      if (inUse) return refuse('POLL_IS_OPEN', { title: inUse.title })
      const body = { id: p.id, name: p.name, memberIds: [...new Set(p.memberIds)].sort() }
      return ok([{ type: 'body.saved', body }], { bodyId: body.id, members: body.memberIds.length })
    },
  },

  'body:remove': {
    roles: ['secretariat'],
    decide(s, p) {
      if (!s.bodies.has(p.bodyId)) return refuse('BODY_NOT_FOUND', { bodyId: p.bodyId })
      const used = [...s.polls.values()].find((x) => x.bodyId === p.bodyId && x.status !== 'cancelled')
      if (used) return refuse('BODY_IN_USE', { title: used.title })
      return ok([{ type: 'body.removed', bodyId: p.bodyId }], { bodyId: p.bodyId })
    },
  },
}

/** The fields in which two entries of a paper count differ. */
export function paperDifferences(a: PaperElectionTotals, b: PaperElectionTotals, names: Map<string, string>): string[] {
  const out: string[] = []
  if (a.returned !== b.returned) out.push('收回票数')
  if (a.invalid !== b.invalid) out.push('无效票数')
  for (const id of new Set([...Object.keys(a.tallies), ...Object.keys(b.tallies)])) {
    const x = a.tallies[id]
    const y = b.tallies[id]
    if (!x || !y || x.for !== y.for || x.against !== y.against || x.abstain !== y.abstain) out.push(names.get(id) ?? id)
  }
  // A write-in row with no votes is the same as no row.
  const wa = new Map(a.writeIns.filter((w) => w.for > 0).map((w) => [w.personId, w.for]))
  const wb = new Map(b.writeIns.filter((w) => w.for > 0).map((w) => [w.personId, w.for]))
  for (const id of new Set([...wa.keys(), ...wb.keys()])) if (wa.get(id) !== wb.get(id)) out.push(`另选他人 ${names.get(id) ?? id}`)
  return out
}

/** The close of a round, decided with the count made from the ballot box (server/polls.ts). */
export function decideClose(
  s: MeetingState,
  pollId: string,
  n: number,
  closed: { returned: number; count: unknown; ballotsDigest: string; nextRound: PollSpec | null },
): Decision<{ pollId: string; round: number }> {
  const poll = s.polls.get(pollId)
  if (!poll) return refuse('POLL_NOT_FOUND', { pollId })
  const r = openRound(poll)
  if (!r || r.n !== n) return refuse('POLL_NOT_OPEN', { title: poll.title })
  return ok([{ type: 'poll.closed', pollId, n, ...closed }], { pollId, round: n })
}

/** A named (open) vote: the ballot goes into the log with the voter's id. */
export function decideOpenCast(
  s: MeetingState,
  pollId: string,
  n: number,
  voterId: string,
  ballot: unknown,
): Decision<{ pollId: string; round: number; received: true }> {
  const poll = s.polls.get(pollId)
  if (!poll) return refuse('POLL_NOT_FOUND', { pollId })
  const r = openRound(poll)
  if (!r || r.n !== n) return refuse('POLL_NOT_OPEN', { title: poll.title })
  if (!inElectorate(r, voterId)) return refuse('NOT_ELIGIBLE')
  const prev = s.namedBallots.get(namedBallotKey(pollId, n, voterId))
  if (prev !== undefined) {
    // The same ballot again is a retry after a lost ack: the same answer, nothing added.
    if (JSON.stringify(prev) === JSON.stringify(ballot)) return ok([], { pollId, round: n, received: true as const })
    return refuse('ALREADY_VOTED')
  }
  return ok([{ type: 'ballot.castOpen', pollId, n, personId: voterId, ballot }], { pollId, round: n, received: true as const })
}
