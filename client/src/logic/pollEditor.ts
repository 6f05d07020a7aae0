// The desk's poll form: the draft as the secretariat edits it, from and to the `poll:create` /
// `poll:update` payload, and the checks the form can make before the server does (the server
// decides: its refusals and warnings are shown as they come).
import type { CommandPayload } from '../../../shared/schemas'
import type { PollView } from '../../../shared/domain/poll-views'
import type { PollKind } from '../../../shared/domain/polls'
import type { ElectionKind } from '../../../shared/domain/elections'
import { DEFAULT_MIN_SURPLUS_PCT, surplusCheck } from '../../../shared/domain/elections'
import type { PassRule } from '../../../shared/domain/votes'
import { EVALUATION_SCALES } from '../../../shared/domain/votes'

export type PollPayload = CommandPayload<'poll:create'>

/** A person on the ballot: from the roster (personId) or typed (an outside name). */
export interface PersonRef {
  name: string
  personId?: string
}

export interface NomineeRef extends PersonRef {
  position: string
}

export type ScaleKey = keyof typeof EVALUATION_SCALES | 'custom'

export interface PollDraft {
  kind: PollKind
  title: string
  /** 电子表决 or 纸质选票; paper is for elections only (the tellers enter the counts at the desk). */
  mode: 'electronic' | 'paper'
  agendaItemId: string | null
  /** Who votes (表决范围): null for the congress, else a body (e.g. the full committee). */
  bodyId: string | null
  /** Minutes; null for no limit. */
  timeLimitMin: number | null
  scrutineers: string[]
  tellers: string[]
  // election
  seats: number
  electionKind: ElectionKind
  thresholdBase: 'shouldAttend' | 'present'
  /** null: the default for the election kind. */
  minSurplusPct: number | null
  candidates: PersonRef[]
  // resolution
  question: string
  secret: boolean
  passRule: PassRule
  liveResults: boolean
  // appointment
  nominees: NomineeRef[]
  thirdOption: 'defer' | 'abstain'
  // evaluation
  subjects: string[]
  scaleKey: ScaleKey
  /** Custom grades, best first, separated by commas or 、. */
  customScale: string
}

export const POLL_KINDS: readonly PollKind[] = ['election', 'resolution', 'appointment', 'evaluation']
export const ELECTION_KINDS: readonly ElectionKind[] = ['delegates', 'committee', 'alternates', 'discipline', 'other']

export function emptyPollDraft(kind: PollKind = 'election'): PollDraft {
  return {
    kind,
    title: '',
    mode: 'electronic',
    agendaItemId: null,
    bodyId: null,
    timeLimitMin: null,
    scrutineers: [],
    tellers: [],
    seats: 1,
    electionKind: 'committee',
    thresholdBase: 'shouldAttend',
    minSurplusPct: null,
    candidates: [],
    question: '',
    secret: true,
    passRule: 'shouldAttend',
    liveResults: false,
    nominees: [],
    thirdOption: 'defer',
    subjects: [],
    scaleKey: 'satisfaction4',
    customScale: '',
  }
}

function scaleKeyOf(scale: string[]): ScaleKey {
  for (const [k, v] of Object.entries(EVALUATION_SCALES)) {
    if (v.length === scale.length && v.every((x, i) => x === scale[i])) return k as ScaleKey
  }
  return 'custom'
}

/** The form filled from a poll (to edit a draft, or to start a new one from an old one). */
export function draftFromPoll(p: PollView): PollDraft {
  const d = emptyPollDraft(p.kind)
  d.title = p.title
  d.mode = p.mode
  d.agendaItemId = p.agendaItemId
  d.bodyId = p.body?.id ?? null
  d.timeLimitMin = p.timeLimitS === null ? null : p.timeLimitS / 60
  d.scrutineers = p.scrutineers.map((s) => s.id)
  d.tellers = p.tellers.map((s) => s.id)
  d.secret = p.secret
  d.liveResults = p.liveResults
  const s = p.spec
  switch (s.kind) {
    case 'election':
      d.seats = s.seats
      d.electionKind = s.electionKind
      d.thresholdBase = s.thresholdBase
      d.minSurplusPct = s.minSurplusPct === DEFAULT_MIN_SURPLUS_PCT[s.electionKind] ? null : s.minSurplusPct
      d.candidates = s.candidates.map((c) => (c.personId ? { name: c.name, personId: c.personId } : { name: c.name }))
      break
    case 'resolution':
      d.question = s.question
      d.passRule = s.passRule
      break
    case 'appointment':
      d.nominees = s.nominees.map((n) => ({ name: n.name, ...(n.personId ? { personId: n.personId } : {}), position: n.position ?? '' }))
      d.thirdOption = s.thirdOption
      break
    case 'evaluation':
      d.subjects = s.subjects.map((x) => x.name)
      d.scaleKey = scaleKeyOf(s.scale)
      if (d.scaleKey === 'custom') d.customScale = s.scale.join('、')
      break
  }
  return d
}

export function scaleOf(d: Pick<PollDraft, 'scaleKey' | 'customScale'>): string[] {
  if (d.scaleKey !== 'custom') return [...EVALUATION_SCALES[d.scaleKey]]
  return d.customScale
    .split(/[,，、;；\n]/)
    .map((x) => x.trim())
    .filter(Boolean)
}

export function effectiveSurplusPct(d: Pick<PollDraft, 'minSurplusPct' | 'electionKind'>): number {
  return d.minSurplusPct ?? DEFAULT_MIN_SURPLUS_PCT[d.electionKind]
}

/** The 差额 check as the server will make it (it warns, it does not refuse). */
export function surplusPreview(d: PollDraft): ReturnType<typeof surplusCheck> | null {
  if (d.kind !== 'election' || !Number.isInteger(d.seats) || d.seats < 1) return null
  return surplusCheck(d.seats, d.candidates.length, effectiveSurplusPct(d))
}

/** People on the ballot (candidates or nominees from the roster): they may not be scrutineers. */
export function listedIds(d: PollDraft): Set<string> {
  const list = d.kind === 'election' ? d.candidates : d.kind === 'appointment' ? d.nominees : []
  return new Set(list.map((c) => c.personId).filter((x): x is string => !!x))
}

function samePerson(a: PersonRef, b: PersonRef): boolean {
  return a.personId || b.personId ? a.personId === b.personId : a.name.trim() === b.name.trim()
}

/** Adds a person unless already listed (by id, or by name for outside names). */
export function addPerson<T extends PersonRef>(list: T[], p: T): T[] {
  if (!p.name.trim() || list.some((x) => samePerson(x, p))) return list
  return [...list, p]
}

export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (from < 0 || from >= list.length || to < 0 || to >= list.length) return list
  const next = [...list]
  const [x] = next.splice(from, 1)
  next.splice(to, 0, x)
  return next
}

/** Problems the form can see itself, as i18n keys under `polls.editor.problems`. */
export type DraftProblem =
  | 'title'
  | 'seats'
  | 'candidates'
  | 'tooFewCandidates'
  | 'question'
  | 'nominees'
  | 'subjects'
  | 'scale'
  | 'timeLimit'
  | 'scrutineerListed'
  | 'scrutineerNotVoter'

/** What the form knows besides the draft: who votes in the chosen scope (null: not known here). */
export interface DraftContext {
  /** Whether a person may vote in the draft's scope (the congress or the chosen body). */
  isVoter?: ((personId: string) => boolean) | null
}

/** The mode sent: paper only for an election. */
export function effectiveMode(d: Pick<PollDraft, 'kind' | 'mode'>): 'electronic' | 'paper' {
  return d.kind === 'election' && d.mode === 'paper' ? 'paper' : 'electronic'
}

export function draftProblems(d: PollDraft, ctx: DraftContext = {}): DraftProblem[] {
  const out: DraftProblem[] = []
  if (!d.title.trim()) out.push('title')
  if (effectiveMode(d) === 'electronic' && d.timeLimitMin !== null && !(d.timeLimitMin * 60 >= 10 && d.timeLimitMin * 60 <= 24 * 3600)) out.push('timeLimit')
  switch (d.kind) {
    case 'election':
      if (!Number.isInteger(d.seats) || d.seats < 1 || d.seats > 500) out.push('seats')
      if (!d.candidates.length) out.push('candidates')
      else if (d.candidates.length < d.seats) out.push('tooFewCandidates')
      break
    case 'resolution':
      if (!d.question.trim()) out.push('question')
      break
    case 'appointment':
      if (!d.nominees.length) out.push('nominees')
      break
    case 'evaluation': {
      if (!d.subjects.some((s) => s.trim())) out.push('subjects')
      const scale = scaleOf(d)
      if (scale.length < 2 || scale.length > 7 || scale.some((x) => x.length > 20)) out.push('scale')
      break
    }
  }
  const listed = listedIds(d)
  if (d.scrutineers.some((id) => listed.has(id))) out.push('scrutineerListed')
  const isVoter = ctx.isVoter
  if (isVoter && d.scrutineers.some((id) => !listed.has(id) && !isVoter(id))) out.push('scrutineerNotVoter')
  return out
}

/** The payload of `poll:create` (add `pollId` for `poll:update`). Only the current kind's fields. */
export function payloadFromDraft(d: PollDraft): PollPayload {
  const person = (p: PersonRef) => (p.personId ? { name: p.name.trim(), personId: p.personId } : { name: p.name.trim() })
  let spec: PollPayload['spec']
  switch (d.kind) {
    case 'election':
      spec = {
        kind: 'election',
        seats: d.seats,
        electionKind: d.electionKind,
        thresholdBase: d.thresholdBase,
        minSurplusPct: effectiveSurplusPct(d),
        candidates: d.candidates.map(person),
      }
      break
    case 'resolution':
      spec = { kind: 'resolution', question: d.question.trim(), passRule: d.passRule }
      break
    case 'appointment':
      spec = {
        kind: 'appointment',
        thirdOption: d.thirdOption,
        nominees: d.nominees.map((n) => ({ ...person(n), ...(n.position.trim() ? { position: n.position.trim() } : {}) })),
      }
      break
    case 'evaluation':
      spec = {
        kind: 'evaluation',
        subjects: d.subjects.map((s) => s.trim()).filter(Boolean).map((name) => ({ name })),
        scale: scaleOf(d),
      }
      break
  }
  const secret = d.kind === 'resolution' ? d.secret : true
  // Only elections are held on paper; a paper round is closed by the chair once the two entries
  // agree, never by a clock.
  const mode = effectiveMode(d)
  return {
    title: d.title.trim(),
    spec,
    secret,
    mode,
    agendaItemId: d.agendaItemId,
    bodyId: d.bodyId,
    timeLimitS: mode === 'paper' || d.timeLimitMin === null ? null : Math.round(d.timeLimitMin * 60),
    scrutineers: [...d.scrutineers],
    tellers: [...d.tellers],
    liveResults: !secret && d.liveResults,
  }
}
