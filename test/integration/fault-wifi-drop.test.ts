// Survive the hall (#6): the hall's Wi-Fi drops. Every tablet loses its connection within a couple of
// seconds of the others (its engine.io transport is closed abruptly) and socket.io-client reconnects
// by itself. Within 10 seconds every tablet is back with the current state: the current version,
// the open round, and its own voted status. Emits made while disconnected are buffered by
// socket.io-client and sent on reconnect; a ballot cast (even twice) while offline, and a ballot
// replayed after it was acked, count once because they carry the same idempotency key.
//
// N tablets: FAULT_CLIENTS (default 3000, a national congress), on two nodes sharing an AOF Redis.
// The tablets connect to the nodes directly (half each): through the test's proxy every broadcast
// would be copied once more in this process, which is the load generator too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PublicView } from '../../shared/protocol'
import { rosterCsv, importRoster } from '../helpers/ballots'
import {
  castOnce,
  chairPoll,
  connectTablet,
  demoCodes,
  emit,
  expectedCount,
  faultLock,
  health,
  login,
  mapLimit,
  must,
  newVote,
  openVote,
  ownNode,
  ownRedis,
  percentile,
  Teardown,
  waitFor,
  type Sent,
  type Tablet,
} from '../helpers/fault'
import { startNode, startRedis, type NodeProcess, type RedisProcess } from '../helpers/processes'

const N = Number(process.env.FAULT_CLIENTS ?? 3000)
/** All tablets drop within this window of each other. */
const DROP_WINDOW_MS = 2000
const RESYNC_LIMIT_MS = 10_000

describe(`a Wi-Fi drop with ${N} tablets`, () => {
  const t = new Teardown()
  let redis: RedisProcess
  let nodes: NodeProcess[]

  beforeAll(async () => {
    await faultLock(t)
    redis = ownRedis(t, await startRedis({ aof: true }))
    const env = { REDIS_URL: redis.url, BROADCAST_INTERVAL_MS: '100' }
    const first = ownNode(t, await startNode(env))
    nodes = [first, ownNode(t, await startNode(env))]
  }, 240_000)

  afterAll(() => t.run(), 30_000)

  it('every tablet reconnects and resyncs within 10 s, and buffered or replayed ballots count once', async () => {
    const started = performance.now()
    const phase = (what: string) => console.log(`[fault-wifi-drop] ${((performance.now() - started) / 1000).toFixed(1)} s: ${what}`)
    const codes = demoCodes(nodes[0].dataDir)
    const deskLogin = await login(nodes[0].url, codes.secretariat[0])
    const desk = await connectTablet(nodes[0].url, deskLogin)
    const chair = await connectTablet(nodes[1].url, await login(nodes[1].url, codes.chair))
    t.add('consoles', () => [desk, chair].forEach((x) => x.close()))

    // A congress of N delegates, each with a card.
    const { csv, ids } = rosterCsv(N)
    await importRoster(nodes[0].url, deskLogin.token, csv)
    const issued = await must<{ issued: Array<{ personId: string; code: string }> }>(desk.socket, 'credential:issue', { personIds: ids }, 60_000)
    phase(`roster of ${N} imported, cards issued`)

    // Half the tablets on each node; each logs in, connects and checks itself in on its tablet.
    const tablets: Tablet[] = []
    t.add('tablets', () => tablets.forEach((x) => x.close()))
    const checkins = await mapLimit(issued.issued, 128, async (c, i) => {
      const url = nodes[i % 2].url
      const x = await connectTablet(url, await login(url, c.code), { lightweight: true, timeoutMs: 60_000 })
      tablets[i] = x
      return emit(x.socket, 'attendance:checkIn', {}, 30_000)
    })
    expect(checkins.filter((a) => !a.ok)).toEqual([])
    phase(`${N} tablets connected and checked in`)

    // The hall is on an item and someone is speaking when the Wi-Fi drops: tablets must get both back.
    const { itemId } = await must<{ itemId: string }>(chair.socket, 'agenda:add', { type: 'speeches', title: '专题发言：乡村振兴' })
    expect((await emit(chair.socket, 'agenda:setCurrent', { itemId })).ok).toBe(true)
    const speakerId = ids[N - 1]
    expect((await emit(chair.socket, 'speakers:add', { itemId, personId: speakerId, topic: '关于发展特色产业的建议' })).ok).toBe(true)
    expect((await emit(chair.socket, 'speakers:next', { itemId })).ok).toBe(true)
    expect((await emit(chair.socket, 'speakers:start', { itemId })).ok).toBe(true)

    const opened = await openVote(chair.socket, '关于大会选举办法的决议')
    const { pollId, round, roundKey } = opened
    expect(opened.issued).toBe(N)
    await waitFor(async () => tablets.every((x) => x.me?.eligibleIn?.includes(roundKey)), 20_000, 'eligibleIn on every tablet')
    phase('round open on every tablet')

    // A third vote before the drop (V), a third while offline (W), a third afterwards (U).
    const votes = tablets.map((x, i) => newVote(x.personId, i))
    const third = Math.floor(N / 3)
    const V = tablets.slice(0, third)
    const W = tablets.slice(third, 2 * third)
    const U = tablets.slice(2 * third)
    const inV = new Set(V)
    const inW = new Set(W)
    const voteOf = new Map(tablets.map((x, i) => [x, votes[i]]))
    const before = await mapLimit(V, 256, (x) => castOnce(x, pollId, round, voteOf.get(x)!, 30_000))
    expect(before.filter((a) => !a.ok)).toEqual([])
    phase(`${V.length} voted before the drop`)

    // The drop. Every transport closes at a random moment within DROP_WINDOW_MS.
    const headBefore = (await health(nodes[0].url)).body.events
    const dropAt = new Map<Tablet, number>()
    const offline: Array<Promise<Sent<unknown>>> = []
    const replayed: Array<Promise<Sent<unknown>>> = []
    const firstDrop = performance.now()
    await Promise.all(
      tablets.map(
        (x) =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              dropAt.set(x, performance.now())
              x.socket.io.engine.close()
              const v = voteOf.get(x)!
              const payload = { pollId, round, ballot: { mark: v.mark }, idempotencyKey: v.key }
              if (inW.has(x)) {
                // Cast while offline, and again (a second tap): both wait in socket.io-client's buffer.
                offline.push(emit(x.socket, 'ballot:cast', payload, 40_000))
                offline.push(emit(x.socket, 'ballot:cast', payload, 40_000))
              } else if (inV.has(x)) {
                // An acked ballot replayed (a client that lost track of the ack, on reconnect).
                replayed.push(emit(x.socket, 'ballot:cast', payload, 40_000))
              }
              resolve()
            }, Math.random() * DROP_WINDOW_MS),
          ),
      ),
    )
    const lastDrop = performance.now()
    phase(`all ${N} transports closed within ${Math.round(lastDrop - firstDrop)} ms`)

    await waitFor(
      async () => tablets.every((x) => x.socket.connected && (x.snapshots.at(-1)?.at ?? 0) > dropAt.get(x)!),
      RESYNC_LIMIT_MS + 10_000,
      'every tablet to resync',
    ).catch((err) => {
      const stuck = tablets.filter((x) => !(x.socket.connected && (x.snapshots.at(-1)?.at ?? 0) > dropAt.get(x)!))
      console.log(`[fault-wifi-drop] ${stuck.length} tablets not resynced; ${stuck.filter((x) => x.socket.connected).length} of them connected`)
      throw err
    })
    const resync = tablets.map((x) => x.snapshots.find((s) => s.at > dropAt.get(x)!)!.at - dropAt.get(x)!)
    const lastResync = Math.max(...tablets.map((x) => x.snapshots.find((s) => s.at > dropAt.get(x)!)!.at))
    phase(
      `resynced: per tablet median ${Math.round(percentile(resync, 50))} ms, p95 ${Math.round(percentile(resync, 95))} ms, ` +
        `max ${Math.round(Math.max(...resync))} ms; first drop to last resync ${Math.round(lastResync - firstDrop)} ms`,
    )
    expect(Math.max(...resync)).toBeLessThan(RESYNC_LIMIT_MS)
    // Each one really was cut off (a disconnect, then a new connection).
    for (const x of tablets) expect(x.disconnects.some((d) => d >= dropAt.get(x)!) && x.connects.some((c) => c > dropAt.get(x)!)).toBe(true)

    // What each tablet got back is the current state: the log head, the current item and who is
    // speaking, the open round, its own vote.
    for (const x of tablets) {
      const snap = x.snapshots.find((s) => s.at > dropAt.get(x)!)!.snap
      expect(snap.version).toBe(headBefore)
      expect((snap.view as PublicView).agenda.currentItemId).toBe(itemId)
      expect((snap.view as PublicView).speech?.current).toMatchObject({ personId: speakerId, status: 'speaking', topic: '关于发展特色产业的建议' })
      expect(snap.me?.eligibleIn).toContain(roundKey)
      expect((snap.view as PublicView).polls.find((p) => p.id === pollId)?.round).toMatchObject({ n: round, status: 'open', issued: N })
      if (inV.has(x)) expect(snap.votedIn, `${x.personId} voted before the drop`).toContain(roundKey)
      else if (!inW.has(x)) expect(snap.votedIn ?? []).not.toContain(roundKey)
    }

    // The buffered and replayed emits were delivered on reconnect; every one is ok, none counts twice.
    const offlineAcks = await Promise.all(offline)
    const replayAcks = await Promise.all(replayed)
    expect(offlineAcks.filter((a) => !a.ok)).toEqual([])
    expect(replayAcks.filter((a) => !a.ok)).toEqual([])
    for (const x of W) voteOf.get(x)!.acked = true
    // The offline voters' tablets now say they have voted.
    const wSync = await mapLimit(W.slice(0, 200), 64, (x) => must<{ votedIn?: string[] }>(x.socket, 'state:sync', {}))
    for (const s of wSync) expect(s.votedIn).toContain(roundKey)

    // The rest vote now; then the chair closes the round.
    const after = await mapLimit(U, 256, (x) => castOnce(x, pollId, round, voteOf.get(x)!, 30_000))
    expect(after.filter((a) => !a.ok)).toEqual([])
    await must(chair.socket, 'poll:close', { pollId })
    const p = await chairPoll(chair.socket, pollId)
    expect(p.result!.count).toMatchObject({ issued: N, ...expectedCount(votes) })
    expect((p.result!.count as { returned: number }).returned).toBe(N)
    phase('closed and counted')

    const hs = await Promise.all(nodes.map((n) => health(n.url)))
    expect(hs.every((h) => h.status === 200 && h.body.events === hs[0].body.events)).toBe(true)
  }, 85_000)
})
