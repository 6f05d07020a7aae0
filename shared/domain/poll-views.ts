// What each audience sees of the polls. While a round is open everyone sees turnout (cast / issued)
// and nothing else of a secret ballot; results appear once the chair publishes them. The chair sees
// drafts and the count as soon as a round is closed; scrutineers see the count they must confirm.
import { paperDifferences } from './poll-commands'
import { currentRound, inElectorate, namedBallotKey, namedTally, roundKey, type Poll, type PollSpec, type Round } from './polls'
import { CowMap, type MeetingState } from './types'

export interface RoundView {
  n: number
  status: Round['status']
  openedAt: number
  closesAt: number | null
  /** 发出选票数: the electorate of the round. */
  issued: number
  /** Ballots cast so far (open rounds) or returned (closed rounds). */
  turnout: number
  shouldAttend: number
  present: number
  spec: PollSpec
  closedAt: number | null
  publishedAt: number | null
}

export interface PollView {
  id: string
  title: string
  kind: PollSpec['kind']
  secret: boolean
  mode: Poll['mode']
  status: Poll['status']
  agendaItemId: string | null
  timeLimitS: number | null
  spec: PollSpec
  scrutineers: Array<{ id: string; name: string; confirmed: boolean }>
  tellers: Array<{ id: string; name: string }>
  round: RoundView | null
  /** The count of the last round, when this audience may see it. */
  result: { n: number; count: unknown; ballotsDigest: string | null; published: boolean } | null
  /** Earlier rounds' published results (a multi-round election). */
  history: Array<{ n: number; count: unknown; ballotsDigest: string | null }>
  /** A further round waiting to be opened. */
  nextRound: PollSpec | null
  liveResults: boolean
  /** Who votes: null for the congress, else the body's id and name. */
  body: { id: string; name: string } | null
  /** Appointment votes: nominees who are voters themselves, marked as having left the deliberation
   * (回避) though they still vote. */
  recused: string[]
  /** Named votes, for the chair: the live or final tally per delegation. */
  byDelegation: Array<{ id: string; name: string; tally: Record<string, number>; notVoted: number }> | null
  /** Paper rounds: which entries are in and by whom, and whether they agree once both are in —
   * never their numbers, so the second teller enters blind. */
  paper: { entered: Array<1 | 2>; by: Partial<Record<1 | 2, string>>; agree: boolean | null } | null
}

export type PollAudience = 'public' | 'chair'

/** Live tally of an open (named) vote: counts per option key, never names. */
export function liveTally(s: MeetingState, p: Poll, r: Round): Record<string, number> {
  return { ...namedTally(s, p.id, r.n).marks }
}

export function pollView(s: MeetingState, p: Poll, audience: PollAudience, turnout: ReadonlyMap<string, number>): PollView {
  const r = currentRound(p)
  const name = (id: string) => s.persons.get(id)?.name ?? id
  let result: PollView['result'] = null
  if (r && r.status !== 'open' && (r.status === 'published' || audience === 'chair')) {
    result = { n: r.n, count: r.count, ballotsDigest: r.ballotsDigest, published: r.status === 'published' }
  } else if (r && r.status === 'open' && !p.secret && (p.liveResults || audience === 'chair')) {
    result = { n: r.n, count: { live: liveTally(s, p, r) }, ballotsDigest: null, published: false }
  }
  return {
    id: p.id,
    title: p.title,
    kind: p.spec.kind,
    secret: p.secret,
    mode: p.mode,
    status: p.status,
    agendaItemId: p.agendaItemId,
    timeLimitS: p.timeLimitS,
    spec: p.spec,
    scrutineers: p.scrutineers.map((id) => ({ id, name: name(id), confirmed: !!r?.confirmations.includes(id) })),
    tellers: p.tellers.map((id) => ({ id, name: name(id) })),
    round: r
      ? {
          n: r.n,
          status: r.status,
          openedAt: r.openedAt,
          closesAt: r.closesAt,
          issued: r.electorate.length,
          turnout: r.status === 'open' ? (turnout.get(`${p.id}:${r.n}`) ?? 0) : (r.returned ?? 0),
          shouldAttend: r.shouldAttend,
          present: r.present,
          spec: r.spec,
          closedAt: r.closedAt,
          publishedAt: r.publishedAt,
        }
      : null,
    result,
    history: p.rounds
      .filter((x) => x !== r && x.status === 'published')
      .map((x) => ({ n: x.n, count: x.count, ballotsDigest: x.ballotsDigest })),
    nextRound: p.nextRound,
    liveResults: p.liveResults,
    paper: r?.paper ? paperStatus(r) : null,
    body: p.bodyId ? { id: p.bodyId, name: s.bodies.get(p.bodyId)?.name ?? p.bodyId } : null,
    recused: recusedNominees(s, p),
    byDelegation: audience === 'chair' && !p.secret && r ? tallyByDelegation(s, p, r) : null,
  }
}

/** Polls for an audience: the public never sees drafts or cancelled polls. */
export function pollViews(s: MeetingState, audience: PollAudience, turnout: ReadonlyMap<string, number>): PollView[] {
  const out: PollView[] = []
  for (const p of s.polls.values()) {
    if (audience === 'public' && (p.status === 'draft' || p.status === 'cancelled')) continue
    out.push(pollView(s, p, audience, turnout))
  }
  return out
}

/** Counts a scrutineer has to confirm: the closed, unpublished rounds of polls they scrutinise. */
export function countsToConfirm(s: MeetingState, personId: string): Array<{ pollId: string; title: string; n: number; count: unknown; confirmed: boolean }> {
  const out = []
  for (const p of s.polls.values()) {
    if (!p.scrutineers.includes(personId)) continue
    const r = currentRound(p)
    if (!r || r.status !== 'closed') continue
    out.push({ pollId: p.id, title: p.title, n: r.n, count: r.count, confirmed: r.confirmations.includes(personId) })
  }
  return out
}

/** The open rounds whose electorate includes this person (electorates are kept sorted). */
export function eligibleIn(s: MeetingState, personId: string): string[] {
  const out: string[] = []
  for (const p of s.polls.values()) {
    const r = currentRound(p)
    if (r && r.status === 'open' && inElectorate(r, personId)) out.push(`${p.id}:${r.n}`)
  }
  return out
}

function recusedNominees(s: MeetingState, p: Poll): string[] {
  if (p.spec.kind !== 'appointment') return []
  const voters = p.bodyId ? new Set(s.bodies.get(p.bodyId)?.memberIds ?? []) : null
  return p.spec.nominees
    .filter((n) => n.personId && (voters ? voters.has(n.personId) : s.persons.get(n.personId)?.role === 'delegate'))
    .map((n) => n.id)
}

type DelegationRows = NonNullable<PollView['byDelegation']>

/** The chair's table of a round, kept with what it was made from: rebuilt only when a ballot came
 * in or the roster changed, not for every view. */
const delegationTables = new WeakMap<readonly string[], { tally: unknown; persons: unknown; delegations: unknown; rows: DelegationRows }>()

/** A named vote's ballots grouped by the voters' delegations (the chair's live table), each voter
 * under the delegation they belong to now: a delegate moved to another delegation during the round
 * counts there, ballot and all, and nowhere else. */
function tallyByDelegation(s: MeetingState, p: Poll, r: Round): DelegationRows {
  const tally = s.namedTallies.get(roundKey(p.id, r.n))
  // A committed state's maps: the same data objects as long as nothing wrote them (see memoByMaps).
  const persons = CowMap.frozenData(s.persons)
  const delegations = CowMap.frozenData(s.delegations)
  const kept = delegationTables.get(r.electorate)
  if (persons && delegations && kept && kept.tally === tally && kept.persons === persons && kept.delegations === delegations) return kept.rows
  const byId = new Map<string, { voters: number; cast: number; tally: Record<string, number> }>()
  for (const v of r.electorate) {
    const dId = s.persons.get(v)?.delegationId ?? ''
    let row = byId.get(dId)
    if (!row) byId.set(dId, (row = { voters: 0, cast: 0, tally: {} }))
    row.voters++
    if (!tally) continue
    const ballot = s.namedBallots.get(namedBallotKey(p.id, r.n, v))
    if (ballot === undefined) continue
    row.cast++
    const mark = (ballot as { mark?: unknown } | null)?.mark
    if (typeof mark === 'string') row.tally[mark] = (row.tally[mark] ?? 0) + 1
  }
  const order = (id: string) => s.delegations.get(id)?.order ?? Number.MAX_SAFE_INTEGER
  const rows = [...byId]
    .map(([dId, x]) => ({ id: dId, name: s.delegations.get(dId)?.name ?? '—', tally: x.tally, notVoted: x.voters - x.cast }))
    .sort((a, b) => order(a.id) - order(b.id))
  if (persons && delegations) delegationTables.set(r.electorate, { tally, persons, delegations, rows })
  return rows
}

function paperStatus(r: Round): NonNullable<PollView['paper']> {
  const e = r.paper!.entries
  const by: Partial<Record<1 | 2, string>> = {}
  if (e[1]) by[1] = e[1].by
  if (e[2]) by[2] = e[2].by
  const agree = e[1] && e[2] ? paperDifferences(e[1].totals, e[2].totals, new Map()).length === 0 : null
  return { entered: ([1, 2] as const).filter((k) => !!e[k]), by, agree }
}
