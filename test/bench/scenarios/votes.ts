// votes: an open (named) resolution vote with a live tally on the hall displays.
//
//   npm run bench -- votes --clients 3000 [--seconds 2] [--displays 2] [--store sqlite|redis] [--nodes 1|2]
//
// 1. Nodes, roster, codes; displays and the chair in this process, the tablets in --workers forked
//    load-generator processes (default 2); every tablet checks in.
// 2. The chair creates a resolution vote (secret: false, liveResults: true) and opens it.
// 3. Every tablet casts `{ mark }` (for / against / abstain from --seed) at a uniform random moment
//    within --seconds, and `system:ping` at another (the no-op at the same pacing, for comparison).
// 4. Tally lag: the r-th ack (arrival order) at t; lag = the first time a display showed a live
//    tally (result.count.live) with for+against+abstain >= r, minus t (clamped at 0, counted in
//    tally_lag_negative); both displays pooled.
// 5. Broadcasts: state:changed frames per display per second from the first cast to the last ack
//    (broadcasts_per_s); max_updates_per_s_per_display is the most frames one display got in any one
//    second of the vote, by the frames' serverTime (_arrival: by when they arrived), target <= 10.
// 6. The chair closes and publishes; the published for/against/abstain against the acked ballots.
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import os from 'node:os'
import type { PollView } from '../../../shared/domain/poll-views'
import type { ResolutionCount } from '../../../shared/domain/votes'
import type { Args } from '../lib/args'
import { command, must } from '../lib/client'
import { log, sleep } from '../lib/log'
import { cpuSeconds, machineCpu } from '../lib/proc'
import type { Scenario, ScenarioContext } from '../lib/scenario'
import {
  checkInWorkers,
  connectTablets,
  defaultWorkers,
  fromWall,
  HALL_OPTIONS,
  hallOptions,
  maxPerSecond,
  mergeTimed,
  setupHall,
  engineStats,
  statsDelta,
  waitShown,
  wall,
  type Mark,
  type PollDisplay,
} from '../lib/session'
import { round, summarize } from '../lib/stats'
import { WorkerPool, type StatusReply, type TimedReply } from '../lib/workers'

const TARGETS = { lost: 0, ack_p99_ms: 250, tally_lag_p99_ms: 300, max_updates_per_s_per_display: 10 }

function liveTotal(p: PollView | undefined): number | null {
  const live = (p?.result?.count as { live?: Record<string, number> } | undefined)?.live
  if (!live) return null
  return (live.for ?? 0) + (live.against ?? 0) + (live.abstain ?? 0)
}

/** firstAtLeast[k] = when this display first showed a live total >= k. */
function liveSteps(d: PollDisplay, pollId: string, from: number): { firstAtLeast: number[]; max: number } {
  const firstAtLeast: number[] = []
  let max = 0
  for (const s of d.shown) {
    if (s.t < from) continue
    const n = liveTotal(s.polls.find((x) => x.id === pollId))
    if (n === null) continue
    for (let k = max + 1; k <= n; k++) firstAtLeast[k] = s.t
    if (n > max) max = n
  }
  return { firstAtLeast, max }
}

const scenario: Scenario = {
  summary: 'an open resolution vote with a live tally: every tablet votes within --seconds; displays follow the tally',
  options: [...HALL_OPTIONS, 'seconds'],
  defaultTimeoutS: (args: Args) => Math.ceil(240 + args.num('clients', 3000) * 0.04 + args.num('seconds', 2) + (args.has('wait-quiet') ? args.num('wait-quiet', 120) : 0)),

  async run(ctx: ScenarioContext) {
    const { args, cleanup, partial } = ctx
    const o = hallOptions(args, 3000)
    const seconds = args.num('seconds', 2)
    if (!(seconds > 0)) throw new Error('--seconds must be > 0')
    const hall = await setupHall(ctx, { ...o, connectTablets: false })
    const { cluster, chair, displays } = hall
    // With --cpu-prof the load generator's workers are profiled too (DIR/loadgen).
    const pool = await WorkerPool.start(cleanup, defaultWorkers(args, o.clients), hall.topo.cpuProfDir ? path.join(hall.topo.cpuProfDir, 'loadgen') : null)
    const connected = await connectTablets(ctx, hall, pool, o)
    log(`votes: ${connected} tablets within ${seconds} s, ${displays.length} displays, ${hall.topo.store}, ${hall.topo.nodes} node(s)`)

    partial.phase = 'checkin'
    const checkin = await checkInWorkers(hall, pool, o.checkinSeconds, o.seed)

    partial.phase = 'open'
    const { pollId } = await must<{ pollId: string }>(chair.socket, 'poll:create', {
      title: '关于县委工作报告的决议',
      spec: { kind: 'resolution', question: '通过县委工作报告的决议' },
      secret: false,
      liveResults: true,
    })
    const opened = await must<{ round: number; issued: number }>(chair.socket, 'poll:open', { pollId })
    log(`${pollId} open: round ${opened.round}, ${opened.issued} voters`)
    await cluster.waitForVersion((await cluster.health(cluster.nodes[0])).events)
    await sleep(1500)

    partial.phase = 'vote'
    const ourPids = [...cluster.nodes.map((n) => n.pid), ...(cluster.redis ? [cluster.redis.pid] : [])]
    const cpu0 = ourPids.map((p) => cpuSeconds(p) ?? 0)
    const machine0 = machineCpu()
    const lg0 = await pool.all<StatusReply>({ type: 'status' })
    const es0 = await engineStats(cluster)
    const mono0 = process.hrtime.bigint() / 1000n
    // Casts and pings, each tablet at its own uniform random moments within the window.
    const at = wall() + 300
    const t0 = fromWall(at)
    const [castReplies, pingReplies] = await Promise.all([
      pool.all<TimedReply & { marks: Record<Mark, number> }>({ type: 'cast', pollId, round: opened.round, kind: 'resolution', at, seconds, seed: o.seed + 7 }),
      pool.all<TimedReply>({ type: 'ping', at, seconds, seed: o.seed + 8 }),
    ])
    const casts = mergeTimed(castReplies)
    const pings = mergeTimed(pingReplies)
    const expected: Record<Mark, number> = { for: 0, against: 0, abstain: 0 }
    for (const r of castReplies) for (const m of ['for', 'against', 'abstain'] as const) expected[m] += r.marks[m]
    const ackAt = casts.ackAt.map(fromWall)
    const lastAck = ackAt.length ? ackAt[ackAt.length - 1] : performance.now()
    const acked = casts.acked
    const errors = new Map(Object.entries(casts.errors))
    const pingErrors = new Map(Object.entries(pings.errors))
    const pingMs = pings.ms
    const ackS = summarize(casts.ms)
    log(`vote: ${acked}/${casts.sent} acked in ${((lastAck - t0) / 1000).toFixed(2)} s, p50 ${ackS.p50} ms, p99 ${ackS.p99} ms${errors.size ? ` errors ${JSON.stringify(Object.fromEntries(errors))}` : ''}`)
    Object.assign(partial, { acked, ack_p99_ms: ackS.p99 })

    const final = await waitShown(displays, pollId, (p) => (liveTotal(p) ?? 0) >= acked, t0, 10_000)
    await sleep(1200)
    const cpu1 = ourPids.map((p) => cpuSeconds(p) ?? 0)
    const machine1 = machineCpu()
    const mono1 = process.hrtime.bigint() / 1000n
    const winS = (performance.now() - t0) / 1000
    const es1 = await engineStats(cluster)
    const lg1 = await pool.all<StatusReply>({ type: 'status' })
    const lgCpuS = lg1.reduce((a, x, i) => a + (x.cpu.user + x.cpu.system - lg0[i].cpu.user - lg0[i].cpu.system) / 1e6, 0)

    // Tally lag per ack rank, per display.
    const sortedAcks = ackAt
    const lags: number[] = []
    let missing = 0
    let negative = 0
    const perDisplay = displays.map((d, i) => {
      const { firstAtLeast, max } = liveSteps(d, pollId, t0)
      const mine: number[] = []
      for (let r = 1; r <= sortedAcks.length; r++) {
        const shown = firstAtLeast[r]
        if (shown === undefined) {
          missing++
          continue
        }
        const lag = shown - sortedAcks[r - 1]
        if (lag < 0) negative++
        mine.push(Math.max(0, lag))
      }
      lags.push(...mine)
      const s = summarize(mine)
      // Frames during the vote, and the busiest second (arrival time and server build time).
      const inVote = d.changedAt.filter((t) => t >= t0 && t <= lastAck).length
      const idx = d.changedAt.map((t, j) => [t, j] as const).filter(([t]) => t >= t0 && t <= (final[i]?.t ?? lastAck) + 1000)
      const byArrival = maxPerSecond(idx.map(([t]) => t))
      const byServer = maxPerSecond(idx.map(([, j]) => d.changedServerTime[j]))
      return {
        node: d.node,
        final_live_total: max,
        tally_lag_p50_ms: s.p50,
        tally_lag_p99_ms: s.p99,
        tally_lag_max_ms: s.max,
        final_shown_after_last_ack_ms: final[i] ? round(Math.max(0, final[i]!.t - lastAck), 0) : null,
        state_changed_in_vote: inVote,
        broadcasts_per_s: round(inVote / ((lastAck - t0) / 1000), 1),
        max_updates_per_s: byServer,
        max_updates_per_s_arrival: byArrival,
      }
    })
    const lag = summarize(lags)
    const maxUpdates = Math.max(...perDisplay.map((p) => p.max_updates_per_s_arrival))
    const maxUpdatesServer = Math.max(...perDisplay.map((p) => p.max_updates_per_s))

    partial.phase = 'close'
    const tClose = performance.now()
    const closeAck = await command(chair.socket, 'poll:close', { pollId }, 60_000)
    if (!closeAck.ack?.ok) throw new Error(`poll:close: ${closeAck.error}`)
    const closedSeen = await waitShown(displays, pollId, (p) => p.round?.status !== 'open', tClose, 30_000)
    const tPub = performance.now()
    const pubAck = await command(chair.socket, 'poll:publish', { pollId }, 60_000)
    if (!pubAck.ack?.ok) throw new Error(`poll:publish: ${pubAck.error}`)
    const pubSeen = await waitShown(displays, pollId, (p) => p.result?.published === true, tPub, 30_000)
    const count = pubSeen[0]?.poll.result?.count as ResolutionCount | undefined
    if (!count) throw new Error('no display showed the published count')
    const returned = count.returned
    const tallyDiff = Math.abs(count.for - expected.for) + Math.abs(count.against - expected.against) + Math.abs(count.abstain - expected.abstain)
    const lost = Math.max(0, acked - returned)
    const duplicates = Math.max(0, returned - acked)
    log(`count: returned ${returned}, acked ${acked}, for/against/abstain ${count.for}/${count.against}/${count.abstain} (expected ${expected.for}/${expected.against}/${expected.abstain})`)

    const machineBusyS = machine0 && machine1 ? machine1.busy - machine0.busy : null
    const endRss = hall.rss.sample()
    const pingS = summarize(pingMs)
    const result: Record<string, unknown> = {
      store: hall.topo.store,
      nodes: hall.topo.nodes,
      clients: o.clients,
      connected,
      workers: pool.procs.length,
      checked_in: checkin.acked,
      seconds,
      acked,
      lost,
      duplicates,
      returned,
      tallies_match: tallyDiff === 0,
      published: { for: count.for, against: count.against, abstain: count.abstain, passed: count.passed },
      expected,
      cast_errors: Object.fromEntries(errors),
      ack_p50_ms: ackS.p50,
      ack_p90_ms: ackS.p90,
      ack_p99_ms: ackS.p99,
      ack_max_ms: ackS.max,
      ping_ack_p50_ms: pingS.p50,
      ping_ack_p99_ms: pingS.p99,
      ping_errors: Object.fromEntries(pingErrors),
      tally_lag_p50_ms: lag.p50,
      tally_lag_p99_ms: lag.p99,
      tally_lag_max_ms: lag.max,
      tally_lag_missing: missing,
      tally_lag_negative: negative,
      broadcasts_per_s: round(perDisplay.reduce((a, p) => a + (p.broadcasts_per_s ?? 0), 0) / perDisplay.length, 1),
      // Coalescing is a property of the server: counted by the frames' serverTime (when built);
      // _arrival counts them by when the load generator read them (bunched when it lags).
      max_updates_per_s_per_display: maxUpdatesServer,
      max_updates_per_s_per_display_arrival: maxUpdates,
      per_display: perDisplay,
      vote_span_s: round((lastAck - t0) / 1000, 2),
      close_ack_ms: round(closeAck.ms, 0),
      close_to_display_ms: round(Math.max(...closedSeen.map((s) => (s ? s.t - tClose : Infinity))), 0),
      publish_to_display_ms: round(Math.max(...pubSeen.map((s) => (s ? s.t - tPub : Infinity))), 0),
      per_node: cluster.nodes.map((n, i) => ({
        node: n.name,
        cpu_pct_vote: round(((cpu1[i] - cpu0[i]) / winS) * 100, 0),
        rss_mb: round(endRss.get(n.pid) ?? null, 0),
        rss_peak_mb: round(hall.rss.peak.get(n.pid) ?? null, 0),
      })),
      redis_cpu_pct_vote: cluster.redis ? round(((cpu1[cpu1.length - 1] - cpu0[cpu0.length - 1]) / winS) * 100, 0) : null,
      loadgen_workers_cpu_pct_vote: round((lgCpuS / winS) * 100, 0),
      machine_busy_pct_vote: machineBusyS !== null ? round((machineBusyS / winS) * 100, 0) : null,
      machine_busy_pct_before: round(hall.busyBefore, 0),
      loadavg_1m: round(os.loadavg()[0], 2),
      connect_p99_ms: hall.connect.p99,
      cpu_profiles: hall.topo.cpuProfDir,
      vote_window_mono_us: [Number(mono0), Number(mono1)],
      engine_stats_vote: statsDelta(es0, es1),
      server_node_options: args.str('server-node-options', null),
      server_root: hall.topo.serverRoot,
    }
    const missed: string[] = []
    if (connected !== o.clients) missed.push('connected')
    if (acked !== connected) missed.push('acked')
    if (lost > 0 || tallyDiff > 0) missed.push('lost')
    if (duplicates > 0) missed.push('duplicates')
    if (ackS.p99 === null || ackS.p99 >= TARGETS.ack_p99_ms) missed.push('ack_p99_ms')
    if (lag.p99 === null || lag.p99 >= TARGETS.tally_lag_p99_ms || missing > 0) missed.push('tally_lag_p99_ms')
    if (maxUpdatesServer > TARGETS.max_updates_per_s_per_display) missed.push('max_updates_per_s_per_display')
    result.targets = TARGETS
    result.targets_missed = missed
    return result
  },
}

export default scenario
