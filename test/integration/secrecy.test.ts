// Secrecy of a secret ballot, as DOMAIN.md ("Secrecy") puts it: nobody — not the chair, not the
// secretariat, not an administrator holding the whole database or the logs — may learn how a named
// delegate voted, not from the data, not from the order ballots are stored in, not from times.
// One round of 1500 distinguishable ballots (every ballot has its own mark pattern) is cast by 1500
// distinct delegates, 300 of them from real tablet sockets, in an order this test records; then the
// stores, the files on disk, the server's output, the event log and the hall display are searched.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Redis } from 'ioredis'
import { parseRoster } from '../../server/roster/csv'
import { seedDemoIfEmpty } from '../../server/seed'
import { ballotKeys } from '../../server/store/ballot-box-redis'
import { commands, decideRosterImport } from '../../shared/domain/commands'
import { compactElectionBallot, type ElectionCount } from '../../shared/domain/elections'
import type { StoredEvent } from '../../shared/domain/events'
import type { PollView } from '../../shared/domain/poll-views'
import type { PublicView } from '../../shared/protocol'
import {
  aofFiles,
  aofRewriteDone,
  aofSettled,
  canonical,
  CANDIDATE_NAMES,
  distinctBallots,
  dumpRedisPrefix,
  idemKey,
  importRoster,
  MARK_WORDS_RE,
  offsetsOf,
  orderCorrelation,
  readSqliteEverything,
  respGroups,
  rosterCsv,
  rowText,
  shuffle,
  sidecars,
  tally,
  timeLike,
  VOTER_ID_RE,
  type ElectionBallot,
  type RedisEntry,
  type SqliteTable,
  validBallot,
} from '../helpers/ballots'
import { startRedis, type RedisProcess } from '../helpers/processes'
import { captureOutput, expectNoVoterBesideBallot, redisRows, walk, type Capture } from '../helpers/secrecy'
import { checkInDirect, connectAt, send, startServer, storeHandle, STORE_KINDS, type Client, type StoreHandle, type TestServer } from '../helpers/server'

const ROSTER = 1600
const VOTERS = 1500
const VIA_SOCKET = 300
const SEATS = 3
const HALF = 760
/** Casts sent together; waves follow one another, so casting order is real time order. */
const WAVE = 20
/** |rho| bound: with n = 1500 an unrelated order has sd 1/sqrt(n-1) = 0.026, so 0.1 is 3.9 sd. */
const RHO = 0.1

const hasVoterId = (s: string) => new RegExp(VOTER_ID_RE.source).test(s)
/** The stored forms of the round being tested: the box holds each ballot as one letter per
 * candidate in list order (F/A/B, - unmarked; see compactElectionBallot). Filled as the ballots
 * are cast. */
let storedForms = new Set<string>()
let storedLength = 0
/** Whether a text holds one of this round's ballots in stored form (runs may overlap, so every
 * position is tried). */
function hasStoredBallot(s: string): boolean {
  if (storedLength === 0) return false
  for (const m of s.matchAll(new RegExp(`(?=([FAB-]{${storedLength}}))`, 'g'))) if (storedForms.has(m[1])) return true
  return false
}
/** Ballot content: the ballot's JSON shape as sent (`{"marks":{…},"writeIns":[…]}`), or its stored form. */
const hasBallot = (s: string) => s.includes('"marks"') || hasStoredBallot(s)

interface SqliteSnapshot {
  congress: SqliteTable[]
  ballots: SqliteTable[]
  ballotsBytes: Buffer
  congressBytes: Buffer
  ballotsSidecars: string[]
}

function sqliteSnapshot(dir: string): SqliteSnapshot {
  const congressFile = path.join(dir, 'congress.db')
  const ballotsFile = path.join(dir, 'ballots.db')
  return {
    congress: readSqliteEverything(congressFile),
    ballots: readSqliteEverything(ballotsFile),
    ballotsBytes: fs.readFileSync(ballotsFile),
    congressBytes: Buffer.concat([congressFile, `${congressFile}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f))),
    ballotsSidecars: sidecars(ballotsFile).map((f) => path.basename(f)),
  }
}

interface RedisSnapshot {
  keys: RedisEntry[]
  aof: Array<{ name: string; bytes: Buffer }>
}

/** MULTI…EXEC groups (or single commands) of the AOF increments that name a voter and carry a ballot. */
function aofPairings(files: Array<{ name: string; bytes: Buffer }>): number {
  let n = 0
  for (const f of files) {
    if (!f.name.endsWith('.aof')) continue
    for (const g of respGroups(f.bytes)) {
      const text = g.map((c) => c.join(' ')).join('\n')
      if (hasVoterId(text) && hasBallot(text)) n++
    }
  }
  return n
}

describe.each(STORE_KINDS)('a secret round of %i ballots on %s'.replace('%i', String(VOTERS)), (kind) => {
  let redis: RedisProcess | null = null
  let handle: StoreHandle
  let server: TestServer
  const sockets: Client[] = []
  const t0 = Date.now() - 60_000
  let pollId = ''
  let candidateIds: string[] = []
  /** Stored ballot content (compact form) by cast position: the casting order. */
  const castOrder: string[] = []
  /** The same ballots as canonical JSON (what is counted, exported and digested). */
  const castCanonical: string[] = []
  let cast: ElectionBallot[] = []
  let voters: string[] = []
  let capture: Capture | null = null
  const display: Array<{ event: string; payload: unknown; afterClose: boolean }> = []
  let closedAck = false
  const chairSaw: Array<{ event: string; payload: unknown }> = []
  const tabletSaw: Array<{ event: string; payload: unknown }> = []
  let mid: { sqlite?: SqliteSnapshot; redis?: RedisSnapshot } = {}
  let end: { sqlite?: SqliteSnapshot; redis?: RedisSnapshot } = {}
  let events: StoredEvent[] = []
  const timings: Record<string, number> = {}
  const measured: Record<string, number> = {}

  const displayTurnout = (n: number) =>
    vi.waitFor(
      () => {
        const last = [...display].reverse().find((d) => d.event === 'state:changed')
        const p = (last?.payload as { view: PublicView } | undefined)?.view.polls.find((x) => x.id === pollId)
        expect(p?.round).toMatchObject({ status: 'open', turnout: n, issued: ROSTER })
      },
      { timeout: 5000, interval: 20 },
    )

  beforeAll(async () => {
    const tStart = Date.now()
    if (kind === 'redis') redis = await startRedis({ aof: true })
    handle = storeHandle(kind, redis?.url)
    server = await startServer(handle)
    const app = server.app
    const codes = (await seedDemoIfEmpty(app.engine))!
    const codeOf = (role: string) => codes.find((c) => c.role === role)!.code
    const desk = await connectAt(server.url, codeOf('secretariat'))
    const chair = await connectAt(server.url, codeOf('chair'))
    const disp = await connectAt(server.url, codeOf('display'))
    sockets.push(desk.socket, chair.socket, disp.socket)
    display.push({ event: 'state:snapshot', payload: disp.snapshot, afterClose: false })
    disp.socket.onAny((event: string, payload: unknown) => display.push({ event, payload, afterClose: closedAck }))
    chair.socket.onAny((event: string, payload: unknown) => chairSaw.push({ event, payload }))

    // The roster of this congress: 1600 delegates, imported as the desk imports a file.
    const roster = rosterCsv(ROSTER)
    await importRoster(server.url, desk.login.token, roster.csv, 'replace')
    expect([...app.engine.state.persons.values()].filter((p) => p.role === 'delegate')).toHaveLength(ROSTER)
    await checkInDirect(app, roster.ids)

    const created = await send<{ pollId: string; spec: { candidates: Array<{ id: string }> } }>(chair.socket, 'poll:create', {
      title: '选举县委委员',
      spec: { kind: 'election', seats: SEATS, electionKind: 'committee', candidates: CANDIDATE_NAMES.map((name) => ({ name })) },
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    pollId = created.data.pollId
    candidateIds = created.data.spec.candidates.map((c) => c.id)

    // Who votes, in which order, with which ballot; 300 of them on their own tablets.
    voters = shuffle([...roster.ids]).slice(0, VOTERS)
    cast = distinctBallots(VOTERS, candidateIds)
    storedForms = new Set()
    storedLength = candidateIds.length
    const tabletVoters = new Set(shuffle([...voters]).slice(0, VIA_SOCKET))
    const issued = await send<{ issued: Array<{ personId: string; code: string }> }>(desk.socket, 'credential:issue', { personIds: [...tabletVoters] })
    if (!issued.ok) throw new Error(JSON.stringify(issued))
    const tablets = new Map<string, Client>()
    // Tablets log in in an order of their own, unrelated to the order they vote in.
    const logins = shuffle([...issued.data.issued])
    for (let i = 0; i < logins.length; i += 50) {
      const batch = await Promise.all(logins.slice(i, i + 50).map((c) => connectAt(server.url, c.code)))
      batch.forEach((b, k) => {
        tablets.set(logins[i + k].personId, b.socket)
        sockets.push(b.socket)
      })
    }
    // One tablet's pushes are kept as well: a delegate sees what the hall sees, and its own status.
    const watched = tablets.get([...tabletVoters][VIA_SOCKET - 1])!
    watched.onAny((event: string, payload: unknown) => tabletSaw.push({ event, payload }))
    timings.setupMs = Date.now() - tStart

    capture = captureOutput()
    const opened = await send<{ issued: number }>(chair.socket, 'poll:open', { pollId })
    expect(opened).toMatchObject({ ok: true, data: { issued: ROSTER } })

    const tCast = Date.now()
    for (let w = 0; w < VOTERS; w += WAVE) {
      const acks = await Promise.all(
        voters.slice(w, w + WAVE).map((voter, k) => {
          const ballot = cast[w + k]
          castOrder.push(compactElectionBallot(ballot, candidateIds))
          castCanonical.push(canonical(ballot))
          storedForms.add(castOrder[castOrder.length - 1])
          const t = tablets.get(voter)
          if (t) return send(t, 'ballot:cast', { pollId, round: 1, ballot, idempotencyKey: idemKey() })
          return app.polls.cast(pollId, 1, voter, ballot, idemKey())
        }),
      )
      const bad = acks.find((a) => !a.ok)
      if (bad) throw new Error(`a ballot was refused: ${JSON.stringify(bad)}`)
      // Halfway, the hall display shows the turnout so far.
      if (w + WAVE === HALF) await displayTurnout(HALF)
    }
    timings.castMs = Date.now() - tCast

    // Refused casts take the error paths, which must not print what they refused either.
    const some = [...tabletVoters].slice(0, 30)
    const refused = await Promise.all([
      ...some.slice(0, 20).map((v) =>
        send(tablets.get(v)!, 'ballot:cast', { pollId, round: 1, ballot: cast[0], idempotencyKey: idemKey() }),
      ),
      ...some.slice(20, 30).map((v) =>
        send(tablets.get(v)!, 'ballot:cast', {
          pollId,
          round: 1,
          ballot: { marks: { ...cast[1].marks, c99: 'for' }, writeIns: [] },
          idempotencyKey: idemKey(),
        }),
      ),
    ])
    expect(refused.slice(0, 20).every((a) => !a.ok && a.code === 'ALREADY_VOTED')).toBe(true)
    expect(refused.slice(20).every((a) => !a.ok && a.code === 'INVALID_BALLOT')).toBe(true)

    // The display catches up with the whole turnout while the round is still open.
    await displayTurnout(VOTERS)

    // What an administrator copying the data while the round is open would hold.
    if (kind === 'sqlite') mid.sqlite = sqliteSnapshot(handle.config.dataDir!)
    else mid.redis = { keys: await dumpRedisPrefix(redis!.url, handle.config.redisPrefix!), aof: aofFiles(redis!.dir) }

    const tClose = Date.now()
    const closed = await send(chair.socket, 'poll:close', { pollId })
    expect(closed.ok).toBe(true)
    closedAck = true
    timings.closeMs = Date.now() - tClose
    if (redis) {
      await aofRewriteDone(redis.url)
      await aofSettled(redis.dir)
    }
    // Let a last broadcast reach the display, then stop recording the output.
    await new Promise((r) => setTimeout(r, 300))
    capture.stop()

    if (kind === 'sqlite') end.sqlite = sqliteSnapshot(handle.config.dataDir!)
    else end.redis = { keys: await dumpRedisPrefix(redis!.url, handle.config.redisPrefix!), aof: aofFiles(redis!.dir) }
    events = await app.store.log.read(0, 1_000_000)
    timings.totalMs = Date.now() - tStart
  }, 120_000)

  afterAll(async () => {
    capture?.stop()
    for (const s of sockets) s.disconnect()
    await server?.close().catch(() => {})
    await handle?.cleanup().catch(() => {})
    await redis?.stop()
    console.info(`[secrecy ${kind}] timings ${JSON.stringify(timings)} rho ${JSON.stringify(measured)}`)
  })

  it('counts every ballot once, and counts it right', () => {
    const closedEv = events.find((e) => e.event.type === 'poll.closed')!.event as Extract<StoredEvent['event'], { type: 'poll.closed' }>
    expect(closedEv.returned).toBe(VOTERS)
    const count = closedEv.count as ElectionCount
    const valid = cast.filter((b) => validBallot(b, SEATS)).length
    expect(count).toMatchObject({ returned: VOTERS, issued: ROSTER, valid, invalid: VOTERS - valid })
    const want = tally(cast, SEATS)
    for (const id of candidateIds) {
      const row = count.results.find((r) => r.id === id)!
      expect({ id, for: row.for, against: row.against, abstain: row.abstain }).toEqual({ id, ...want[id] })
    }
    const digest = createHash('sha256').update([...castCanonical].sort().join('\n')).digest('hex')
    expect(closedEv.ballotsDigest).toBe(digest)
  })

  it('the event log holds no ballot, no per-voter cast, and the close holds only the count and the digest', () => {
    for (const e of events) {
      const text = JSON.stringify(e)
      expect(hasBallot(text), `event #${e.seq} ${e.event.type} carries ballot content`).toBe(false)
      expect(e.event.type.startsWith('ballot.'), `event #${e.seq} is a ${e.event.type}`).toBe(false)
    }
    // Casting wrote nothing to the log: the close follows the opening directly.
    const opened = events.findIndex((e) => e.event.type === 'poll.opened')
    expect(events.slice(opened + 1).map((e) => e.event.type)).toEqual(['poll.closed'])
    const closedEv = events[opened + 1].event
    expect(Object.keys(closedEv).sort()).toEqual(['ballotsDigest', 'count', 'n', 'nextRound', 'pollId', 'returned', 'type'])
    const countText = JSON.stringify((closedEv as { count: unknown }).count)
    expect(hasVoterId(countText)).toBe(false)
    for (const c of castCanonical.slice(0, 50)) expect(countText).not.toContain(c)
    expect(hasStoredBallot(countText)).toBe(false)
  })

  it('the server prints nothing that ties a voter to a mark, and no ballot content at all', () => {
    const lines = capture!.lines
    measured['output lines during the round'] = lines.length
    const leaks = lines.filter((l) => (hasVoterId(l) && MARK_WORDS_RE.test(l)) || hasBallot(l) || /"(for|against|abstain)"/.test(l))
    expect(leaks.slice(0, 5)).toEqual([])
  })

  it('the hall display sees turnout while the round is open, never a partial result', () => {
    const seen = display.filter((d) => d.event === 'state:snapshot' || d.event === 'state:changed')
    expect(display.map((d) => d.event)).not.toContain('ballot:received')
    const turnouts: number[] = []
    for (const d of display) {
      const text = JSON.stringify(d.payload)
      expect(hasBallot(text)).toBe(false)
      walk(d.payload, (k, v, p) => {
        if (['for', 'against', 'abstain', 'results', 'tally', 'live', 'count', 'elected'].includes(k))
          throw new Error(`the display received ${p} = ${JSON.stringify(v)?.slice(0, 80)} (${d.event})`)
      })
    }
    for (const d of seen) {
      const p = (d.payload as { view: PublicView }).view.polls.find((x) => x.id === pollId) as PollView | undefined
      if (!p) continue
      expect(p.result, `${d.event} shows a result`).toBeNull()
      if (p.round?.status === 'open') turnouts.push(p.round.turnout)
    }
    // The display followed the turnout as it grew, up to the whole of it.
    expect(turnouts).toContain(HALF)
    expect(Math.max(...turnouts)).toBe(VOTERS)
    expect(turnouts.every((t, i) => i === 0 || t >= turnouts[i - 1])).toBe(true)
  })

  it('the chair console and the tablets see no partial result while the round is open either', () => {
    let chairOpen = 0
    let chairCount = 0
    for (const d of chairSaw) {
      const view = (d.payload as { view?: PublicView })?.view
      const p = view?.polls?.find((x) => x.id === pollId) as PollView | undefined
      if (!p?.round) continue
      if (p.round.status === 'open') {
        chairOpen++
        expect(p.result, `the chair saw a result while the round was open (${d.event})`).toBeNull()
        walk(p, (k, v, path) => {
          if (['for', 'against', 'abstain', 'results', 'tally', 'live', 'count'].includes(k))
            throw new Error(`the chair saw ${path} = ${JSON.stringify(v)?.slice(0, 80)} while the round was open`)
        })
      } else if (p.result) chairCount++
    }
    expect(chairOpen).toBeGreaterThan(0)
    // Once the round is closed the chair does see the count: the search above would have found it.
    expect(chairCount).toBeGreaterThan(0)
    expect(tabletSaw.map((d) => d.event)).toContain('state:changed')
    for (const d of tabletSaw) {
      expect(hasBallot(JSON.stringify(d.payload))).toBe(false)
      walk(d.payload, (k, v, path) => {
        if (['for', 'against', 'abstain', 'results', 'tally', 'live', 'count'].includes(k))
          throw new Error(`a tablet received ${path} = ${JSON.stringify(v)?.slice(0, 80)} (${d.event})`)
      })
    }
  })

  describe.runIf(kind === 'sqlite')('the SQLite files', () => {
    const snapshots = () => [
      ['while open', mid.sqlite!],
      ['after close', end.sqlite!],
    ] as const

    it('no row of congress.db or ballots.db holds a voter id together with a ballot; the log holds no ballot at all', () => {
      expectNoVoterBesideBallot(snapshots(), hasVoterId, hasBallot)
    })

    it('ballot rows hold no voter id and no time; the roll holds no time and no ballot', () => {
      for (const [when, s] of snapshots()) {
        const ballots = s.ballots.find((t) => t.name === 'ballots')!
        expect(ballots.rows, when).toHaveLength(VOTERS)
        for (const c of ballots.columns) expect(c).not.toMatch(/voter|person|time|date|_at$|^at$|seq|order/i)
        for (const row of ballots.rows) {
          for (const v of Object.values(row)) {
            expect(hasVoterId(String(v)), `${when}: ballot row holds a voter id`).toBe(false)
            expect(timeLike(v, t0, Date.now() + 60_000), `${when}: ballot row holds a time-like ${String(v)}`).toBe(false)
          }
        }
        expect(new Set(ballots.rows.map((r) => String(r.content)))).toEqual(new Set(castOrder))
        // The search the other checks rely on finds a stored ballot where there is one.
        expect(hasBallot(rowText(ballots.rows[0]))).toBe(true)
        const roll = s.ballots.find((t) => t.name === 'roll')!
        for (const c of roll.columns) expect(c, `${when}: roll column ${c}`).not.toMatch(/time|date|_at$|^at$|seq|order|ballot|content/i)
        for (const row of roll.rows) {
          for (const v of Object.values(row)) expect(timeLike(v, t0, Date.now() + 60_000), `${when}: roll value ${String(v)}`).toBe(false)
          expect(hasBallot(rowText(row))).toBe(false)
        }
        expect(roll.rows.filter((r) => r.voted === 1)).toHaveLength(VOTERS)
      }
    })

    it('the ballots table, read in its natural order, is not in casting order', () => {
      for (const [when, s] of snapshots()) {
        const natural = s.ballots.find((t) => t.name === 'ballots')!.rows.map((r) => String(r.content))
        const { rho, found } = orderCorrelation(castOrder, natural)
        measured[`natural ${when}`] = rho
        expect(found).toBe(VOTERS)
        expect(Math.abs(rho), `${when}: rho = ${rho}`).toBeLessThan(RHO)
      }
      // The voter roll is in voter-id order, which is not the casting order either.
      const roll = end.sqlite!.ballots.find((t) => t.name === 'roll')!.rows.filter((r) => r.voted === 1).map((r) => String(r.voter))
      const castIndex = new Map(voters.map((v, i) => [v, i]))
      const rhoRoll = orderCorrelation(voters, roll).rho
      measured['roll after close'] = rhoRoll
      expect(castIndex.size).toBe(VOTERS)
      expect(Math.abs(rhoRoll)).toBeLessThan(RHO)
    })

    it('after the close each ballot sits once in ballots.db, at a place unrelated to when it was cast', () => {
      const bytes = end.sqlite!.ballotsBytes
      const positions = castOrder.map((c) => offsetsOf(bytes, c))
      expect(positions.filter((p) => p.length !== 1).length, 'ballots stored other than exactly once').toBe(0)
      const physical = castOrder.map((c, i) => [positions[i][0], c] as const).sort((a, b) => a[0] - b[0]).map(([, c]) => c)
      const { rho } = orderCorrelation(castOrder, physical)
      measured['bytes after close'] = rho
      expect(Math.abs(rho), `rho = ${rho}`).toBeLessThan(RHO)
      // Measured while open too (not vacuumed yet): reported, and held to the same bound.
      const open = mid.sqlite!.ballotsBytes
      const openPos = castOrder.map((c) => offsetsOf(open, c))
      measured['copies while open (max)'] = Math.max(...openPos.map((p) => p.length))
      const openPhysical = castOrder
        .filter((_, i) => openPos[i].length > 0)
        .map((c) => [offsetsOf(open, c)[0], c] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, c]) => c)
      const rhoOpen = orderCorrelation(castOrder, openPhysical).rho
      measured['bytes while open'] = rhoOpen
      expect(Math.abs(rhoOpen), `while open: rho = ${rhoOpen}`).toBeLessThan(RHO)
    })

    it('ballots.db keeps no write-ahead log and leaves no journal behind', () => {
      // File header bytes 18 and 19 are the write and read versions: 1 = rollback journal, 2 = WAL.
      for (const s of [mid.sqlite!, end.sqlite!]) expect([s.ballotsBytes[18], s.ballotsBytes[19]]).toEqual([1, 1])
      expect(mid.sqlite!.ballotsSidecars).toEqual([])
      expect(end.sqlite!.ballotsSidecars).toEqual([])
    })
  })

  describe.runIf(kind === 'redis')('the Redis keys and files', () => {
    const snapshots = () => [
      ['while open', mid.redis!],
      ['after close', end.redis!],
    ] as const
    const keysOf = () => ballotKeys(handle.config.redisPrefix!, `${pollId}:1`)

    it('no key holds a voter id together with a ballot; voter keys hold no ballot and no time', () => {
      for (const [when, s] of snapshots()) {
        expect(s.keys.length).toBeGreaterThan(0)
        for (const e of s.keys) {
          for (const row of redisRows(e)) {
            expect(hasVoterId(row) && hasBallot(row), `${when}: ${e.key} (${e.type}) pairs a voter with a ballot`).toBe(false)
          }
          if (!e.key.includes(':box:')) expect(redisRows(e).some(hasBallot), `${when}: ${e.key} holds a ballot`).toBe(false)
        }
        const k = keysOf()
        for (const key of [k.voted, k.roll]) {
          const e = s.keys.find((x) => x.key === key)!
          expect(e, key).toBeDefined()
          for (const row of redisRows(e)) {
            expect(hasBallot(row), `${when}: ${key} holds a ballot`).toBe(false)
            for (const part of row.split('\u0001')) expect(timeLike(part, t0, Date.now() + 60_000), `${when}: ${key} holds ${part}`).toBe(false)
          }
        }
        const ballots = s.keys.find((x) => x.key === k.ballots)!
        const rows = redisRows(ballots)
        expect(rows).toHaveLength(VOTERS)
        for (const row of rows) {
          const [member, score] = row.split('\u0001')
          expect(hasVoterId(member), `${when}: a ballot names a voter`).toBe(false)
          expect(timeLike(member, t0, Date.now() + 60_000) || timeLike(Number(score), t0, Date.now() + 60_000), `${when}: ${row}`).toBe(false)
        }
      }
    })

    it('ZRANGE returns the ballots in an order unrelated to casting', () => {
      for (const [when, s] of snapshots()) {
        const e = s.keys.find((x) => x.key === keysOf().ballots)!
        const members = redisRows(e).map((r) => r.split('\u0001')[0])
        const contents = members.map((m) => m.slice(m.indexOf('|') + 1))
        const { rho, found } = orderCorrelation(castOrder, contents)
        measured[`zrange ${when}`] = rho
        expect(found).toBe(VOTERS)
        expect(Math.abs(rho), `${when}: rho = ${rho}`).toBeLessThan(RHO)
      }
    })

    it('after the close the AOF on disk no longer pairs voters with ballots', () => {
      const pairs = aofPairings(end.redis!.aof)
      measured['aof pairings after close'] = pairs
      expect(pairs).toBe(0)
    })

    // While a round is open the AOF holds each batch of casts as one transaction (see
    // server/store/ballot-box-redis.ts): one HSET of the batch's voters in id order and one ZADD of
    // its ballots in shuffled order. A copy of the file mid-round tells which voters cast which
    // ballots as a set, never who cast which one: every transaction names its voters in sorted
    // order, and a voter alone in a transaction is the only case where a ballot is attributable.
    it('while the round is open the AOF names voters only in sorted batches, not beside their own ballot', () => {
      const sizes: number[] = []
      for (const f of mid.redis!.aof) {
        if (!f.name.endsWith('.aof')) continue
        for (const g of respGroups(f.bytes)) {
          const hset = g.find((c) => c[0].toUpperCase() === 'HSET' && c[1] === keysOf().voted)
          const zadd = g.find((c) => c[0].toUpperCase() === 'ZADD' && c[1] === keysOf().ballots)
          if (!hset && !zadd) continue
          // A cast always writes both, in one transaction, and nothing else in it names a voter.
          expect(hset && zadd, 'a cast wrote the roll without the box or the box without the roll').toBeTruthy()
          const voters = hset!.slice(2).filter((_, i) => i % 2 === 0)
          const ballots = zadd!.slice(2).filter((_, i) => i % 2 === 1)
          expect(ballots).toHaveLength(voters.length)
          expect(voters, 'voters of a batch are logged in id order, not arrival order').toEqual([...voters].sort())
          for (const c of g) if (c !== hset && c !== zadd) expect(hasVoterId(c.join(' ')) && hasBallot(c.join(' '))).toBe(false)
          sizes.push(voters.length)
        }
      }
      const total = sizes.reduce((a, b) => a + b, 0)
      const alone = sizes.filter((n) => n === 1).length
      measured['aof batches while open'] = sizes.length
      measured['aof mean batch'] = Math.round((total / Math.max(1, sizes.length)) * 10) / 10
      measured['aof casts alone in a batch'] = alone
      expect(total).toBeGreaterThan(0)
      // The casts here come in waves of concurrent tablets, as in a hall: most share a batch.
      expect(alone / total).toBeLessThan(0.25)
    })
  })
})

// Closing a round asks Redis to rewrite its AOF, which replaces the cast history (voter beside
// ballot) by the unordered contents. A second round closing while that rewrite is still running
// (a big or shared Redis takes seconds to rewrite) must get a rewrite of its own: Redis refuses
// BGREWRITEAOF while one is in progress, and the second round's casts, made after the first
// rewrite forked, are then left in the AOF.
describe('two rounds closing one after the other on Redis', () => {
  let redis: RedisProcess
  let handle: StoreHandle
  let server: TestServer

  afterAll(async () => {
    await server?.close().catch(() => {})
    await handle?.cleanup().catch(() => {})
    await redis?.stop()
  })

  it('after both closes the AOF on disk pairs no voter with a ballot', async () => {
    redis = await startRedis({ aof: true })
    handle = storeHandle('redis', redis.url)
    server = await startServer(handle)
    const app = server.app
    await seedDemoIfEmpty(app.engine)
    const roster = rosterCsv(120)
    const chairActor = { personId: 'chair', role: 'chair' as const }
    const parsed = parseRoster(Buffer.from(roster.csv), [...app.engine.state.delegations.values()])
    expect(parsed.errors).toEqual([])
    const imported = await app.engine.submit((st) => decideRosterImport(st, 'replace', parsed.delegations, parsed.persons), { personId: 'sec1', role: 'secretariat' })
    expect(imported.ok).toBe(true)
    await checkInDirect(app, roster.ids)
    const polls: Array<{ pollId: string; candidateIds: string[] }> = []
    for (const title of ['选举县委委员', '选举县纪委委员']) {
      const created = await app.engine.submit(
        (st, ctx) =>
          commands['poll:create'].decide(
            st,
            { title, spec: { kind: 'election', seats: SEATS, electionKind: 'committee', candidates: CANDIDATE_NAMES.map((name) => ({ name })) } },
            chairActor,
            ctx,
          ),
        chairActor,
      )
      if (!created.ok) throw new Error(JSON.stringify(created))
      const r = created.result as { pollId: string; spec: { candidates: Array<{ id: string }> } }
      polls.push({ pollId: r.pollId, candidateIds: r.spec.candidates.map((c) => c.id) })
      expect((await app.polls.open(r.pollId, chairActor)).ok).toBe(true)
    }
    const [a, b] = polls
    const castAll = async (p: (typeof polls)[number], who: string[]) => {
      const ballots = distinctBallots(who.length, p.candidateIds)
      const acks = await Promise.all(who.map((v, i) => app.polls.cast(p.pollId, 1, v, ballots[i], idemKey())))
      expect(acks.every((x) => x.ok)).toBe(true)
    }
    await castAll(a, roster.ids.slice(0, 60))

    // A slow rewrite, as on a Redis holding much more than this meeting (0.3 s per key here).
    const r = new Redis(redis.url)
    try {
      await r.config('SET', 'rdb-key-save-delay', '300000')
      expect((await app.polls.close(a.pollId, chairActor)).ok).toBe(true)
      // Round B's ballots are cast while round A's rewrite runs, and B closes before it ends.
      await castAll(b, roster.ids.slice(60, 120))
      expect(/aof_rewrite_in_progress:1/.test(await r.info('persistence'))).toBe(true)
      expect((await app.polls.close(b.pollId, chairActor)).ok).toBe(true)
      await r.config('SET', 'rdb-key-save-delay', '0')
    } finally {
      r.disconnect()
    }
    // Whatever rewrites the closes asked for have run.
    await vi.waitFor(
      async () => {
        await aofRewriteDone(redis.url)
        await aofSettled(redis.dir)
        expect(aofPairings(aofFiles(redis.dir))).toBe(0)
      },
      { timeout: 15_000, interval: 500 },
    )
  }, 40_000)
})

