// The embedded store: one SQLite file (WAL, synchronous=FULL, so a committed transaction survives a
// crash of the process or the machine). One server node owns it; tools like the credentials script
// may write to it too, and the node notices through PRAGMA data_version.
import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import type { StoredEvent } from '../../shared/domain/events'
import { openSqliteBallotBox } from './ballot-box-sqlite'
import { CONFLICT_MISSING_MAX, ConflictError, StoreUnavailableError, type EventLog, type SessionStore, type Store, type StoreHealth } from './types'

interface EventRow {
  seq: number
  at: number
  actor: string | null
  data: string
  prev: string
  hash: string
}

function rowToEvent(r: EventRow): StoredEvent {
  return { seq: r.seq, at: r.at, actor: r.actor, event: JSON.parse(r.data), prev: r.prev, hash: r.hash }
}

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for tests that need no durability. */
  file: string
  /** How often to look for writes by other processes (ms). */
  pollMs?: number
}

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(opts.file), { recursive: true })
  const db = new Database(opts.file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      seq   INTEGER PRIMARY KEY,
      at    INTEGER NOT NULL,
      actor TEXT,
      type  TEXT NOT NULL,
      data  TEXT NOT NULL,
      prev  TEXT NOT NULL,
      hash  TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS sessions (
      token_hash TEXT PRIMARY KEY,
      person_id  TEXT NOT NULL,
      replaced   INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS sessions_person ON sessions(person_id);
  `)

  const qHead = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events')
  const qRead = db.prepare<[number, number], EventRow>(
    'SELECT seq, at, actor, data, prev, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
  )
  const qInsert = db.prepare(
    'INSERT INTO events (seq, at, actor, type, data, prev, hash) VALUES (@seq, @at, @actor, @type, @data, @prev, @hash)',
  )
  const appendTx = db.transaction((expected: number, events: StoredEvent[]) => {
    const head = qHead.get()?.seq ?? 0
    if (head !== expected) throw new ConflictError(head, expected < head ? qRead.all(expected, CONFLICT_MISSING_MAX).map(rowToEvent) : [])
    for (const e of events) {
      qInsert.run({ seq: e.seq, at: e.at, actor: e.actor, type: e.event.type, data: JSON.stringify(e.event), prev: e.prev, hash: e.hash })
    }
  })

  const sReplace = db.prepare('UPDATE sessions SET replaced = 1 WHERE person_id = ? AND replaced = 0')
  const sInsert = db.prepare('INSERT OR REPLACE INTO sessions (token_hash, person_id, replaced) VALUES (?, ?, 0)')
  const sGet = db.prepare<[string], { person_id: string; replaced: number }>(
    'SELECT person_id, replaced FROM sessions WHERE token_hash = ?',
  )
  const sEnd = db.prepare('DELETE FROM sessions WHERE token_hash = ?')
  const sEndAll = db.prepare('DELETE FROM sessions WHERE person_id = ?')
  const sLive = db.prepare<[string], { token_hash: string }>('SELECT token_hash FROM sessions WHERE person_id = ? AND replaced = 0')
  const startTx = db.transaction((personId: string, tokenHash: string): string | null => {
    const previous = sLive.get(personId)?.token_hash ?? null
    sReplace.run(personId)
    sInsert.run(tokenHash, personId)
    return previous
  })

  function guard<T>(fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      if (err instanceof ConflictError) throw err
      // Disk full, read-only file, locked by another process: nothing was committed.
      throw new StoreUnavailableError(`sqlite: ${(err as Error).message}`, { cause: err })
    }
  }

  const watchers = new Set<() => void>()
  let closed = false

  const log: EventLog = {
    async read(after, limit = 10_000) {
      return guard(() => qRead.all(after, limit).map(rowToEvent))
    },
    async append(expected, events) {
      if (events.length === 0) return
      guard(() => appendTx.immediate(expected, events))
    },
    async head() {
      return guard(() => qHead.get()?.seq ?? 0)
    },
    watch(after, onEvents) {
      let last = after
      const qDataVersion = db.prepare('PRAGMA data_version').pluck()
      let version = qDataVersion.get() as number
      const timer = setInterval(() => {
        if (closed) return
        try {
          // data_version changes only when another connection committed: cheap to poll.
          const v = qDataVersion.get() as number
          if (v === version) return
          version = v
          const events = qRead.all(last, 10_000).map(rowToEvent)
          if (events.length) {
            last = events[events.length - 1].seq
            onEvents(events)
          }
        } catch {
          // A transient lock by another writer: the next tick tries again.
        }
      }, opts.pollMs ?? 200)
      timer.unref()
      const stop = () => {
        clearInterval(timer)
        watchers.delete(stop)
      }
      watchers.add(stop)
      return stop
    },
  }

  const sessions: SessionStore = {
    async start(personId, tokenHash) {
      return guard(() => startTx.immediate(personId, tokenHash))
    },
    async lookup(tokenHash) {
      const r = guard(() => sGet.get(tokenHash))
      return r ? { personId: r.person_id, replaced: r.replaced === 1 } : null
    },
    async end(tokenHash) {
      guard(() => sEnd.run(tokenHash))
    },
    async endAll(personId) {
      guard(() => sEndAll.run(personId))
    },
  }

  // Ballots live in a file of their own, journaled differently (see ballot-box-sqlite.ts).
  const ballots = openSqliteBallotBox(opts.file === ':memory:' ? ':memory:' : path.join(path.dirname(opts.file), 'ballots.db'))

  return {
    kind: 'sqlite',
    log,
    sessions,
    ballots,
    async health(): Promise<StoreHealth> {
      try {
        qHead.get()
        return { ok: true, kind: 'sqlite', durable: opts.file !== ':memory:' }
      } catch (err) {
        return { ok: false, kind: 'sqlite', durable: false, detail: (err as Error).message }
      }
    },
    async close() {
      closed = true
      for (const stop of [...watchers]) stop()
      await ballots.close()
      db.close()
    },
  }
}
