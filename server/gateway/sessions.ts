// Logins: a card's code buys a session token; one live session per person, so a second login ends
// the first one, on whichever node its socket lives (through the socket.io adapter).
import { randomBytes } from 'node:crypto'
import { normalizeCode } from '../../shared/credentials'
import { ackError, type Ack, type Lang } from '../../shared/errors'
import type { LoginResult, SessionEnded } from '../../shared/protocol'
import { hashCode, sha256, type Engine } from '../engine'
import type { Store } from '../store/types'
import { rooms, type IO } from './broadcast'

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly io: IO,
  ) {}

  async login(code: string, lang: Lang): Promise<Ack<LoginResult>> {
    const norm = normalizeCode(code)
    const personId = norm ? this.engine.state.credentials.get(hashCode(norm)) : undefined
    const person = personId ? this.engine.state.persons.get(personId) : undefined
    if (!person) return ackError('INVALID_CODE', {}, lang)
    const token = randomBytes(24).toString('base64url')
    const tokenHash = sha256(token)
    let previous: string | null
    try {
      previous = await this.store.sessions.start(person.id, tokenHash)
    } catch {
      return ackError('STORE_UNAVAILABLE', {}, lang)
    }
    if (previous) this.kick(rooms.token(previous), 'SESSION_REPLACED')
    return { ok: true, data: { token, personId: person.id, name: person.name, role: person.role } }
  }

  async resolve(token: string): Promise<{ personId: string; replaced: boolean } | null> {
    return this.store.sessions.lookup(sha256(token))
  }

  async logout(token: string): Promise<void> {
    await this.store.sessions.end(sha256(token))
  }

  async endAll(personId: string, reason: SessionEnded['code']): Promise<void> {
    try {
      await this.store.sessions.endAll(personId)
    } catch (err) {
      console.error('[sessions] could not end sessions', (err as Error).message)
    }
    this.kick(rooms.person(personId), reason)
  }

  /** Tells the sockets of a room why they are being closed, then closes them. The message is
   * queued before the close, and engine.io drains its write buffer before closing. */
  private kick(room: string, code: SessionEnded['code']): void {
    const messages = ackError(code).messages
    const ended: SessionEnded = { code, message: messages.zh, messages }
    try {
      this.io.to(room).emit('session:ended', ended)
      Promise.resolve(this.io.in(room).disconnectSockets(true)).catch((err) =>
        console.error('[sessions] could not disconnect the old session', (err as Error).message),
      )
    } catch (err) {
      console.error('[sessions] could not end the old session', (err as Error).message)
    }
  }

}
