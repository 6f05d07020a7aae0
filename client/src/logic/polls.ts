// Polls as the screens read them: the phase of a poll, the countdown of a round, which poll the hall
// display features, shares for result bars, and the counts typed by kind.
import type { PollView } from '../../../shared/domain/poll-views'
import type { PollSpec } from '../../../shared/domain/polls'
import type { ElectionCount } from '../../../shared/domain/elections'
import type { AppointmentCount, AppointmentResult, EvaluationCount, EvaluationResult, ResolutionCount } from '../../../shared/domain/votes'

/**
 * - draft: set up, never opened;  open: a round is open;  counted: closed, count not yet published;
 * - published: the last round's result is out and nothing remains;
 * - next: published, and the count prepared a further round (a tie, a shortfall, a void round);
 * - cancelled.
 */
export type PollPhase = 'draft' | 'open' | 'counted' | 'published' | 'next' | 'cancelled'

export function pollPhase(p: Pick<PollView, 'status' | 'round' | 'nextRound'>): PollPhase {
  if (p.status === 'cancelled') return 'cancelled'
  if (!p.round) return 'draft'
  if (p.round.status === 'open') return 'open'
  if (p.round.status === 'closed') return 'counted'
  return p.nextRound ? 'next' : 'published'
}

export function roundKeyOf(pollId: string, n: number): string {
  return `${pollId}:${n}`
}

/** Milliseconds left in a round with a time limit, never negative; null without a limit. Both
 * times are server times: the caller passes the server clock (local time + measured offset). */
export function remainingMs(closesAt: number | null, serverNow: number): number | null {
  if (closesAt === null) return null
  return Math.max(0, closesAt - serverNow)
}

/** m:ss (or h:mm:ss), rounded up so the display reaches 0:00 exactly when the round closes. */
export function formatCountdown(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const ss = s < 10 ? `0${s}` : String(s)
  if (h > 0) return `${h}:${m < 10 ? `0${m}` : m}:${ss}`
  return `${m}:${ss}`
}

/** Share as a percentage with one decimal; 0 when there is nothing to share. */
export function share(n: number, of: number): number {
  if (of <= 0) return 0
  return Math.round((n * 1000) / of) / 10
}

export function formatPct(p: number): string {
  return `${p.toFixed(1)}%`
}

/** Widths of the segments of a stacked bar, in percent of the whole, summing to 100 (or 0). */
export function segments(values: number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0)
  if (total <= 0) return values.map(() => 0)
  return values.map((v) => (v * 100) / total)
}

/** One figure of a result row, written out beside its bar: a mark or grade, its count, its share. */
export interface RowFigure {
  /** agree | disagree | third | unmarked for an appointment; grade-0, grade-1, … | abstain for an evaluation. */
  key: string
  count: number
  /** Percent, one decimal. */
  pct: number
}

/**
 * The figures of a nominee: 同意, 不同意, the third option (缓议 or 弃权) and, when a paper ballot left
 * the nominee blank, 未填. Shares are of the valid ballots, the ballots these counts are taken from
 * (every valid ballot is counted once per nominee), so a row sums to 100. Not of `base` (应到会): that
 * is the base of the pass rule, not of the ballots.
 */
export function appointmentFigures(r: Pick<AppointmentResult, 'agree' | 'disagree' | 'third' | 'unmarked'>, valid: number): RowFigure[] {
  const out: RowFigure[] = [
    { key: 'agree', count: r.agree, pct: share(r.agree, valid) },
    { key: 'disagree', count: r.disagree, pct: share(r.disagree, valid) },
    { key: 'third', count: r.third, pct: share(r.third, valid) },
  ]
  if (r.unmarked > 0) out.push({ key: 'unmarked', count: r.unmarked, pct: share(r.unmarked, valid) })
  return out
}

/**
 * The figures of an evaluated subject: every grade in scale order, then abstain (unmarked), each with
 * the share of ballots returned that the count itself gives (DOMAIN), so the hall reads the same
 * percentages as the count report.
 */
export function evaluationFigures(r: Pick<EvaluationResult, 'counts' | 'pct' | 'abstain' | 'abstainPct'>): RowFigure[] {
  return [
    ...r.counts.map((count, i) => ({ key: `grade-${i}`, count, pct: r.pct[i] ?? 0 })),
    { key: 'abstain', count: r.abstain, pct: r.abstainPct },
  ]
}

// ---------------------------------------------------------------------------------------------
// The counts, by kind. `count` is `unknown` on the wire; the poll's kind says which it is.

export type AnyCount = ElectionCount | ResolutionCount | AppointmentCount | EvaluationCount

export interface LiveTally {
  live: Record<string, number>
}

export function isLive(c: unknown): c is LiveTally {
  return !!c && typeof c === 'object' && 'live' in c
}

export function asElection(c: unknown): ElectionCount {
  return c as ElectionCount
}
export function asResolution(c: unknown): ResolutionCount {
  return c as ResolutionCount
}
export function asAppointment(c: unknown): AppointmentCount {
  return c as AppointmentCount
}
export function asEvaluation(c: unknown): EvaluationCount {
  return c as EvaluationCount
}

/** Why a further round is held, from the count that prepared it. */
export function nextRoundReason(kind: PollSpec['kind'], count: unknown): 'tie' | 'shortfall' | 'void' | null {
  if (!count || typeof count !== 'object' || isLive(count)) return null
  if (kind === 'election') {
    const o = (count as ElectionCount).outcome
    return o === 'complete' ? null : o
  }
  return (count as { roundValid?: boolean }).roundValid === false ? 'void' : null
}

// ---------------------------------------------------------------------------------------------
// The hall display

/** Server fields a newer server may add to a round; read when present. */
type RoundExtras = { publishedAt?: number | null }

export interface DisplayContext {
  /** Server time now. */
  now: number
  /** How long published results stay up when nothing else happens. */
  holdMs: number
  /** When this display first saw each round (`pollId:n`) published (server time), for servers
   * that do not say when they published it. */
  seenPublished: ReadonlyMap<string, { at: number; itemId: string | null }>
  /** The agenda's current item now. */
  currentItemId: string | null
  /** Someone is speaking: the floor is theirs, not the last result's. */
  speaking: boolean
}

export type DisplayPhase = 'open' | 'counting' | 'results'

/**
 * What the display features: a round that is open (the most recently opened, if several); else the
 * poll whose round opened last, while it is being counted; after publication its results, until the
 * next thing happens: another round opens, the agenda moves to another item, someone takes the floor,
 * or `holdMs` passes. Then the attendance screen returns (null).
 */
export function featuredPoll(polls: readonly PollView[], ctx: DisplayContext): { poll: PollView; phase: DisplayPhase } | null {
  let latest: PollView | null = null
  let open: PollView | null = null
  for (const p of polls) {
    if (!p.round || p.status === 'cancelled') continue
    if (p.round.status === 'open' && (!open || p.round.openedAt > open.round!.openedAt)) open = p
    if (!latest || p.round.openedAt > latest.round!.openedAt) latest = p
  }
  if (open) return { poll: open, phase: 'open' }
  if (!latest) return null
  const r = latest.round!
  if (r.status === 'closed') return { poll: latest, phase: 'counting' }
  if (!latest.result?.published) return null
  const seen = ctx.seenPublished.get(roundKeyOf(latest.id, r.n))
  const at = (r as RoundExtras).publishedAt ?? seen?.at ?? null
  if (at !== null && ctx.now - at > ctx.holdMs) return null
  if (ctx.speaking) return null
  // The agenda moved on: from the poll's own item, or from the item current when it was published.
  const itemThen = latest.agendaItemId ?? seen?.itemId ?? null
  if (itemThen !== null && ctx.currentItemId !== null && ctx.currentItemId !== itemThen) return null
  return { poll: latest, phase: 'results' }
}

/** Rows of a result list on the display get smaller as there are more of them. */
export function rowScale(rows: number, fits = 6): number {
  if (rows <= fits) return 1
  return Math.max(0.35, fits / rows)
}

/** The figures every count report starts with, from the count and (for the bases) its round. */
export interface CountBasics {
  shouldAttend: number | null
  present: number | null
  issued: number
  returned: number
  valid: number
  invalid: number
  roundValid: boolean
}

export function basicsOf(count: unknown, round: { shouldAttend: number; present: number } | null): CountBasics {
  const c = (count ?? {}) as Partial<ElectionCount & ResolutionCount>
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0)
  return {
    shouldAttend: typeof c.shouldAttend === 'number' ? c.shouldAttend : (round?.shouldAttend ?? null),
    present: typeof c.present === 'number' ? c.present : (round?.present ?? null),
    issued: num(c.issued),
    returned: num(c.returned),
    valid: num(c.valid),
    invalid: num(c.invalid),
    roundValid: c.roundValid !== false,
  }
}

/** The rounds whose ballots may be downloaded: every round but an open one. */
export function closedRounds(p: Pick<PollView, 'round'>): number[] {
  if (!p.round) return []
  const last = p.round.status === 'open' ? p.round.n - 1 : p.round.n
  return Array.from({ length: Math.max(0, last) }, (_, i) => i + 1)
}

/** The count of round n as this audience has it: the current round's result, or an earlier one. */
export function countOfRound(p: Pick<PollView, 'result' | 'history'>, n: number): { count: unknown; ballotsDigest: string | null; published: boolean } | null {
  if (p.result && p.result.n === n && !isLive(p.result.count)) return { count: p.result.count, ballotsDigest: p.result.ballotsDigest, published: p.result.published }
  const h = p.history.find((x) => x.n === n)
  return h ? { count: h.count, ballotsDigest: h.ballotsDigest, published: true } : null
}
