// The embedded ballot box's file: its own SQLite database, apart from the event log, in
// rollback-journal mode with secure_delete, so no write-ahead log keeps casting order on disk and
// deleted bytes are zeroed. Ballots are keyed by a random id (the table's order is that id's order);
// voter-roll rows are written at their final size when the round opens, so marking a voter rewrites
// the row in place. The casts handed over together share one transaction (one commit, one set of
// fsyncs), and the file is vacuumed when the round closes, which rewrites every page in key order.
//
// Everything here is synchronous (better-sqlite3): it runs on the ballot box's own thread
// (ballot-thread.ts), so that waiting for the disk never holds the server's event loop.
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { randomOrder, type CastOutcome, type ClosedRound } from './ballot-box'

/** Idempotency keys are stored padded to this width, so that marking a voter does not change the
 * row's size. The poll service hands over 32 characters (a hash of the device's key); a longer key
 * is stored whole. Files written with a wider padding still read: keys are compared trimmed. */
const IDEM_WIDTH = 32
const NO_KEY = ' '.repeat(IDEM_WIDTH)

/** Casts handed over together, as columns (cheap to pass between threads): cast i is
 * (roundKeys[i], voters[i], idems[i], ballots[i]). */
export interface CastColumns {
  roundKeys: string[]
  voters: string[]
  idems: string[]
  ballots: string[]
}

export interface BallotFile {
  openRound(roundKey: string, electorate: string[]): void
  /** Stores the casts in one transaction; outcome i belongs to cast i. */
  cast(casts: CastColumns): CastOutcome[]
  closeRound(roundKey: string): ClosedRound
  turnout(roundKey: string): number
  /** Those of the voters who have voted in the round. */
  voted(roundKey: string, voterIds: string[]): string[]
  castKey(roundKey: string, voterId: string): string | null
  ballots(roundKey: string): string[]
  close(): void
}

export function openBallotFile(file: string): BallotFile {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  try {
    db.pragma('journal_mode = DELETE')
    db.pragma('synchronous = FULL')
    db.pragma('secure_delete = ON')
    db.pragma('busy_timeout = 5000')
    db.exec(`
      CREATE TABLE IF NOT EXISTS rounds (
        round_key TEXT PRIMARY KEY,
        state     TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS roll (
        round_key TEXT NOT NULL,
        voter     TEXT NOT NULL,
        voted     INTEGER NOT NULL,
        idem      TEXT NOT NULL,
        PRIMARY KEY (round_key, voter)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ballots (
        round_key TEXT NOT NULL,
        id        TEXT NOT NULL,
        content   TEXT NOT NULL,
        PRIMARY KEY (round_key, id)
      ) WITHOUT ROWID;
    `)
  } catch (err) {
    db.close()
    throw err
  }
  const qState = db.prepare<[string], { state: string }>('SELECT state FROM rounds WHERE round_key = ?')
  const qSetState = db.prepare('INSERT INTO rounds (round_key, state) VALUES (?, ?) ON CONFLICT(round_key) DO UPDATE SET state = excluded.state')
  const qCountBallots = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM ballots WHERE round_key = ?')
  const qClearRoll = db.prepare('DELETE FROM roll WHERE round_key = ?')
  const qAddVoter = db.prepare(`INSERT OR IGNORE INTO roll (round_key, voter, voted, idem) VALUES (?, ?, 0, '${NO_KEY}')`)
  const qVoter = db.prepare<[string, string], { voted: number; idem: string }>('SELECT voted, idem FROM roll WHERE round_key = ? AND voter = ?')
  const qAddBallot = db.prepare('INSERT INTO ballots (round_key, id, content) VALUES (?, ?, ?)')
  const qBallots = db.prepare<[string], { content: string }>('SELECT content FROM ballots WHERE round_key = ? ORDER BY id')
  const qTurnout = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM roll WHERE round_key = ? AND voted = 1')
  const qMarkIfNot = db.prepare('UPDATE roll SET voted = 1, idem = ? WHERE round_key = ? AND voter = ? AND voted = 0')

  const openTx = db.transaction((roundKey: string, electorate: string[]) => {
    const state = qState.get(roundKey)?.state
    if (state === 'closed') return
    if (!(state === 'open' && (qCountBallots.get(roundKey)?.n ?? 0) > 0)) qClearRoll.run(roundKey)
    // Sorted, so that the roll's layout follows voter ids, not the order of check-in.
    for (const v of [...new Set(electorate)].sort()) qAddVoter.run(roundKey, v)
    qSetState.run(roundKey, 'open')
  })

  /** `order`: the casts in the order they are written (random); `ids`: a fresh random id for each
   * position of that order. Outcomes go back by the casts' own index. */
  const castTx = db.transaction((c: CastColumns, order: number[], ids: string[]): CastOutcome[] => {
    const open = new Map<string, boolean>()
    const outcomes = new Array<CastOutcome>(order.length)
    order.forEach((i, k) => {
      const roundKey = c.roundKeys[i]
      let isOpen = open.get(roundKey)
      if (isOpen === undefined) open.set(roundKey, (isOpen = qState.get(roundKey)?.state === 'open'))
      if (!isOpen) {
        outcomes[i] = 'closed'
        return
      }
      // The common case in one statement: an eligible voter who has not voted yet.
      if (qMarkIfNot.run(c.idems[i].padEnd(IDEM_WIDTH, ' '), roundKey, c.voters[i]).changes === 1) {
        qAddBallot.run(roundKey, ids[k], c.ballots[i])
        outcomes[i] = 'accepted'
        return
      }
      const v = qVoter.get(roundKey, c.voters[i])
      outcomes[i] = !v ? 'not-eligible' : v.idem.trimEnd() === c.idems[i] ? 'repeat' : 'already-voted'
    })
    return outcomes
  })

  const closeTx = db.transaction((roundKey: string): ClosedRound => {
    if (qState.get(roundKey)) qSetState.run(roundKey, 'closed')
    return { ballots: qBallots.all(roundKey).map((r) => r.content), voters: qTurnout.get(roundKey)?.n ?? 0 }
  })

  return {
    openRound(roundKey, electorate) {
      openTx.immediate(roundKey, electorate)
    },
    cast(c) {
      const n = c.roundKeys.length
      if (n === 0) return []
      // One draw for the batch: 4 bytes per shuffle step, then 16 per ballot id. Within a
      // transaction, the order ballots are added in is not the order they arrived in.
      const rnd = randomBytes(n * 20)
      const order = randomOrder(n, rnd)
      const ids = order.map((_, k) => rnd.toString('hex', n * 4 + k * 16, n * 4 + k * 16 + 16))
      return castTx.immediate(c, order, ids)
    },
    closeRound(roundKey) {
      const closed = closeTx.immediate(roundKey)
      // Rewrites the file page by page in key order: where a ballot sits no longer says when it came.
      db.exec('VACUUM')
      return closed
    },
    turnout(roundKey) {
      return qTurnout.get(roundKey)?.n ?? 0
    },
    voted(roundKey, voterIds) {
      return voterIds.filter((id) => qVoter.get(roundKey, id)?.voted)
    },
    castKey(roundKey, voterId) {
      const v = qVoter.get(roundKey, voterId)
      return v?.voted ? v.idem.trimEnd() : null
    },
    ballots(roundKey) {
      return qBallots.all(roundKey).map((r) => r.content)
    },
    close() {
      db.close()
    },
  }
}
