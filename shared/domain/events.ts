// The events of the meeting log and how each one changes the state (evolve). Events are facts:
// evolve never refuses one, and decide (commands.ts) is the only place rules are checked.
import type { Attendance, Body, Delegation, LeaveReason, Meeting, MeetingState, Person } from './types'
import { NO_ATTENDANCE } from './types'
import { evolvePoll, namedBallotKey, roundKey, withBallot, type PollEvent } from './polls'
import { evolveAgenda, type AgendaEvent } from './agenda'
import { evolveSpeakers, type SpeakerEvent } from './speakers'

export type DomainEvent =
  | { type: 'meeting.created'; meeting: Meeting }
  | {
      type: 'meeting.configured'
      changes: Partial<Pick<Meeting, 'name' | 'type' | 'quorum' | 'selfCheckIn' | 'announcementOnDisplay'>>
    }
  | { type: 'roster.imported'; mode: 'replace' | 'merge'; delegations: Delegation[]; persons: Person[] }
  | { type: 'person.saved'; person: Person }
  | { type: 'credential.issued'; personId: string; codeHash: string }
  | { type: 'credential.revoked'; personId: string }
  | { type: 'attendance.checkedIn'; personId: string; via: 'desk' | 'tablet' }
  | { type: 'attendance.checkedOut'; personId: string }
  | { type: 'attendance.checkInUndone'; personId: string; restore: Attendance }
  | { type: 'attendance.leaveRegistered'; personId: string; reason: LeaveReason }
  | { type: 'attendance.leaveCancelled'; personId: string }
  | PollEvent
  | { type: 'body.saved'; body: Body }
  | { type: 'body.removed'; bodyId: string }
  | AgendaEvent
  | SpeakerEvent

export type EventType = DomainEvent['type']

/** An event as stored in the log: numbered, timed, attributed and chained to the one before. */
export interface StoredEvent {
  seq: number
  at: number
  /** Person id of whoever caused it; null for the system (seeding, time limits). */
  actor: string | null
  event: DomainEvent
  prev: string
  hash: string
}

function revokeLive(s: MeetingState, personId: string): void {
  const old = s.credentialOf.get(personId)
  if (old) {
    s.credentials.delete(old)
    s.credentialOf.delete(personId)
    s.revokedCredentials.set(old, personId)
  }
}

/** Folds one event into a draft state (the draft's maps are owned by the caller; entries are
 * replaced, never mutated, so an earlier clone stays intact). */
export function evolve(s: MeetingState, e: StoredEvent): void {
  const ev = e.event
  switch (ev.type) {
    case 'meeting.created':
      s.meeting = ev.meeting
      break
    case 'meeting.configured':
      if (s.meeting) s.meeting = { ...s.meeting, ...ev.changes }
      break
    case 'roster.imported': {
      if (ev.mode === 'replace') {
        s.delegations.clear()
        for (const [id, p] of s.persons) {
          if (p.role === 'delegate' || p.role === 'observer') {
            s.persons.delete(id)
            s.attendance.delete(id)
            revokeLive(s, id)
          }
        }
      }
      for (const d of ev.delegations) s.delegations.set(d.id, d)
      for (const p of ev.persons) s.persons.set(p.id, p)
      break
    }
    case 'person.saved':
      s.persons.set(ev.person.id, ev.person)
      break
    case 'credential.issued':
      revokeLive(s, ev.personId)
      s.credentials.set(ev.codeHash, ev.personId)
      s.credentialOf.set(ev.personId, ev.codeHash)
      s.revokedCredentials.delete(ev.codeHash)
      break
    case 'credential.revoked':
      revokeLive(s, ev.personId)
      break
    case 'attendance.checkedIn': {
      const { before: _dropped, ...previous } = s.attendance.get(ev.personId) ?? NO_ATTENDANCE
      s.attendance.set(ev.personId, { presence: 'present', leaveReason: null, since: e.at, via: ev.via, before: previous })
      break
    }
    case 'attendance.checkedOut':
      s.attendance.set(ev.personId, { presence: 'left', leaveReason: null, since: e.at, via: null })
      break
    case 'attendance.checkInUndone':
      s.attendance.set(ev.personId, ev.restore)
      break
    case 'attendance.leaveRegistered':
      s.attendance.set(ev.personId, { presence: 'leave', leaveReason: ev.reason, since: e.at, via: null })
      break
    case 'attendance.leaveCancelled':
      s.attendance.set(ev.personId, { ...NO_ATTENDANCE })
      break
    case 'body.saved':
      s.bodies.set(ev.body.id, ev.body)
      break
    case 'body.removed':
      s.bodies.delete(ev.bodyId)
      break
    case 'ballot.castOpen':
      s.namedBallots.set(namedBallotKey(ev.pollId, ev.n, ev.personId), ev.ballot)
      s.namedTallies.set(roundKey(ev.pollId, ev.n), withBallot(s.namedTallies.get(roundKey(ev.pollId, ev.n)), ev.ballot))
      break
    default:
      if (ev.type.startsWith('poll.') || ev.type.startsWith('ballot.')) evolvePoll(s.polls, ev as PollEvent, e.at, e.seq)
  }
  if (ev.type.startsWith('agenda.')) evolveAgenda(s, e)
  else if (ev.type.startsWith('speakers.')) evolveSpeakers(s, e)
  s.version = e.seq
  s.head = e.hash
}
