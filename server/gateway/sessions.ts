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
  private readonly timers = new Set<NodeJS.Timeout>()
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
    try {
      await this.store.sessions.start(person.id, tokenHash)
    } catch {
      return ackError('STORE_UNAVAILABLE', {}, lang)
    }
    this.kick(person.id, 'SESSION_REPLACED', tokenHash)
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
    this.kick(personId, reason, null)
  }

  /** Tells the person's other devices why, then disconnects them (not the new session's socket). */
  private kick(personId: string, code: SessionEnded['code'], keepTokenHash: string | null): void {
    const messages = ackError(code).messages
    const ended: SessionEnded = { code, message: messages.zh, messages }
    const target = keepTokenHash
      ? this.io.to(rooms.person(personId)).except(rooms.token(keepTokenHash))
      : this.io.to(rooms.person(personId))
    try {
      target.emit('session:ended', ended)
    } catch (err) {
      console.error('[sessions] could not notify the old session', (err as Error).message)
    }
    // Give the message a moment to reach the device before the connection closes.
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      const t = keepTokenHash
        ? this.io.in(rooms.person(personId)).except(rooms.token(keepTokenHash))
        : this.io.in(rooms.person(personId))
      Promise.resolve()
        .then(() => t.disconnectSockets(true))
        .catch((err) => console.error('[sessions] could not disconnect the old session', (err as Error).message))
    }, 300)
    timer.unref()
    this.timers.add(timer)
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }
}
