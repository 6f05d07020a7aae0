// decide(state, payload, actor, ctx): the rules. Each command either yields events (and a result for
// the ack) or refuses with an error code; it never changes the state itself.
import type { ErrorCode, Params } from '../errors'
import type { CommandName, CommandPayload } from '../schemas'
import { normalizeCode } from '../credentials'
import type { DomainEvent } from './events'
import { shouldAttend } from './quorum'
import type { Actor, Delegation, MeetingState, Person, Role } from './types'
import { NO_ATTENDANCE } from './types'
import { pollCommands } from './poll-commands'
import { agendaCommands } from './agenda'
import { speakerCommands } from './speakers'

/** What the core may ask of the world, injected so the core stays pure and testable. */
export interface DecideContext {
  now: number
  /** SHA-256 (hex) of a normalized login code. */
  hashCode(code: string): string
  /** A fresh random login code (normalized form). */
  newCode(): string
  /** Orders by surname stroke count (姓氏笔画), from character data the server has. */
  sortByStrokes<T>(items: T[], nameOf: (t: T) => string): T[]
}

export type Refusal = { error: ErrorCode; params?: Params; details?: unknown }
export type Decision<R = unknown> = { events: DomainEvent[]; result: R } | Refusal

export function isRefusal(d: Decision): d is Refusal {
  return 'error' in d
}

export interface CommandSpec<P, R = unknown> {
  /** Who may send it. 'self' roles act on themselves only (see each decide). */
  roles: readonly Role[]
  decide(s: MeetingState, p: P, actor: Actor, ctx: DecideContext): Decision<R>
}

const STAFF: readonly Role[] = ['secretariat']
const ATTENDEES: readonly Role[] = ['delegate', 'observer']

function refuse(error: ErrorCode, params?: Params, details?: unknown): Refusal {
  return { error, params, details }
}

function ok<R>(events: DomainEvent[], result: R): Decision<R> {
  return { events, result }
}

/** The person a check-in concerns, looked up by id or by scanned card. */
function findPerson(s: MeetingState, p: { personId?: string; code?: string }, ctx: DecideContext): Person | Refusal {
  if (p.code !== undefined) {
    const norm = normalizeCode(p.code)
    if (!norm) return refuse('UNKNOWN_CARD')
    const h = ctx.hashCode(norm)
    const live = s.credentials.get(h)
    if (live) return s.persons.get(live) ?? refuse('UNKNOWN_CARD')
    const revoked = s.revokedCredentials.get(h)
    const holder = revoked ? s.persons.get(revoked) : undefined
    // A card of someone no longer on the roster is simply not a card of this meeting.
    if (holder) return refuse('CARD_REVOKED', { name: holder.name })
    return refuse('UNKNOWN_CARD')
  }
  const person = p.personId ? s.persons.get(p.personId) : undefined
  return person ?? refuse('PERSON_NOT_FOUND', { personId: p.personId ?? '' })
}

function isPerson(x: Person | Refusal): x is Person {
  return !('error' in x)
}

/** What the desk shows after a scan: enough to recognise the person at a glance. */
export interface PersonBrief {
  personId: string
  name: string
  delegation: string
  seat: string
}

function brief(s: MeetingState, p: Person): PersonBrief {
  return {
    personId: p.id,
    name: p.name,
    delegation: p.delegationId ? (s.delegations.get(p.delegationId)?.name ?? '') : '',
    seat: p.seat,
  }
}

function checkAttendee(p: Person): Refusal | null {
  if (p.role !== 'delegate' && p.role !== 'observer') return refuse('NOT_ATTENDEE', { name: p.name })
  if (p.status !== 'active') return refuse('NOT_ACTIVE', { name: p.name })
  return null
}

/** Commands whose work is more than a decision on the state (they touch the ballot box first): the
 * server handles them itself (server/polls.ts) and this says who may send them. */
export const SERVER_COMMANDS = {
  'poll:close': ['chair'],
  'ballot:cast': ['delegate'],
} as const satisfies Partial<Record<CommandName, readonly Role[]>>

export type EngineCommand = Exclude<CommandName, keyof typeof SERVER_COMMANDS>

type Specs = { [C in EngineCommand]: CommandSpec<CommandPayload<C>> }

export const commands: Specs = {
  'state:sync': {
    roles: ['delegate', 'observer', 'staff', 'chair', 'secretariat', 'display'],
    decide: () => ok([], null),
  },

  'meeting:configure': {
    roles: STAFF,
    decide(s, p) {
      if (!s.meeting) return refuse('NO_MEETING')
      const changes = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))
      if (Object.keys(changes).length === 0) return ok([], null)
      return ok([{ type: 'meeting.configured', changes }], null)
    },
  },

  'meeting:showAnnouncement': {
    roles: ['chair'],
    decide(s, p) {
      if (!s.meeting) return refuse('NO_MEETING')
      if (!!s.meeting.announcementOnDisplay === p.shown) return ok([], { shown: p.shown })
      return ok([{ type: 'meeting.configured', changes: { announcementOnDisplay: p.shown } }], { shown: p.shown })
    },
  },

  'attendance:checkIn': {
    roles: ['secretariat', ...ATTENDEES],
    decide(s, p, actor, ctx) {
      if (!s.meeting) return refuse('NO_MEETING')
      const self = actor.role !== 'secretariat'
      if (self && (p.personId !== undefined || p.code !== undefined) && p.personId !== actor.personId)
        return refuse('FORBIDDEN')
      if (self && !s.meeting.selfCheckIn) return refuse('SELF_CHECKIN_DISABLED')
      if (!self && p.personId === undefined && p.code === undefined)
        return refuse('INVALID_PAYLOAD', { details: 'personId or code' })
      const person = findPerson(s, self ? { personId: actor.personId } : p, ctx)
      if (!isPerson(person)) return person
      const bad = checkAttendee(person)
      if (bad) return bad
      const a = s.attendance.get(person.id) ?? NO_ATTENDANCE
      if (a.presence === 'present') return refuse('ALREADY_CHECKED_IN', { name: person.name }, brief(s, person))
      return ok([{ type: 'attendance.checkedIn', personId: person.id, via: self ? 'tablet' : 'desk' }], {
        ...brief(s, person),
        previous: a.presence,
      })
    },
  },

  'attendance:undoCheckIn': {
    roles: STAFF,
    decide(s, p) {
      const person = s.persons.get(p.personId)
      if (!person) return refuse('PERSON_NOT_FOUND', { personId: p.personId })
      const a = s.attendance.get(person.id)
      if (!a || a.presence !== 'present' || !a.before) return refuse('NOTHING_TO_UNDO', { name: person.name })
      return ok([{ type: 'attendance.checkInUndone', personId: person.id, restore: a.before }], brief(s, person))
    },
  },

  'attendance:checkOut': {
    roles: ['secretariat', ...ATTENDEES],
    decide(s, p, actor) {
      if (!s.meeting) return refuse('NO_MEETING')
      const self = actor.role !== 'secretariat'
      if (self && p.personId !== undefined && p.personId !== actor.personId) return refuse('FORBIDDEN')
      if (self && !s.meeting.selfCheckIn) return refuse('SELF_CHECKIN_DISABLED')
      const personId = self ? actor.personId : p.personId
      if (!personId) return refuse('INVALID_PAYLOAD', { details: 'personId' })
      const person = s.persons.get(personId)
      if (!person) return refuse('PERSON_NOT_FOUND', { personId })
      const a = s.attendance.get(person.id) ?? NO_ATTENDANCE
      if (a.presence !== 'present') return refuse('NOT_CHECKED_IN', { name: person.name })
      return ok([{ type: 'attendance.checkedOut', personId: person.id }], brief(s, person))
    },
  },

  'attendance:registerLeave': {
    roles: STAFF,
    decide(s, p) {
      const person = s.persons.get(p.personId)
      if (!person) return refuse('PERSON_NOT_FOUND', { personId: p.personId })
      const bad = checkAttendee(person)
      if (bad) return bad
      const a = s.attendance.get(person.id) ?? NO_ATTENDANCE
      if (a.presence === 'present') return refuse('LEAVE_WHILE_PRESENT', { name: person.name })
      if (a.presence === 'leave' && a.leaveReason === p.reason) return refuse('ALREADY_ON_LEAVE', { name: person.name })
      return ok([{ type: 'attendance.leaveRegistered', personId: person.id, reason: p.reason }], brief(s, person))
    },
  },

  'attendance:cancelLeave': {
    roles: STAFF,
    decide(s, p) {
      const person = s.persons.get(p.personId)
      if (!person) return refuse('PERSON_NOT_FOUND', { personId: p.personId })
      const a = s.attendance.get(person.id) ?? NO_ATTENDANCE
      if (a.presence !== 'leave') return refuse('NOT_ON_LEAVE', { name: person.name })
      return ok([{ type: 'attendance.leaveCancelled', personId: person.id }], brief(s, person))
    },
  },

  'person:save': {
    roles: STAFF,
    decide(s, p) {
      if (p.delegationId && !s.delegations.has(p.delegationId))
        return refuse('DELEGATION_NOT_FOUND', { delegationId: p.delegationId })
      const person: Person = { ...p }
      const old = s.persons.get(p.id)
      if (old && JSON.stringify(old) === JSON.stringify(person)) return ok([], brief(s, person))
      return ok([{ type: 'person.saved', person }], brief(s, person))
    },
  },

  'credential:issue': {
    roles: STAFF,
    decide(s, p, _actor, ctx) {
      const unique = [...new Set(p.personIds)]
      const missing = unique.find((id) => !s.persons.has(id))
      if (missing) return refuse('PERSON_NOT_FOUND', { personId: missing })
      const events: DomainEvent[] = []
      const issued: Array<PersonBrief & { code: string; role: Role }> = []
      for (const id of unique) {
        const code = ctx.newCode()
        events.push({ type: 'credential.issued', personId: id, codeHash: ctx.hashCode(code) })
        const person = s.persons.get(id)!
        issued.push({ ...brief(s, person), role: person.role, code })
      }
      return ok(events, { issued })
    },
  },

  'credential:revoke': {
    roles: STAFF,
    decide(s, p) {
      const person = s.persons.get(p.personId)
      if (!person) return refuse('PERSON_NOT_FOUND', { personId: p.personId })
      if (!s.credentialOf.has(person.id)) return refuse('NO_CREDENTIAL', { name: person.name })
      return ok([{ type: 'credential.revoked', personId: person.id }], brief(s, person))
    },
  },

  ...pollCommands,
  ...agendaCommands,
  ...speakerCommands,
}

/** Roster import, built by the server's CSV parser, not exposed as a socket command. */
export function decideRosterImport(
  s: MeetingState,
  mode: 'replace' | 'merge',
  delegations: Delegation[],
  persons: Person[],
): Decision<{ delegations: number; persons: number }> {
  if (!s.meeting) return refuse('NO_MEETING')
  const ids = new Set<string>()
  for (const p of persons) {
    if (ids.has(p.id)) return refuse('DUPLICATE_ID', { id: p.id })
    ids.add(p.id)
    const existing = s.persons.get(p.id)
    // Staff accounts (chair, secretariat, display) are never replaced by a delegate roster.
    if (existing && existing.role !== 'delegate' && existing.role !== 'observer') return refuse('DUPLICATE_ID', { id: p.id })
  }
  return ok([{ type: 'roster.imported', mode, delegations, persons }], {
    delegations: delegations.length,
    persons: persons.filter(shouldAttend).length,
  })
}
