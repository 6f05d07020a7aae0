// The ports the server persists through. Two adapters implement them: SQLite (embedded, one node)
// and Redis (several nodes); test/integration/store-contract.test.ts holds both to one contract.
import type { StoredEvent } from '../../shared/domain/events'
import type { BallotBox } from './ballot-box'

/** At most this many missing events travel with a ConflictError; a writer further behind reads. */
export const CONFLICT_MISSING_MAX = 1000

/** The log's head moved since the caller last read it: catch up and decide again. */
export class ConflictError extends Error {
  /** `head`: the log's real head. `missing`: the events after the expected head that the writer had
   * not seen (up to CONFLICT_MISSING_MAX of them), read in the same atomic step, so the writer can
   * catch up without another round trip; empty when the writer expected a head beyond the log's. */
  constructor(
    public readonly head: number,
    public readonly missing: StoredEvent[] = [],
  ) {
    super(`log head is ${head}`)
    this.name = 'ConflictError'
  }
}

/** The store cannot take writes right now (Redis down, disk full); nothing was written. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}

/** The append-only, hash-chained meeting log. */
export interface EventLog {
  /** Events with seq > after, in order, at most `limit`. */
  read(after: number, limit?: number): Promise<StoredEvent[]>
  /** Appends the batch (seqs expected+1…) only if the head is still `expected`; resolves once the
   * batch is durable. Throws ConflictError when another writer got there first. */
  append(expected: number, events: StoredEvent[]): Promise<void>
  /** The seq of the last event. */
  head(): Promise<number>
  /** Delivers events appended by any writer after `after`, in order, possibly with repeats. */
  watch(after: number, onEvents: (events: StoredEvent[]) => void): () => void
}

export interface SessionLookup {
  personId: string
  /** A later login of the same person replaced this session. */
  replaced: boolean
}

/** Login sessions: one live token per person; a new login replaces the old one. */
export interface SessionStore {
  /** Makes tokenHash the person's only live session; the previous one becomes `replaced` and its
   * token hash is returned, so that exactly its sockets can be told and closed. */
  start(personId: string, tokenHash: string): Promise<string | null>
  lookup(tokenHash: string): Promise<SessionLookup | null>
  /** Ends one session (logout). */
  end(tokenHash: string): Promise<void>
  /** Ends every session of a person (card revoked). */
  endAll(personId: string): Promise<void>
}

export interface StoreHealth {
  ok: boolean
  kind: 'sqlite' | 'redis'
  /** Whether an ack really means the write is on disk (fsync per write). */
  durable: boolean
  detail?: string
}

export interface Store {
  readonly kind: 'sqlite' | 'redis'
  log: EventLog
  sessions: SessionStore
  ballots: BallotBox
  health(): Promise<StoreHealth>
  close(): Promise<void>
}
