// The node's copy of the meeting: replays the log at start, decides commands in batches (one durable
// append per batch: group commit), and follows appends made by other nodes. Acks resolve only after
// the batch is durable; on a conflict with another node the batch is decided again on the new state.
import { hash, randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { CODE_ALPHABET, CODE_LENGTH } from '../shared/credentials'
import { isRefusal, type DecideContext, type Decision, type Refusal } from '../shared/domain/commands'
import { evolve, type DomainEvent, type StoredEvent } from '../shared/domain/events'
import { cloneState, emptyState, freezeState, type Actor, type MeetingState } from '../shared/domain/types'
import { ConflictError, StoreUnavailableError, type EventLog } from './store/types'
import { sortByStrokes } from './strokes'

export function sha256(s: string): string {
  return hash('sha256', s, 'hex')
}

/** The chain: each event's hash covers the previous hash and the event's own content. */
export function eventHash(prev: string, seq: number, at: number, actor: string | null, event: DomainEvent): string {
  return sha256(`${prev}\n${JSON.stringify([seq, at, actor, event])}`)
}

export function hashCode(code: string): string {
  return sha256(`login-code:${code}`)
}

export function newCode(): string {
  // 16 symbols of 32 = 80 bits; rejection-free since 256 is a multiple of 32.
  const bytes = randomBytes(CODE_LENGTH)
  let s = ''
  for (const b of bytes) s += CODE_ALPHABET[b % 32]
  return s
}

export function decideContext(now = Date.now()): DecideContext {
  return { now, hashCode, newCode, sortByStrokes }
}

export type Decider = (s: MeetingState, ctx: DecideContext) => Decision

export type SubmitResult = { ok: true; result: unknown; seq: number } | (Refusal & { ok: false })

interface Pending {
  decider: Decider
  actor: string | null
  resolve: (r: SubmitResult) => void
}

export class ChainError extends Error {}

export interface EngineEvents {
  committed: [events: StoredEvent[], state: MeetingState]
}

export class Engine extends EventEmitter<EngineEvents> {
  state: MeetingState = emptyState()
  private queue: Pending[] = []
  private flushing = false
  private lock: Promise<unknown> = Promise.resolve()
  private stopWatch: (() => void) | null = null
  private started = false
  /** The hall's clock (server/clock.ts): event times, deadlines, serverTime. */
  now: () => number = () => Date.now()
  /** Counters for /healthz and the benchmarks. */
  stats = { batches: 0, conflicts: 0, appended: 0 }

  constructor(private readonly log: EventLog, private readonly maxRetries = 100) {
    super()
  }

  async start(): Promise<void> {
    await this.catchUp()
    this.stopWatch = this.log.watch(this.state.version, (events) => {
      this.serial(() => this.ingest(events)).catch((err) => console.error('[engine] ingest failed', (err as Error).message))
    })
    this.started = true
  }

  stop(): void {
    this.stopWatch?.()
    this.stopWatch = null
  }

  get version(): number {
    return this.state.version
  }

  /** Queues a command; resolves after its events are durable (or it was refused). */
  submit(decider: Decider, actor: Actor | null): Promise<SubmitResult> {
    if (!this.started) throw new Error('engine not started')
    return new Promise((resolve) => {
      this.queue.push({ decider, actor: actor?.personId ?? null, resolve })
      if (!this.flushing) {
        this.flushing = true
        // Let the commands that arrived in the same tick join this batch.
        setImmediate(() => void this.serial(() => this.flush()))
      }
    })
  }

  /** Runs fn after every earlier flush or ingest: the state changes in one place at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn)
    this.lock = p.catch(() => {})
    return p
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, 500)
        try {
          await this.commitBatch(batch)
        } catch (err) {
          // commitBatch resolves every command itself; this is a bug guard so no ack hangs.
          console.error(`[engine] batch failed: ${(err as Error)?.stack ?? String(err)}`)
          for (const p of batch) p.resolve({ ok: false, error: 'INTERNAL' })
        }
      }
    } finally {
      this.flushing = false
    }
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const base = this.state
      const draft = cloneState(base)
      const now = this.now()
      const ctx = decideContext(now)
      const results: Array<SubmitResult | null> = []
      const events: StoredEvent[] = []
      for (const p of batch) {
        let d: Decision
        try {
          d = p.decider(draft, ctx)
        } catch (err) {
          console.error(`[engine] decide failed: ${(err as Error)?.stack ?? String(err)}`)
          results.push({ ok: false, error: 'INTERNAL' })
          continue
        }
        if (isRefusal(d)) {
          results.push({ ok: false, ...d })
          continue
        }
        for (const ev of d.events) {
          const seq = draft.version + 1
          const hash = eventHash(draft.head, seq, now, p.actor, ev)
          const stored: StoredEvent = { seq, at: now, actor: p.actor, event: ev, prev: draft.head, hash }
          evolve(draft, stored)
          events.push(stored)
        }
        results.push({ ok: true, result: d.result, seq: draft.version })
      }
      try {
        await this.log.append(base.version, events)
      } catch (err) {
        if (err instanceof ConflictError && attempt < this.maxRetries) {
          this.stats.conflicts++
          try {
            // The store handed back what we missed: fold it in; otherwise (or if the watcher got
            // there first, or it is not all of it) read the log.
            const fresh = err.missing.filter((e) => e.seq > this.state.version)
            if (fresh.length && fresh[0].seq === this.state.version + 1 && fresh[fresh.length - 1].seq >= err.head) this.apply(fresh)
            else await this.catchUp()
            continue
          } catch (e) {
            err = e
          }
        }
        const unavailable = err instanceof StoreUnavailableError || err instanceof ConflictError
        if (!unavailable) console.error(`[engine] append failed: ${(err as Error)?.stack ?? String(err)}`)
        for (const p of batch) p.resolve({ ok: false, error: unavailable ? 'STORE_UNAVAILABLE' : 'INTERNAL' })
        return
      }
      this.stats.batches++
      this.stats.appended += events.length
      this.state = freezeState(draft)
      if (events.length) this.emit('committed', events, draft)
      batch.forEach((p, i) => p.resolve(results[i]!))
      return
    }
  }

  /** Reads whatever the log has beyond our version and folds it in. */
  private async catchUp(): Promise<void> {
    for (;;) {
      const events = await this.log.read(this.state.version, 5000)
      if (events.length === 0) return
      this.apply(events)
    }
  }

  private async ingest(events: StoredEvent[]): Promise<void> {
    const fresh = events.filter((e) => e.seq > this.state.version)
    if (fresh.length === 0) return
    if (fresh[0].seq !== this.state.version + 1) {
      // A gap (we missed a notification): read the log instead.
      try {
        await this.catchUp()
      } catch (err) {
        console.error('[engine] catch-up failed', (err as Error).message)
      }
      return
    }
    this.apply(fresh)
  }

  private apply(events: StoredEvent[]): void {
    const draft = cloneState(this.state)
    for (const e of events) {
      if (e.seq !== draft.version + 1) throw new ChainError(`expected seq ${draft.version + 1}, got ${e.seq}`)
      if (e.prev !== draft.head || eventHash(e.prev, e.seq, e.at, e.actor, e.event) !== e.hash)
        throw new ChainError(`event ${e.seq} breaks the hash chain`)
      evolve(draft, e)
    }
    this.state = freezeState(draft)
    this.emit('committed', events, draft)
  }
}
