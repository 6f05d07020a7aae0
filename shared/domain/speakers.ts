// The list of speakers (发言名单), one per agenda item: delegates ask to speak from their tablets with
// the topic of their speech, the desk and the chair add speakers (a delegate, or a delegation speaking
// as a whole through its chosen speaker: 代表团发言); the chair approves, orders, calls, times and ends
// the speeches. Time budgets per delegation: see budgetFor / budgetLeft.
import type { CommandSpec, Decision, Refusal } from './commands'
import type { DomainEvent, StoredEvent } from './events'
import type { ErrorCode, Params } from '../errors'
import type { CommandName, CommandPayload } from '../schemas'
import type { AgendaItem } from './agenda'
import { elapsedMs, overrunMs, pauseTiming, resumeTiming, startTiming, type SpeechTiming } from './speechTime'
import type { Actor, MeetingState, Person } from './types'
import { NO_ATTENDANCE } from './types'

/** requested (a tablet asked; the chair approves or declines), waiting (in the queue), called (on the
 * stage, the clock not yet running), speaking (the clock runs, or is paused), done (a record);
 * withdrawn, declined and removed end an entry without a speech. */
export const SPEAKER_STATUSES = ['requested', 'waiting', 'called', 'speaking', 'done', 'withdrawn', 'declined', 'removed'] as const
export type SpeakerStatus = (typeof SPEAKER_STATUSES)[number]

/** Open entries: still on their way to a speech. */
export const OPEN_STATUSES: readonly SpeakerStatus[] = ['requested', 'waiting', 'called', 'speaking']

/** One entry of a list of speakers. A 'delegation' entry is the delegation speaking as a whole
 * (代表团发言) through personId, its chosen speaker. */
export interface Speaker {
  id: string
  itemId: string
  kind: 'person' | 'delegation'
  personId: string
  /** The speaker's name when the entry was made, should the roster later lose the person. */
  name: string
  /** The delegation the speech counts against: the speaker's own, or the one speaking as a whole. */
  delegationId: string | null
  topic: string
  status: SpeakerStatus
  /** The speaker's own limit; null: the item's default. */
  limitMs: number | null
  /** Who put the entry on the list: the delegate, or the chair or desk for them. */
  addedBy: 'self' | 'chair' | 'secretariat'
  requestedAt: number
  /** Put on the list although the delegation's time budget was used up (only the chair or desk can). */
  overBudget: boolean
  /** Set when the speech starts; absolute server times. */
  timing: SpeechTiming | null
  endedAt: number | null
  durationMs: number | null
}

/** The order of one item's list. Only ids; the entries live in MeetingState.speakers. */
export interface SpeakerList {
  itemId: string
  /** A closed list takes no more requests from tablets; the chair and desk may still add. */
  open: boolean
  /** Requests awaiting the chair, in the order they came. */
  requested: string[]
  /** The queue, in speaking order (the chair reorders it). */
  waiting: string[]
  /** Called or speaking. */
  currentId: string | null
  /** Done, in the order they spoke. */
  finished: string[]
}

export type SpeakerEvent =
  | { type: 'speakers.added'; speaker: Speaker; position: number | null }
  | { type: 'speakers.approved'; speakerId: string; overBudget: boolean }
  | { type: 'speakers.declined'; speakerId: string }
  | { type: 'speakers.withdrawn'; speakerId: string }
  | { type: 'speakers.removed'; speakerId: string }
  | { type: 'speakers.moved'; speakerId: string; position: number }
  | { type: 'speakers.called'; speakerId: string }
  /** A called speaker who never started goes back to the head of the queue. */
  | { type: 'speakers.requeued'; speakerId: string }
  | { type: 'speakers.started'; speakerId: string; limitMs: number; warnMs: number }
  | { type: 'speakers.paused'; speakerId: string }
  | { type: 'speakers.resumed'; speakerId: string }
  | { type: 'speakers.ended'; speakerId: string; durationMs: number; overrunMs: number }
  | { type: 'speakers.limitSet'; speakerId: string; limitMs: number }
  | { type: 'speakers.listOpened'; itemId: string; open: boolean }

// ---------------------------------------------------------------------------------------------
// Small helpers shared with agenda.ts

export function refuse(error: ErrorCode, params?: Params, details?: unknown): Refusal {
  return { error, params, details }
}

export function ok<R>(events: DomainEvent[], result: R): Decision<R> {
  return { events, result }
}

export function emptyList(itemId: string): SpeakerList {
  return { itemId, open: true, requested: [], waiting: [], currentId: null, finished: [] }
}

export function listOf(s: MeetingState, itemId: string): SpeakerList {
  return s.speakerLists.get(itemId) ?? emptyList(itemId)
}

/** How people read the entry: the speaker, or `delegation（speaker）` for a delegation's speech. */
export function speakerName(s: MeetingState, sp: Speaker): string {
  return s.persons.get(sp.personId)?.name ?? sp.name
}

export function delegationName(s: MeetingState, id: string | null): string {
  return id ? (s.delegations.get(id)?.name ?? '') : ''
}

/** The speaker's limit if the speech started now (before any budget cap). */
export function limitOf(item: AgendaItem, sp: Speaker): number {
  return sp.limitMs ?? item.speechLimitMs
}

// ---------------------------------------------------------------------------------------------
// Time budgets per delegation

/** The delegation's budget on this item, or null when the item has none for it. */
export function budgetFor(item: AgendaItem, delegationId: string | null): number | null {
  if (!delegationId) return null
  return item.budgets[delegationId] ?? item.budgetMs
}

export interface BudgetUse {
  budgetMs: number
  /** Spoken: finished speeches in full (overrun included) and the running one so far. */
  usedMs: number
  /** Promised: the limits of the delegation's requested, waiting and called speakers. */
  reservedMs: number
}

export function budgetUse(s: MeetingState, item: AgendaItem, delegationId: string, now: number, except?: string): BudgetUse | null {
  const budgetMs = budgetFor(item, delegationId)
  if (budgetMs === null) return null
  const l = listOf(s, item.id)
  let usedMs = 0
  let reservedMs = 0
  const ids = [...l.requested, ...l.waiting, ...(l.currentId ? [l.currentId] : []), ...l.finished]
  for (const id of ids) {
    if (id === except) continue
    const sp = s.speakers.get(id)
    if (!sp || sp.delegationId !== delegationId) continue
    if (sp.status === 'done') usedMs += sp.durationMs ?? 0
    else if (sp.status === 'speaking' && sp.timing) usedMs += elapsedMs(sp.timing, now)
    else reservedMs += limitOf(item, sp)
  }
  return { budgetMs, usedMs, reservedMs }
}

/** Budget left once what is spoken and what is promised are taken off; null without a budget. */
export function budgetLeft(s: MeetingState, item: AgendaItem, delegationId: string | null, now: number, except?: string): number | null {
  if (!delegationId) return null
  const u = budgetUse(s, item, delegationId, now, except)
  return u ? u.budgetMs - u.usedMs - u.reservedMs : null
}

// ---------------------------------------------------------------------------------------------
// evolve

function setSpeaker(s: MeetingState, id: string, patch: Partial<Speaker>): Speaker | null {
  const sp = s.speakers.get(id)
  if (!sp) return null
  const next = { ...sp, ...patch }
  s.speakers.set(id, next)
  return next
}

function setList(s: MeetingState, itemId: string, patch: (l: SpeakerList) => Partial<SpeakerList>): void {
  const l = listOf(s, itemId)
  s.speakerLists.set(itemId, { ...l, ...patch(l) })
}

const without = (xs: readonly string[], id: string) => xs.filter((x) => x !== id)

function insertAt(xs: readonly string[], id: string, position: number | null): string[] {
  const rest = without(xs, id)
  const at = position === null ? rest.length : Math.max(0, Math.min(rest.length, position))
  return [...rest.slice(0, at), id, ...rest.slice(at)]
}

/** Takes an entry off every part of its list. */
function detach(l: SpeakerList, id: string): Partial<SpeakerList> {
  return {
    requested: without(l.requested, id),
    waiting: without(l.waiting, id),
    currentId: l.currentId === id ? null : l.currentId,
  }
}

export function evolveSpeakers(s: MeetingState, e: StoredEvent): void {
  const ev = e.event
  switch (ev.type) {
    case 'speakers.added': {
      const sp = ev.speaker
      s.speakers.set(sp.id, sp)
      setList(s, sp.itemId, (l) =>
        sp.status === 'requested' ? { requested: [...without(l.requested, sp.id), sp.id] } : { waiting: insertAt(l.waiting, sp.id, ev.position) },
      )
      break
    }
    case 'speakers.approved': {
      const sp = setSpeaker(s, ev.speakerId, { status: 'waiting', overBudget: ev.overBudget })
      if (sp) setList(s, sp.itemId, (l) => ({ requested: without(l.requested, sp.id), waiting: insertAt(l.waiting, sp.id, null) }))
      break
    }
    case 'speakers.declined':
    case 'speakers.withdrawn':
    case 'speakers.removed': {
      const status = ev.type === 'speakers.declined' ? 'declined' : ev.type === 'speakers.withdrawn' ? 'withdrawn' : 'removed'
      const sp = setSpeaker(s, ev.speakerId, { status })
      if (sp) setList(s, sp.itemId, (l) => detach(l, sp.id))
      break
    }
    case 'speakers.moved': {
      const sp = s.speakers.get(ev.speakerId)
      if (sp) setList(s, sp.itemId, (l) => ({ waiting: insertAt(l.waiting, sp.id, ev.position) }))
      break
    }
    case 'speakers.called': {
      const sp = setSpeaker(s, ev.speakerId, { status: 'called' })
      if (sp) setList(s, sp.itemId, (l) => ({ ...detach(l, sp.id), currentId: sp.id }))
      break
    }
    case 'speakers.requeued': {
      const sp = setSpeaker(s, ev.speakerId, { status: 'waiting' })
      if (sp) setList(s, sp.itemId, (l) => ({ currentId: l.currentId === sp.id ? null : l.currentId, waiting: insertAt(l.waiting, sp.id, 0) }))
      break
    }
    case 'speakers.started': {
      setSpeaker(s, ev.speakerId, { status: 'speaking', timing: startTiming(e.at, ev.limitMs, ev.warnMs) })
      break
    }
    case 'speakers.paused': {
      const sp = s.speakers.get(ev.speakerId)
      if (sp?.timing) setSpeaker(s, sp.id, { timing: pauseTiming(sp.timing, e.at) })
      break
    }
    case 'speakers.resumed': {
      const sp = s.speakers.get(ev.speakerId)
      if (sp?.timing) setSpeaker(s, sp.id, { timing: resumeTiming(sp.timing, e.at) })
      break
    }
    case 'speakers.ended': {
      const sp = s.speakers.get(ev.speakerId)
      if (!sp) break
      // The record keeps the timing as it stood at the end (paused or not).
      const timing = sp.timing ? pauseTiming(sp.timing, e.at) : null
      setSpeaker(s, sp.id, { status: 'done', timing, endedAt: e.at, durationMs: ev.durationMs })
      setList(s, sp.itemId, (l) => ({ ...detach(l, sp.id), finished: [...without(l.finished, sp.id), sp.id] }))
      break
    }
    case 'speakers.limitSet': {
      const sp = s.speakers.get(ev.speakerId)
      if (sp) setSpeaker(s, sp.id, { limitMs: ev.limitMs, timing: sp.timing ? { ...sp.timing, limitMs: ev.limitMs } : null })
      break
    }
    case 'speakers.listOpened':
      setList(s, ev.itemId, () => ({ open: ev.open }))
      break
  }
}

/** The persons whose own view of the queue (OwnStatus.queue) an event may change: the speaker and
 * everyone waiting on the same list, whose places move. Kept small: one list, never the hall. */
export function personsTouchedBySpeech(events: StoredEvent[], state: MeetingState, into: Set<string>): void {
  const items = new Set<string>()
  for (const { event: e } of events) {
    if (e.type.startsWith('speakers.')) {
      if ('speaker' in e) {
        items.add(e.speaker.itemId)
        into.add(e.speaker.personId)
      } else if ('speakerId' in e) {
        const sp = state.speakers.get(e.speakerId)
        if (sp) {
          items.add(sp.itemId)
          into.add(sp.personId)
        }
      } else if (e.type === 'speakers.listOpened') items.add(e.itemId)
    } else if (e.type === 'agenda.itemUpdated' || e.type === 'agenda.doneSet' || e.type === 'agenda.itemRemoved') {
      items.add(e.itemId)
    } else if (e.type === 'agenda.currentSet') {
      if (e.itemId) items.add(e.itemId)
      if (e.finished) items.add(e.finished)
    }
  }
  for (const itemId of items) {
    const l = state.speakerLists.get(itemId)
    if (!l) continue
    for (const id of [...l.requested, ...l.waiting, ...(l.currentId ? [l.currentId] : [])]) {
      const sp = state.speakers.get(id)
      if (sp) into.add(sp.personId)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// decide

function findSpeaker(s: MeetingState, speakerId: string): Speaker | Refusal {
  return s.speakers.get(speakerId) ?? refuse('SPEAKER_NOT_FOUND')
}

function isSpeaker(x: Speaker | Refusal): x is Speaker {
  return !('error' in x)
}

function itemOf(s: MeetingState, itemId: string, actor?: Actor): AgendaItem | Refusal {
  const it = s.agenda.get(itemId)
  if (!it || (actor && it.hidden && actor.role !== 'chair' && actor.role !== 'secretariat')) return refuse('ITEM_NOT_FOUND', { itemId })
  return it
}

function isItem(x: AgendaItem | Refusal): x is AgendaItem {
  return !('error' in x)
}

/** The open entry of this person (or of this delegation's speech) on the item's list, if any. */
function openEntry(s: MeetingState, itemId: string, match: (sp: Speaker) => boolean): Speaker | null {
  const l = listOf(s, itemId)
  for (const id of [...l.requested, ...l.waiting, ...(l.currentId ? [l.currentId] : [])]) {
    const sp = s.speakers.get(id)
    if (sp && match(sp)) return sp
  }
  return null
}

function wrongState(s: MeetingState, sp: Speaker): Refusal {
  return refuse('SPEAKER_WRONG_STATE', { name: speakerName(s, sp) }, { status: sp.status })
}

/** The item must be the current one for anything that happens on the stage. */
function currentItem(s: MeetingState, itemId: string): AgendaItem | Refusal {
  const it = itemOf(s, itemId)
  if (!isItem(it)) return it
  if (s.currentItemId !== it.id) return refuse('ITEM_NOT_CURRENT', { title: it.title })
  return it
}

function stage(s: MeetingState, item: AgendaItem): Speaker | null {
  const id = listOf(s, item.id).currentId
  return id ? (s.speakers.get(id) ?? null) : null
}

function endEvent(sp: Speaker, now: number): DomainEvent & { type: 'speakers.ended' } {
  const durationMs = sp.timing ? elapsedMs(sp.timing, now) : 0
  return { type: 'speakers.ended', speakerId: sp.id, durationMs, overrunMs: sp.timing ? overrunMs(sp.timing, now) : 0 }
}

function checkSpeakerPerson(s: MeetingState, personId: string): Person | Refusal {
  const person = s.persons.get(personId)
  if (!person) return refuse('PERSON_NOT_FOUND', { personId })
  if (person.role !== 'delegate' && person.role !== 'observer') return refuse('NOT_ATTENDEE', { name: person.name })
  if (person.status !== 'active') return refuse('NOT_ACTIVE', { name: person.name })
  return person
}

function isPerson(x: Person | Refusal): x is Person {
  return !('error' in x)
}

const CHAIR = ['chair'] as const
const EDITORS = ['chair', 'secretariat'] as const

type SpeakerCommandName = Extract<CommandName, `speakers:${string}`>
type SpeakerSpecs = { [C in SpeakerCommandName]: CommandSpec<CommandPayload<C>> }

/** What the speaker commands ack with. */
export interface SpeakerCommandResults {
  'speakers:request': { speakerId: string; status: 'requested' }
  'speakers:withdraw': { speakerId: string }
  'speakers:add': { speakerId: string; overBudget: boolean }
  'speakers:approve': { speakerId: string; overBudget: boolean }
  'speakers:decline': { speakerId: string }
  'speakers:remove': { speakerId: string }
  'speakers:move': { speakerId: string; position: number }
  'speakers:next': { called: string | null; ended: string | null; requeued: string | null }
  'speakers:start': { speakerId: string; limitMs: number; startedAt: number }
  'speakers:pause': { speakerId: string }
  'speakers:resume': { speakerId: string }
  'speakers:end': { speakerId: string; durationMs: number; overrunMs: number }
  'speakers:setLimit': { speakerId: string; limitMs: number }
  'speakers:setOpen': { itemId: string; open: boolean }
}

export const speakerCommands: SpeakerSpecs = {
  'speakers:request': {
    roles: ['delegate'],
    decide(s, p, actor, ctx) {
      if (!s.meeting) return refuse('NO_MEETING')
      const item = itemOf(s, p.itemId, actor)
      if (!isItem(item)) return item
      if (item.done) return refuse('ITEM_DONE', { title: item.title })
      if (!listOf(s, item.id).open) return refuse('LIST_CLOSED', { title: item.title })
      const person = checkSpeakerPerson(s, actor.personId)
      if (!isPerson(person)) return person
      if ((s.attendance.get(person.id) ?? NO_ATTENDANCE).presence !== 'present') return refuse('NOT_CHECKED_IN', { name: person.name })
      if (openEntry(s, item.id, (sp) => sp.kind === 'person' && sp.personId === person.id))
        return refuse('ALREADY_IN_QUEUE', { name: person.name })
      const topic = p.topic ?? ''
      if (item.type === 'speeches' && topic === '') return refuse('TOPIC_REQUIRED')
      // A request from the floor is refused once the delegation's time is spoken or promised.
      const left = budgetLeft(s, item, person.delegationId, ctx.now)
      if (left !== null && left <= 0) return refuse('BUDGET_EXHAUSTED', { delegation: delegationName(s, person.delegationId) })
      const speaker: Speaker = {
        id: `sp${s.version + 1}`,
        itemId: item.id,
        kind: 'person',
        personId: person.id,
        name: person.name,
        delegationId: person.delegationId,
        topic,
        status: 'requested',
        limitMs: null,
        addedBy: 'self',
        requestedAt: ctx.now,
        overBudget: false,
        timing: null,
        endedAt: null,
        durationMs: null,
      }
      return ok([{ type: 'speakers.added', speaker, position: null }], { speakerId: speaker.id, status: 'requested' as const })
    },
  },

  'speakers:withdraw': {
    roles: ['delegate'],
    decide(s, p, actor) {
      const item = itemOf(s, p.itemId, actor)
      if (!isItem(item)) return item
      const sp = openEntry(s, item.id, (x) => x.kind === 'person' && x.personId === actor.personId)
      const name = s.persons.get(actor.personId)?.name ?? ''
      if (!sp) return refuse('NOT_IN_QUEUE', { name })
      // Once called to the stage, only the chair takes a speaker off.
      if (sp.status !== 'requested' && sp.status !== 'waiting') return wrongState(s, sp)
      return ok([{ type: 'speakers.withdrawn', speakerId: sp.id }], { speakerId: sp.id })
    },
  },

  'speakers:add': {
    roles: EDITORS,
    decide(s, p, actor, ctx) {
      if (!s.meeting) return refuse('NO_MEETING')
      const item = itemOf(s, p.itemId)
      if (!isItem(item)) return item
      if (item.done) return refuse('ITEM_DONE', { title: item.title })
      const person = checkSpeakerPerson(s, p.personId)
      if (!isPerson(person)) return person
      const asDelegation = p.delegationId !== undefined
      if (asDelegation) {
        const d = s.delegations.get(p.delegationId!)
        if (!d) return refuse('DELEGATION_NOT_FOUND', { delegationId: p.delegationId! })
        if (person.delegationId !== d.id) return refuse('NOT_IN_DELEGATION', { name: person.name, delegation: d.name })
        if (openEntry(s, item.id, (x) => x.kind === 'delegation' && x.delegationId === d.id))
          return refuse('ALREADY_IN_QUEUE', { name: d.name })
      } else if (openEntry(s, item.id, (x) => x.kind === 'person' && x.personId === person.id)) {
        return refuse('ALREADY_IN_QUEUE', { name: person.name })
      }
      const delegationId = asDelegation ? p.delegationId! : person.delegationId
      const speaker: Speaker = {
        id: `sp${s.version + 1}`,
        itemId: item.id,
        kind: asDelegation ? 'delegation' : 'person',
        personId: person.id,
        name: person.name,
        delegationId,
        topic: p.topic ?? '',
        status: 'waiting',
        limitMs: p.limitMs ?? null,
        addedBy: actor.role === 'chair' ? 'chair' : 'secretariat',
        requestedAt: ctx.now,
        overBudget: false,
        timing: null,
        endedAt: null,
        durationMs: null,
      }
      // The chair has the floor's last word: an addition past the budget is accepted, and flagged.
      const left = budgetLeft(s, item, delegationId, ctx.now)
      speaker.overBudget = left !== null && left <= 0
      const l = listOf(s, item.id)
      const position = p.position === undefined ? null : Math.max(0, Math.min(l.waiting.length, p.position))
      return ok([{ type: 'speakers.added', speaker, position }], { speakerId: speaker.id, overBudget: speaker.overBudget })
    },
  },

  'speakers:approve': {
    roles: CHAIR,
    decide(s, p, _actor, ctx) {
      const sp = findSpeaker(s, p.speakerId)
      if (!isSpeaker(sp)) return sp
      if (sp.status !== 'requested') return wrongState(s, sp)
      const item = s.agenda.get(sp.itemId)
      const left = item ? budgetLeft(s, item, sp.delegationId, ctx.now, sp.id) : null
      const overBudget = left !== null && left <= 0
      return ok([{ type: 'speakers.approved', speakerId: sp.id, overBudget }], { speakerId: sp.id, overBudget })
    },
  },

  'speakers:decline': {
    roles: CHAIR,
    decide(s, p) {
      const sp = findSpeaker(s, p.speakerId)
      if (!isSpeaker(sp)) return sp
      if (sp.status !== 'requested') return wrongState(s, sp)
      return ok([{ type: 'speakers.declined', speakerId: sp.id }], { speakerId: sp.id })
    },
  },

  'speakers:remove': {
    roles: EDITORS,
    decide(s, p) {
      const sp = findSpeaker(s, p.speakerId)
      if (!isSpeaker(sp)) return sp
      if (sp.status !== 'requested' && sp.status !== 'waiting') return wrongState(s, sp)
      return ok([{ type: 'speakers.removed', speakerId: sp.id }], { speakerId: sp.id })
    },
  },

  'speakers:move': {
    roles: CHAIR,
    decide(s, p) {
      const sp = findSpeaker(s, p.speakerId)
      if (!isSpeaker(sp)) return sp
      if (sp.status !== 'waiting') return wrongState(s, sp)
      const l = listOf(s, sp.itemId)
      const position = Math.max(0, Math.min(l.waiting.length - 1, p.position))
      if (l.waiting.indexOf(sp.id) === position) return ok([], { speakerId: sp.id, position })
      return ok([{ type: 'speakers.moved', speakerId: sp.id, position }], { speakerId: sp.id, position })
    },
  },

  'speakers:next': {
    roles: CHAIR,
    decide(s, p, _actor, ctx) {
      const item = currentItem(s, p.itemId)
      if (!isItem(item)) return item
      const l = listOf(s, item.id)
      const cur = stage(s, item)
      let target: Speaker | null = null
      if (p.speakerId !== undefined) {
        const sp = findSpeaker(s, p.speakerId)
        if (!isSpeaker(sp)) return sp
        if (sp.itemId !== item.id || sp.status !== 'waiting') return wrongState(s, sp)
        target = sp
      } else if (l.waiting.length) {
        target = s.speakers.get(l.waiting[0]) ?? null
      }
      const events: DomainEvent[] = []
      let ended: string | null = null
      let requeued: string | null = null
      if (cur?.status === 'speaking') {
        events.push(endEvent(cur, ctx.now))
        ended = cur.id
      }
      if (!target) {
        if (ended) return ok(events, { called: null, ended, requeued })
        return refuse('QUEUE_EMPTY')
      }
      // A speaker who was called but never began is not lost: they wait first in line again.
      if (cur?.status === 'called') {
        events.push({ type: 'speakers.requeued', speakerId: cur.id })
        requeued = cur.id
      }
      events.push({ type: 'speakers.called', speakerId: target.id })
      return ok(events, { called: target.id, ended, requeued })
    },
  },

  'speakers:start': {
    roles: CHAIR,
    decide(s, p, _actor, ctx) {
      const item = currentItem(s, p.itemId)
      if (!isItem(item)) return item
      const sp = stage(s, item)
      if (!sp) return refuse('NO_CURRENT_SPEAKER')
      if (sp.status !== 'called') return refuse('SPEECH_ALREADY_STARTED', { name: speakerName(s, sp) })
      let limitMs = limitOf(item, sp)
      // The budget caps the speech at what the delegation has left (first come, first served);
      // a speaker the chair let in past the budget keeps the own limit.
      const budget = budgetFor(item, sp.delegationId)
      if (budget !== null && sp.delegationId) {
        const use = budgetUse(s, item, sp.delegationId, ctx.now, sp.id)!
        const left = use.budgetMs - use.usedMs
        if (left > 0) limitMs = Math.min(limitMs, left)
      }
      return ok([{ type: 'speakers.started', speakerId: sp.id, limitMs, warnMs: item.warnMs }], {
        speakerId: sp.id,
        limitMs,
        startedAt: ctx.now,
      })
    },
  },

  'speakers:pause': {
    roles: CHAIR,
    decide(s, p) {
      const item = currentItem(s, p.itemId)
      if (!isItem(item)) return item
      const sp = stage(s, item)
      if (!sp) return refuse('NO_CURRENT_SPEAKER')
      if (sp.status !== 'speaking') return refuse('SPEECH_NOT_STARTED', { name: speakerName(s, sp) })
      if (sp.timing?.pausedAt !== null) return refuse('SPEECH_PAUSED', { name: speakerName(s, sp) })
      return ok([{ type: 'speakers.paused', speakerId: sp.id }], { speakerId: sp.id })
    },
  },

  'speakers:resume': {
    roles: CHAIR,
    decide(s, p) {
      const item = currentItem(s, p.itemId)
      if (!isItem(item)) return item
      const sp = stage(s, item)
      if (!sp) return refuse('NO_CURRENT_SPEAKER')
      if (sp.status !== 'speaking') return refuse('SPEECH_NOT_STARTED', { name: speakerName(s, sp) })
      if (sp.timing?.pausedAt === null) return refuse('SPEECH_NOT_PAUSED', { name: speakerName(s, sp) })
      return ok([{ type: 'speakers.resumed', speakerId: sp.id }], { speakerId: sp.id })
    },
  },

  'speakers:end': {
    roles: CHAIR,
    decide(s, p, _actor, ctx) {
      const item = currentItem(s, p.itemId)
      if (!isItem(item)) return item
      const sp = stage(s, item)
      if (!sp) return refuse('NO_CURRENT_SPEAKER')
      if (sp.status !== 'speaking') return refuse('SPEECH_NOT_STARTED', { name: speakerName(s, sp) })
      const ev = endEvent(sp, ctx.now)
      return ok([ev], { speakerId: sp.id, durationMs: ev.durationMs, overrunMs: ev.overrunMs })
    },
  },

  'speakers:setLimit': {
    roles: EDITORS,
    decide(s, p) {
      const sp = findSpeaker(s, p.speakerId)
      if (!isSpeaker(sp)) return sp
      if (!OPEN_STATUSES.includes(sp.status)) return wrongState(s, sp)
      if (sp.limitMs === p.limitMs && (!sp.timing || sp.timing.limitMs === p.limitMs))
        return ok([], { speakerId: sp.id, limitMs: p.limitMs })
      return ok([{ type: 'speakers.limitSet', speakerId: sp.id, limitMs: p.limitMs }], { speakerId: sp.id, limitMs: p.limitMs })
    },
  },

  'speakers:setOpen': {
    roles: CHAIR,
    decide(s, p) {
      const item = itemOf(s, p.itemId)
      if (!isItem(item)) return item
      if (listOf(s, item.id).open === p.open) return ok([], { itemId: item.id, open: p.open })
      return ok([{ type: 'speakers.listOpened', itemId: item.id, open: p.open }], { itemId: item.id, open: p.open })
    },
  },
}
