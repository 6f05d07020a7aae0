// The meeting's vocabulary: the entities the event log talks about and the folded state.
// Pure data, no I/O; imported by the server and the client alike.

/** 会议类型: 党代会 (congress), 全委会 (committee plenary), 基层党代会/党员大会 (grassroots). */
export const MEETING_TYPES = ['congress', 'plenary', 'grassroots'] as const
export type MeetingType = (typeof MEETING_TYPES)[number]

/** Who a login belongs to. 代表 delegate, 列席人员 observer, 工作人员 staff, 执行主席 chair,
 * 大会秘书处 secretariat, 大屏 display. */
export const ROLES = ['delegate', 'observer', 'staff', 'chair', 'secretariat', 'display'] as const
export type Role = (typeof ROLES)[number]

/** 代表资格状态: suspended (停止执行职务) and terminated (终止) delegates do not count as "should attend". */
export const PERSON_STATUSES = ['active', 'suspended', 'terminated'] as const
export type PersonStatus = (typeof PERSON_STATUSES)[number]

/** Where a person is now: absent (未到), present (已签到), left (已离场, a walk-out), leave (请假). */
export const PRESENCES = ['absent', 'present', 'left', 'leave'] as const
export type Presence = (typeof PRESENCES)[number]

/** 请假事由: 因事 (business) or 因病 (illness). */
export const LEAVE_REASONS = ['business', 'illness'] as const
export type LeaveReason = (typeof LEAVE_REASONS)[number]

export type Gender = 'M' | 'F' | ''

/** A quorum or threshold as a fraction: present * den  > should * num ('gt'), or >= ('gte'). */
export interface QuorumRule {
  num: number
  den: number
  op: 'gt' | 'gte'
}

/** The quorum per purpose. `general` opens the meeting; the others gate elections and votes. */
export interface QuorumRules {
  general: QuorumRule
  election: QuorumRule
  vote: QuorumRule
  appointment: QuorumRule
}

/** 会议: one annual session (e.g. 中共某某县第十五次代表大会第二次会议). */
export interface Meeting {
  id: string
  name: string
  type: MeetingType
  quorum: QuorumRules
  /** Whether delegates may check themselves in on their tablets. */
  selfCheckIn: boolean
  createdAt: number
  /** The chair put the opening announcement on the hall display (absent in older logs: not shown). */
  announcementOnDisplay?: boolean
}

/** 代表团 / 代表活动组. */
export interface Delegation {
  id: string
  name: string
  order: number
}

/** Anyone with a login: delegates, observers, staff, the chair, the secretariat, displays. */
export interface Person {
  id: string
  name: string
  gender: Gender
  role: Role
  delegationId: string | null
  seat: string
  status: PersonStatus
  /** 表决权: observers and alternates have none. */
  votingRight: boolean
}

export interface Attendance {
  presence: Presence
  leaveReason: LeaveReason | null
  /** When the current presence began (server time, ms). */
  since: number | null
  via: 'desk' | 'tablet' | null
  /** For a check-in: the attendance it replaced, which an undo restores. */
  before?: Omit<Attendance, 'before'>
}

export const NO_ATTENDANCE: Attendance = { presence: 'absent', leaveReason: null, since: null, via: null }

/** The folded log. Maps are replaced entry by entry, never mutated inside an entry, so a shallow
 * clone of the maps is an independent draft (see cloneState). */
import type { Poll } from './polls'
import type { AgendaItem } from './agenda'
import type { Speaker, SpeakerList } from './speakers'

export interface MeetingState {
  /** Sequence number of the last event folded in; the version every view carries. */
  version: number
  /** Hash of the last event (the chain head). */
  head: string
  meeting: Meeting | null
  delegations: Map<string, Delegation>
  persons: Map<string, Person>
  attendance: Map<string, Attendance>
  /** Credential hash -> person id, for the live (unrevoked) code of each person. */
  credentials: Map<string, string>
  /** Person id -> live credential hash. */
  credentialOf: Map<string, string>
  /** Hashes of revoked or superseded codes, so that a scanned old card gets a precise message. */
  revokedCredentials: Map<string, string>
  /** Elections, votes and evaluations by id. */
  polls: Map<string, Poll>
  /** Named (open) votes' ballots, by `pollId:n|personId` (see namedBallotKey). */
  namedBallots: Map<string, unknown>
  /** Named votes' running tallies by round key (`pollId:n`), kept as ballots are folded in, so a
   * live tally costs nothing however large the hall. */
  namedTallies: Map<string, NamedTally>
  /** Voting bodies other than the congress, by id. */
  bodies: Map<string, Body>
  /** 议程: items by id, their order, and the item the hall is on. */
  agenda: Map<string, AgendaItem>
  agendaOrder: readonly string[]
  currentItemId: string | null
  /** The document the chair puts on the hall display, if any. */
  shownDocumentId: string | null
  /** Which page of it (a PDF's page; a Markdown text's screenful), from 1. */
  shownDocumentPage: number
  /** Speakers (list entries and speech records) by id, and each item's list order. */
  speakers: Map<string, Speaker>
  speakerLists: Map<string, SpeakerList>
}

/** A named round's tally: the ballots cast and how many carry each mark. Replaced, never changed
 * in place (the chair's per-delegation table is built from the ballots: poll-views.ts). */
export interface NamedTally {
  cast: number
  marks: Readonly<Record<string, number>>
}

export function emptyState(): MeetingState {
  return {
    version: 0,
    head: '',
    meeting: null,
    delegations: new Map(),
    persons: new Map(),
    attendance: new Map(),
    credentials: new Map(),
    credentialOf: new Map(),
    revokedCredentials: new Map(),
    polls: new Map(),
    namedBallots: new Map(),
    namedTallies: new Map(),
    bodies: new Map(),
    agenda: new Map(),
    agendaOrder: [],
    currentItemId: null,
    shownDocumentId: null,
    shownDocumentPage: 1,
    speakers: new Map(),
    speakerLists: new Map(),
  }
}

/**
 * A Map that starts as a read-only view of another map and copies it on its first write.
 *
 * Every batch of commands folds into a draft of the state; most batches touch one or two of the
 * maps (check-ins touch attendance, a vote touches namedBallots), so copying all of them, each
 * holding an entry per delegate, was most of the cost of a batch in a 10,000-person hall. The base
 * is a committed state's map, which is never written again (see MeetingState), so reading through
 * it is safe until the draft writes, and then the draft owns a copy.
 */
export class CowMap<K, V> extends Map<K, V> {
  /** The entries: the base map's own until the first write, then a copy this map owns. (Map's own
   * storage, inherited, stays empty: every method is overridden to use this one.) */
  private data: Map<K, V>
  private owned: boolean
  /** Set when the state it belongs to is committed: a write after that is a bug, and throws. */
  private frozen = false

  constructor(base?: ReadonlyMap<K, V>) {
    super()
    // A committed map is read through (its data, so a chain of untouched drafts stays one step
    // long); a map that may still be written (a plain Map, a draft's) is copied at once.
    const frozen = base ? CowMap.frozenData(base) : null
    this.data = frozen ? (frozen as Map<K, V>) : new Map(base)
    this.owned = !frozen
  }

  /** The entries of a committed (frozen) map: the same object for as long as no later draft writes
   * the map (see memoByMaps). Null for a map that may still change. */
  static frozenData<K, V>(m: ReadonlyMap<K, V>): ReadonlyMap<K, V> | null {
    return m instanceof CowMap && (m as CowMap<K, V>).frozen ? (m as CowMap<K, V>).data : null
  }

  freeze(): void {
    this.frozen = true
  }

  private own(): Map<K, V> {
    if (this.frozen) throw new Error('a committed state map was written')
    if (!this.owned) {
      this.data = new Map(this.data)
      this.owned = true
    }
    return this.data
  }

  override get size(): number {
    return this.data.size
  }
  override get(key: K): V | undefined {
    return this.data.get(key)
  }
  override has(key: K): boolean {
    return this.data.has(key)
  }
  override set(key: K, value: V): this {
    this.own().set(key, value)
    return this
  }
  override delete(key: K): boolean {
    if (!this.data.has(key)) return false
    return this.own().delete(key)
  }
  override clear(): void {
    if (this.frozen) throw new Error('a committed state map was written')
    this.data = new Map()
    this.owned = true
  }
  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.data) fn.call(thisArg, v, k, this)
  }
  override entries(): MapIterator<[K, V]> {
    return this.data.entries()
  }
  override keys(): MapIterator<K> {
    return this.data.keys()
  }
  override values(): MapIterator<V> {
    return this.data.values()
  }
  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.data.entries()
  }
}

/**
 * A value derived from state maps, computed again only when one of them was written since: drafts
 * that never wrote a map share its data object (CowMap.frozenData), so the memo holds across
 * versions. Only for committed (frozen) states; anything else is computed every time.
 */
export function memoByMaps<T>(cache: WeakMap<object, { deps: readonly object[]; value: T }>, maps: readonly ReadonlyMap<unknown, unknown>[], compute: () => T): T {
  const deps: object[] = []
  for (const m of maps) {
    const d = CowMap.frozenData(m)
    if (!d) return compute()
    deps.push(d)
  }
  const hit = cache.get(deps[0])
  if (hit && hit.deps.length === deps.length && hit.deps.every((d, i) => d === deps[i])) return hit.value
  const value = compute()
  cache.set(deps[0], { deps, value })
  return value
}

/** Marks a state as committed: its maps are shared with later drafts and must never be written. */
export function freezeState(s: MeetingState): MeetingState {
  for (const v of Object.values(s)) if (v instanceof CowMap) v.freeze()
  return s
}

/** An independent draft of a committed state: maps are copied lazily, on their first write. */
export function cloneState(s: MeetingState): MeetingState {
  return {
    ...s,
    delegations: new CowMap(s.delegations),
    persons: new CowMap(s.persons),
    attendance: new CowMap(s.attendance),
    credentials: new CowMap(s.credentials),
    credentialOf: new CowMap(s.credentialOf),
    revokedCredentials: new CowMap(s.revokedCredentials),
    polls: new CowMap(s.polls),
    namedBallots: new CowMap(s.namedBallots),
    namedTallies: new CowMap(s.namedTallies),
    bodies: new CowMap(s.bodies),
    agenda: new CowMap(s.agenda),
    speakers: new CowMap(s.speakers),
    speakerLists: new CowMap(s.speakerLists),
  }
}

/** 表决机构: a body within the meeting that votes on its own, such as the full committee (全委会) or a
 * review committee. The congress itself is implicit: every delegate with voting rights. */
export interface Body {
  id: string
  name: string
  /** Its voting members (persons with tablets), e.g. the committee's members (委员). */
  memberIds: string[]
}

/** Who issued a command, as established at the handshake. */
export interface Actor {
  personId: string
  role: Role
}
