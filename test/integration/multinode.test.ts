// Two server nodes on one Redis, as real processes (the docker-compose topology without docker):
// what happens on one node is seen on the other, both can take writes at once, and one login per
// person holds across nodes.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { PublicView, SessionEnded, StateChanged } from '../../shared/protocol'
import { readDemoCodes, startNode, startRedis, type DemoCodes, type NodeProcess, type RedisProcess } from '../helpers/processes'
import { connectAt, latest, send, type Client } from '../helpers/server'

describe('two nodes on one Redis', () => {
  let redis: RedisProcess
  let n1: NodeProcess
  let n2: NodeProcess
  let demo: DemoCodes
  const sockets: Client[] = []
  const code = (pred: (c: DemoCodes['codes'][number]) => boolean) => demo.codes.find(pred)!.code

  beforeAll(async () => {
    redis = await startRedis({ aof: true })
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'cm:', BROADCAST_INTERVAL_MS: '100' }
    n1 = await startNode(env)
    n2 = await startNode(env)
    demo = readDemoCodes(n1.dataDir)
  }, 60_000)

  afterAll(async () => {
    for (const s of sockets) s.disconnect()
    await n1?.kill()
    await n2?.kill()
    await redis?.stop()
  })

  async function connect(url: string, c: string) {
    const r = await connectAt(url, c)
    sockets.push(r.socket)
    return r
  }

  it('reports Redis as a durable store on both nodes, with the same log head', async () => {
    const [h1, h2] = await Promise.all([n1, n2].map(async (n) => (await fetch(`${n.url}/healthz`)).json()))
    expect(h1).toMatchObject({ ok: true, store: 'redis', durable: true })
    expect(h2).toMatchObject({ ok: true, store: 'redis', durable: true, events: h1.events, head: h1.head })
    expect(h1.node).not.toBe(h2.node)
  })

  it('a check-in on node 1 reaches a display on node 2 within a second', async () => {
    const desk = await connect(n1.url, code((c) => c.role === 'secretariat'))
    const display = await connect(n2.url, code((c) => c.role === 'display'))
    expect(display.snapshot.node).not.toBe(desk.snapshot.node)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    const before = (display.snapshot.view as PublicView).attendance.present
    const d = demo.codes.find((c) => c.role === 'delegate')!
    const sent = Date.now()
    const ack = await send(desk.socket, 'attendance:checkIn', { code: d.code })
    expect(ack).toMatchObject({ ok: true, data: { name: d.name } })
    await vi.waitFor(() => expect((seen.value?.view as PublicView | undefined)?.attendance.present).toBe(before + 1), {
      timeout: 1000,
      interval: 10,
    })
    expect(Date.now() - sent).toBeLessThan(1000)
  })

  it('tablets checking in on both nodes at once are each counted once', async () => {
    const delegates = demo.codes.filter((c) => c.role === 'delegate').slice(10, 50)
    const tablets = await Promise.all(delegates.map((d, i) => connect(i % 2 ? n1.url : n2.url, d.code)))
    const display = await connect(n1.url, code((c) => c.role === 'display'))
    const before = (display.snapshot.view as PublicView).attendance.present
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    // Each tablet sends twice, on its own node, at the same moment: one succeeds, one is a duplicate.
    const acks = await Promise.all(tablets.flatMap((t) => [send(t.socket, 'attendance:checkIn', {}), send(t.socket, 'attendance:checkIn', {})]))
    expect(acks.filter((a) => a.ok)).toHaveLength(40)
    expect(acks.filter((a) => !a.ok && a.code === 'ALREADY_CHECKED_IN')).toHaveLength(40)
    await vi.waitFor(() => expect((seen.value?.view as PublicView | undefined)?.attendance.present).toBe(before + 40), { timeout: 2000 })
    const [h1, h2] = await Promise.all([n1, n2].map(async (n) => (await fetch(`${n.url}/healthz`)).json()))
    expect(h1.head).toBe(h2.head)
  })

  it('a second login on the other node ends the first tablet session', async () => {
    const d = demo.codes.filter((c) => c.role === 'delegate')[100]
    const first = await connect(n1.url, d.code)
    const ended = new Promise<SessionEnded>((resolve) => first.socket.once('session:ended', resolve))
    const second = await connect(n2.url, d.code)
    const e = await ended
    expect(e.code).toBe('SESSION_REPLACED')
    expect(e.message).toContain('另一台设备')
    await vi.waitFor(() => expect(first.socket.connected).toBe(false), { timeout: 3000 })
    expect(second.socket.connected).toBe(true)
  })

  it('a live tally of a named vote cast on both nodes reaches displays on both nodes', async () => {
    const chair = await connect(n1.url, code((c) => c.role === 'chair'))
    const desk = await connect(n2.url, code((c) => c.role === 'secretariat'))
    const voters = demo.codes.filter((c) => c.role === 'delegate').slice(120, 250)
    for (const v of voters) {
      const r = await send(desk.socket, 'attendance:checkIn', { personId: v.personId })
      expect(r.ok || (!r.ok && r.code === 'ALREADY_CHECKED_IN')).toBe(true)
    }
    const created = await send<{ pollId: string }>(chair.socket, 'poll:create', {
      title: '表决',
      spec: { kind: 'resolution', question: '通过决议' },
      secret: false,
      liveResults: true,
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    const { pollId } = created.data
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const d1 = await connect(n1.url, code((c) => c.role === 'display'))
    const seen1 = latest<StateChanged>(d1.socket, 'state:changed')
    // The second display: a display account of its own, on the other node.
    expect((await send(desk.socket, 'person:save', { id: 'display2', name: '大屏二', gender: '', role: 'display', delegationId: null, seat: '', status: 'active', votingRight: false })).ok).toBe(true)
    const issued = await send<{ issued: Array<{ code: string }> }>(desk.socket, 'credential:issue', { personIds: ['display2'] })
    if (!issued.ok) throw new Error(JSON.stringify(issued))
    const d2 = await connect(n2.url, issued.data.issued[0].code)
    const seen2 = latest<StateChanged>(d2.socket, 'state:changed')
    const tablets = await Promise.all(voters.slice(0, 20).map((v, i) => connect(i % 2 ? n1.url : n2.url, v.code)))
    const acks = await Promise.all(
      tablets.map((t, i) => send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { mark: i < 15 ? 'for' : 'abstain' }, idempotencyKey: `k${i}-multinode` })),
    )
    expect(acks.every((a) => a.ok)).toBe(true)
    for (const seen of [seen1, seen2]) {
      await vi.waitFor(
        () => {
          const p = (seen.value?.view as PublicView).polls.find((x) => x.id === pollId)!
          expect(p.result?.count).toEqual({ live: { for: 15, abstain: 5 } })
        },
        { timeout: 2000 },
      )
    }
  })
})
