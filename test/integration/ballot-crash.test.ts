// Secret ballots are never lost and never counted twice, even when the server dies mid-round. A
// real server process takes 1000 ballots from 1000 tablets (real sockets, distinct delegates) and
// is killed with SIGKILL at random moments, twice, then restarted. Tablets whose ack never came
// retry with the same idempotency key, as a tablet does after a lost ack. Every acked ballot must
// be in the box at every crash, and the count at the end holds each voter's ballot exactly once.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { io as ioc } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../server/app'
import { defaultConfig } from '../../server/config'
import { seedDemoIfEmpty } from '../../server/seed'
import { ballotKeys } from '../../server/store/ballot-box-redis'
import { openRedisStore } from '../../server/store/redis'
import { openSqliteStore } from '../../server/store/sqlite'
import { commands } from '../../shared/domain/commands'
import type { ElectionCount } from '../../shared/domain/elections'
import type { PollView } from '../../shared/domain/poll-views'
import type { ChairView, Snapshot } from '../../shared/protocol'
import {
  canonical,
  CANDIDATE_NAMES,
  distinctBallots,
  idemKey,
  importRoster,
  rosterCsv,
  shuffle,
  tally,
  type ElectionBallot,
} from '../helpers/ballots'
import { startNode, startRedis, type NodeProcess, type RedisProcess } from '../helpers/processes'
import { checkInDirect, connectAt, loginAt, send, tempDir, testPrefix, type Client } from '../helpers/server'

const ROSTER = 1050
const VOTERS = 1000
const SEATS = 3
/** Casts in flight at once: what a hall of tablets voting together looks like to one server. */
const IN_FLIGHT = 50
const ACK_TIMEOUT_MS = 2500

interface Tablet {
  voter: string
  token: string
  ballot: ElectionBallot
  idem: string
  socket: Client | null
  attempts: number
  acked: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One cast; a dropped connection fails it at once, as a tablet notices its Wi-Fi going. */
function castOn(s: Client, payload: unknown): Promise<Awaited<ReturnType<typeof send>>> {
  return new Promise((resolve, reject) => {
    const dropped = () => reject(new Error('disconnected'))
    s.once('disconnect', dropped)
    send(s, 'ballot:cast', payload, ACK_TIMEOUT_MS)
      .then(resolve, reject)
      .finally(() => s.off('disconnect', dropped))
  })
}

describe.each(['sqlite', 'redis'] as const)('SIGKILL of the %s server during a round of 1000 secret ballots', (kind) => {
  let node: NodeProcess | null = null
  let redis: RedisProcess | null = null
  let dataDir = ''
  const open: Client[] = []

  afterEach(async () => {
    for (const s of open) s.disconnect()
    open.length = 0
    await node?.kill()
    await redis?.stop()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    node = null
    redis = null
  })

  it('counts every acked ballot exactly once, retries with the same key included', async () => {
    const t0 = Date.now()
    if (kind === 'redis') redis = await startRedis({ aof: true })
    dataDir = tempDir('cm-ballot-crash-')
    const prefix = testPrefix()
    const roundKey = (pollId: string) => `${pollId}:1`

    // Set-up in this process, on the very store the node will use: the roster imported over HTTP
    // by the desk, everyone checked in, the tablets logged in, the round opened.
    const store =
      kind === 'sqlite' ? openSqliteStore({ file: path.join(dataDir, 'congress.db') }) : await openRedisStore({ url: redis!.url, prefix })
    const app = await createApp({
      config: defaultConfig({ dataDir, redisUrl: redis?.url ?? null, redisPrefix: prefix, nodeId: 'setup' }),
      store,
    })
    const setupUrl = await app.listen(0, '127.0.0.1')
    const codes = (await seedDemoIfEmpty(app.engine))!
    const chairCode = codes.find((c) => c.role === 'chair')!.code
    const desk = await loginAt(setupUrl, codes.find((c) => c.role === 'secretariat')!.code)
    const roster = rosterCsv(ROSTER)
    await importRoster(setupUrl, desk.token, roster.csv)
    await checkInDirect(app, roster.ids)
    const sec = { personId: 'sec1', role: 'secretariat' as const }
    const chairActor = { personId: 'chair', role: 'chair' as const }
    const voters = shuffle([...roster.ids]).slice(0, VOTERS)
    const issued = await app.engine.submit((s, ctx) => commands['credential:issue'].decide(s, { personIds: voters }, sec, ctx), sec)
    if (!issued.ok) throw new Error(JSON.stringify(issued))
    const codeOf = new Map((issued.result as { issued: Array<{ personId: string; code: string }> }).issued.map((c) => [c.personId, c.code]))
    const created = await app.engine.submit(
      (s, ctx) =>
        commands['poll:create'].decide(
          s,
          { title: '补选县委委员', spec: { kind: 'election', seats: SEATS, electionKind: 'committee', candidates: CANDIDATE_NAMES.map((name) => ({ name })) } },
          chairActor,
          ctx,
        ),
      chairActor,
    )
    if (!created.ok) throw new Error(JSON.stringify(created))
    const { pollId, spec } = created.result as { pollId: string; spec: { candidates: Array<{ id: string }> } }
    const opened = await app.polls.open(pollId, chairActor)
    expect(opened.ok).toBe(true)
    const ballots = distinctBallots(VOTERS, spec.candidates.map((c) => c.id))
    const tablets: Tablet[] = []
    for (let i = 0; i < VOTERS; i += 50) {
      const logins = await Promise.all(voters.slice(i, i + 50).map((v) => loginAt(setupUrl, codeOf.get(v)!)))
      logins.forEach((l, k) =>
        tablets.push({ voter: l.personId, token: l.token, ballot: ballots[i + k], idem: idemKey(), socket: null, attempts: 0, acked: false }),
      )
    }
    await app.close()
    const setupMs = Date.now() - t0

    const env: Record<string, string> = { SEED_DEMO: 'false', REDIS_URL: redis?.url ?? '', REDIS_PREFIX: prefix }
    node = await startNode(env, { dataDir })
    const n = node

    /** Which voters the box has marked and how many ballots it holds, read from the store itself. */
    async function box(live = false): Promise<{ voted: Set<string>; ballots: number }> {
      if (kind === 'redis') {
        const r = new Redis(redis!.url)
        try {
          const k = ballotKeys(prefix, roundKey(pollId))
          return { voted: new Set(await r.hkeys(k.voted)), ballots: await r.zcard(k.ballots) }
        } finally {
          r.disconnect()
        }
      }
      if (live) {
        // The node holds the file: a read-only connection sees the last committed state.
        const db = new Database(path.join(dataDir, 'ballots.db'), { readonly: true })
        try {
          const voted = db.prepare<[string], { voter: string }>('SELECT voter FROM roll WHERE round_key = ? AND voted = 1').all(roundKey(pollId))
          const nb = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM ballots WHERE round_key = ?').get(roundKey(pollId))!.n
          return { voted: new Set(voted.map((r) => r.voter)), ballots: nb }
        } finally {
          db.close()
        }
      }
      // A copy, so that a hot journal left by the kill is rolled back as a restart would.
      const copy = tempDir('cm-box-copy-')
      try {
        for (const f of fs.readdirSync(dataDir).filter((f) => f.startsWith('ballots.db'))) fs.copyFileSync(path.join(dataDir, f), path.join(copy, f))
        const db = new Database(path.join(copy, 'ballots.db'))
        try {
          const voted = db.prepare<[string], { voter: string }>('SELECT voter FROM roll WHERE round_key = ? AND voted = 1').all(roundKey(pollId))
          const nb = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM ballots WHERE round_key = ?').get(roundKey(pollId))!.n
          return { voted: new Set(voted.map((r) => r.voter)), ballots: nb }
        } finally {
          db.close()
        }
      } finally {
        fs.rmSync(copy, { recursive: true, force: true })
      }
    }

    // Two kills, at random points of the stream of acks.
    const killAt = [100 + Math.floor(Math.random() * 300), 550 + Math.floor(Math.random() * 300)]
    const crashes: Array<{ atMs: number; ackedAtKill: number; ackedAfterKill: number; inBox: number; lostAcks: string[]; downMs: number }> = []
    let acked = 0
    let nextKill = 0
    let crashing: Promise<void> | null = null
    const anomalies: string[] = []

    async function crash(): Promise<void> {
      const ackedAtKill = acked
      const t = Date.now()
      await n.kill('SIGKILL')
      // Acks already on their way may still land; after that nothing more can be acked.
      await sleep(100)
      const ackedSet = new Set(tablets.filter((x) => x.acked).map((x) => x.voter))
      const b = await box()
      const lostAcks = [...ackedSet].filter((v) => !b.voted.has(v))
      crashes.push({ atMs: t - tCast, ackedAtKill, ackedAfterKill: ackedSet.size, inBox: b.ballots, lostAcks, downMs: 0 })
      await sleep(Math.floor(Math.random() * 300))
      await n.restart()
      crashes[crashes.length - 1].downMs = Date.now() - t
    }

    async function socketFor(t: Tablet): Promise<Client> {
      if (t.socket?.connected) return t.socket
      t.socket?.disconnect()
      const s: Client = ioc(n.url, { auth: { token: t.token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 2000 })
      t.socket = s
      open.push(s)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('connect timeout')), 2500)
        s.once('connect', () => {
          clearTimeout(timer)
          resolve()
        })
        s.once('connect_error', (e) => {
          clearTimeout(timer)
          reject(e)
        })
      })
      return s
    }

    // Lost acks without a crash: 50 tablets send their ballot and drop off the network at once
    // (the ack never reaches them). The box takes those ballots; the retries below must not.
    const droppers = tablets.slice(0, 50)
    for (const t of droppers) {
      t.attempts++
      const s = await socketFor(t)
      s.emit('ballot:cast', { pollId, round: 1, ballot: t.ballot, idempotencyKey: t.idem }, () => {})
      s.disconnect()
    }
    await sleep(500)
    const committedWithoutAck = droppers.filter((t) => t.acked === false).map((t) => t.voter)
    const afterDrop = await box(true)
    const repeatsPending = committedWithoutAck.filter((v) => afterDrop.voted.has(v)).length
    expect(repeatsPending, 'ballots whose ack was lost reached the box').toBeGreaterThan(0)

    const queue = [...tablets]
    const tCast = Date.now()
    const deadline = Date.now() + 50_000
    async function worker(): Promise<void> {
      while (Date.now() < deadline) {
        const t = queue.shift()
        if (!t) {
          if (tablets.every((x) => x.acked)) return
          await sleep(50)
          continue
        }
        try {
          const s = await socketFor(t)
          t.attempts++
          // A retry sends the very same ballot with the very same key: the tablet never learnt
          // whether the first one arrived.
          const ack = await castOn(s, { pollId, round: 1, ballot: t.ballot, idempotencyKey: t.idem })
          if (ack.ok) {
            t.acked = true
            acked++
            s.disconnect()
            if (!crashing && nextKill < killAt.length && acked >= killAt[nextKill]) {
              nextKill++
              crashing = crash().finally(() => (crashing = null))
            }
            continue
          }
          if (ack.code === 'ALREADY_VOTED' || ack.code === 'NOT_ELIGIBLE' || ack.code === 'INVALID_BALLOT') {
            anomalies.push(`${t.voter} (attempt ${t.attempts}): ${ack.code}`)
            t.acked = true // stop retrying; the assertions below fail on the anomaly
            continue
          }
          queue.push(t)
        } catch {
          queue.push(t)
          // The server is down or the ack is late: back off (and spare the restarting node a storm).
          if (crashing) await crashing
          else await sleep(200)
        }
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    while (crashing) await crashing
    const castMs = Date.now() - tCast

    expect(anomalies, 'a retry with the same idempotency key was refused').toEqual([])
    expect(crashes.length, 'the server was killed twice during the round').toBe(2)
    for (const c of crashes) {
      expect(c.lostAcks, 'acked ballots missing from the box after a kill').toEqual([])
      expect(c.inBox).toBeGreaterThanOrEqual(c.ackedAfterKill)
    }
    const ackedVoters = new Set(tablets.filter((t) => t.acked).map((t) => t.voter))
    expect(ackedVoters.size, 'every tablet got its ack in the end').toBe(VOTERS)
    const retried = tablets.filter((t) => t.attempts > 1).length

    // Close the round from the chair console and read the count as the chair sees it.
    const chair = await connectAt(n.url, chairCode)
    open.push(chair.socket)
    const closed = await send(chair.socket, 'poll:close', { pollId })
    expect(closed.ok).toBe(true)
    const snap = await send<Snapshot>(chair.socket, 'state:sync', {})
    if (!snap.ok) throw new Error(JSON.stringify(snap))
    const view = (snap.data.view as ChairView).polls.find((p) => p.id === pollId) as PollView
    const count = view.result!.count as ElectionCount
    expect(count.returned, 'ballots returned = distinct voters with an ok ack').toBe(ackedVoters.size)
    expect(view.round!.turnout).toBe(ackedVoters.size)
    const want = tally(ballots, SEATS)
    for (const row of count.results) expect({ id: row.id, for: row.for, against: row.against, abstain: row.abstain }).toEqual({ id: row.id, ...want[row.id] })
    expect(view.result!.ballotsDigest).toBe(createHash('sha256').update(ballots.map(canonical).sort().join('\n')).digest('hex'))

    const b = await box()
    expect(b.voted.size, "the box's voter count equals its ballot count").toBe(b.ballots)
    expect(b.ballots).toBe(VOTERS)
    expect(b.voted).toEqual(ackedVoters)
    const health = await (await fetch(`${n.url}/healthz`)).json()
    expect(health.ok).toBe(true)

    console.info(
      `[ballot-crash ${kind}] setup ${setupMs} ms, casting ${castMs} ms, ${retried} tablets sent their ballot more than once (${repeatsPending} of them known to be in the box already), crashes ${JSON.stringify(
        crashes.map(({ lostAcks, ...c }) => ({ ...c, lost: lostAcks.length, committedUnacked: c.inBox - c.ackedAfterKill })),
      )}`,
    )
  }, 100_000)
})
