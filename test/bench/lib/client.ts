// Bench clients: HTTP login, a socket.io-client connection (websocket only, no reconnection, so a
// drop is counted rather than hidden) that counts the bytes it receives, and commands with acks.
import { performance } from 'node:perf_hooks'
import { io as ioc, type Socket } from 'socket.io-client'
import type { Ack } from '../../../shared/errors'
import type { LoginResult, Snapshot } from '../../../shared/protocol'

export async function login(url: string, code: string, timeoutMs = 30_000): Promise<LoginResult> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await res.json()) as Ack<LoginResult>
  if (!body.ok) throw new Error(`login refused: ${body.code}`)
  return body.data
}

export interface BenchClient {
  socket: Socket
  url: string
  personId: string
  /** Payload bytes of every websocket frame received (engine.io framing included, TCP/ws headers not). */
  bytes: number
  frames: number
  /** Server-pushed events received, by name. */
  events: Map<string, number>
  snapshot: Snapshot | null
  disconnected: string | null
  close(): void
}

export interface ConnectOptions {
  timeoutMs?: number
  /** Pushed events this client counts and drops unparsed (frames still read and counted in full).
   * A hall of tablets on one load generator would otherwise spend its CPU on JSON.parse of the same
   * broadcast 3000 times and delay every ack it measures behind that; a real tablet parses its own. */
  skip?: string[]
}

/** Connects with a token and resolves once the first state:snapshot arrived. */
export function connect(url: string, token: string, personId: string, opts: ConnectOptions = {}): Promise<BenchClient> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  // engine.io message (4) carrying a socket.io EVENT (2) on the main namespace: 42["name",...]
  const skip = (opts.skip ?? []).map((e) => [e, `42${JSON.stringify([e]).slice(0, -1)},`] as const)
  const socket = ioc(url, {
    auth: { token, lang: 'zh' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
  })
  const client: BenchClient = {
    socket,
    url,
    personId,
    bytes: 0,
    frames: 0,
    events: new Map(),
    snapshot: null,
    disconnected: null,
    close: () => socket.disconnect(),
  }
  // engine.io-client's websocket transport hands every frame to transport.onData (looked up at call
  // time): wrapping it on the instance counts raw frames, before any parsing.
  const transport = (socket.io as unknown as { engine: { transport: { onData(d: unknown): void } } }).engine.transport
  const onData = transport.onData.bind(transport)
  transport.onData = (d: unknown) => {
    client.frames++
    if (typeof d === 'string') {
      client.bytes += Buffer.byteLength(d)
      for (const [event, prefix] of skip) {
        if (d.startsWith(prefix)) {
          client.events.set(event, (client.events.get(event) ?? 0) + 1)
          return
        }
      }
    } else client.bytes += (d as ArrayBuffer).byteLength ?? 0
    onData(d)
  }
  socket.onAny((event: string) => {
    client.events.set(event, (client.events.get(event) ?? 0) + 1)
  })
  socket.on('disconnect', (reason) => {
    client.disconnected = reason
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect()
      reject(new Error('no snapshot in time'))
    }, timeoutMs)
    socket.once('state:snapshot', (s: Snapshot) => {
      clearTimeout(timer)
      client.snapshot = s
      resolve(client)
    })
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
      clearTimeout(timer)
      socket.disconnect()
      reject(new Error(`connect_error: ${err.data?.code ?? err.message}`))
    })
  })
}

export interface Timed<T> {
  ack: Ack<T> | null
  /** Round trip in ms (emit to ack), or null when it timed out. */
  ms: number | null
  error: string | null
  /** performance.now() when the ack arrived. */
  at: number
  /** Date.now() at emit and at the ack: with a serverTime in the ack (same machine, same clock) they
   * split the round trip into the way up (server busy) and the way down (loadgen busy). */
  sentWall: number
  ackWall: number
}

/** Sends a command and resolves with its ack and the round trip; never rejects. */
export function command<T = unknown>(socket: Socket, event: string, payload: unknown, timeoutMs = 10_000): Promise<Timed<T>> {
  const t0 = performance.now()
  const sentWall = Date.now()
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: Ack<T>) => {
      const at = performance.now()
      const ackWall = Date.now()
      if (err) return resolve({ ack: null, ms: null, error: 'TIMEOUT', at, sentWall, ackWall })
      resolve({ ack, ms: at - t0, error: ack.ok ? null : ack.code, at, sentWall, ackWall })
    })
  })
}

/** command() for setup steps: throws on refusal. */
export async function must<T = unknown>(socket: Socket, event: string, payload: unknown, timeoutMs = 60_000): Promise<T> {
  const r = await command<T>(socket, event, payload, timeoutMs)
  if (!r.ack) throw new Error(`${event}: no ack in ${timeoutMs} ms`)
  if (!r.ack.ok) throw new Error(`${event} refused: ${r.ack.code} ${r.ack.message ?? ''}`)
  return r.ack.data
}
