// "Your ballot was received", to the voter's other devices (the casting one has its ack). On this
// node: straight to the person's other sockets, and only if there are any (usually there are none).
// To other nodes: one Redis message per 20 ms carrying every voter of that moment, instead of one
// adapter broadcast per ballot that every node would have to read; a node that holds none of those
// voters' sockets does nothing with it. Who voted is not secret (the roll); no choice is carried.
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Socket } from 'socket.io'
import { rooms, type IO } from './broadcast'

export interface Received {
  personId: string
  pollId: string
  round: number
}

const REMOTE_BATCH_MS = 20

export interface ReceivedNotifier {
  notify(socket: Socket, r: Received): void
  close(): void
}

/** `remote`: a publishing connection and one to subscribe with (multi-node), or null. */
export async function receivedNotifier(io: IO, remote: { pub: Redis; sub: Redis; channel: string } | null): Promise<ReceivedNotifier> {
  const from = randomBytes(8).toString('hex')
  const emitLocal = (r: Received, except?: string) => {
    const room = io.of('/').adapter.rooms.get(rooms.person(r.personId))
    if (!room || (except !== undefined && room.size === 1 && room.has(except))) return
    const to = io.local.to(rooms.person(r.personId))
    ;(except !== undefined ? to.except(except) : to).emit('ballot:received', { pollId: r.pollId, round: r.round })
  }
  let pending: Received[] = []
  let timer: NodeJS.Timeout | null = null
  if (remote) {
    remote.sub.on('message', (channel: string, message: string) => {
      if (channel !== remote.channel) return
      try {
        const m = JSON.parse(message) as { from: string; list: Received[] }
        // This node's own voters were told when their casts were acked.
        if (m.from !== from) for (const r of m.list) emitLocal(r)
      } catch {
        // Garbled: nothing to tell anyone.
      }
    })
    await remote.sub.subscribe(remote.channel)
  }
  return {
    notify(socket, r) {
      emitLocal(r, socket.id)
      if (!remote) return
      pending.push(r)
      timer ??= setTimeout(() => {
        timer = null
        const list = pending
        pending = []
        remote.pub.publish(remote.channel, JSON.stringify({ from, list })).catch((err: Error) => {
          console.error('[gateway] could not tell the other nodes about received ballots:', err.message)
        })
      }, REMOTE_BATCH_MS)
    },
    close() {
      if (timer) clearTimeout(timer)
      timer = null
      remote?.sub.disconnect()
    },
  }
}
