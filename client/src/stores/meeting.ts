// The meeting as this page sees it: the latest view (never older than what is shown), the person's
// own status, the connection, the server clock offset; and the one way to send a command.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { CommandName, CommandPayload } from '@shared/schemas'
import type {
  ChairView,
  CommandResults,
  DeskView,
  OwnStatus,
  PublicView,
  Snapshot,
  StateChanged,
  StatePatched,
  ViewKind,
} from '@shared/protocol'
import { applyPublicPatch } from '@shared/domain/view-patch'
import { currentSocket, deliverLocally, ensureSocket, onSocket, type AppSocket } from '../socket'
import { useSessionStore } from './session'
import { acceptChange, acceptSnapshot, initialGate, patchAction } from '../logic/versions'
import { addSample, bestOffset, sampleFromPing, sampleFromPush, type ClockSample } from '../logic/clock'
import { isAckError, offlineError, timeoutError, toClientError, type ClientError, type Result } from '../logic/errors'

export type ConnectionStatus = 'connecting' | 'online' | 'offline'
/** Views without the roster: the desk's rows live in the roster store. */
export type MeetingView = PublicView | ChairView | Omit<DeskView, 'roster'>

export interface Notice {
  tone: 'ok' | 'error'
  /** Either a server message (both languages) or a text already in the interface language. */
  messages?: { zh: string; en: string }
  text?: string
}

const COMMAND_TIMEOUT = 8000
/** Snapshots normally follow a connect at once; if none came, ask for one. */
const SNAPSHOT_GRACE = 2500
const PING_EVERY = 10 * 60_000

export const useMeetingStore = defineStore('meeting', () => {
  const session = useSessionStore()

  const kind = ref<ViewKind | null>(null)
  const view = shallowRef<MeetingView | null>(null)
  const me = ref<OwnStatus | null>(null)
  const version = ref(-1)
  const status = ref<ConnectionStatus>('connecting')
  const clock = ref<ClockSample[]>([])
  const notice = ref<Notice | null>(null)
  let gate = initialGate()
  let syncTimer: ReturnType<typeof setTimeout> | undefined
  let pingTimer: ReturnType<typeof setInterval> | undefined

  const offset = computed(() => bestOffset(clock.value))
  const meeting = computed(() => view.value?.meeting ?? null)
  const attendance = computed(() => view.value?.attendance ?? null)
  const quorum = computed(() => view.value?.quorum ?? null)
  const announcement = computed(() => view.value?.announcement ?? null)
  const announcementOnDisplay = computed(() => !!view.value?.announcementOnDisplay)
  const delegations = computed(() => (view.value && 'delegations' in view.value ? view.value.delegations : []))
  const quorumRules = computed(() => (view.value && 'quorumRules' in view.value ? view.value.quorumRules : null))
  const hasState = computed(() => view.value !== null)

  function applySnapshot(s: Snapshot): void {
    if (!acceptSnapshot(gate, s.version)) return
    gate = { version: s.version, resync: false }
    clearTimeout(syncTimer)
    kind.value = s.kind
    // The roster can be 3000 rows: keep it out of this reactive view (the roster store holds it).
    const { roster: _roster, ...rest } = s.view as DeskView
    view.value = rest
    version.value = s.version
    me.value = s.me
    if (clock.value.every((c) => !Number.isFinite(c.rtt))) clock.value = addSample([], sampleFromPush(s.serverTime, Date.now()))
  }

  function applyChange(c: StateChanged): void {
    if (!acceptChange(gate, c.version)) return
    gate.version = c.version
    kind.value = c.kind
    view.value = c.view
    version.value = c.version
  }

  /** Tablets: counts as a patch of the view held; a patch for a view never received brings a snapshot. */
  let patchSync: Promise<void> | null = null
  function applyPatch(s: AppSocket, p: StatePatched): void {
    const held = kind.value === 'public' && view.value ? (view.value as PublicView) : null
    const action = patchAction(gate, held?.version ?? null, p)
    const next = action === 'apply' && held ? applyPublicPatch(held, p) : null
    if (next) {
      gate.version = p.version
      view.value = next
      version.value = p.version
    } else if (action === 'sync' && !patchSync) {
      patchSync = requestSync(s, true).finally(() => (patchSync = null))
    }
  }

  async function ping(s: AppSocket): Promise<void> {
    for (let i = 0; i < 3 && s.connected; i++) {
      const sent = Date.now()
      try {
        const res = await s.timeout(COMMAND_TIMEOUT).emitWithAck('system:ping', {})
        if (res.ok) {
          const sample = sampleFromPing(sent, Date.now(), res.data.serverTime)
          clock.value = addSample(clock.value.filter((c) => Number.isFinite(c.rtt)), sample)
          // Views to tablets are volatile (dropped when a tablet is not reading): catch up if behind.
          if (i === 0 && res.data.version > version.value) void requestSync(s, true)
        }
      } catch {
        return
      }
    }
  }

  async function requestSync(s: AppSocket, force = false): Promise<void> {
    if (!s.connected || (!gate.resync && !force)) return
    try {
      const res = await s.timeout(COMMAND_TIMEOUT).emitWithAck('state:sync', {})
      if (res.ok) deliverLocally(s, 'state:snapshot', res.data)
    } catch {
      // Still no snapshot: the next reconnect tries again; the last state stays on screen.
    }
  }

  function bind(s: AppSocket): void {
    s.on('connect', () => {
      status.value = 'online'
      clearTimeout(syncTimer)
      syncTimer = setTimeout(() => void requestSync(s), SNAPSHOT_GRACE)
      void ping(s)
    })
    s.on('disconnect', (reason) => {
      // Whatever arrives next is judged against a fresh snapshot, which every connect brings.
      gate.resync = true
      status.value = 'offline'
      // The server closed the socket without ending the session (e.g. a restart): try again.
      if (reason === 'io server disconnect' && session.token) setTimeout(() => session.token && s.connect(), 1000)
    })
    s.on('connect_error', (err) => {
      const data = (err as Error & { data?: unknown }).data
      if (isAckError(data) && (data.code === 'UNAUTHENTICATED' || data.code === 'SESSION_REPLACED')) {
        session.end(data)
        return
      }
      status.value = 'offline'
      // A refusal by the server's middleware is not retried by socket.io itself.
      if (isAckError(data) && !s.active) setTimeout(() => session.token && s.connect(), 3000)
    })
    s.on('state:snapshot', applySnapshot)
    s.on('state:changed', applyChange)
    s.on('state:patched', (p) => applyPatch(s, p))
    s.on('me:updated', (m) => {
      me.value = m
    })
    s.on('session:ended', (e) => {
      session.end(e)
    })
  }

  onSocket(bind)

  function connect(): void {
    const s = ensureSocket(() => ({ token: session.token ?? '', lang: session.lang }))
    if (s.connected || s.active) return
    status.value = 'connecting'
    s.connect()
    clearInterval(pingTimer)
    pingTimer = setInterval(() => void ping(s), PING_EVERY)
  }

  function disconnect(): void {
    clearTimeout(syncTimer)
    clearInterval(pingTimer)
    currentSocket()?.disconnect()
    gate = initialGate()
    kind.value = null
    view.value = null
    me.value = null
    version.value = -1
    status.value = 'connecting'
    notice.value = null
  }

  /** Connects while a token exists, and drops everything when it goes (logout, session ended). */
  function start(): void {
    watch(
      () => session.token,
      (t) => (t ? connect() : disconnect()),
      { immediate: true },
    )
  }

  /** Commands whose result type the contract declares; others are not sent from here yet. */
  async function send<C extends CommandName & keyof CommandResults>(
    name: C,
    payload: CommandPayload<C>,
  ): Promise<Result<CommandResults[C]>> {
    const s = currentSocket()
    // socket.io would buffer the command and send it on reconnect, long after the operator moved
    // on: refuse at once instead.
    if (!s || !s.connected) return offlineError()
    try {
      // The generic name defeats socket.io's per-event overloads; the maps still type the result.
      const timed = s.timeout(COMMAND_TIMEOUT) as unknown as { emitWithAck(ev: C, p: CommandPayload<C>): Promise<unknown> }
      const res = await timed.emitWithAck(name, payload)
      const ack = res as { ok?: unknown; data?: unknown }
      if (ack && ack.ok === true) return { ok: true, data: ack.data as CommandResults[C] }
      return toClientError(res)
    } catch {
      return timeoutError()
    }
  }

  /** For a store created after the snapshot went by: fetch a fresh one for every listener. */
  function resync(): void {
    const s = currentSocket()
    if (s?.connected) void requestSync(s, true)
  }

  function notify(n: Notice | null): void {
    notice.value = n
  }

  function notifyError(e: ClientError): void {
    notice.value = { tone: 'error', messages: e.messages }
  }

  return {
    kind,
    view,
    me,
    version,
    status,
    offset,
    notice,
    meeting,
    attendance,
    quorum,
    announcement,
    announcementOnDisplay,
    delegations,
    quorumRules,
    hasState,
    start,
    send,
    resync,
    notify,
    notifyError,
  }
})
