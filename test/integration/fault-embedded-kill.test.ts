// Survive the hall (#6): the embedded single-node server (SQLite: the log with WAL and
// synchronous=FULL, the ballot box in its own rollback-journal file) is killed with SIGKILL while
// ballots stream in, and started again on the same port and data directory. Every acked ballot is
// counted, none twice (retries reuse their idempotency key), and the tablets reconnect by themselves
// and resync: the round is still open, they may vote in it, and they know whether they have voted.
// (test/integration/crash.test.ts does the same for check-ins.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  castOnce,
  castUntilAcked,
  chairPoll,
  checkInAtDesk,
  closings,
  connectTablet,
  demoCodes,
  expectedCount,
  faultLock,
  health,
  login,
  mapLimit,
  must,
  newVote,
  openVote,
  ownNode,
  sleep,
  sqliteLog,
  Teardown,
  waitFor,
  type Codes,
  type Sent,
  type Tablet,
  type Vote,
} from '../helpers/fault'
import { startNode, type NodeProcess } from '../helpers/processes'
import type { PublicView } from '../../shared/protocol'

const TABLETS = 150

describe('the embedded server killed during a ballot round', () => {
  const t = new Teardown()
  let node: NodeProcess
  let codes: Codes

  beforeAll(async () => {
    await faultLock(t)
    node = ownNode(t, await startNode({ BROADCAST_INTERVAL_MS: '100' }))
    codes = demoCodes(node.dataDir)
  }, 240_000)

  afterAll(() => t.run(), 30_000)

  it('counts every acked ballot once after a restart, and the tablets resync by themselves', async () => {
    const url = node.url
    const desks: Tablet[] = []
    for (const c of codes.secretariat) desks.push(await connectTablet(url, await login(url, c)))
    const chair = await connectTablet(url, await login(url, codes.chair))
    const display = await connectTablet(url, await login(url, codes.display))
    t.add('consoles', () => [...desks, chair, display].forEach((x) => x.close()))
    const voters = codes.delegates.slice(0, TABLETS)
    await checkInAtDesk(desks.map((d) => d.socket), voters.map((v) => v.personId))
    const tablets = await mapLimit(voters, 25, async (v) => connectTablet(url, await login(url, v.code)))
    t.add('tablets', () => tablets.forEach((x) => x.close()))

    const { pollId, round, roundKey } = await openVote(chair.socket, '关于县纪委工作报告的决议')
    const votes = new Map<string, Vote>(tablets.map((x, i) => [x.personId, newVote(x.personId, i)]))

    // Ballots stream in, five every 8 ms; the process is SIGKILLed in the middle of the stream.
    const firstAcks: Array<Promise<Sent<unknown>>> = []
    const sentBeforeKill = new Set<string>()
    let killedAt = 0
    let killing: Promise<void> | null = null
    for (const [i, x] of tablets.entries()) {
      if (i === Math.floor(TABLETS / 2)) {
        killedAt = performance.now()
        killing = node.kill('SIGKILL')
      }
      if (!killing) sentBeforeKill.add(x.personId)
      firstAcks.push(castOnce(x, pollId, round, votes.get(x.personId)!, 5000))
      // Bursts of five, so that a group commit of several ballots is under way when the kill lands.
      if (i % 5 === 4) await sleep(8)
    }
    await killing
    await Promise.all(firstAcks)
    const acked = [...votes.values()].filter((v) => v.acked)
    const lost = [...votes.values()].filter((v) => !v.acked && sentBeforeKill.has(v.personId))
    expect(acked.length).toBeGreaterThan(0)
    // An ack is never a lie: nothing acked after the process was gone.
    for (const v of votes.values()) if (!sentBeforeKill.has(v.personId)) expect(v.acked).toBe(false)

    // Started again on the same port and data: the tablets reconnect by themselves (socket.io's
    // backoff) and get a fresh snapshot.
    await sleep(500)
    const restartAt = performance.now()
    await node.restart()
    const upAt = performance.now()
    // (A tablet may get in between the node listening and its first /healthz answer: any snapshot
    // after the kill counts.)
    await waitFor(
      async () => tablets.every((x) => x.socket.connected && (x.snapshots.at(-1)?.at ?? 0) > killedAt),
      20_000,
      'every tablet to reconnect to the restarted node',
    )
    const resyncMs = tablets.map((x) => x.snapshots.find((s) => s.at > killedAt)!.at - restartAt)
    console.log(
      `[fault-embedded-kill] ${acked.length} ballots acked before the kill, ${lost.length} sent without an ack; node healthy ` +
        `${Math.round(upAt - restartAt)} ms after it was started again; every tablet resynced within ${Math.round(Math.max(...resyncMs))} ms of that start`,
    )

    for (const x of tablets) {
      const snap = x.snapshots.at(-1)!.snap
      const v = votes.get(x.personId)!
      expect(snap.me?.eligibleIn).toContain(roundKey)
      if (v.acked) expect(snap.votedIn, `${x.personId}'s acked ballot`).toContain(roundKey)
      if (!sentBeforeKill.has(x.personId)) expect(snap.votedIn ?? []).not.toContain(roundKey)
      const p = (snap.view as PublicView).polls.find((q) => q.id === pollId)
      expect(p?.round).toMatchObject({ n: round, status: 'open', issued: TABLETS })
    }
    // The ballots stored though their ack was lost with the process are exactly those the
    // tablets now see as voted; a retry with the same key is a repeat.
    const storedUnacked = lost.filter((v) => tablets.find((x) => x.personId === v.personId)!.snapshots.at(-1)!.snap.votedIn?.includes(roundKey))

    const deadline = Date.now() + 20_000
    await Promise.all(tablets.filter((x) => !votes.get(x.personId)!.acked).map((x) => castUntilAcked(x, pollId, round, votes.get(x.personId)!, deadline)))
    console.log(`[fault-embedded-kill] stored though the ack was lost: ${storedUnacked.length}; retried: ${[...votes.values()].filter((v) => v.acks.length > 1).length}`)

    await must(chair.socket, 'poll:close', { pollId })
    const p = await chairPoll(chair.socket, pollId)
    expect(p.result!.count).toMatchObject({ issued: TABLETS, ...expectedCount([...votes.values()]) })
    expect((p.result!.count as { returned: number }).returned).toBe(TABLETS)

    // The log replayed with its chain intact, and the round was closed once.
    const h = await health(url)
    expect(h.body).toMatchObject({ ok: true, store: 'sqlite', durable: true })
    expect(closings(sqliteLog(node.dataDir), pollId, round)).toHaveLength(1)
  })
})
