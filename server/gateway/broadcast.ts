// Pushes state to this node's own sockets after each commit. Every node follows the whole log, so
// each one broadcasts locally (io.local): no state crosses the socket.io adapter. Broadcasts are
// coalesced: at most one per audience per interval, however many check-ins arrive.
import type { Server } from 'socket.io'
import type { StoredEvent } from '../../shared/domain/events'
import { summarize } from '../../shared/domain/quorum'
import { personsTouchedBySpeech } from '../../shared/domain/speakers'
import { publicPatch, viewParts, type ViewParts } from '../../shared/domain/view-patch'
import { chairView, ownStatus, publicView, rosterRow, viewFor, type PublicView, type ViewExtras, type ViewKind } from '../../shared/domain/views'
import type { MeetingState } from '../../shared/domain/types'
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, Snapshot, SocketData, StateChanged } from '../../shared/protocol'
import type { Engine } from '../engine'

export type IO = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>

export const rooms = {
  view: (k: ViewKind) => `view:${k}`,
  /** Tablets (delegates, observers, staff): the public view, at a calmer pace than the displays. */
  tablets: 'view:tablet',
  person: (id: string) => `person:${id}`,
  token: (tokenHash: string) => `tok:${tokenHash}`,
}

/** Which persons an event touches: `roster` for the desk's patches (and their own status), `me`
 * for their own status only (a poll opening for its electorate, a count for its scrutineers). */
function touched(events: StoredEvent[], state: MeetingState, roster: Set<string>, me: Set<string>): boolean {
  let all = false
  for (const { event: e } of events) {
    // A named ballot changes nobody's own status (the voter's other devices get ballot:received).
    if (e.type === 'ballot.castOpen') continue
    if (e.type.startsWith('poll.') || e.type.startsWith('ballot.')) {
      if ('pollId' in e) for (const id of state.polls.get(e.pollId)?.scrutineers ?? []) me.add(id)
      if (e.type === 'poll.opened') for (const id of e.electorate) me.add(id)
      if (e.type === 'poll.closed') for (const id of state.polls.get(e.pollId)?.rounds.find((r) => r.n === e.n)?.electorate ?? []) me.add(id)
      if ('personId' in e) me.add(e.personId)
      continue
    }
    if ('personId' in e) roster.add(e.personId)
    else if (e.type === 'person.saved') roster.add(e.person.id)
    else if (e.type === 'roster.imported') all = true
    else if (e.type === 'meeting.created' || e.type === 'meeting.configured') all = true
  }
  if (all) for (const id of state.persons.keys()) roster.add(id)
  return all
}

/** Events that only move counts (attendance, a named vote's tally): tablets may see those a second
 * late; their own status reaches them at once through me:updated. */
function countsOnly(events: StoredEvent[]): boolean {
  return events.every(({ event: e }) => e.type.startsWith('attendance.') || e.type.startsWith('credential.') || e.type === 'ballot.castOpen')
}

/** Count-only views to tablets: at most this many frames a second per node (see sendToTablets). */
const TABLET_FRAMES_PER_S = 2500

/** A count-only patch to tablets waits while the node is in a burst of commands (a whole hall
 * casting at once): this many in flight, or this many received within the last 100 ms. 3000 frames
 * of turnout would otherwise sit between the last voters and their acks. It waits at most
 * TABLET_DEFER_MAX_MS past its due time. */
const TABLET_DEFER_IN_FLIGHT = 32
const TABLET_DEFER_RECENT = 100
const TABLET_DEFER_MAX_MS = 3000
const TABLET_DEFER_STEP_MS = 50

/** Sockets per slice when fanning out to tablets: acks and other work run between slices. */
const FANOUT_SLICE = 256

export class Broadcaster {
  private dirty = new Set<string>()
  /** Persons whose own status changed without a roster change (a queue place, a poll). */
  private meDirty = new Set<string>()
  private full = false
  private timer: NodeJS.Timeout | null = null
  private lastFlush = 0
  /** Tablets: when they were last sent a view, whether one is owed, and whether it cannot wait. */
  private lastTabletSend = 0
  private tabletUrgent = false
  private tabletTimer: NodeJS.Timeout | null = null
  /** The latest view owed to the tablets (null: they have the latest). */
  private tabletPending: StateChanged | null = null
  /** The view the tablets were last sent (as JSON parts): what the next patch is against. */
  private tabletBase: ViewParts | null = null
  private fanout: { stopped: boolean } | null = null
  private snapshotCache = new Map<ViewKind, { key: string; view: Snapshot['view'] }>()
  /** Bumped when figures outside the log (turnout) change, so cached views are rebuilt. */
  private generation = 0
  private knownIds = new Set<string>()
  /** Commands this node has received and not yet acked (kept by the gateway). */
  commandsInFlight = 0
  /** Commands received in the current and the previous 100 ms window. */
  private recent = { window: 0, current: 0, previous: 0 }
  /** When the owed count-only tablet view first became due (0: none is waiting for a quiet moment). */
  private tabletDueSince = 0
  /** Counters for the benchmarks. */
  stats = { flushes: 0 }

  constructor(
    private readonly io: IO,
    private readonly engine: Engine,
    private readonly nodeId: string,
    private readonly intervalMs: number,
    private readonly extras: () => ViewExtras = () => ({ turnout: new Map() }),
    /** At most one tablet view per interval for changes of counts only (turnout, check-ins). */
    private readonly tabletIntervalMs = 1000,
  ) {
    for (const id of engine.state.persons.keys()) this.knownIds.add(id)
    engine.on('committed', (events, state) => {
      if (!countsOnly(events)) this.tabletUrgent = true
      if (touched(events, state, this.dirty, this.meDirty)) this.full = true
      personsTouchedBySpeech(events, state, this.meDirty)
      this.schedule()
    })
  }

  /** The gateway received a command; commandDone() follows when it has been answered. */
  commandStarted(): void {
    this.commandsInFlight++
    this.rollWindow(Date.now()).current++
  }

  commandDone(): void {
    this.commandsInFlight--
  }

  /** The 100 ms window counters, moved on to the window `now` falls in. */
  private rollWindow(now: number): { current: number; previous: number } {
    const w = Math.floor(now / 100)
    if (w !== this.recent.window) {
      this.recent.previous = w === this.recent.window + 1 ? this.recent.current : 0
      this.recent.current = 0
      this.recent.window = w
    }
    return this.recent
  }

  /** In a burst of commands: acks before counts. */
  private busy(now: number): boolean {
    const r = this.rollWindow(now)
    return this.commandsInFlight >= TABLET_DEFER_IN_FLIGHT || Math.max(r.current, r.previous) >= TABLET_DEFER_RECENT
  }

  /** Something outside the log changed (turnout): push fresh views. */
  poke(): void {
    this.generation++
    this.schedule()
  }

  private schedule(): void {
    if (this.timer) return
    const wait = Math.max(0, this.lastFlush + this.intervalMs - Date.now())
    this.timer = setTimeout(() => this.flush(), wait)
  }

  /** The view for a role at the current version, built once per version and shared by sockets. */
  snapshot(kind: ViewKind, personId: string | null): Snapshot {
    const s = this.engine.state
    const key = `${s.version}:${this.generation}`
    let cached = this.snapshotCache.get(kind)
    if (!cached || cached.key !== key) {
      cached = { key, view: viewFor(kind, s, undefined, this.extras()) }
      this.snapshotCache.set(kind, cached)
    }
    return {
      kind,
      version: s.version,
      serverTime: this.engine.now(),
      view: cached.view,
      me: personId ? ownStatus(s, personId) : null,
      node: this.nodeId,
    }
  }

  flush(): void {
    this.timer = null
    this.lastFlush = Date.now()
    this.stats.flushes++
    const s = this.engine.state
    const sum = summarize(s)
    const serverTime = this.engine.now()
    const local = this.io.local
    const extras = this.extras()
    const pub = publicView(s, sum, extras)
    // Volatile for the many: a tablet that is not reading skips a view instead of queueing it in
    // server memory; the next view (or its periodic version check) brings it up to date.
    const publicChange = { kind: 'public' as const, version: s.version, serverTime, view: pub }
    local.volatile.to(rooms.view('public')).emit('state:changed', publicChange)
    this.sendToTablets(publicChange)
    const chair = chairView(s, sum, extras)
    local.to(rooms.view('chair')).emit('state:changed', { kind: 'chair', version: s.version, serverTime, view: chair })
    // The desk's view without its roster (patched separately): no need to build 3000 rows here.
    const desk = { ...chair, quorumRules: s.meeting?.quorum ?? null }
    local.to(rooms.view('desk')).emit('state:changed', { kind: 'desk', version: s.version, serverTime, view: desk })

    if (this.dirty.size || this.full) {
      const rows = []
      const removed: string[] = []
      for (const id of this.dirty) {
        const p = s.persons.get(id)
        if (p) {
          rows.push(rosterRow(s, p))
          this.knownIds.add(id)
        }
      }
      if (this.full) {
        for (const id of this.knownIds) if (!s.persons.has(id)) removed.push(id)
        for (const id of removed) this.knownIds.delete(id)
      }
      local.to(rooms.view('desk')).emit('roster:patched', { version: s.version, rows, removed })
      const rooms_ = this.io.of('/').adapter.rooms
      for (const id of this.dirty) {
        // Skip the lookup for persons with no socket on this node (most of them on a big hall).
        if (!rooms_.has(rooms.person(id))) continue
        const me = ownStatus(s, id)
        if (me) local.to(rooms.person(id)).emit('me:updated', me)
      }
    }
    if (this.meDirty.size) {
      const rooms_ = this.io.of('/').adapter.rooms
      for (const id of this.meDirty) {
        if (this.dirty.has(id) || !rooms_.has(rooms.person(id))) continue
        const me = ownStatus(s, id)
        if (me) local.to(rooms.person(id)).emit('me:updated', me)
      }
      this.meDirty.clear()
    }
    this.dirty.clear()
    this.full = false
  }

  /** Tablets get the view now if something other than counts changed, else at most once per
   * interval; in slices of sockets, so that a fan-out to 3000 tablets does not hold up acks. */
  private sendToTablets(change: StateChanged): void {
    this.tabletPending = change
    const now = Date.now()
    const ids = this.io.of('/').adapter.rooms.get(rooms.tablets)
    // On a big node, counts reach tablets less often, so that they cost at most TABLET_FRAMES_PER_S
    // frames a second (5000 tablets: every 2 s); the displays and the chair still get every flush.
    const interval = Math.max(this.tabletIntervalMs, ((ids?.size ?? 0) / TABLET_FRAMES_PER_S) * 1000)
    let wait = this.lastTabletSend + interval - now
    if (!this.tabletUrgent && wait <= 0) {
      // Due, but the node is busy acking a burst: the counts can wait a moment, the voters cannot.
      if (!this.tabletDueSince) this.tabletDueSince = now
      if (this.busy(now) && now - this.tabletDueSince < TABLET_DEFER_MAX_MS) {
        wait = TABLET_DEFER_STEP_MS
      }
    }
    if (!this.tabletUrgent && wait > 0) {
      if (!this.tabletTimer) {
        // The latest view built (every commit and turnout change flushes) goes out when due.
        this.tabletTimer = setTimeout(() => {
          this.tabletTimer = null
          if (this.tabletPending) this.sendToTablets(this.tabletPending)
        }, wait)
      }
      return
    }
    // A fan-out still under way (slices of sockets) is overtaken: the rest of its sockets get this
    // one, as a whole view, since a patch against a view they never got would be of no use.
    const overtaken = this.fanout !== null
    if (this.fanout) this.fanout.stopped = true
    const urgent = this.tabletUrgent || overtaken
    this.tabletDueSince = 0
    this.tabletPending = null
    this.tabletUrgent = false
    this.lastTabletSend = now
    if (!ids || ids.size === 0) {
      this.tabletBase = null
      return
    }
    const view = change.view as PublicView
    const parts = viewParts(view)
    // Counts only: what changed since the view the tablets were last sent; anything else: the view.
    // Either tells the time of sending, not of building (clients keep a clock offset).
    const patch = !urgent && this.tabletBase ? publicPatch(this.tabletBase, view, parts, now) : null
    const full: StateChanged = { ...change, serverTime: now }
    this.tabletBase = parts
    const local = this.io.local.volatile
    const send = (sockets: string[]) => (patch ? local.to(sockets).emit('state:patched', patch) : local.to(sockets).emit('state:changed', full))
    const all = [...ids]
    const fanout = { stopped: false }
    this.fanout = fanout
    let i = 0
    const step = () => {
      if (fanout.stopped) return
      send(all.slice(i, i + FANOUT_SLICE))
      i += FANOUT_SLICE
      if (i < all.length) setImmediate(step)
      else this.fanout = null
    }
    step()
  }

  close(): void {
    if (this.tabletTimer) clearTimeout(this.tabletTimer)
    this.tabletTimer = null
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
