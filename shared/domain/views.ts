// What each audience may see (views(state, role)). The display and the tablets get counts, never the
// roster; the chair gets attendance by delegation; the secretariat gets the roster with attendance.
import { announcement, quorumStatus, summarize, type Counts, type QuorumStatus } from './quorum'
import type { Attendance, LeaveReason, Meeting, MeetingState, Person, Presence, Role } from './types'
import { NO_ATTENDANCE } from './types'
import { countsToConfirm, eligibleIn, pollViews, type PollView } from './poll-views'
import {
  agendaView,
  ownQueue,
  speakerListViews,
  speechStats,
  speechView,
  type AgendaView,
  type OwnQueueEntry,
  type SpeakerListView,
  type SpeechStatsRow,
  type SpeechView,
} from './agendaViews'

/** What views need besides the folded log: live figures kept by the server (ballot-box turnout). */
export interface ViewExtras {
  /** Ballots cast per open round key (`pollId:n`). */
  turnout: ReadonlyMap<string, number>
}

const NO_EXTRAS: ViewExtras = { turnout: new Map() }

export interface PublicView {
  version: number
  meeting: Pick<Meeting, 'id' | 'name' | 'type' | 'selfCheckIn'> | null
  attendance: Counts
  quorum: QuorumStatus
  announcement: { zh: string; en: string }
  /** The chair has put the announcement on the hall display. */
  announcementOnDisplay: boolean
  /** Elections, votes and evaluations this audience may see (drafts only for the chair and desk). */
  polls: PollView[]
  /** The agenda (visible items only, except for the chair and desk) and the current item. */
  agenda: AgendaView
  /** The current item's speech: speaker, timing facts, next speakers; null without a current item. */
  speech: SpeechView | null
}

export interface DelegationRow extends Counts {
  id: string
  name: string
}

export interface OwnStatus {
  id: string
  name: string
  role: Role
  delegation: string
  seat: string
  presence: Presence
  leaveReason: LeaveReason | null
  since: number | null
  /** May vote once votes exist: an active delegate with voting rights who is checked in. */
  canVote: boolean
  /** Counts this person must confirm as a scrutineer (监票人). */
  toConfirm: ReturnType<typeof countsToConfirm>
  /** The open rounds (`pollId:n`) whose electorate includes this person (docs/PROTOCOL.md §5). */
  eligibleIn: string[]
  /** The person's own entries on lists of speakers, with the place in each queue. */
  queue: OwnQueueEntry[]
}

export interface RosterRow {
  id: string
  name: string
  gender: Person['gender']
  role: Role
  delegationId: string | null
  seat: string
  status: Person['status']
  votingRight: boolean
  presence: Presence
  leaveReason: LeaveReason | null
  since: number | null
  via: Attendance['via']
  hasCredential: boolean
  /** Whether the desk may undo the current check-in. */
  undoable: boolean
}

export interface ChairView extends PublicView {
  delegations: DelegationRow[]
  /** Voting bodies besides the congress (e.g. the full committee), with their members. */
  bodies: Array<{ id: string; name: string; memberIds: string[] }>
  /** Every item's list of speakers: requests, queue, stage, records, budgets. */
  speakerLists: SpeakerListView[]
  /** Speeches, time and overrun per delegation. */
  speechStats: SpeechStatsRow[]
}

export interface DeskView extends ChairView {
  roster: RosterRow[]
  quorumRules: Meeting['quorum'] | null
}

export function publicView(s: MeetingState, sum = summarize(s), extras: ViewExtras = NO_EXTRAS, audience: 'public' | 'chair' = 'public'): PublicView {
  const rule = s.meeting?.quorum.general ?? { num: 1, den: 2, op: 'gt' as const }
  const q = quorumStatus(sum.total, rule)
  const m = s.meeting
  return {
    version: s.version,
    meeting: m ? { id: m.id, name: m.name, type: m.type, selfCheckIn: m.selfCheckIn } : null,
    attendance: sum.total,
    quorum: q,
    announcement: announcement(sum.total, q),
    announcementOnDisplay: !!m?.announcementOnDisplay,
    polls: pollViews(s, audience, extras.turnout),
    agenda: agendaView(s, audience),
    speech: speechView(s),
  }
}

export function chairView(s: MeetingState, sum = summarize(s), extras: ViewExtras = NO_EXTRAS): ChairView {
  const delegations: DelegationRow[] = [...s.delegations.values()]
    .sort((a, b) => a.order - b.order)
    .map((d) => ({ id: d.id, name: d.name, ...(sum.byDelegation.get(d.id) ?? zero()) }))
  const bodies = [...s.bodies.values()].map((b) => ({ id: b.id, name: b.name, memberIds: b.memberIds }))
  return { ...publicView(s, sum, extras, 'chair'), delegations, bodies, speakerLists: speakerListViews(s), speechStats: speechStats(s) }
}

function zero(): Counts {
  return { shouldAttend: 0, present: 0, onLeave: 0, leaveBusiness: 0, leaveIllness: 0, left: 0, absent: 0 }
}

export function rosterRow(s: MeetingState, p: Person): RosterRow {
  const a = s.attendance.get(p.id) ?? NO_ATTENDANCE
  return {
    id: p.id,
    name: p.name,
    gender: p.gender,
    role: p.role,
    delegationId: p.delegationId,
    seat: p.seat,
    status: p.status,
    votingRight: p.votingRight,
    presence: a.presence,
    leaveReason: a.leaveReason,
    since: a.since,
    via: a.via,
    hasCredential: s.credentialOf.has(p.id),
    undoable: a.presence === 'present' && !!a.before,
  }
}

export function deskView(s: MeetingState, sum = summarize(s), extras: ViewExtras = NO_EXTRAS): DeskView {
  return {
    ...chairView(s, sum, extras),
    roster: [...s.persons.values()].map((p) => rosterRow(s, p)),
    quorumRules: s.meeting?.quorum ?? null,
  }
}

export function ownStatus(s: MeetingState, personId: string): OwnStatus | null {
  const p = s.persons.get(personId)
  if (!p) return null
  const a = s.attendance.get(p.id) ?? NO_ATTENDANCE
  return {
    id: p.id,
    name: p.name,
    role: p.role,
    delegation: p.delegationId ? (s.delegations.get(p.delegationId)?.name ?? '') : '',
    seat: p.seat,
    presence: a.presence,
    leaveReason: a.leaveReason,
    since: a.since,
    canVote: p.role === 'delegate' && p.votingRight && p.status === 'active' && a.presence === 'present',
    toConfirm: countsToConfirm(s, p.id),
    eligibleIn: eligibleIn(s, p.id),
    queue: ownQueue(s, p.id, p.role),
  }
}

/** Which view a role gets. */
export type ViewKind = 'public' | 'chair' | 'desk'

export function viewKindFor(role: Role): ViewKind {
  if (role === 'secretariat') return 'desk'
  if (role === 'chair') return 'chair'
  return 'public'
}

export type AnyView = PublicView | ChairView | DeskView

export function viewFor(kind: ViewKind, s: MeetingState, sum = summarize(s), extras: ViewExtras = NO_EXTRAS): AnyView {
  if (kind === 'desk') return deskView(s, sum, extras)
  if (kind === 'chair') return chairView(s, sum, extras)
  return publicView(s, sum, extras)
}
