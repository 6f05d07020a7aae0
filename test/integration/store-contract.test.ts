// One contract for both store adapters (SQLite on a temp file, Redis under a random prefix): the
// hash-chained log, optimistic appends, watching another writer, login sessions and the ballot box.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DomainEvent, StoredEvent } from '../../shared/domain/events'
import { eventHash } from '../../server/engine'
import Database from 'better-sqlite3'
import { openSqliteBallotBox } from '../../server/store/ballot-box-sqlite'
import { ConflictError, StoreUnavailableError, type Store } from '../../server/store/types'
import { storeHandle, STORE_KINDS, type StoreHandle } from '../helpers/server'

const AT = 1_700_000_000_000

/** `n` events chained onto (head seq, head hash). */
function chain(after: { seq: number; hash: string }, n: number, tag = 'x'): StoredEvent[] {
  const out: StoredEvent[] = []
  let prev = after.hash
  for (let i = 1; i <= n; i++) {
    const seq = after.seq + i
    const event: DomainEvent = { type: 'attendance.checkedIn', personId: `${tag}${seq}`, via: 'desk' }
    const hash = eventHash(prev, seq, AT + seq, 'sec1', event)
    out.push({ seq, at: AT + seq, actor: 'sec1', event, prev, hash })
    prev = hash
  }
  return out
}

const GENESIS = { seq: 0, hash: '' }
const tip = (events: StoredEvent[]) => ({ seq: events[events.length - 1].seq, hash: events[events.length - 1].hash })

describe.each(STORE_KINDS)('store contract on %s', (kind) => {
  let handle: StoreHandle
  const opened: Store[] = []
  const open = async () => {
    const s = await handle.open()
    opened.push(s)
    return s
  }

  beforeEach(() => {
    handle = storeHandle(kind)
  })
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => {})
    await handle.cleanup()
  })

  it('is empty at first and healthy', async () => {
    const s = await open()
    expect(s.kind).toBe(kind)
    expect(await s.log.head()).toBe(0)
    expect(await s.log.read(0)).toEqual([])
    expect(await s.health()).toMatchObject({ ok: true, kind })
  })

  it('reads back what was appended, in order, from any point and in pages', async () => {
    const s = await open()
    const first = chain(GENESIS, 3)
    await s.log.append(0, first)
    const second = chain(tip(first), 4)
    await s.log.append(3, second)
    const all = [...first, ...second]
    expect(await s.log.head()).toBe(7)
    expect(await s.log.read(0)).toEqual(all)
    expect(await s.log.read(3)).toEqual(second)
    expect(await s.log.read(2, 3)).toEqual(all.slice(2, 5))
    expect(await s.log.read(7)).toEqual([])
    // The events survive the round trip exactly, so the hash chain still verifies.
    const back = await s.log.read(0)
    for (const e of back) expect(eventHash(e.prev, e.seq, e.at, e.actor, e.event)).toBe(e.hash)
  })

  it('an empty append writes nothing and does not fail', async () => {
    const s = await open()
    await s.log.append(0, [])
    expect(await s.log.head()).toBe(0)
  })

  it('refuses an append on a stale head with ConflictError carrying the real head and the missed events, and writes nothing', async () => {
    const s = await open()
    const first = chain(GENESIS, 2)
    await s.log.append(0, first)
    const stale = chain(GENESIS, 3, 'stale')
    const err = await s.log.append(0, stale).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConflictError)
    expect((err as ConflictError).head).toBe(2)
    // What the writer missed comes with the refusal, so it can catch up without reading.
    expect((err as ConflictError).missing).toEqual(first)
    const behindByOne = await s.log.append(1, chain(first[0], 1, 'late')).catch((e: unknown) => e)
    expect((behindByOne as ConflictError).missing).toEqual([first[1]])
    // Ahead of the head is a conflict too.
    const ahead = await s.log.append(5, chain({ seq: 5, hash: 'h' }, 1)).catch((e: unknown) => e)
    expect(ahead).toBeInstanceOf(ConflictError)
    expect((ahead as ConflictError).head).toBe(2)
    expect((ahead as ConflictError).missing).toEqual([])
    expect(await s.log.head()).toBe(2)
    expect(await s.log.read(0)).toEqual(first)
  })

  it('of two writers racing on the same head exactly one wins, and the log holds only its events', async () => {
    const a = await open()
    const b = await open()
    const base = chain(GENESIS, 1)
    await a.log.append(0, base)
    const fromA = chain(tip(base), 2, 'a')
    const fromB = chain(tip(base), 2, 'b')
    const results = await Promise.allSettled([a.log.append(1, fromA), b.log.append(1, fromB)])
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect(lost[0].reason).toBeInstanceOf(ConflictError)
    expect((lost[0].reason as ConflictError).head).toBe(3)
    const winner = results[0].status === 'fulfilled' ? fromA : fromB
    expect(await a.log.read(0)).toEqual([...base, ...winner])
    expect(await b.log.read(0)).toEqual([...base, ...winner])
  })

  it('watch delivers, in order, the events another store instance appends after the given seq', async () => {
    const writer = await open()
    const reader = await open()
    const before = chain(GENESIS, 2)
    await writer.log.append(0, before)
    const seen: StoredEvent[] = []
    const stop = reader.log.watch(2, (events) => seen.push(...events))
    try {
      const one = chain(tip(before), 1)
      await writer.log.append(2, one)
      await vi.waitFor(() => expect(seen.map((e) => e.seq)).toContain(3), { timeout: 5000 })
      const two = chain(tip(one), 3)
      await writer.log.append(3, two)
      await vi.waitFor(() => expect(Math.max(...seen.map((e) => e.seq))).toBe(6), { timeout: 5000 })
      // Repeats are allowed by the contract; gaps, disorder and old events are not.
      const expected = [...one, ...two]
      const firsts = seen.filter((e, i) => seen.findIndex((f) => f.seq === e.seq) === i)
      expect(firsts).toEqual(expected)
      for (const e of seen) expect(e).toEqual(expected.find((x) => x.seq === e.seq))
    } finally {
      stop()
    }
  })

  it('a stopped watch delivers nothing more', async () => {
    const writer = await open()
    const reader = await open()
    const stoppedSeen: number[] = []
    const liveSeen: number[] = []
    const stopped = reader.log.watch(0, (events) => stoppedSeen.push(...events.map((e) => e.seq)))
    const live = reader.log.watch(0, (events) => liveSeen.push(...events.map((e) => e.seq)))
    try {
      const first = chain(GENESIS, 1)
      await writer.log.append(0, first)
      await vi.waitFor(() => expect(stoppedSeen).toContain(1), { timeout: 5000 })
      stopped()
      await writer.log.append(1, chain(tip(first), 1))
      await vi.waitFor(() => expect(liveSeen).toContain(2), { timeout: 5000 })
      expect(stoppedSeen).not.toContain(2)
    } finally {
      live()
    }
  })

  describe('sessions', () => {
    it('start, lookup, a later login replaces the earlier one and names it, and each person has their own', async () => {
      const s = await open()
      expect(await s.sessions.lookup('t-none')).toBeNull()
      expect(await s.sessions.start('d0001', 't1')).toBeNull()
      expect(await s.sessions.lookup('t1')).toEqual({ personId: 'd0001', replaced: false })
      expect(await s.sessions.start('d0002', 'u1')).toBeNull()
      // The replaced token is returned, so that exactly its sockets can be closed.
      expect(await s.sessions.start('d0001', 't2')).toBe('t1')
      expect(await s.sessions.lookup('t1')).toEqual({ personId: 'd0001', replaced: true })
      expect(await s.sessions.lookup('t2')).toEqual({ personId: 'd0001', replaced: false })
      // Another person's login does not touch d0001's.
      expect(await s.sessions.lookup('u1')).toEqual({ personId: 'd0002', replaced: false })
      expect(await s.sessions.start('d0001', 't3')).toBe('t2')
      expect(await s.sessions.lookup('t2')).toEqual({ personId: 'd0001', replaced: true })
      expect(await s.sessions.lookup('t3')).toEqual({ personId: 'd0001', replaced: false })
    })

    it('end closes one session, and the person can log in again afterwards', async () => {
      const s = await open()
      await s.sessions.start('d0001', 't1')
      await s.sessions.end('t1')
      expect(await s.sessions.lookup('t1')).toBeNull()
      await s.sessions.end('t1')
      await s.sessions.end('never-existed')
      // Nothing live to replace after a logout.
      expect(await s.sessions.start('d0001', 't2')).toBeNull()
      expect(await s.sessions.lookup('t2')).toEqual({ personId: 'd0001', replaced: false })
      // Ending a replaced session leaves the live one alone.
      await s.sessions.start('d0001', 't3')
      await s.sessions.end('t2')
      expect(await s.sessions.lookup('t2')).toBeNull()
      expect(await s.sessions.lookup('t3')).toEqual({ personId: 'd0001', replaced: false })
    })

    it('endAll leaves the person no session that authenticates, and spares everyone else', async () => {
      const s = await open()
      await s.sessions.start('d0001', 't1')
      await s.sessions.start('d0001', 't2')
      await s.sessions.start('d0002', 'u1')
      await s.sessions.endAll('d0001')
      expect(await s.sessions.lookup('t2')).toBeNull()
      // The replaced one was already dead; it must not come back to life.
      const old = await s.sessions.lookup('t1')
      expect(old === null || old.replaced).toBe(true)
      expect(await s.sessions.lookup('u1')).toEqual({ personId: 'd0002', replaced: false })
      await s.sessions.endAll('nobody')
      expect(await s.sessions.start('d0001', 't4')).toBeNull()
      expect(await s.sessions.lookup('t4')).toEqual({ personId: 'd0001', replaced: false })
    })

    it('a session started on one instance is seen by another on the same data', async () => {
      const a = await open()
      const b = await open()
      await a.sessions.start('d0001', 't1')
      expect(await b.sessions.lookup('t1')).toEqual({ personId: 'd0001', replaced: false })
      expect(await b.sessions.start('d0001', 't2')).toBe('t1')
      expect(await a.sessions.lookup('t1')).toEqual({ personId: 'd0001', replaced: true })
    })
  })

  it('closing and reopening keeps the log and the sessions (durability across a restart)', async () => {
    const s = await open()
    const events = chain(GENESIS, 5)
    await s.log.append(0, events)
    await s.sessions.start('d0001', 't1')
    await s.sessions.start('d0001', 't2')
    await s.close()
    opened.splice(opened.indexOf(s), 1)

    const again = await open()
    expect(await again.log.head()).toBe(5)
    expect(await again.log.read(0)).toEqual(events)
    expect(await again.sessions.lookup('t1')).toEqual({ personId: 'd0001', replaced: true })
    expect(await again.sessions.lookup('t2')).toEqual({ personId: 'd0001', replaced: false })
    // And it carries on from the head it had.
    await again.log.append(5, chain(tip(events), 1))
    expect(await again.log.head()).toBe(6)
    const stale = await again.log.append(5, chain(tip(events), 1)).catch((e: unknown) => e)
    expect(stale).toBeInstanceOf(ConflictError)
  })

  // The ballot box port (BallotBox): the SQLite one answers from a thread of its own, the Redis one
  // from a Lua script; both must give the same outcomes.
  describe('ballot box', () => {
    const voters = Array.from({ length: 40 }, (_, i) => `v${String(i).padStart(3, '0')}`)
    const ballot = (i: number) => JSON.stringify({ marks: { c1: i % 2 ? 'for' : 'against' }, n: i })

    it('takes one ballot per voter on the roll, says what became of each cast, and counts turnout only', async () => {
      const { ballots: box } = await open()
      await box.openRound('p1:1', voters)
      // All at once, as a hall does: they are stored together (in a shuffled order), and each cast
      // gets its own outcome back, the stranger's included.
      const casting = voters.slice(0, 30).map((v, i) => box.cast('p1:1', v, `key-${v}-0001`, ballot(i)))
      casting.splice(7, 0, box.cast('p1:1', 'stranger', 'key-stranger-1', ballot(7)))
      const outcomes = await Promise.all(casting)
      expect(outcomes).toEqual([...Array(7).fill('accepted'), 'not-eligible', ...Array(23).fill('accepted')])
      expect(await box.turnout('p1:1')).toBe(30)
      // A retry with the same key is the same ballot; another key from the same voter is a second one.
      expect(await box.cast('p1:1', voters[0], `key-${voters[0]}-0001`, ballot(0))).toBe('repeat')
      expect(await box.cast('p1:1', voters[0], `key-${voters[0]}-0002`, ballot(99))).toBe('already-voted')
      expect(await box.cast('p1:1', 'nobody', 'key-nobody-01', ballot(1))).toBe('not-eligible')
      expect(await box.turnout('p1:1')).toBe(30)
      expect(await box.castKey('p1:1', voters[0])).toBe(`key-${voters[0]}-0001`)
      expect(await box.castKey('p1:1', voters[35])).toBeNull()
      expect(await box.voted('p1:1', [voters[0], voters[35], 'nobody'])).toEqual(new Set([voters[0]]))
      // Rounds are apart: the same voter votes in another round.
      await box.openRound('p2:1', voters)
      expect(await box.cast('p2:1', voters[0], `key-${voters[0]}-0003`, ballot(5))).toBe('accepted')
      expect(await box.turnout('p1:1')).toBe(30)
    })

    it('a burst larger than a batch, sent in one tick: every cast gets its own outcome, every ballot is kept once', async () => {
      const { ballots: box } = await open()
      const hall = Array.from({ length: 1300 }, (_, i) => `h${String(i).padStart(5, '0')}`)
      await box.openRound('p9:1', hall)
      // In one tick, as a hall's tablets arrive in one turn of the event loop: more than a batch
      // holds, with strangers, retries and second keys spread through it.
      const sent: Array<{ voter: string; key: string; content: string; want: string }> = []
      hall.forEach((v, i) => {
        sent.push({ voter: v, key: `key-${v}-a`, content: `F${i}`, want: 'accepted' })
        if (i % 97 === 5) sent.push({ voter: `x${i}`, key: `key-x${i}`, content: `S${i}`, want: 'not-eligible' })
        if (i % 89 === 7) sent.push({ voter: v, key: `key-${v}-a`, content: `F${i}`, want: 'repeat' })
        if (i % 83 === 9) sent.push({ voter: v, key: `key-${v}-b`, content: `G${i}`, want: 'already-voted' })
      })
      const outcomes = await Promise.all(sent.map((c) => box.cast('p9:1', c.voter, c.key, c.content)))
      // Two casts of one voter in the same batch are stored in a shuffled order: which of the two is
      // the accepted one is not fixed, so each voter's outcomes are compared as a set.
      const byVoter = (list: string[]) => {
        const m = new Map<string, string[]>()
        sent.forEach((c, i) => m.set(c.voter, [...(m.get(c.voter) ?? []), list[i]].sort()))
        return m
      }
      expect(byVoter(outcomes)).toEqual(byVoter(sent.map((c) => c.want)))
      expect(await box.turnout('p9:1')).toBe(hall.length)
      const closed = await box.closeRound('p9:1')
      expect(closed.voters).toBe(hall.length)
      // One ballot per voter: the accepted cast's (F… unless a second key won the race, G…).
      expect(closed.ballots).toHaveLength(hall.length)
      const kept = new Set(closed.ballots)
      hall.forEach((_, i) => expect(kept.has(`F${i}`) !== kept.has(`G${i}`), `voter ${i}`).toBe(true))
    })

    it('two casts of one voter in the same batch: one ballot, the other told apart by its key', async () => {
      const { ballots: box } = await open()
      await box.openRound('p1:1', voters)
      const same = await Promise.all([box.cast('p1:1', voters[1], 'key-same-0001', ballot(1)), box.cast('p1:1', voters[1], 'key-same-0001', ballot(1))])
      expect(same.sort()).toEqual(['accepted', 'repeat'])
      const other = await Promise.all([box.cast('p1:1', voters[2], 'key-first-001', ballot(2)), box.cast('p1:1', voters[2], 'key-second-01', ballot(3))])
      expect(other.sort()).toEqual(['accepted', 'already-voted'])
      const closed = await box.closeRound('p1:1')
      expect(closed.voters).toBe(2)
      expect(closed.ballots).toHaveLength(2)
    })

    it('closing gives back every ballot once and refuses casts afterwards; reopening a closed round does not reopen it', async () => {
      const { ballots: box } = await open()
      await box.openRound('p1:1', voters)
      await Promise.all(voters.slice(0, 10).map((v, i) => box.cast('p1:1', v, `key-${v}-0001`, ballot(i))))
      const closed = await box.closeRound('p1:1')
      expect(closed.voters).toBe(10)
      expect([...closed.ballots].sort()).toEqual(voters.slice(0, 10).map((_, i) => ballot(i)).sort())
      expect(await box.cast('p1:1', voters[20], `key-${voters[20]}-01`, ballot(20))).toBe('closed')
      await box.openRound('p1:1', voters)
      expect(await box.cast('p1:1', voters[21], `key-${voters[21]}-01`, ballot(21))).toBe('closed')
      expect(await box.closeRound('p1:1')).toEqual(closed)
      expect([...(await box.ballots('p1:1'))].sort()).toEqual([...closed.ballots].sort())
    })

    it('a voter admitted late joins the roll of the open round, and the ballots already in stay', async () => {
      const { ballots: box } = await open()
      await box.openRound('p1:1', voters.slice(0, 5))
      expect(await box.cast('p1:1', voters[0], `key-${voters[0]}-01`, ballot(0))).toBe('accepted')
      expect(await box.cast('p1:1', voters[6], `key-${voters[6]}-01`, ballot(6))).toBe('not-eligible')
      await box.openRound('p1:1', [...voters.slice(0, 5), voters[6]])
      expect(await box.cast('p1:1', voters[6], `key-${voters[6]}-02`, ballot(6))).toBe('accepted')
      expect(await box.turnout('p1:1')).toBe(2)
    })

    it('an acked ballot is there after the store is closed and opened again', async () => {
      const s = await open()
      await s.ballots.openRound('p1:1', voters)
      await Promise.all(voters.slice(0, 25).map((v, i) => s.ballots.cast('p1:1', v, `key-${v}-0001`, ballot(i))))
      await s.close()
      opened.splice(opened.indexOf(s), 1)
      const again = await open()
      expect(await again.ballots.turnout('p1:1')).toBe(25)
      expect(await again.ballots.cast('p1:1', voters[3], `key-${voters[3]}-0001`, ballot(3))).toBe('repeat')
      expect((await again.ballots.closeRound('p1:1')).ballots).toHaveLength(25)
    })
  })
})

describe('the SQLite ballot box thread', () => {
  const dirs: string[] = []
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ballot-box-'))
    dirs.push(d)
    return d
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
  })

  it('a file that cannot be opened stops the opening at once, with the reason', () => {
    const dir = tmp()
    fs.mkdirSync(path.join(dir, 'ballots.db'))
    expect(() => openSqliteBallotBox(path.join(dir, 'ballots.db'))).toThrow()
  })

  it('close() finishes what was handed over, then refuses with STORE_UNAVAILABLE rather than hanging', async () => {
    const file = path.join(tmp(), 'ballots.db')
    const box = openSqliteBallotBox(file)
    const voters = Array.from({ length: 600 }, (_, i) => `v${i}`)
    await box.openRound('p1:1', voters)
    const casts = voters.map((v) => box.cast('p1:1', v, `key-${v}-0001`, '{"marks":{}}'))
    // The first batch is on the thread by now; the rest wait in the queue.
    await new Promise((r) => setImmediate(r))
    await box.close()
    const settled = await Promise.allSettled(casts)
    const accepted = settled.filter((s) => s.status === 'fulfilled' && s.value === 'accepted').length
    const refused = settled.filter((s) => s.status === 'rejected')
    expect(accepted + refused.length).toBe(600)
    expect(accepted).toBeGreaterThan(0)
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError)
    await expect(box.turnout('p1:1')).rejects.toBeInstanceOf(StoreUnavailableError)
    // What was acked is on disk.
    const again = openSqliteBallotBox(file)
    expect(await again.turnout('p1:1')).toBe(accepted)
    await again.close()
  })

  it('a round opened by an earlier version (keys padded wider) still tells a retry from a second device', async () => {
    const file = path.join(tmp(), 'ballots.db')
    const box = openSqliteBallotBox(file)
    await box.openRound('p1:1', ['v1', 'v2'])
    expect(await box.cast('p1:1', 'v1', 'a'.repeat(32), 'FFA')).toBe('accepted')
    await box.close()
    // The earlier version padded every key to 64 characters.
    const db = new Database(file)
    db.prepare("UPDATE roll SET idem = substr(idem || ?, 1, 64) WHERE round_key = 'p1:1'").run(' '.repeat(64))
    expect(db.prepare("SELECT length(idem) AS n FROM roll WHERE voter = 'v1'").get()).toEqual({ n: 64 })
    db.close()
    const again = openSqliteBallotBox(file)
    expect(await again.cast('p1:1', 'v1', 'a'.repeat(32), 'FFA')).toBe('repeat')
    expect(await again.cast('p1:1', 'v1', 'b'.repeat(32), 'AAF')).toBe('already-voted')
    expect(await again.castKey('p1:1', 'v1')).toBe('a'.repeat(32))
    expect(await again.cast('p1:1', 'v2', 'c'.repeat(32), 'AAF')).toBe('accepted')
    expect(await again.turnout('p1:1')).toBe(2)
    await again.close()
  })
})
