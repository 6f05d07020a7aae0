// The poll service: the steps of a poll that touch the ballot box as well as the log. Opening writes
// the round (with its electorate) to the log, and every node then opens it in the box; closing
// closes the box first, counts what it holds, and writes the count and the digest to the log.
// Casting a secret ballot goes to the box only and leaves no trace in the log or the server's output.
import { commands } from '../shared/domain/commands'
import { countRound, checkBallot, checkStoredBallot, readStoredBallot } from '../shared/domain/counting'
import { ballotsDigest, canonicalBallots, canonicalJson } from '../shared/domain/digest'
import { countElectionFromTotals, type ElectionCount } from '../shared/domain/elections'
import { decideClose, decideOpenCast, paperDifferences } from '../shared/domain/poll-commands'
import { namedBallotKey, namedBallots, namedTally, roundKey, type Poll, type PollSpec, type Round } from '../shared/domain/polls'
import type { Actor, MeetingState } from '../shared/domain/types'
import { sha256 as sha256hex, type Engine, type SubmitResult } from './engine'
import type { BallotBox } from './store/ballot-box'
import { StoreUnavailableError } from './store/types'
import { sortByStrokes } from './strokes'

function openRoundOf(p: Poll | undefined): Round | null {
  const r = p?.rounds[p.rounds.length - 1]
  return r && r.status === 'open' ? r : null
}

function refusal(error: Extract<SubmitResult, { ok: false }>['error'], params?: Record<string, string | number>): SubmitResult {
  return { ok: false, error, params }
}

export class PollService {
  /** Ballots cast per open round, as last read from the box (or the log for open votes). */
  readonly turnout = new Map<string, number>()
  private timers = new Map<string, NodeJS.Timeout>()
  private poller: NodeJS.Timeout | null = null
  private reconciling = new Map<string, Promise<void>>()
  private closed = false

  constructor(
    private readonly engine: Engine,
    private readonly box: BallotBox,
    private readonly onTurnout: () => void,
    private readonly turnoutIntervalMs = 250,
  ) {
    engine.on('committed', (events) => {
      for (const { event } of events) {
        if (event.type === 'poll.opened' || event.type === 'poll.voterAdmitted') void this.reconcile(event.pollId)
        if (event.type === 'poll.opened' || event.type === 'poll.closed') this.schedule()
      }
    })
  }

  /** Brings the box in line with the log for every open round, and starts timers and turnout. */
  async start(): Promise<void> {
    await Promise.all([...this.engine.state.polls.keys()].map((id) => this.reconcile(id)))
    this.schedule()
  }

  stop(): void {
    this.closed = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    if (this.poller) clearInterval(this.poller)
    this.poller = null
  }

  private reconcile(pollId: string): Promise<void> {
    const poll = this.engine.state.polls.get(pollId)
    const r = openRoundOf(poll)
    // Paper rounds have no electronic box.
    if (!r || poll?.mode === 'paper') return Promise.resolve()
    const key = roundKey(pollId, r.n)
    const electorate = r.electorate
    const p = this.box
      .openRound(key, electorate)
      .catch((err) => {
        console.error(`[polls] could not open ${key} in the ballot box: ${(err as Error).message}; retrying`)
        return new Promise<void>((resolve) => setTimeout(resolve, 1000)).then(() => {
          if (!this.closed) return this.reconcile(pollId)
        })
      })
      .finally(() => this.reconciling.delete(key))
    this.reconciling.set(key, p)
    return p
  }

  /** Timers for rounds with a time limit, and the turnout poller while any round is open. */
  private schedule(): void {
    if (this.closed) return
    const open = new Set<string>()
    for (const poll of this.engine.state.polls.values()) {
      const r = openRoundOf(poll)
      if (!r) continue
      const key = roundKey(poll.id, r.n)
      open.add(key)
      if (r.closesAt !== null && !this.timers.has(key)) {
        const t = setTimeout(() => {
          this.timers.delete(key)
          void this.close(poll.id, null).then((res) => {
            if (!res.ok && res.error === 'STORE_UNAVAILABLE') this.retryLater(poll.id)
          })
        }, Math.max(0, r.closesAt - this.engine.now()))
        this.timers.set(key, t)
      }
    }
    for (const [key, t] of this.timers) {
      if (!open.has(key)) {
        clearTimeout(t)
        this.timers.delete(key)
      }
    }
    if (open.size && !this.poller) {
      this.poller = setInterval(() => void this.pollTurnout(), this.turnoutIntervalMs)
      void this.pollTurnout()
    } else if (!open.size && this.poller) {
      clearInterval(this.poller)
      this.poller = null
      void this.pollTurnout()
    }
  }

  private retryLater(pollId: string): void {
    setTimeout(() => {
      if (!this.closed && openRoundOf(this.engine.state.polls.get(pollId))) {
        void this.close(pollId, null).then((r) => {
          if (!r.ok && r.error === 'STORE_UNAVAILABLE') this.retryLater(pollId)
        })
      }
    }, 1000)
  }

  private async pollTurnout(): Promise<void> {
    let changed = false
    for (const poll of this.engine.state.polls.values()) {
      const r = openRoundOf(poll)
      if (!r) continue
      const key = roundKey(poll.id, r.n)
      let n: number
      try {
        n = poll.secret ? await this.box.turnout(key) : namedTally(this.engine.state, poll.id, r.n).cast
      } catch {
        continue
      }
      if (this.turnout.get(key) !== n) {
        this.turnout.set(key, n)
        changed = true
      }
    }
    if (changed) this.onTurnout()
  }

  async open(pollId: string, actor: Actor): Promise<SubmitResult> {
    const spec = commands['poll:open']
    const res = await this.engine.submit((s, ctx) => spec.decide(s, { pollId }, actor, ctx), actor)
    if (!res.ok) return res
    // The ack says the round is open only once the box is open too.
    await (this.reconciling.get((res.result as { roundKey: string }).roundKey) ?? this.reconcile(pollId))
    return res
  }

  async admit(pollId: string, personId: string, actor: Actor): Promise<SubmitResult> {
    const spec = commands['poll:admit']
    const res = await this.engine.submit((s, ctx) => spec.decide(s, { pollId, personId }, actor, ctx), actor)
    if (!res.ok) return res
    await this.reconcile(pollId)
    return res
  }

  /** Closes the current round: box first, then the count into the log. Idempotent. */
  async close(pollId: string, actor: Actor | null): Promise<SubmitResult> {
    const poll = this.engine.state.polls.get(pollId)
    if (!poll) return refusal('POLL_NOT_FOUND', { pollId })
    const r = openRoundOf(poll)
    if (!r) return refusal('POLL_NOT_OPEN', { title: poll.title })
    if (poll.mode === 'paper') return this.closePaper(poll, r, actor)
    let ballots: unknown[]
    if (poll.secret) {
      try {
        const closed = await this.box.closeRound(roundKey(pollId, r.n))
        ballots = closed.ballots.map((b) => readStoredBallot(r.spec, b))
      } catch (err) {
        if (err instanceof StoreUnavailableError) return refusal('STORE_UNAVAILABLE')
        throw err
      }
    } else {
      ballots = [...namedBallots(this.engine.state, poll.id, r.n).values()]
    }
    const names = (id: string) => this.engine.state.persons.get(id)?.name ?? id
    const { count, nextRound } = countRound(r, ballots, names)
    const digest = ballotsDigest(canonicalBallots(ballots), sha256hex)
    return this.engine.submit(
      (s) => decideClose(s, pollId, r.n, { returned: ballots.length, count, ballotsDigest: digest, nextRound: furtherSpec(count, nextRound) }),
      actor,
    )
  }

  /** A paper round closes on the tellers' two entries, once they agree. */
  private async closePaper(poll: Poll, r: Round, actor: Actor | null): Promise<SubmitResult> {
    const a = r.paper?.entries[1]
    const b = r.paper?.entries[2]
    if (!a || !b || r.spec.kind !== 'election') return refusal('PAPER_INCOMPLETE')
    const names = new Map<string, string>(r.spec.candidates.map((c) => [c.id, c.name]))
    const nameOf = (id: string) => this.engine.state.persons.get(id)?.name ?? id
    for (const w of [...a.totals.writeIns, ...b.totals.writeIns]) names.set(w.personId, nameOf(w.personId))
    const diff = paperDifferences(a.totals, b.totals, names)
    if (diff.length) return refusal('PAPER_MISMATCH', { fields: diff.join('、') })
    const spec = r.spec
    const count = countElectionFromTotals({
      seats: spec.seats,
      candidates: spec.candidates,
      issued: r.electorate.length,
      shouldAttend: r.shouldAttend,
      present: r.present,
      thresholdBase: spec.thresholdBase,
      nameOf,
      kind: spec.electionKind,
      totals: a.totals,
    })
    const nextRound = count.nextRound ? { ...spec, seats: count.nextRound.seats, candidates: count.nextRound.candidates } : null
    // The paper ballots stay in the sealed box; the log keeps the hash of the agreed totals.
    const digest = sha256hex(canonicalJson(a.totals))
    return this.engine.submit(
      (s) => decideClose(s, poll.id, r.n, { returned: a.totals.returned, count, ballotsDigest: digest, nextRound: furtherSpec(count, nextRound) }),
      actor,
    )
  }

  /** Casts one ballot. Secret: into the box, atomically, with nothing logged. Open: into the log.
   * The common case (a secret round, open) creates no closure: a hall casts all at once. */
  async cast(pollId: string, n: number, voterId: string, ballot: unknown, idempotencyKey: string): Promise<SubmitResult> {
    const s: MeetingState = this.engine.state
    const poll = s.polls.get(pollId)
    if (!poll) return refusal('POLL_NOT_FOUND', { pollId })
    const r = openRoundOf(poll)
    // Only a hash of the device's key is stored: a key that happens to hold a time stays unstored.
    const storedKey = sha256hex(`idem:${idempotencyKey}`).slice(0, 32)
    if (!r || r.n !== n) return this.castAfterClose(poll, n, voterId, storedKey)
    if (poll.mode === 'paper') return refusal('POLL_IS_PAPER', { title: poll.title })
    if (!poll.secret) return this.castNamed(r, pollId, voterId, ballot)
    // The stored bytes depend on the choices only, never on how they were sent.
    const checked = checkStoredBallot(r.spec, ballot, s)
    if (!checked.ok) return refusal('INVALID_BALLOT', { reason: checked.reason })
    const key = roundKey(pollId, n)
    const reconciling = this.reconciling.get(key)
    if (reconciling) await reconciling
    let outcome
    try {
      outcome = await this.box.cast(key, voterId, storedKey, checked.stored)
    } catch (err) {
      if (err instanceof StoreUnavailableError) return refusal('STORE_UNAVAILABLE')
      throw err
    }
    switch (outcome) {
      case 'accepted':
      case 'repeat':
        return { ok: true, result: { pollId, round: n, received: true }, seq: this.engine.version }
      case 'already-voted':
        return refusal('ALREADY_VOTED')
      case 'not-eligible':
        return refusal('NOT_ELIGIBLE')
      case 'closed':
        return refusal('POLL_NOT_OPEN', { title: poll.title })
    }
  }

  /** A cast for a round that is not open (any more): a retry whose ack was lost just before the
   * round closed is told its ballot is in; anything else is refused. */
  private async castAfterClose(poll: Poll, n: number, voterId: string, storedKey: string): Promise<SubmitResult> {
    if (poll.secret && poll.rounds.some((x) => x.n === n)) {
      const k = await this.box.castKey(roundKey(poll.id, n), voterId).catch(() => null)
      if (k === storedKey) return { ok: true, result: { pollId: poll.id, round: n, received: true }, seq: this.engine.version }
    }
    return refusal('POLL_NOT_OPEN', { title: poll.title })
  }

  /** A named (open) vote's ballot goes into the log. */
  private castNamed(r: Round, pollId: string, voterId: string, ballot: unknown): Promise<SubmitResult> | SubmitResult {
    const checked = checkBallot(r.spec, ballot, this.engine.state)
    if (!checked.ok) return refusal('INVALID_BALLOT', { reason: checked.reason })
    return this.engine.submit((st) => decideOpenCast(st, pollId, r.n, voterId, checked.ballot), { personId: voterId, role: 'delegate' })
  }

  /** The open rounds this voter has already voted in (for a reconnecting tablet). */
  async votedIn(voterId: string): Promise<string[]> {
    const out: string[] = []
    for (const poll of this.engine.state.polls.values()) {
      const r = openRoundOf(poll)
      if (!r || !r.electorate.includes(voterId)) continue
      const key = roundKey(poll.id, r.n)
      if (!poll.secret) {
        if (this.engine.state.namedBallots.has(namedBallotKey(poll.id, r.n, voterId))) out.push(key)
        continue
      }
      try {
        if ((await this.box.voted(key, [voterId])).has(voterId)) out.push(key)
      } catch {
        // The box is unreachable: the tablet learns it when it tries to vote.
      }
    }
    return out
  }
}

/**
 * The spec of a further election round: its candidates in surname-stroke order, like the first
 * round's (the count gives them in results order, where a write-in tied at the last seat comes after
 * the listed candidates), and everyone elected so far, who cannot be written in on it.
 */
function furtherSpec(count: unknown, spec: PollSpec | null): PollSpec | null {
  if (spec?.kind !== 'election') return spec
  const elected = new Set(spec.electedBefore ?? [])
  for (const r of (count as ElectionCount | null)?.results ?? []) if (r.elected && r.personId) elected.add(r.personId)
  return { ...spec, candidates: sortByStrokes(spec.candidates, (c) => c.name), ...(elected.size ? { electedBefore: [...elected].sort() } : {}) }
}
