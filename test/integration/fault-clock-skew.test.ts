// Survive the hall (#6): wrong clocks. A round with a time limit closes at the server-recorded
// closesAt (round.closesAt = the opening node's Date.now() + timeLimitS), whatever the tablets' own
// clocks say: tablets never send a time, and their countdown is computed from the server's clock
// (client/src/logic/clock.ts: offset from system:ping, then remainingMs(closesAt, local + offset)).
//
// Server nodes keep the hall's time, Redis's clock (server/clock.ts), whatever their own clocks say:
// a closed hall network may have no NTP server. With one node 90 s fast (started with a preload that
// shifts Date.now, see test/helpers/skew-clock.cjs) the tests below check that
// - it answers pings, stamps events and sets deadlines on the hall's time, so a round it opens shows
//   the right countdown on every node's tablets and closes after its limit, once;
// - a round a correct node opens is not closed early by it: it closes at its deadline, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bestOffset, sampleFromPing } from '../../client/src/logic/clock'
import { remainingMs } from '../../client/src/logic/polls'
import {
  castOnce,
  chairPoll,
  checkInAtDesk,
  closings,
  connectTablet,
  demoCodes,
  emit,
  expectedCount,
  faultLock,
  login,
  mapLimit,
  must,
  newVote,
  openVote,
  ownNode,
  ownRedis,
  redisLog,
  Teardown,
  waitFor,
  type Codes,
  type Tablet,
  type Vote,
} from '../helpers/fault'
import { startNode, startRedis, type NodeProcess, type RedisProcess } from '../helpers/processes'
import path from 'node:path'

const SKEW_MS = 90_000
const LIMIT_S = 10
const PRELOAD = path.resolve(import.meta.dirname, '../helpers/skew-clock.cjs')

/** A tablet's estimate of the server's clock, made the way the client app makes it, with its own
 * clock off by `deviceSkewMs`. */
async function serverNowEstimate(t: Tablet, deviceSkewMs: number): Promise<{ now: () => number; rtt: number }> {
  const local = () => Date.now() + deviceSkewMs
  const samples = []
  for (let i = 0; i < 3; i++) {
    const sent = local()
    const r = await must<{ serverTime: number }>(t.socket, 'system:ping', {})
    samples.push(sampleFromPing(sent, local(), r.serverTime))
  }
  const offset = bestOffset(samples)
  return { now: () => local() + offset, rtt: Math.min(...samples.map((s) => s.rtt)) }
}

/** When (test-process wall clock) each tablet was told the round is no longer open to it. */
function closedSeenAt(t: Tablet, roundKey: string, after: number): number | null {
  return t.meLog.find((e) => e.wall >= after && e.me && !e.me.eligibleIn.includes(roundKey))?.wall ?? null
}

describe('clock skew between nodes and tablets', () => {
  const t = new Teardown()
  let redis: RedisProcess
  let a: NodeProcess
  let c: NodeProcess
  let fast: NodeProcess | null = null
  let codes: Codes
  let chairA: Tablet
  let tablets: Tablet[]
  const env = () => ({ REDIS_URL: redis.url, BROADCAST_INTERVAL_MS: '100' })

  beforeAll(async () => {
    await faultLock(t)
    redis = ownRedis(t, await startRedis({ aof: true }))
    a = ownNode(t, await startNode(env()))
    c = ownNode(t, await startNode(env()))
    codes = demoCodes(a.dataDir)
    const desks = await Promise.all(codes.secretariat.map(async (code) => connectTablet(a.url, await login(a.url, code))))
    chairA = await connectTablet(a.url, await login(a.url, codes.chair))
    const voters = codes.delegates.slice(0, 130)
    await checkInAtDesk(desks.map((d) => d.socket), voters.map((v) => v.personId))
    desks.forEach((d) => d.close())
    // Twenty tablets, half on each correct node.
    tablets = await mapLimit(voters.slice(0, 20), 10, async (v, i) => {
      const url = i % 2 ? c.url : a.url
      return connectTablet(url, await login(url, v.code))
    })
    t.add('sockets', () => [chairA, ...tablets].forEach((x) => x.close()))
  }, 240_000)

  afterAll(() => t.run(), 30_000)

  it('closes at closesAt whatever the tablets’ clocks say, and both correct nodes close it once', async () => {
    const opened = await openVote(chairA.socket, '限时表决：议程一', LIMIT_S)
    const { pollId, round, roundKey } = opened
    const closesAt = opened.closesAt!
    const openedWall = Date.now()
    expect(closesAt - openedWall).toBeGreaterThan(LIMIT_S * 1000 - 1000)
    expect(closesAt - openedWall).toBeLessThanOrEqual(LIMIT_S * 1000)

    // Tablets whose clocks are an hour slow, two minutes fast, or right, show the same countdown.
    const skews = [-3_600_000, 120_000, 0, 37_000]
    for (const [i, skew] of skews.entries()) {
      const est = await serverNowEstimate(tablets[i], skew)
      const shown = remainingMs(closesAt, est.now())!
      const truth = closesAt - Date.now()
      // The estimate is as good as half the best round trip (plus timer jitter).
      expect(Math.abs(shown - truth), `device clock off by ${skew} ms`).toBeLessThan(est.rtt / 2 + 150)
    }

    // Some vote before the deadline.
    const votes: Vote[] = tablets.slice(0, 12).map((x, i) => newVote(x.personId, i))
    const acks = await Promise.all(votes.map((v, i) => castOnce(tablets[i], pollId, round, v)))
    expect(acks.every((x) => x.ok)).toBe(true)

    // Nobody closes it early: still open a second before the deadline.
    await new Promise((r) => setTimeout(r, Math.max(0, closesAt - 1000 - Date.now())))
    expect((await chairPoll(chairA.socket, pollId)).round?.status).toBe('open')

    // Every tablet hears it closed right after closesAt.
    await waitFor(async () => tablets.every((x) => closedSeenAt(x, roundKey, openedWall) !== null), closesAt - Date.now() + 5000, 'the close')
    const seen = tablets.map((x) => closedSeenAt(x, roundKey, openedWall)! - closesAt)
    console.log(`[fault-clock-skew] correct clocks: tablets saw the close ${Math.min(...seen)}..${Math.max(...seen)} ms after closesAt`)
    for (const d of seen) {
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThan(2500)
    }
    // Both correct nodes armed a timer for the same instant; the round was closed once, at closesAt.
    const closed = closings(await redisLog(redis.url), pollId, round)
    expect(closed).toHaveLength(1)
    expect(closed[0].at - closesAt).toBeGreaterThanOrEqual(0)
    expect(closed[0].at - closesAt).toBeLessThan(2000)
    // A ballot after the close is refused; the count holds exactly the acked ballots.
    const late = await castOnce(tablets[15], pollId, round, newVote(tablets[15].personId, 0))
    expect(late).toMatchObject({ ok: false, code: 'POLL_NOT_OPEN' })
    const p = await chairPoll(chairA.socket, pollId)
    expect(p.result!.count).toMatchObject(expectedCount(votes))
  })

  it(`a node ${SKEW_MS / 1000} s fast keeps the hall's time: a round it opens counts down right on every node and closes after its limit, once`, async () => {
    const preload = `--require ${PRELOAD}`
    fast = ownNode(t, await startNode({ ...env(), CLOCK_OFFSET_MS: String(SKEW_MS), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${preload}`.trim() }))
    const chairFast = await connectTablet(fast.url, await login(fast.url, codes.chair))
    // The chair's earlier session (on node A) is replaced by this login: use this one from now on.
    t.add('chair on the fast node', () => chairFast.close())
    // Its own clock is 90 s fast; what it tells screens is the hall's time.
    const ping = await must<{ serverTime: number }>(chairFast.socket, 'system:ping', {})
    expect(Math.abs(ping.serverTime - Date.now())).toBeLessThan(1000)

    const opened = await openVote(chairFast.socket, '限时表决：议程二', LIMIT_S)
    const openedWall = Date.now()
    const { pollId, round, roundKey } = opened
    // The deadline is LIMIT_S from now, in the hall's time.
    expect(Math.abs(opened.closesAt! - openedWall - LIMIT_S * 1000)).toBeLessThan(1000)
    // A tablet on a correct node shows the right time left.
    const est = await serverNowEstimate(tablets[0], 0)
    expect(Math.abs(remainingMs(opened.closesAt, est.now())! - (opened.closesAt! - Date.now()))).toBeLessThan(est.rtt / 2 + 150)
    expect(remainingMs(opened.closesAt, est.now())!).toBeLessThanOrEqual(LIMIT_S * 1000)

    const votes: Vote[] = tablets.slice(0, 6).map((x, i) => newVote(x.personId, i))
    expect((await Promise.all(votes.map((v, i) => castOnce(tablets[i], pollId, round, v)))).every((x) => x.ok)).toBe(true)

    await waitFor(async () => tablets.every((x) => closedSeenAt(x, roundKey, openedWall) !== null), LIMIT_S * 1000 + 5000, 'the close')
    const after = tablets.map((x) => closedSeenAt(x, roundKey, openedWall)! - openedWall)
    console.log(`[fault-clock-skew] opened on the +${SKEW_MS / 1000} s node: closed ${Math.min(...after)}..${Math.max(...after)} ms after opening (real time)`)
    for (const d of after) {
      expect(d).toBeGreaterThan(LIMIT_S * 1000 - 1500)
      expect(d).toBeLessThan(LIMIT_S * 1000 + 3000)
    }
    const closed = closings(await redisLog(redis.url), pollId, round)
    expect(closed).toHaveLength(1)
    // Stamped on the hall's time, at the deadline, whichever node closed it.
    expect(Math.abs(closed[0].at - Date.now())).toBeLessThan(5000)
    expect(closed[0].at - opened.closesAt!).toBeGreaterThanOrEqual(0)
    expect(closed[0].at - opened.closesAt!).toBeLessThan(2000)
    const p = await chairPoll(chairFast.socket, pollId)
    expect(p.result!.count).toMatchObject(expectedCount(votes))
  })

  it(`a node ${SKEW_MS / 1000} s fast does not close early a round a correct node opens: it closes at its deadline, counted once`, async () => {
    expect(fast).not.toBeNull()
    // The chair logs in on the correct node A again.
    const chair = await connectTablet(a.url, await login(a.url, codes.chair))
    t.add('chair on A', () => chair.close())
    const openedWall = Date.now()
    const opened = await openVote(chair.socket, '限时表决：议程三', LIMIT_S)
    const { pollId, round, roundKey } = opened
    expect(opened.closesAt! - openedWall).toBeGreaterThanOrEqual(LIMIT_S * 1000 - 1000)
    expect(opened.closesAt! - openedWall).toBeLessThan(LIMIT_S * 1000 + 2000)
    const votes: Vote[] = tablets.slice(0, 6).map((x, i) => newVote(x.personId, i))
    expect((await Promise.all(votes.map((v, i) => castOnce(tablets[i], pollId, round, v)))).every((x) => x.ok)).toBe(true)
    // Still open a second before the deadline: the fast node's timer runs on the hall's time too.
    await new Promise((r) => setTimeout(r, Math.max(0, opened.closesAt! - 1000 - Date.now())))
    expect((await chairPoll(chair.socket, pollId)).round?.status).toBe('open')

    await waitFor(async () => tablets.every((x) => closedSeenAt(x, roundKey, openedWall) !== null), opened.closesAt! - Date.now() + 5000, 'the close')
    const after = tablets.map((x) => closedSeenAt(x, roundKey, openedWall)! - opened.closesAt!)
    console.log(`[fault-clock-skew] opened on a correct node beside a +${SKEW_MS / 1000} s node: tablets saw the close ${Math.min(...after)}..${Math.max(...after)} ms after closesAt`)
    for (const d of after) {
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThan(2500)
    }
    const closed = closings(await redisLog(redis.url), pollId, round)
    expect(closed).toHaveLength(1)
    expect(closed[0].at - opened.closesAt!).toBeGreaterThanOrEqual(0)
    expect(closed[0].at - opened.closesAt!).toBeLessThan(2000)
    const p = await chairPoll(chair.socket, pollId)
    expect(p.result!.count).toMatchObject(expectedCount(votes))
    expect(await emit(chair.socket, 'poll:close', { pollId })).toMatchObject({ ok: false, code: 'POLL_NOT_OPEN' })
  })
})
