// The page's one socket.io connection. Created (not connected) once a token exists; stores register
// their listeners through onSocket so each is bound exactly once, whenever the socket appears.
import { io, type Socket } from 'socket.io-client'
import type { ClientToServerEvents, HandshakeAuth, ServerToClientEvents } from '@shared/protocol'

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>

type Binder = (s: AppSocket) => void

let socket: AppSocket | null = null
const binders: Binder[] = []

/** Runs bind on the socket now if it exists, else when it is created. */
export function onSocket(bind: Binder): void {
  binders.push(bind)
  if (socket) bind(socket)
}

/** The auth is read on every (re)connect, so a new login or language needs no new socket. */
export function ensureSocket(auth: () => HandshakeAuth): AppSocket {
  if (socket) return socket
  const s: AppSocket = io({
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    autoConnect: false,
    auth: (cb) => cb(auth()),
  })
  socket = s
  for (const b of binders) b(s)
  return s
}

export function currentSocket(): AppSocket | null {
  return socket
}

/** Feeds a message obtained another way (the state:sync ack) to the listeners the stores bound, so
 * it is applied exactly as if the server had pushed it. */
export function deliverLocally<E extends keyof ServerToClientEvents>(
  s: AppSocket,
  event: E,
  ...args: Parameters<ServerToClientEvents[E]>
): void {
  for (const fn of s.listeners(event)) (fn as (...a: unknown[]) => void)(...args)
}
