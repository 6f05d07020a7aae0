// The socket.io edge: handshake authentication, then one wrapper for every command:
// rate limit -> validate (zod) -> authorize (role) -> decide in the engine -> ack. Nothing a client
// sends can throw past this file.
import type { Socket } from 'socket.io'
import { commands, SERVER_COMMANDS, type EngineCommand } from '../../shared/domain/commands'
import { viewKindFor } from '../../shared/domain/views'
import { ackError, type Lang } from '../../shared/errors'
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../../shared/protocol'
import { describeIssues, fastParsers, handshakeSchema, schemas, type CommandName } from '../../shared/schemas'
import type { Config } from '../config'
import { sha256, type Engine } from '../engine'
import type { Store } from '../store/types'
import { rooms, type Broadcaster, type IO } from './broadcast'
import type { ReceivedNotifier } from './received'
import { TokenBucket } from './rate-limit'
import type { Sessions } from './sessions'
import type { PollService } from '../polls'
import type { SubmitResult } from '../engine'
import type { Actor } from '../../shared/domain/types'

/** Acks a command; a client gone meanwhile has nobody to tell. */
function replyTo(ackFn: ((r: unknown) => void) | null, r: unknown): void {
  try {
    ackFn?.(r)
  } catch {
    // The client went away; nothing to tell.
  }
}

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>

const COMMAND_NAMES = new Set<string>(Object.keys(schemas))

/** Side effects that must follow certain commits, on top of the broadcast. */
type AfterCommit = (name: CommandName, payload: unknown, result: unknown) => void

export function attachGateway(deps: {
  io: IO
  engine: Engine
  store: Store
  config: Config
  broadcaster: Broadcaster
  sessions: Sessions
  polls: PollService
  /** Tells a voter's other devices (on any node) that the ballot was received. */
  received: ReceivedNotifier
}): void {
  const { io, engine, store, config, broadcaster, sessions, polls } = deps

  /** Commands that touch the ballot box as well as the log go through the poll service. */
  const viaPolls: Partial<Record<CommandName, (p: never, actor: Actor) => Promise<SubmitResult>>> = {
    'poll:open': (p: { pollId: string }, a) => polls.open(p.pollId, a),
    'poll:admit': (p: { pollId: string; personId: string }, a) => polls.admit(p.pollId, p.personId, a),
    'poll:close': (p: { pollId: string }, a) => polls.close(p.pollId, a),
    'ballot:cast': (p: { pollId: string; round: number; ballot: unknown; idempotencyKey: string }, a) =>
      polls.cast(p.pollId, p.round, a.personId, p.ballot, p.idempotencyKey),
  }

  /** The snapshot a socket gets, with the rounds this voter has already voted in. */
  async function snapshotFor(socket: AppSocket) {
    const snap = broadcaster.snapshot(socket.data.kind, socket.data.personId)
    if (socket.data.role === 'delegate') snap.votedIn = await polls.votedIn(socket.data.personId)
    return snap
  }

  io.use(async (socket, next) => {
    const parsed = handshakeSchema.safeParse(socket.handshake.auth ?? {})
    const lang: Lang = (socket.handshake.auth as { lang?: string } | undefined)?.lang === 'en' ? 'en' : 'zh'
    const fail = (code: 'UNAUTHENTICATED' | 'SESSION_REPLACED' | 'STORE_UNAVAILABLE') => {
      const err = new Error(code) as Error & { data?: unknown }
      err.data = ackError(code, {}, lang)
      next(err)
    }
    if (!parsed.success) return fail('UNAUTHENTICATED')
    try {
      const tokenHash = sha256(parsed.data.token)
      const found = await store.sessions.lookup(tokenHash)
      if (!found) return fail('UNAUTHENTICATED')
      if (found.replaced) return fail('SESSION_REPLACED')
      const person = engine.state.persons.get(found.personId)
      if (!person) return fail('UNAUTHENTICATED')
      socket.data = { personId: person.id, role: person.role, lang, kind: viewKindFor(person.role) }
      // Displays take the public view at the displays' pace; every other public audience is a tablet.
      const viewRoom = socket.data.kind === 'public' && person.role !== 'display' ? rooms.tablets : rooms.view(socket.data.kind)
      void socket.join([viewRoom, rooms.person(person.id), rooms.token(tokenHash)])
      next()
    } catch {
      fail('STORE_UNAVAILABLE')
    }
  })

  const after: AfterCommit = (name, payload) => {
    if (name === 'credential:revoke') {
      void sessions.endAll((payload as { personId: string }).personId, 'CREDENTIAL_REVOKED')
    }
    // A new card revokes the old one (usually lost): whoever logged in with it must be signed out too.
    if (name === 'credential:issue') {
      for (const id of new Set((payload as { personIds: string[] }).personIds)) void sessions.endAll(id, 'CREDENTIAL_REVOKED')
    }
  }

  io.on('connection', (socket: AppSocket) => {
    // The desk works through queues of scans and roster actions; a tablet has no reason to.
    const factor = socket.data.role === 'secretariat' ? 5 : 1
    const bucket = new TokenBucket(config.rateLimitPerSecond * factor, config.rateLimitBurst * factor)
    snapshotFor(socket).then(
      (snap) => socket.emit('state:snapshot', snap),
      (err) => console.error('[gateway] snapshot failed', (err as Error).message),
    )

    socket.on('system:ping', (...args: unknown[]) => {
      const ack = args.find((a) => typeof a === 'function') as ((r: unknown) => void) | undefined
      if (!bucket.take()) return ack?.(ackError('RATE_LIMITED', {}, socket.data.lang))
      ack?.({ ok: true, data: { serverTime: engine.now(), version: engine.version } })
    })

    socket.onAny((event: string, ...args: unknown[]) => {
      if (COMMAND_NAMES.has(event) || event === 'system:ping') return
      const ack = args.find((a) => typeof a === 'function') as ((r: unknown) => void) | undefined
      ack?.(ackError('UNKNOWN_COMMAND', { command: event.slice(0, 60) }, socket.data.lang))
    })

    for (const name of COMMAND_NAMES as Set<CommandName>) {
      socket.on(name, (async (...args: unknown[]) => {
        const ackFn = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: unknown) => void) : null
        const lang = socket.data.lang
        broadcaster.commandStarted()
        try {
          if (!bucket.take()) return replyTo(ackFn, ackError('RATE_LIMITED', {}, lang))
          const raw = args.length === 0 || args[0] === undefined || args[0] === null ? {} : args[0]
          const fast = fastParsers[name] as ((r: unknown) => unknown) | undefined
          const quick = fast?.(raw)
          const parsed = quick !== undefined ? { success: true as const, data: quick } : schemas[name].safeParse(raw)
          if (!parsed.success) {
            const details = describeIssues(parsed.error)
            return replyTo(ackFn, ackError('INVALID_PAYLOAD', { details: details.join('; ') }, lang, details))
          }
          const actor = { personId: socket.data.personId, role: socket.data.role }
          const roles: readonly string[] = name in SERVER_COMMANDS ? SERVER_COMMANDS[name as keyof typeof SERVER_COMMANDS] : commands[name as EngineCommand].roles
          if (!roles.includes(actor.role)) return replyTo(ackFn, ackError('FORBIDDEN', {}, lang))
          if (name === 'state:sync') return replyTo(ackFn, { ok: true, data: await snapshotFor(socket) })
          const special = viaPolls[name]
          if (special) {
            const res = await special(parsed.data as never, actor)
            if (!res.ok) return replyTo(ackFn, ackError(res.error, res.params ?? {}, lang, res.details))
            if (name === 'ballot:cast') {
              const { pollId, round } = res.result as { pollId: string; round: number }
              // The voter's other devices learn the ballot was received (this one has the ack); nobody
              // else does.
              deps.received.notify(socket, { personId: actor.personId, pollId, round })
            }
            return replyTo(ackFn, { ok: true, data: res.result })
          }
          const spec = commands[name as EngineCommand] as (typeof commands)[EngineCommand]
          const res = await engine.submit(
            (state, ctx) => (spec.decide as (s: typeof state, p: unknown, a: typeof actor, c: typeof ctx) => ReturnType<typeof spec.decide>)(
              state,
              parsed.data,
              actor,
              ctx,
            ),
            actor,
          )
          if (!res.ok) return replyTo(ackFn, ackError(res.error, res.params ?? {}, lang, res.details))
          after(name, parsed.data, res.result)
          replyTo(ackFn, { ok: true, data: res.result })
        } catch (err) {
          // The stack only: an error object can carry the command's arguments (a ballot, say).
          console.error(`[gateway] ${name} failed: ${(err as Error)?.stack ?? String(err)}`)
          replyTo(ackFn, ackError('INTERNAL', {}, lang))
        } finally {
          broadcaster.commandDone()
        }
      }) as never)
    }
  })
}
