// Survive the hall (#6): Redis is killed with SIGKILL during a ballot round and restarted from its
// append-only file (appendfsync always). Every acked ballot must still be in the box; while Redis is
// down, commands get STORE_UNAVAILABLE (暂时无法保存，请稍候重试) and never a false ack; ballots that got
// an error and are retried with the same idempotency key once Redis is back are counted once; the
// node processes recover on their own (same pids, no restart) and /healthz says ok again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  castOnce,
  castUntilAcked,
  chairPoll,
  checkInAtDesk,
  closings,
  connectTablet,
  emit,
  expectedCount,
  health,
  login,
  mapLimit,
  must,
  newVote,
  openVote,
  redisHall,
  redisLog,
  sleep,
  tabletAddress,
  Teardown,
  waitFor,
  type Codes,
  type Sent,
  type Tablet,
  type Vote,
} from '../helpers/fault'
import type { NodeProcess, RedisProcess } from '../helpers/processes'
import type { TcpProxy } from '../helpers/proxy'

const TABLETS = 150
const STORE_UNAVAILABLE_ZH = '暂时无法保存，请稍候重试'

describe('Redis killed during a ballot round and restarted from its AOF', () => {
  const t = new Teardown()
  let redis: RedisProcess
  let nodes: NodeProcess[]
  let proxy: TcpProxy
  let codes: Codes

  beforeAll(async () => {
    ;({ redis, nodes, proxy, codes } = await redisHall(t, 2))
  }, 240_000)

  afterAll(() => t.run(), 30_000)

  it('keeps every acked ballot, refuses clearly while down, and resumes without a node restart', async () => {
    const url = proxy.url
    const desks: Tablet[] = []
    for (const [i, c] of codes.secretariat.entries()) desks.push(await connectTablet(url, await login(url, c), { localAddress: `127.2.0.${i + 2}` }))
    const chair = await connectTablet(url, await login(url, codes.chair), { localAddress: '127.2.1.2' })
    t.add('consoles', () => [...desks, chair].forEach((x) => x.close()))
    const voters = codes.delegates.slice(0, TABLETS)
    await checkInAtDesk(desks.map((d) => d.socket), voters.map((v) => v.personId))
    const tablets = await mapLimit(voters, 25, async (v, i) => connectTablet(url, await login(url, v.code), { localAddress: tabletAddress(i) }))
    t.add('tablets', () => tablets.forEach((x) => x.close()))
    expect(new Set(tablets.map((x) => x.snapshots[0].snap.node)).size).toBe(2)

    const { pollId, round, roundKey } = await openVote(chair.socket, '关于财政预算执行情况的决议')
    const votes = new Map<string, Vote>(tablets.map((x, i) => [x.personId, newVote(x.personId, i)]))
    const pids = nodes.map((n) => n.child.pid)
    // The first tablet to vote; it also loses its connection during the outage.
    const probe = tablets[0]

    // Ballots stream in, one every 30 ms (4.5 s in all); Redis is SIGKILLed after 1.5 s and stays
    // down for 2.5 s, then restarts on the same port from the same directory (replaying its AOF), so
    // the stream has ballots before, during and after the outage.
    const SPACING_MS = 30
    let redisDown = false
    let killedAt = 0
    let backAt = 0
    const whileDown: Array<Sent<unknown>> = []
    const afterBack: Array<Sent<unknown>> = []
    const firstAcks: Array<Promise<void>> = []
    const chaos = (async () => {
      await sleep(1500)
      await redis.kill()
      killedAt = Date.now()
      redisDown = true
      await sleep(500)
      // While Redis is down: the health check says so, and the desk and the chair are refused clearly.
      const hs = await Promise.all(nodes.map((n) => health(n.url)))
      for (const h of hs) expect(h.status, JSON.stringify(h.body)).toBe(503)
      const deskCheckIn = await emit(desks[0].socket, 'attendance:checkIn', { personId: codes.delegates[200].personId })
      expect(deskCheckIn).toMatchObject({ ok: false, code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_ZH })
      const close = await emit(chair.socket, 'poll:close', { pollId })
      expect(close).toMatchObject({ ok: false, code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_ZH })
      // A tablet whose connection drops now cannot be let back in (its session is in Redis): the
      // handshake is refused with the same clear error (the client app retries it every 3 s).
      const refusedHandshake = new Promise<unknown>((resolve) =>
        probe.socket.once('connect_error', (err: Error & { data?: unknown }) => resolve(err.data)),
      )
      probe.socket.io.engine.close()
      expect(await refusedHandshake).toMatchObject({ code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_ZH })
      await sleep(killedAt + 2500 - Date.now())
      redisDown = false
      await redis.restart()
      backAt = Date.now()
    })()
    for (const x of tablets) {
      const v = votes.get(x.personId)!
      const sentWhileDown = redisDown
      const sentAfterBack = backAt > 0
      firstAcks.push(
        castOnce(x, pollId, round, v, 8000).then((a) => {
          if (sentWhileDown) whileDown.push(a)
          if (sentAfterBack) afterBack.push(a)
        }),
      )
      await sleep(SPACING_MS)
    }
    await chaos
    await Promise.all(firstAcks)

    // No ack is ever a timeout: a tablet hears either ok or a clear refusal, at once.
    const first = [...votes.values()].map((v) => v.acks[0])
    const refused = first.filter((a) => !a.ok)
    for (const a of refused) expect(a).toMatchObject({ ok: false, code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_ZH })
    expect(whileDown.length).toBeGreaterThan(10)
    for (const a of whileDown) expect(a.ok, 'an ack while Redis was down').toBe(false)
    const ackedFirstTime = [...votes.values()].filter((v) => v.acked)
    console.log(
      `[fault-redis-kill] first attempts: ${first.length - refused.length} acked, ${refused.length} STORE_UNAVAILABLE; ` +
        `${whileDown.length} sent while Redis was down (all refused), ${afterBack.length} after it was back ` +
        `(${afterBack.filter((a) => a.ok).length} acked at once)`,
    )

    // The nodes come back by themselves: same processes, healthy again.
    const t0 = Date.now()
    await waitFor(async () => (await Promise.all(nodes.map((n) => health(n.url)))).every((h) => h.status === 200 && h.body.ok), 15_000, 'healthz ok')
    console.log(`[fault-redis-kill] Redis down ${backAt - killedAt} ms; both nodes healthy ${Date.now() - backAt} ms after it was back (waited ${Date.now() - t0} ms)`)
    expect(nodes.map((n) => n.child.pid)).toEqual(pids)
    for (const n of nodes) expect(n.child.exitCode).toBeNull()

    // The tablet refused during the outage gets in again, and its snapshot says it has voted.
    const since = performance.now()
    probe.socket.connect()
    await waitFor(async () => probe.socket.connected && (probe.snapshots.at(-1)?.at ?? 0) > since, 10_000, 'the refused tablet to reconnect')
    expect(votes.get(probe.personId)!.acks[0].ok).toBe(true)
    expect(probe.snapshots.at(-1)!.snap.votedIn).toContain(roundKey)

    // Every ballot acked before or during the outage is in the box restored from the AOF: the
    // voter's tablet is told it has voted.
    await waitFor(
      async () => {
        const snaps = await Promise.all(
          tablets.filter((x) => votes.get(x.personId)!.acked).map((x) => must<{ votedIn?: string[] }>(x.socket, 'state:sync', {})),
        )
        return snaps.every((s) => s.votedIn?.includes(roundKey))
      },
      10_000,
      'every acked ballot to be in the restored box',
    )

    // The refused ones retry with the same key; whatever Redis had stored (an fsynced cast whose
    // reply was lost with the process) is a repeat, not a second ballot.
    const deadline = Date.now() + 20_000
    await Promise.all(tablets.filter((x) => !votes.get(x.personId)!.acked).map((x) => castUntilAcked(x, pollId, round, votes.get(x.personId)!, deadline)))
    const retried = [...votes.values()].filter((v) => v.acks.length > 1)
    expect(retried.length).toBe(refused.length)

    await waitFor(async () => (await emit(chair.socket, 'poll:close', { pollId })).ok, 10_000, 'the close')
    const p = await chairPoll(chair.socket, pollId)
    const all = [...votes.values()]
    expect(p.result!.count).toMatchObject({ issued: TABLETS, ...expectedCount(all) })
    expect((p.result!.count as { returned: number }).returned).toBe(TABLETS)
    expect(ackedFirstTime.length).toBeGreaterThan(0)
    expect(closings(await redisLog(redis.url), pollId, round)).toHaveLength(1)

    // The desk works again too, and both nodes follow the log again (each reaches its head).
    const ok = await emit(desks[0].socket, 'attendance:checkIn', { personId: codes.delegates[200].personId })
    expect(ok.ok).toBe(true)
    const head = (await redisLog(redis.url)).length
    await waitFor(async () => (await Promise.all(nodes.map((n) => health(n.url)))).every((h) => h.body.events === head), 5000, 'both nodes at the log head')
  })
})
