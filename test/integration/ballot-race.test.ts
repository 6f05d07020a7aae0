// Two server nodes (real processes) on one Redis, as the multi-node deployment runs: one delegate's
// session used from two tablets at once, one on each node, gets exactly one ballot in the box; and
// a round with a time limit closes by itself on both nodes and is counted once.
import { Redis } from 'ioredis'
import { io as ioc } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ballotKeys } from '../../server/store/ballot-box-redis'
import { redisKeys } from '../../server/store/redis'
import type { StoredEvent } from '../../shared/domain/events'
import type { PollView } from '../../shared/domain/poll-views'
import type { ChairView, PublicView, Snapshot, StateChanged } from '../../shared/protocol'
import { CANDIDATE_NAMES, distinctBallots, idemKey } from '../helpers/ballots'
import { compactElectionBallot } from '../../shared/domain/elections'
import { readDemoCodes, startNode, startRedis, type DemoCodes, type NodeProcess, type RedisProcess } from '../helpers/processes'
import { connectAt, latest, loginAt, send, testPrefix, type Client } from '../helpers/server'

describe('secret ballots on two nodes sharing one Redis', () => {
  let redis: RedisProcess
  let n1: NodeProcess
  let n2: NodeProcess
  let demo: DemoCodes
  const prefix = testPrefix()
  const sockets: Client[] = []
  let chair: Client
  let delegates: DemoCodes['codes']

  async function connect(url: string, code: string) {
    const r = await connectAt(url, code)
    sockets.push(r.socket)
    return r
  }

  async function logEvents(): Promise<StoredEvent[]> {
    const r = new Redis(redis.url)
    try {
      const entries = await r.xrange(redisKeys(prefix).log, '-', '+')
      return entries.map(([, fields]) => JSON.parse(fields[1]) as StoredEvent)
    } finally {
      r.disconnect()
    }
  }

  async function createPoll(extra: Record<string, unknown> = {}) {
    const created = await send<{ pollId: string; spec: { candidates: Array<{ id: string }> } }>(chair, 'poll:create', {
      title: '补选县委委员',
      spec: { kind: 'election', seats: 3, electionKind: 'committee', candidates: CANDIDATE_NAMES.map((name) => ({ name })) },
      ...extra,
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    return { pollId: created.data.pollId, candidateIds: created.data.spec.candidates.map((c) => c.id) }
  }

  beforeAll(async () => {
    redis = await startRedis({ aof: true })
    // One tablet fires 50 casts at once here; the default burst (40 per socket) would refuse ten of
    // them as RATE_LIMITED before they reach the ballot box, which is not what this test is about.
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: prefix, RATE_LIMIT_BURST: '60' }
    // One after the other, so that node 1 seeds the demo meeting and writes its login codes.
    n1 = await startNode(env)
    n2 = await startNode(env)
    demo = readDemoCodes(n1.dataDir)
    delegates = demo.codes.filter((c) => c.role === 'delegate')
    const desk = await connect(n1.url, demo.codes.find((c) => c.role === 'secretariat')!.code)
    const acks = await Promise.all(delegates.slice(0, 140).map((d) => send(desk.socket, 'attendance:checkIn', { personId: d.personId })))
    expect(acks.filter((a) => !a.ok)).toEqual([])
    chair = (await connect(n2.url, demo.codes.find((c) => c.role === 'chair')!.code)).socket
  }, 60_000)

  afterAll(async () => {
    for (const s of sockets) s.disconnect()
    await n1?.kill()
    await n2?.kill()
    await redis?.stop()
  })

  it('one delegate on two tablets, one per node, casting 100 times at once: one ballot', async () => {
    const { pollId, candidateIds } = await createPoll()
    expect(await send(chair, 'poll:open', { pollId })).toMatchObject({ ok: true, data: { round: 1, issued: 140 } })

    // One login; the same session token on two sockets, one on each node.
    const me = delegates[7]
    const login = await loginAt(n1.url, me.code)
    const tablets = await Promise.all(
      [n1, n2].map(async (n) => {
        const s: Client = ioc(n.url, { auth: { token: login.token }, transports: ['websocket'], forceNew: true, reconnection: false })
        sockets.push(s)
        const snap = await new Promise<Snapshot>((resolve, reject) => {
          s.once('state:snapshot', resolve)
          s.once('connect_error', reject)
        })
        return { socket: s, snap, received: latest<{ pollId: string }>(s, 'ballot:received') }
      }),
    )
    expect(tablets[0].snap.node).not.toBe(tablets[1].snap.node)

    const ballots = distinctBallots(100, candidateIds)
    const acks = await Promise.all(
      ballots.map((ballot, i) => send(tablets[i % 2].socket, 'ballot:cast', { pollId, round: 1, ballot, idempotencyKey: idemKey() })),
    )
    const ok = acks.flatMap((a, i) => (a.ok ? [i] : []))
    expect(ok, 'exactly one cast is accepted').toHaveLength(1)
    expect(acks.filter((a) => !a.ok && a.code === 'ALREADY_VOTED')).toHaveLength(99)
    // The other tablet learns that the ballot was received, whichever node took it; the one whose
    // cast was acked has its ack and gets no second word.
    const other = tablets[1 - (ok[0] % 2)]
    await vi.waitFor(() => expect(other.received.value).toMatchObject({ pollId, round: 1 }))
    expect(tablets[ok[0] % 2].received.value).toBeNull()

    expect((await send(chair, 'poll:close', { pollId })).ok).toBe(true)
    const snap = await send<Snapshot>(chair, 'state:sync', {})
    if (!snap.ok) throw new Error(JSON.stringify(snap))
    const view = (snap.data.view as ChairView).polls.find((p) => p.id === pollId) as PollView
    expect((view.result!.count as { returned: number }).returned).toBe(1)
    expect(view.round).toMatchObject({ status: 'closed', turnout: 1 })
    // The one ballot in the box is the one whose cast was acked.
    const r = new Redis(redis.url)
    try {
      const k = ballotKeys(prefix, `${pollId}:1`)
      const members = await r.zrange(k.ballots, 0, -1)
      expect(members.map((m) => m.slice(m.indexOf('|') + 1))).toEqual([compactElectionBallot(ballots[ok[0]], candidateIds)])
      expect(await r.hlen(k.voted)).toBe(1)
    } finally {
      r.disconnect()
    }
  })

  it('a round with a time limit closes by itself on both nodes, once', async () => {
    // The schema's least time limit is 10 s.
    const tooShort = await send(chair, 'poll:create', {
      title: '太短',
      spec: { kind: 'resolution', question: '?' },
      timeLimitS: 9,
    })
    expect(tooShort).toMatchObject({ ok: false, code: 'INVALID_PAYLOAD' })

    const { pollId, candidateIds } = await createPoll({ timeLimitS: 10 })
    // The hall display account, on a screen attached to each node (one login, one session).
    const display = await loginAt(n1.url, demo.codes.find((c) => c.role === 'display')!.code)
    const seen = [n1, n2].map((n) => {
      const s: Client = ioc(n.url, { auth: { token: display.token }, transports: ['websocket'], forceNew: true })
      sockets.push(s)
      return latest<StateChanged>(s, 'state:changed')
    })
    const before = Date.now()
    const opened = await send<{ closesAt: number }>(chair, 'poll:open', { pollId })
    if (!opened.ok) throw new Error(JSON.stringify(opened))
    const closesAt = opened.data.closesAt
    // Ten seconds from the moment the round opened (one clock: every process runs on this machine).
    expect(closesAt).toBeGreaterThanOrEqual(before + 10_000)
    expect(closesAt).toBeLessThanOrEqual(Date.now() + 10_000)

    const voters = delegates.slice(20, 30)
    const tablets = await Promise.all(voters.map((d, i) => connect(i % 2 ? n1.url : n2.url, d.code)))
    const ballots = distinctBallots(voters.length, candidateIds)
    const acks = await Promise.all(tablets.map((t, i) => send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: ballots[i], idempotencyKey: idemKey() })))
    expect(acks.filter((a) => !a.ok)).toEqual([])

    // Both displays see the round close, without anyone closing it, and no result before publication.
    await vi.waitFor(
      () => {
        for (const s of seen) {
          const p = (s.value?.view as PublicView | undefined)?.polls.find((x) => x.id === pollId)
          expect(p?.round).toMatchObject({ status: 'closed', turnout: voters.length })
          expect(p?.result).toBeNull()
        }
      },
      { timeout: 16_000, interval: 100 },
    )
    const late = await send(tablets[0].socket, 'ballot:cast', { pollId, round: 1, ballot: ballots[0], idempotencyKey: idemKey() })
    expect(late).toMatchObject({ ok: false, code: 'POLL_NOT_OPEN' })

    // Give the losing node time to try, then look at the log: one close, by the system, on time.
    await new Promise((r) => setTimeout(r, 1000))
    const closes = (await logEvents()).filter((e) => e.event.type === 'poll.closed' && e.event.pollId === pollId)
    expect(closes).toHaveLength(1)
    const ev = closes[0]
    expect(ev.actor).toBeNull()
    expect(ev.event).toMatchObject({ returned: voters.length })
    expect(ev.at).toBeGreaterThanOrEqual(closesAt)
    expect(ev.at - closesAt).toBeLessThan(3000)
    const [h1, h2] = await Promise.all([n1, n2].map(async (n) => (await fetch(`${n.url}/healthz`)).json()))
    expect(h1).toMatchObject({ ok: true, head: h2.head })
    // Neither node reported a failure while racing to close.
    for (const n of [n1, n2]) expect(n.output().split('\n').filter((l) => /error|fail|\[engine\]|\[polls\]/i.test(l))).toEqual([])
  }, 40_000)
})
