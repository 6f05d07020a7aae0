// Client poll logic: ballot drafts and what goes on the wire, the idempotency key, cast outcomes,
// phases and countdowns, which poll the hall display features, and the desk's poll form.
import { describe, expect, it } from 'vitest'
import type { PollView, RoundView } from '../../shared/domain/poll-views'
import type { PollSpec } from '../../shared/domain/polls'
import { checkBallot } from '../../shared/domain/counting'
import { schemas } from '../../shared/schemas'
import {
  addWriteIn,
  castOutcome,
  emptyDraft,
  forCount,
  markRestNeutral,
  newIdempotencyKey,
  overSeats,
  ready,
  removeWriteIn,
  toBallot,
  toggleGrade,
  unmarked,
  type ElectionDraft,
  type EvaluationDraft,
} from '../../client/src/logic/ballot'
import {
  appointmentFigures,
  basicsOf,
  closedRounds,
  countOfRound,
  evaluationFigures,
  featuredPoll,
  formatCountdown,
  nextRoundReason,
  pollPhase,
  remainingMs,
  rowScale,
  segments,
  share,
  type DisplayContext,
} from '../../client/src/logic/polls'
import {
  addPerson,
  draftFromPoll,
  draftProblems,
  emptyPollDraft,
  moveItem,
  payloadFromDraft,
  scaleOf,
  surplusPreview,
  type PersonRef,
} from '../../client/src/logic/pollEditor'
import { emptyState } from '../../shared/domain/types'

const election: PollSpec = {
  kind: 'election',
  seats: 2,
  candidates: [
    { id: 'c1', name: '丁一', personId: null },
    { id: 'c2', name: '王建国', personId: 'p1' },
    { id: 'c3', name: '李红梅', personId: null },
  ],
  electionKind: 'committee',
  thresholdBase: 'shouldAttend',
  minSurplusPct: 10,
}
const appointment: PollSpec = {
  kind: 'appointment',
  nominees: [
    { id: 'n1', name: '甲', personId: null, position: '局长' },
    { id: 'n2', name: '乙', personId: null },
  ],
  thirdOption: 'defer',
}
const evaluation: PollSpec = { kind: 'evaluation', subjects: [{ id: 's1', name: '县委' }, { id: 's2', name: '县纪委' }], scale: ['好', '较好', '一般', '差'] }
const resolution: PollSpec = { kind: 'resolution', question: '决议草案', passRule: 'shouldAttend' }

describe('ballot drafts', () => {
  it('an election ballot needs every candidate marked; the rest can be set to abstain', () => {
    let d = emptyDraft(election) as ElectionDraft
    expect(unmarked(election, d)).toBe(3)
    expect(ready(election, d)).toBe(false)
    expect(() => toBallot(election, d)).toThrow()
    d = { ...d, marks: { c2: 'for' } }
    d = markRestNeutral(election, d) as ElectionDraft
    expect(d.marks).toEqual({ c1: 'abstain', c2: 'for', c3: 'abstain' })
    expect(ready(election, d)).toBe(true)
    // Marks already made are kept.
    expect((markRestNeutral(election, { ...d, marks: { c1: 'against' } }) as ElectionDraft).marks.c1).toBe('against')
  })

  it('counts "for" marks and write-ins against the seats, and warns when over', () => {
    let d: ElectionDraft = { kind: 'election', marks: { c1: 'for', c2: 'for', c3: 'against' }, writeIns: [] }
    expect(forCount(d)).toBe(2)
    expect(overSeats(election, d)).toBe(false)
    d = addWriteIn(d, 'p9')
    expect(addWriteIn(d, 'p9').writeIns).toEqual(['p9'])
    expect(forCount(d)).toBe(3)
    expect(overSeats(election, d)).toBe(true)
    d = removeWriteIn(d, 'p9')
    expect(overSeats(election, d)).toBe(false)
  })

  it('puts on the wire exactly what the server checks, and it passes the server check', () => {
    const s = emptyState()
    const d: ElectionDraft = { kind: 'election', marks: { c3: 'against', c1: 'abstain', c2: 'for' }, writeIns: [] }
    const b = toBallot(election, d)
    expect(b).toEqual({ marks: { c1: 'abstain', c2: 'for', c3: 'against' }, writeIns: [] })
    expect(checkBallot(election, b, s).ok).toBe(true)

    const a = toBallot(appointment, { kind: 'appointment', marks: { n1: 'agree', n2: 'defer' } })
    expect(a).toEqual({ marks: { n1: 'agree', n2: 'defer' } })
    expect(checkBallot(appointment, a, s).ok).toBe(true)
    expect(unmarked(appointment, { kind: 'appointment', marks: { n1: 'agree' } })).toBe(1)
    expect((markRestNeutral(appointment, { kind: 'appointment', marks: { n1: 'agree' } }) as { marks: object }).marks).toEqual({ n1: 'agree', n2: 'defer' })

    expect(ready(resolution, { kind: 'resolution', mark: null })).toBe(false)
    const r = toBallot(resolution, { kind: 'resolution', mark: 'against' })
    expect(r).toEqual({ mark: 'against' })
    expect(checkBallot(resolution, r, s).ok).toBe(true)
  })

  it('an evaluation may leave subjects blank (abstain), and a second tap clears a grade', () => {
    let d = emptyDraft(evaluation) as EvaluationDraft
    expect(ready(evaluation, d)).toBe(true)
    d = toggleGrade(d, 's1', 1)
    expect(d.grades.s1).toBe(1)
    expect(toggleGrade(d, 's1', 1).grades.s1).toBeNull()
    expect(toggleGrade(d, 's1', 2).grades.s1).toBe(2)
    const b = toBallot(evaluation, d)
    expect(b).toEqual({ grades: { s1: 1, s2: null } })
    expect(checkBallot(evaluation, b, emptyState()).ok).toBe(true)
  })
})

describe('idempotency key', () => {
  it('is 22 url-safe characters from 16 random bytes, accepted by the cast schema', () => {
    const k = newIdempotencyKey()
    expect(k).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(newIdempotencyKey()).not.toBe(k)
    const zeros = newIdempotencyKey((a) => a.fill(0))
    expect(zeros).toBe('A'.repeat(22))
    const ones = newIdempotencyKey((a) => a.fill(255))
    expect(ones).toBe(`${'_'.repeat(21)}w`)
    const ok = schemas['ballot:cast'].safeParse({ pollId: 'poll1', round: 1, ballot: {}, idempotencyKey: k })
    expect(ok.success).toBe(true)
  })
})

describe('cast outcomes', () => {
  it('keeps the ballot for an unanswered send, allows a resend when nothing was stored', () => {
    expect(castOutcome({ ok: true })).toBe('received')
    expect(castOutcome({ ok: false, code: 'ALREADY_VOTED' })).toBe('voted')
    expect(castOutcome({ ok: false, code: 'TIMEOUT' })).toBe('uncertain')
    expect(castOutcome({ ok: false, code: 'OFFLINE' })).toBe('retry')
    expect(castOutcome({ ok: false, code: 'STORE_UNAVAILABLE' })).toBe('retry')
    expect(castOutcome({ ok: false, code: 'NOT_ELIGIBLE' })).toBe('refused')
    expect(castOutcome({ ok: false, code: 'POLL_NOT_OPEN' })).toBe('refused')
    expect(castOutcome({ ok: false, code: 'INVALID_BALLOT' })).toBe('refused')
  })
})

function round(over: Partial<RoundView> = {}): RoundView {
  return { n: 1, status: 'open', openedAt: 1000, closesAt: null, issued: 200, turnout: 10, shouldAttend: 251, present: 200, spec: election, closedAt: null, publishedAt: null, ...over }
}

function poll(id: string, over: Partial<PollView> = {}): PollView {
  return {
    id,
    title: id,
    kind: 'election',
    secret: true,
    mode: 'electronic',
    status: 'active',
    agendaItemId: null,
    timeLimitS: null,
    spec: election,
    scrutineers: [],
    tellers: [],
    round: round(),
    result: null,
    history: [],
    nextRound: null,
    liveResults: false,
    body: null,
    recused: [],
    byDelegation: null,
    paper: null,
    ...over,
  }
}

describe('phases and time', () => {
  it('reads the phase from status, round and next round', () => {
    expect(pollPhase(poll('a', { status: 'draft', round: null }))).toBe('draft')
    expect(pollPhase(poll('a'))).toBe('open')
    expect(pollPhase(poll('a', { round: round({ status: 'closed' }) }))).toBe('counted')
    expect(pollPhase(poll('a', { status: 'done', round: round({ status: 'published' }) }))).toBe('published')
    expect(pollPhase(poll('a', { round: round({ status: 'published' }), nextRound: election }))).toBe('next')
    expect(pollPhase(poll('a', { status: 'cancelled' }))).toBe('cancelled')
  })

  it('counts down from closesAt on the server clock, rounding up, never below zero', () => {
    expect(remainingMs(null, 5)).toBeNull()
    expect(remainingMs(10_000, 4_000)).toBe(6_000)
    expect(remainingMs(10_000, 12_000)).toBe(0)
    expect(formatCountdown(6_000)).toBe('0:06')
    expect(formatCountdown(5_001)).toBe('0:06')
    expect(formatCountdown(0)).toBe('0:00')
    expect(formatCountdown(125_000)).toBe('2:05')
    expect(formatCountdown(3_725_000)).toBe('1:02:05')
  })

  it('shares, segments and row scale', () => {
    expect(share(1, 3)).toBe(33.3)
    expect(share(2, 3)).toBe(66.7)
    expect(share(1, 0)).toBe(0)
    expect(segments([1, 1, 2])).toEqual([25, 25, 50])
    expect(segments([0, 0])).toEqual([0, 0])
    expect(rowScale(3)).toBe(1)
    expect(rowScale(12)).toBe(0.5)
    expect(rowScale(100)).toBe(0.35)
  })

  it('the figures under a bar: an appointment row as shares of the valid ballots, an evaluation row as the count gives it', () => {
    // 141 valid ballots: the shares are of them (not of the 251 who should attend), and sum to 100.
    expect(appointmentFigures({ agree: 47, disagree: 0, third: 94, unmarked: 0 }, 141)).toEqual([
      { key: 'agree', count: 47, pct: 33.3 },
      { key: 'disagree', count: 0, pct: 0 },
      { key: 'third', count: 94, pct: 66.7 },
    ])
    // A paper ballot that left the nominee blank adds 未填; a half rounds up (1 of 8 = 12.5).
    expect(appointmentFigures({ agree: 5, disagree: 1, third: 1, unmarked: 1 }, 8)).toEqual([
      { key: 'agree', count: 5, pct: 62.5 },
      { key: 'disagree', count: 1, pct: 12.5 },
      { key: 'third', count: 1, pct: 12.5 },
      { key: 'unmarked', count: 1, pct: 12.5 },
    ])
    // A void round: no ballots, no shares.
    expect(appointmentFigures({ agree: 0, disagree: 0, third: 0, unmarked: 0 }, 0).map((f) => f.pct)).toEqual([0, 0, 0])
    // Every grade in scale order, small ones too, then abstain; the count's own percentages.
    expect(evaluationFigures({ counts: [39, 39, 38, 13], pct: [27.7, 27.7, 27, 9.2], abstain: 12, abstainPct: 8.5 })).toEqual([
      { key: 'grade-0', count: 39, pct: 27.7 },
      { key: 'grade-1', count: 39, pct: 27.7 },
      { key: 'grade-2', count: 38, pct: 27 },
      { key: 'grade-3', count: 13, pct: 9.2 },
      { key: 'abstain', count: 12, pct: 8.5 },
    ])
  })

  it('the rounds whose ballots can be downloaded, and the count of a round', () => {
    expect(closedRounds(poll('a', { round: null }))).toEqual([])
    expect(closedRounds(poll('a', { round: round({ n: 2 }) }))).toEqual([1])
    expect(closedRounds(poll('a', { round: round({ n: 2, status: 'closed' }) }))).toEqual([1, 2])
    const p = poll('a', {
      round: round({ n: 2, status: 'closed' }),
      result: { n: 2, count: { returned: 5 }, ballotsDigest: 'd2', published: false },
      history: [{ n: 1, count: { returned: 9 }, ballotsDigest: 'd1' }],
    })
    expect(countOfRound(p, 2)).toEqual({ count: { returned: 5 }, ballotsDigest: 'd2', published: false })
    expect(countOfRound(p, 1)).toEqual({ count: { returned: 9 }, ballotsDigest: 'd1', published: true })
    expect(countOfRound(p, 3)).toBeNull()
    // A live tally is not a count.
    expect(countOfRound(poll('a', { result: { n: 1, count: { live: {} }, ballotsDigest: null, published: false } }), 1)).toBeNull()
  })

  it('reads the basics from the count, the bases from the round when the count lacks them', () => {
    expect(basicsOf({ returned: 10, issued: 12, valid: 9, invalid: 1, roundValid: true, base: 251 }, { shouldAttend: 251, present: 200 })).toEqual({
      shouldAttend: 251,
      present: 200,
      issued: 12,
      returned: 10,
      valid: 9,
      invalid: 1,
      roundValid: true,
    })
    expect(basicsOf({ returned: 13, issued: 12, roundValid: false, shouldAttend: 250, present: 190 }, null)).toMatchObject({
      shouldAttend: 250,
      present: 190,
      roundValid: false,
    })
  })

  it('says why a further round is held', () => {
    expect(nextRoundReason('election', { outcome: 'tie' })).toBe('tie')
    expect(nextRoundReason('election', { outcome: 'complete' })).toBeNull()
    expect(nextRoundReason('resolution', { roundValid: false })).toBe('void')
    expect(nextRoundReason('resolution', { roundValid: true })).toBeNull()
    expect(nextRoundReason('resolution', { live: {} })).toBeNull()
  })
})

describe('the hall display', () => {
  const ctx = (over: Partial<DisplayContext> = {}): DisplayContext => ({
    now: 100_000,
    holdMs: 30 * 60_000,
    seenPublished: new Map(),
    currentItemId: null,
    speaking: false,
    ...over,
  })
  const published = (id: string, openedAt: number, over: Partial<PollView> = {}) =>
    poll(id, {
      status: 'done',
      round: round({ status: 'published', openedAt }),
      result: { n: 1, count: {}, ballotsDigest: 'x', published: true },
      ...over,
    })

  it('features an open round (the most recently opened), over any result', () => {
    const f = featuredPoll([published('old', 5000), poll('a', { round: round({ openedAt: 1000 }) }), poll('b', { round: round({ openedAt: 2000 }) })], ctx())
    expect(f).toMatchObject({ poll: { id: 'b' }, phase: 'open' })
  })

  it('shows a closed round as being counted, and the published result after', () => {
    expect(featuredPoll([poll('a', { round: round({ status: 'closed' }) })], ctx())).toMatchObject({ phase: 'counting' })
    expect(featuredPoll([published('a', 1000)], ctx())).toMatchObject({ phase: 'results' })
    // Drafts and cancelled polls never show; nothing at all gives the attendance screen.
    expect(featuredPoll([poll('d', { status: 'draft', round: null })], ctx())).toBeNull()
    expect(featuredPoll([], ctx())).toBeNull()
  })

  it('drops the result when the hold time passed, someone speaks, or the agenda moved on', () => {
    const seen = new Map([['a:1', { at: 1000, itemId: 'i1' }]])
    expect(featuredPoll([published('a', 1000)], ctx({ seenPublished: seen, now: 1000 + 30 * 60_000 + 1 }))).toBeNull()
    expect(featuredPoll([published('a', 1000)], ctx({ seenPublished: seen, now: 5000 }))).not.toBeNull()
    // A server that says when it published wins over the display's own note.
    const stamped = published('a', 1000, { round: { ...round({ status: 'published', openedAt: 1000 }), publishedAt: 0 } as RoundView })
    expect(featuredPoll([stamped], ctx({ seenPublished: seen, now: 30 * 60_000 + 1 }))).toBeNull()
    expect(featuredPoll([published('a', 1000)], ctx({ speaking: true }))).toBeNull()
    expect(featuredPoll([published('a', 1000)], ctx({ seenPublished: seen, currentItemId: 'i1' }))).not.toBeNull()
    expect(featuredPoll([published('a', 1000)], ctx({ seenPublished: seen, currentItemId: 'i2' }))).toBeNull()
    expect(featuredPoll([published('a', 1000, { agendaItemId: 'i3' })], ctx({ currentItemId: 'i2' }))).toBeNull()
    // An open round shows even while someone holds the floor.
    expect(featuredPoll([poll('b')], ctx({ speaking: true }))).toMatchObject({ phase: 'open' })
  })

  it('a newer round that is open or counted replaces an older result', () => {
    const f = featuredPoll([published('a', 1000), poll('b', { round: round({ status: 'closed', openedAt: 3000 }) })], ctx())
    expect(f).toMatchObject({ poll: { id: 'b' }, phase: 'counting' })
  })
})

describe('the desk poll form', () => {
  it('starts empty and lists what is missing', () => {
    const d = emptyPollDraft()
    expect(draftProblems(d)).toEqual(['title', 'candidates'])
    d.title = '补选'
    d.seats = 2
    d.candidates = [{ name: '甲' }]
    expect(draftProblems(d)).toEqual(['tooFewCandidates'])
    d.timeLimitMin = 0.1
    expect(draftProblems(d)).toContain('timeLimit')
  })

  it('refuses a scrutineer who is on the ballot before the server does', () => {
    const d = emptyPollDraft('appointment')
    d.title = '票决'
    d.nominees = [{ name: '甲', personId: 'p1', position: '' }]
    d.scrutineers = ['p1']
    expect(draftProblems(d)).toEqual(['scrutineerListed'])
  })

  it('builds a payload the server schema accepts, for each kind', () => {
    const e = emptyPollDraft('election')
    e.title = ' 补选县委委员 '
    e.seats = 1
    e.candidates = [{ name: '王建国', personId: 'd001' }, { name: '李红梅' }]
    e.scrutineers = ['d240']
    e.timeLimitMin = 1.5
    const pe = payloadFromDraft(e)
    expect(pe).toMatchObject({
      title: '补选县委委员',
      secret: true,
      timeLimitS: 90,
      liveResults: false,
      spec: { kind: 'election', seats: 1, minSurplusPct: 10, candidates: [{ name: '王建国', personId: 'd001' }, { name: '李红梅' }] },
    })
    expect(schemas['poll:create'].safeParse(pe).success).toBe(true)

    const r = emptyPollDraft('resolution')
    r.title = '表决'
    r.question = '关于工作报告的决议'
    r.secret = false
    r.liveResults = true
    const pr = payloadFromDraft(r)
    expect(pr).toMatchObject({ secret: false, liveResults: true, spec: { kind: 'resolution', passRule: 'shouldAttend' } })
    expect(schemas['poll:create'].safeParse(pr).success).toBe(true)
    // A secret vote never shows live results.
    expect(payloadFromDraft({ ...r, secret: true }).liveResults).toBe(false)

    const a = emptyPollDraft('appointment')
    a.title = '票决'
    a.nominees = [{ name: '甲', position: ' 局长 ' }, { name: '乙', position: '' }]
    const pa = payloadFromDraft(a)
    expect(pa.spec).toEqual({ kind: 'appointment', thirdOption: 'defer', nominees: [{ name: '甲', position: '局长' }, { name: '乙' }] })
    expect(schemas['poll:create'].safeParse(pa).success).toBe(true)

    const v = emptyPollDraft('evaluation')
    v.title = '测评'
    v.subjects = ['县委', ' ']
    v.scaleKey = 'custom'
    v.customScale = '满意、不满意，不了解'
    const pv = payloadFromDraft(v)
    expect(pv.spec).toEqual({ kind: 'evaluation', subjects: [{ name: '县委' }], scale: ['满意', '不满意', '不了解'] })
    expect(schemas['poll:create'].safeParse(pv).success).toBe(true)
  })

  it('reads a poll back into the form', () => {
    const p = poll('p', {
      title: '补选',
      spec: { ...election, minSurplusPct: 10 },
      scrutineers: [{ id: 'd1', name: '甲', confirmed: false }],
      tellers: [{ id: 'sec1', name: '乙' }],
      timeLimitS: 120,
      round: null,
      status: 'draft',
      body: { id: 'cc', name: '全委会' },
    })
    const d = draftFromPoll(p)
    expect(d).toMatchObject({ kind: 'election', title: '补选', seats: 2, minSurplusPct: null, timeLimitMin: 2, scrutineers: ['d1'], tellers: ['sec1'], bodyId: 'cc' })
    expect(payloadFromDraft(d).bodyId).toBe('cc')
    expect(d.candidates).toEqual([{ name: '丁一' }, { name: '王建国', personId: 'p1' }, { name: '李红梅' }])
    const ev = draftFromPoll(poll('e', { kind: 'evaluation', spec: { ...evaluation, scale: ['好', '较好', '一般', '差'] } as PollSpec }))
    expect(ev.scaleKey).toBe('quality4')
    expect(scaleOf(ev)).toEqual(['好', '较好', '一般', '差'])
  })

  it('checks the surplus as the server will, and keeps lists free of repeats', () => {
    const d = emptyPollDraft()
    d.seats = 10
    d.candidates = Array.from({ length: 10 }, (_, i) => ({ name: `候选${i}` }))
    expect(surplusPreview(d)).toMatchObject({ ok: false, required: 1 })
    d.candidates.push({ name: '候选10' })
    expect(surplusPreview(d)).toMatchObject({ ok: true })
    const list = addPerson<PersonRef>([{ name: '甲', personId: 'p1' }], { name: '甲', personId: 'p1' })
    expect(list).toHaveLength(1)
    expect(addPerson(list, { name: '甲' })).toHaveLength(2)
    expect(addPerson(list, { name: '  ' })).toHaveLength(1)
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b'])
    expect(moveItem(['a'], 0, 3)).toEqual(['a'])
  })
})
