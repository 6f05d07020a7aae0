// The contract between the server and every client (tablets, desk, chair, display, third-party
// keypads): socket.io event maps, ack shapes and the snapshot/patch messages. docs/PROTOCOL.md
// describes the same in prose.
import type { AgendaCommandResults } from './domain/agenda'
import type { SpeakerCommandResults } from './domain/speakers'
import type { Ack, AckError } from './errors'
import type { PersonBrief } from './domain/commands'
import type { AnyView, ChairView, DeskView, OwnStatus, PublicView, RosterRow, ViewKind } from './domain/views'
import type { Presence, Role } from './domain/types'
import type { PollSpec } from './domain/polls'
import type { StatePatched } from './domain/view-patch'
import type { CommandName, CommandPayload } from './schemas'

export type { Ack, AckError } from './errors'
export type { StatePatched } from './domain/view-patch'

/** What each command's ack carries on success. */
export interface CommandResults extends AgendaCommandResults, SpeakerCommandResults {
  'state:sync': Snapshot
  'meeting:configure': null
  'meeting:showAnnouncement': { shown: boolean }
  'attendance:checkIn': PersonBrief & { previous: Presence }
  'attendance:undoCheckIn': PersonBrief
  'attendance:checkOut': PersonBrief
  'attendance:registerLeave': PersonBrief
  'attendance:cancelLeave': PersonBrief
  'person:save': PersonBrief
  'credential:issue': { issued: Array<PersonBrief & { code: string; role: Role }> }
  'credential:revoke': PersonBrief
  'poll:create': { pollId: string; warnings: string[]; spec: PollSpec }
  'poll:update': { pollId: string; warnings: string[]; spec: PollSpec }
  'poll:cancel': { pollId: string }
  'poll:open': { pollId: string; round: number; issued: number; closesAt: number | null; roundKey: string }
  'poll:admit': { pollId: string; round: number; personId: string; name: string; roundKey: string }
  'poll:close': { pollId: string; round: number }
  'poll:confirm': { pollId: string; round: number; confirmations: number; of: number }
  'poll:publish': { pollId: string; round: number }
  'poll:setNextRound': { pollId: string; warnings: string[]; spec: PollSpec }
  'poll:finish': { pollId: string; elected: number; seats: number }
  'poll:setLiveResults': { pollId: string; live: boolean }
  'poll:paperEntry': { pollId: string; round: number; entry: 1 | 2; differences: string[] | null }
  'body:save': { bodyId: string; members: number }
  'body:remove': { bodyId: string }
  'ballot:cast': { pollId: string; round: number; received: true }
}

/** A whole view at one version: sent on connect and on request, and after any gap. */
export interface Snapshot {
  kind: ViewKind
  version: number
  /** Server clock (ms since epoch) when the snapshot was built; clients derive their offset. */
  serverTime: number
  view: AnyView
  /** The logged-in person's own status (absent for displays that are not persons). */
  me: OwnStatus | null
  /** Which node answered, for diagnostics and multi-node tests. */
  node: string
  /** For a voter: the open rounds (`pollId:n`) this voter has already voted in. */
  votedIn?: string[]
}

export interface StateChanged {
  kind: ViewKind
  version: number
  serverTime: number
  view: PublicView | ChairView | Omit<DeskView, 'roster'>
}

export interface RosterPatch {
  version: number
  rows: RosterRow[]
  /** Ids removed by a replacing import. */
  removed: string[]
}

export interface SessionEnded {
  code: 'SESSION_REPLACED' | 'CREDENTIAL_REVOKED'
  message: string
  messages: { zh: string; en: string }
}

type CommandHandler<C extends CommandName> = (payload: CommandPayload<C>, ack: (res: Ack<CommandResults[C]>) => void) => void

export type ClientToServerEvents = { [C in CommandName]: CommandHandler<C> } & {
  /** Does nothing and acks at once: clients measure latency with it, the benchmark its ceiling. */
  'system:ping': (payload: Record<string, never>, ack: (res: Ack<{ serverTime: number; version: number }>) => void) => void
}

export interface ServerToClientEvents {
  'state:snapshot': (s: Snapshot) => void
  'state:changed': (s: StateChanged) => void
  /** Tablets only: a count-only change as a patch of the public view (docs/PROTOCOL.md). */
  'state:patched': (p: StatePatched) => void
  'roster:patched': (p: RosterPatch) => void
  'me:updated': (me: OwnStatus) => void
  'session:ended': (e: SessionEnded) => void
  /** To the voter's own devices only: the ballot was stored. */
  'ballot:received': (r: { pollId: string; round: number }) => void
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InterServerEvents {}

export interface SocketData {
  personId: string
  role: Role
  lang: 'zh' | 'en'
  kind: ViewKind
}

/** The handshake a client sends: `io(url, { auth: { token, lang } })`, token from POST /api/login. */
export interface HandshakeAuth {
  token: string
  lang?: 'zh' | 'en'
}

/** POST /api/login reply data. */
export interface LoginResult {
  token: string
  personId: string
  name: string
  role: Role
}

export type { AnyView, ChairView, DeskView, OwnStatus, PublicView, RosterRow, ViewKind, PersonBrief }
export type ConnectError = AckError
