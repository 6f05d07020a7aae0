// ballots: a secret election where the whole hall votes at the same instant.
//
//   npm run bench -- ballots --clients 3000 [--candidates 20] [--seats 15] [--mark-order list|click] [--displays 2] [--store sqlite|redis] [--nodes 1|2]
//
// 1. Nodes, roster, codes; displays (round-robin) and the chair (node 1) in this process; the tablets
//    (tablet i on node i mod nodes) in --workers forked load-generator processes (default 2), so the
//    sending and the reading of acks are not one event loop's queue (see lib/workers.ts).
// 2. Every tablet checks itself in (uniformly within --checkin-seconds); the displays must show all.
// 3. The chair creates an election (--candidates, --seats; the last two delegates are the
//    scrutineers, who vote too) and opens it: the electorate is the whole hall.
// 4. Ceiling: every tablet sends `system:ping` at once (one loop per worker, all workers starting at
//    the same wall time, payloads built beforehand), acks timed; acked / (last ack - first send) over
//    all workers. Done before and again after the ballots: raw_acks_per_s is the mean of the two.
// 5. Every tablet casts its ballot at once (a valid ballot from --seed: at most --seats "for"). The
//    marks go in the candidate list's order, as the tablet page sends them; --mark-order click sends
//    each ballot's marks in a random order (a device sending them in the order they were touched):
//    every order is accepted, but each new order of keys costs the server's JSON parser a new object
//    shape, so that is the dearer case (about a fifth more server CPU in the burst, measured).
//    ballots_per_s the same way; ratio = ballots_per_s / raw_acks_per_s.
// 6. The chair closes: close_to_display_ms = sending poll:close -> the last display showing the
//    round closed. The scrutineers confirm, the chair publishes: publish_to_display_ms = sending
//    poll:publish -> the last display showing the published result.
// 7. The published count (as the display shows it) against the acks: lost = acked ballots missing
//    from count.returned, duplicates = counted beyond the acks; per-candidate for/against/abstain
//    against the sum of the acked ballots.
// Before each burst (both no-op bursts and the ballots) the load generator's workers run a full
// garbage collection, so their own collections do not land in one burst and not the other; each
// worker sums the tally of its acked ballots after the burst, not in the ack callbacks.
// 8. cpu_ping_burst / cpu_ballot_burst: CPU seconds the server processes (and Redis), the load
//    generator's workers and the whole machine used from just before each burst to its last ack. On
//    2 cores, machine_busy_s near 2 × the burst's length means the burst ended when the cores did.
//    others_s is the rest: this process (the displays and the chair) and anything else running on
//    the machine; a few tenths of a second there mean the run was disturbed. server_main_thread_s is
//    the nodes' main threads alone (their event loops; the rest of server_s is Redis, the SQLite
//    ballot box's thread, the collector's helpers): near the burst's length, the event loop decided it.
//    node1_other_threads_s: node 1's other threads one by one, busiest first (Linux names them all
//    "node"; on SQLite the ballot box's thread is usually first, the collector's helpers follow).
//    loadgen_gc_ms_ballot_burst / loadgen_gc_ms_ping_burst: the load generator's workers' own
//    garbage collection from their first send to their last ack (ms, summed): its share of the burst.
// 9. ballot_acks_per_20ms / ping_acks_per_20ms: acks per 20 ms from the burst's first send. A run of
//    empty bins before the last acks is casts waiting for the ballot box, not for the event loop.
//    ballot_max_ms_by_send_20ms / ping_max_ms_by_send_20ms: the slowest ack among those sent in each
//    20 ms: flat when the server keeps up with the sending, rising when later sends queue behind
//    earlier ones (the burst's throughput decides its p99).
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import os from 'node:os'
import type { ElectionCount } from '../../../shared/domain/elections'
import type { Args } from '../lib/args'
import { command, must } from '../lib/client'
import { log, sleep } from '../lib/log'
import { cpuSeconds, machineCpu, threadCpu } from '../lib/proc'
import type { Scenario, ScenarioContext } from '../lib/scenario'
import {
  checkInWorkers,
  compareElection,
  connectTablets,
  defaultWorkers,
  electionInput,
  fromWall,
  HALL_OPTIONS,
  hallOptions,
  mergeTimed,
  received,
  setupHall,
  engineStats,
  statsDelta,
  waitShown,
  wall,
  workerOf,
  type Tally,
} from '../lib/session'
import { round, summarize } from '../lib/stats'
import { WorkerPool, type AckReply, type StatusReply, type TimedReply } from '../lib/workers'

/** Counts per `binMs` from `from` (wall ms), the last bin holding the last time. */
function perBin(times: number[], from: number | null, binMs: number): number[] {
  if (from === null || times.length === 0) return []
  const out: number[] = []
  for (const t of times) {
    const i = Math.max(0, Math.floor((t - from) / binMs))
    while (out.length <= i) out.push(0)
    out[i]++
  }
  return out
}

const TARGETS = { lost: 0, duplicates: 0, ack_p99_ms: 250, ratio: 0.5, close_to_display_ms: 500 }

const scenario: Scenario = {
  summary: 'a secret election: every tablet casts its ballot at once; close, confirm, publish; count checked against the acks',
  options: [...HALL_OPTIONS, 'candidates', 'seats', 'mark-order'],
  defaultTimeoutS: (args: Args) => Math.ceil(240 + args.num('clients', 3000) * 0.04 + (args.has('wait-quiet') ? args.num('wait-quiet', 120) : 0)),

  async run(ctx: ScenarioContext) {
    const { args, cleanup, partial } = ctx
    const o = hallOptions(args, 3000)
    const candidates = args.num('candidates', 20)
    const seats = args.num('seats', 15)
    if (!(seats >= 1 && seats <= candidates)) throw new Error('--seats must be 1..--candidates')
    const markOrder = args.str('mark-order', 'list')
    if (markOrder !== 'list' && markOrder !== 'click') throw new Error('--mark-order must be list or click')
    const hall = await setupHall(ctx, { ...o, connectTablets: false })
    const { cluster, chair, displays } = hall
    // With --cpu-prof the load generator's workers are profiled too (DIR/loadgen).
    const pool = await WorkerPool.start(cleanup, defaultWorkers(args, o.clients), hall.topo.cpuProfDir ? path.join(hall.topo.cpuProfDir, 'loadgen') : null)
    const connected = await connectTablets(ctx, hall, pool, o)
    log(`ballots: ${connected} tablets, ${candidates} candidates for ${seats} seats, ${hall.topo.store}, ${hall.topo.nodes} node(s)`)

    partial.phase = 'checkin'
    const checkin = await checkInWorkers(hall, pool, o.checkinSeconds, o.seed)

    partial.phase = 'create'
    // Scrutineers: the last two delegates (voters, not candidates); they vote like everyone else.
    const scrutineerIdx = [o.clients - 1, o.clients - 2]
    const created = await must<{ pollId: string; spec: { candidates: Array<{ id: string }> }; warnings: string[] }>(chair.socket, 'poll:create', {
      title: '选举县委委员',
      spec: electionInput(candidates, seats),
      scrutineers: scrutineerIdx.map((i) => hall.prepared.delegates[i].personId),
    })
    const pollId = created.pollId
    const candidateIds = created.spec.candidates.map((c) => c.id)
    const opened = await must<{ round: number; issued: number }>(chair.socket, 'poll:open', { pollId })
    log(`${pollId} open: round ${opened.round}, ${opened.issued} ballots issued`)
    // Every node has the round open (followers fold the log in a little later).
    await cluster.waitForVersion((await cluster.health(cluster.nodes[0])).events)
    await sleep(1500)

    const ourPids = [...cluster.nodes.map((n) => n.pid), ...(cluster.redis ? [cluster.redis.pid] : [])]
    const mono0 = process.hrtime.bigint() / 1000n
    const cpu0 = ourPids.map((p) => cpuSeconds(p) ?? 0)
    const machine0 = machineCpu()
    const lg0 = await pool.all<StatusReply>({ type: 'status' })
    const es0 = await engineStats(cluster)
    const tWin0 = performance.now()

    /** CPU seconds spent while `fn` ran: by the server processes (and Redis), by the load generator's
     * workers, and by the whole machine; on 2 cores a burst is over when both are used up. */
    const cpuOf = async <T>(fn: () => Promise<T>): Promise<{ value: T; cpu: Record<string, number | number[] | null>; monoUs: [number, number] }> => {
      // The load generator shares the two cores with the server: each burst (the no-op ones as well
      // as the ballots) starts on its freshly collected heaps, so that its own collections do not
      // decide which burst looks slower.
      await pool.all({ type: 'gc' })
      const lgA = await pool.all<StatusReply>({ type: 'status' })
      const srvA = ourPids.map((p) => cpuSeconds(p) ?? 0)
      // A node's main thread has the node's pid as its thread id: its event loop alone.
      const mainA = cluster.nodes.map((n) => cpuSeconds(n.pid, n.pid) ?? 0)
      const threadsA = threadCpu(cluster.nodes[0].pid)
      const mA = machineCpu()
      const monoA = process.hrtime.bigint() / 1000n
      const value = await fn()
      const monoB = process.hrtime.bigint() / 1000n
      const mB = machineCpu()
      const mainB = cluster.nodes.map((n) => cpuSeconds(n.pid, n.pid) ?? 0)
      const threadsB = threadCpu(cluster.nodes[0].pid)
      const srvB = ourPids.map((p) => cpuSeconds(p) ?? 0)
      const lgB = await pool.all<StatusReply>({ type: 'status' })
      const lg = lgB.reduce((a, x, i) => a + (x.cpu.user + x.cpu.system - lgA[i].cpu.user - lgA[i].cpu.system) / 1e6, 0)
      const server = srvB.reduce((a, x, i) => a + x - srvA[i], 0)
      const machine = mA && mB ? mB.busy - mA.busy : null
      return {
        value,
        cpu: {
          server_s: round(server, 2),
          server_main_thread_s: round(mainB.reduce((a, x, i) => a + x - mainA[i], 0), 2),
          // Node 1's other threads, busiest first (the ballot box's thread, the collector's helpers).
          node1_other_threads_s: [...threadsB]
            .filter(([tid]) => tid !== cluster.nodes[0].pid)
            .map(([tid, s]) => round(s - (threadsA.get(tid) ?? 0), 2) ?? 0)
            .filter((s) => s > 0)
            .sort((a, b) => b - a),
          loadgen_s: round(lg, 2),
          machine_busy_s: machine === null ? null : round(machine, 2),
          // Everything else: this process (displays, chair) and whatever else runs on the machine.
          others_s: machine === null ? null : round(Math.max(0, machine - server - lg), 2),
        },
        // For prof-top.ts --from/--to: the burst's window on the monotonic clock the profiles use.
        monoUs: [Number(monoA), Number(monoB)] as [number, number],
      }
    }

    partial.phase = 'ping burst'
    const pingRun = await cpuOf(() => pool.all<TimedReply>({ type: 'ping', burst: true, at: wall() + 300, seed: o.seed }))
    const ping = mergeTimed(pingRun.value)
    const pingS = summarize(ping.ms)
    log(`ping burst: ${ping.acked}/${ping.sent} acked, p50 ${pingS.p50} ms, p99 ${pingS.p99} ms, ${round(ping.perS, 0)}/s`)
    await sleep(1500)

    partial.phase = 'ballot burst'
    const rx0 = await received(pool)
    const castRun = await cpuOf(() => pool.all<TimedReply & { tally: Tally }>({
      type: 'cast',
      pollId,
      round: opened.round,
      kind: 'election',
      candidateIds,
      seats,
      markOrder,
      burst: true,
      at: wall() + 300,
      seed: o.seed,
    }))
    const castReplies = castRun.value
    const ballots = mergeTimed(castReplies)
    const expected: Tally = {}
    for (const r of castReplies)
      for (const [id, t] of Object.entries(r.tally)) {
        const row = (expected[id] ??= { for: 0, against: 0, abstain: 0 })
        row.for += t.for
        row.against += t.against
        row.abstain += t.abstain
      }
    // What each tablet received between the burst and the last ack: acks, ballot:received, turnout.
    const rx1 = await received(pool)
    const rx = { frames: (rx1.frames - rx0.frames) / rx1.tablets, bytes: (rx1.bytes - rx0.bytes) / rx1.tablets, changed: (rx1.changed - rx0.changed) / rx1.tablets }
    const ackS = summarize(ballots.ms)
    log(`ballot burst: ${ballots.acked}/${ballots.sent} acked, p50 ${ackS.p50} ms, p99 ${ackS.p99} ms, ${round(ballots.perS, 0)}/s${Object.keys(ballots.errors).length ? ` errors ${JSON.stringify(ballots.errors)}` : ''}`)
    Object.assign(partial, { acked: ballots.acked, ack_p99_ms: ackS.p99 })

    // Turnout reaches the displays through the turnout poller (every 250 ms) and a broadcast.
    const turnoutSeen = await waitShown(displays, pollId, (p) => (p.round?.turnout ?? 0) >= ballots.acked, fromWall(ballots.firstSend ?? wall()), 10_000)
    const turnoutLag = turnoutSeen.map((s) => (s && ballots.lastAck !== null ? Math.max(0, s.t - fromWall(ballots.lastAck)) : null))
    // The ceiling again after the ballots: on a shared 2-core box one burst of no-ops varies by a
    // third from run to run; the ratio uses the mean of the two.
    await sleep(1500)
    partial.phase = 'ping burst 2'
    await pool.all({ type: 'gc' })
    const ping2 = mergeTimed(await pool.all<TimedReply>({ type: 'ping', burst: true, at: wall() + 300, seed: o.seed + 1 }))
    const ceiling = ping.perS && ping2.perS ? (ping.perS + ping2.perS) / 2 : (ping.perS ?? ping2.perS)
    log(`ping burst 2: ${ping2.acked}/${ping2.sent} acked, p99 ${summarize(ping2.ms).p99} ms, ${round(ping2.perS, 0)}/s`)
    const cpu1 = ourPids.map((p) => cpuSeconds(p) ?? 0)
    const machine1 = machineCpu()
    const mono1 = process.hrtime.bigint() / 1000n
    const winS = (performance.now() - tWin0) / 1000
    const es1 = await engineStats(cluster)
    const lg1 = await pool.all<StatusReply>({ type: 'status' })
    const lgCpuS = lg1.reduce((a, s, i) => a + (s.cpu.user + s.cpu.system - lg0[i].cpu.user - lg0[i].cpu.system) / 1e6, 0)

    partial.phase = 'close'
    const tClose = performance.now()
    const closeAck = await command(chair.socket, 'poll:close', { pollId }, 60_000)
    if (!closeAck.ack?.ok) throw new Error(`poll:close: ${closeAck.error}`)
    const closedSeen = await waitShown(displays, pollId, (p) => p.round?.n === opened.round && p.round.status !== 'open', tClose, 30_000)
    const closeToDisplay = closedSeen.map((s) => (s ? s.t - tClose : null))
    log(`close: ack ${round(closeAck.ms, 0)} ms, displays ${closeToDisplay.map((x) => round(x, 0)).join('/')} ms`)

    partial.phase = 'confirm'
    for (const i of scrutineerIdx) {
      const r = await pool.request<AckReply>(workerOf(pool, i), {
        type: 'command',
        index: i,
        event: 'poll:confirm',
        payload: { pollId },
      })
      if (!r.ack?.ok) throw new Error(`poll:confirm refused: ${r.error ?? r.ack?.code}`)
    }

    partial.phase = 'publish'
    const tPub = performance.now()
    const pubAck = await command(chair.socket, 'poll:publish', { pollId }, 60_000)
    if (!pubAck.ack?.ok) throw new Error(`poll:publish: ${pubAck.error}`)
    const pubSeen = await waitShown(displays, pollId, (p) => p.result?.n === opened.round && p.result.published === true, tPub, 30_000)
    const pubToDisplay = pubSeen.map((s) => (s ? s.t - tPub : null))
    log(`publish: ack ${round(pubAck.ms, 0)} ms, displays ${pubToDisplay.map((x) => round(x, 0)).join('/')} ms`)

    // The count as the hall display shows it, against what the tablets were told.
    const shownCount = pubSeen[0]?.poll.result?.count as ElectionCount | undefined
    if (!shownCount) throw new Error('no display showed the published count')
    const cmp = compareElection(shownCount, ballots.acked, expected)
    // Every display must show the same count.
    const displaysAgree = pubSeen.every((s) => s && JSON.stringify(s.poll.result?.count) === JSON.stringify(shownCount))
    log(`count: returned ${cmp.returned}, acked ${ballots.acked}: lost ${cmp.lost}, duplicates ${cmp.duplicates}, candidates mismatched ${cmp.tally_mismatched_candidates}`)

    const machineBusyS = machine0 && machine1 ? machine1.busy - machine0.busy : null
    const ratio = ballots.perS && ceiling ? ballots.perS / ceiling : null
    const closeMax = closeToDisplay.some((x) => x === null) ? null : Math.max(...(closeToDisplay as number[]))
    const pubMax = pubToDisplay.some((x) => x === null) ? null : Math.max(...(pubToDisplay as number[]))
    const endRss = hall.rss.sample()
    const result: Record<string, unknown> = {
      store: hall.topo.store,
      nodes: hall.topo.nodes,
      clients: o.clients,
      connected,
      workers: pool.procs.length,
      checked_in: checkin.acked,
      issued: opened.issued,
      candidates,
      mark_order: markOrder,
      seats,
      acked: ballots.acked,
      tallies_match: cmp.tally_abs_diff === 0,
      ...cmp,
      ballot_errors: ballots.errors,
      ack_p50_ms: ackS.p50,
      ack_p90_ms: ackS.p90,
      ack_p99_ms: ackS.p99,
      ack_max_ms: ackS.max,
      tablet_frames_in_ballot_burst: round(rx.frames, 2),
      tablet_bytes_in_ballot_burst: round(rx.bytes, 0),
      tablet_state_changed_in_ballot_burst: round(rx.changed, 2),
      ballots_per_s: round(ballots.perS, 0),
      loadgen_gc_ms_ballot_burst: round(ballots.gcMs, 0),
      loadgen_gc_ms_ping_burst: round(ping.gcMs, 0),
      // First send to last send: how long the load generator took to send the burst.
      ballot_send_spread_ms: ballots.lastSend !== null && ballots.firstSend !== null ? round(ballots.lastSend - ballots.firstSend, 0) : null,
      ping_send_spread_ms: ping.lastSend !== null && ping.firstSend !== null ? round(ping.lastSend - ping.firstSend, 0) : null,
      ballot_burst_s: ballots.lastAck !== null && ballots.firstSend !== null ? round((ballots.lastAck - ballots.firstSend) / 1000, 2) : null,
      raw_acks_per_s: round(ceiling, 0),
      raw_acks_per_s_before_after: [round(ping.perS, 0), round(ping2.perS, 0)],
      ping_acked: ping.acked + ping2.acked,
      ping_errors: { ...ping.errors, ...ping2.errors },
      ping_ack_p50_ms: pingS.p50,
      ping_ack_p99_ms: pingS.p99,
      ping2_ack_p99_ms: summarize(ping2.ms).p99,
      ping_burst_s: ping.lastAck !== null && ping.firstSend !== null ? round((ping.lastAck - ping.firstSend) / 1000, 2) : null,
      ratio: round(ratio, 2),
      // CPU seconds used during the first ping burst and during the ballot burst (each measured from
      // just before the burst's start signal to its last ack).
      cpu_ping_burst: pingRun.cpu,
      cpu_ballot_burst: castRun.cpu,
      // When the acks came: how many in each 20 ms from the burst's first send (a tail after a gap
      // is casts waiting for the ballot box), for the ballots and the first no-op burst.
      ballot_acks_per_20ms: perBin(ballots.ackAt, ballots.firstSend, 20),
      // The slowest ack among the ballots sent in each 20 ms from the first send: whether the tail
      // is the last ones sent (a queue) or early ones left behind.
      ballot_max_ms_by_send_20ms: maxBySend(castReplies, ballots.firstSend, 20),
      ping_max_ms_by_send_20ms: maxBySend(pingRun.value, ping.firstSend, 20),
      ping_acks_per_20ms: perBin(ping.ackAt, ping.firstSend, 20),
      // For prof-top.ts --from/--to (a node's --cpu-prof profile uses the same monotonic clock).
      ping_burst_window_mono_us: pingRun.monoUs,
      ballot_burst_window_mono_us: castRun.monoUs,
      turnout_on_display_after_last_ack_ms: turnoutLag.map((x) => round(x, 0)),
      close_ack_ms: round(closeAck.ms, 0),
      close_to_display_ms: round(closeMax, 0),
      close_to_display_per_display_ms: closeToDisplay.map((x) => round(x, 0)),
      publish_ack_ms: round(pubAck.ms, 0),
      publish_to_display_ms: round(pubMax, 0),
      publish_to_display_per_display_ms: pubToDisplay.map((x) => round(x, 0)),
      displays_agree: displaysAgree,
      per_node: cluster.nodes.map((n, i) => ({
        node: n.name,
        cpu_pct_bursts: round(((cpu1[i] - cpu0[i]) / winS) * 100, 0),
        rss_mb: round(endRss.get(n.pid) ?? null, 0),
        rss_peak_mb: round(hall.rss.peak.get(n.pid) ?? null, 0),
      })),
      redis_cpu_pct_bursts: cluster.redis ? round(((cpu1[cpu1.length - 1] - cpu0[cpu0.length - 1]) / winS) * 100, 0) : null,
      loadgen_workers_cpu_pct_bursts: round((lgCpuS / winS) * 100, 0),
      machine_busy_pct_bursts: machineBusyS !== null ? round((machineBusyS / winS) * 100, 0) : null,
      machine_busy_pct_before: round(hall.busyBefore, 0),
      loadavg_1m: round(os.loadavg()[0], 2),
      connect_p99_ms: hall.connect.p99,
      connect_errors: hall.connect.errors,
      cpu_profiles: hall.topo.cpuProfDir,
      // CLOCK_MONOTONIC µs around the ping and ballot bursts: prof-top.ts --from/--to.
      bursts_window_mono_us: [Number(mono0), Number(mono1)],
      engine_stats_bursts: statsDelta(es0, es1),
      server_node_options: args.str('server-node-options', null),
      server_root: hall.topo.serverRoot,
    }
    const missed: string[] = []
    if (connected !== o.clients) missed.push('connected')
    if (ballots.acked !== connected) missed.push('acked')
    if (cmp.lost > 0 || cmp.tally_marks_missing > 0) missed.push('lost')
    if (cmp.duplicates > 0 || cmp.tally_marks_extra > 0) missed.push('duplicates')
    if (ackS.p99 === null || ackS.p99 >= TARGETS.ack_p99_ms) missed.push('ack_p99_ms')
    if (ratio === null || ratio < TARGETS.ratio) missed.push('ratio')
    if (closeMax === null || closeMax >= TARGETS.close_to_display_ms) missed.push('close_to_display_ms')
    if (!displaysAgree) missed.push('displays_agree')
    result.targets = TARGETS
    result.targets_missed = missed
    return result
  },
}

/** The slowest ack (ms) among the commands sent in each `binMs` from `from` (wall ms). */
function maxBySend(rs: TimedReply[], from: number | null, binMs: number): number[] {
  if (from === null) return []
  const out: number[] = []
  for (const r of rs)
    for (let i = 0; i < r.ms.length; i++) {
      const b = Math.max(0, Math.floor((r.ackAt[i] - r.ms[i] - from) / binMs))
      while (out.length <= b) out.push(0)
      out[b] = Math.max(out[b], round(r.ms[i], 0) ?? 0)
    }
  return out
}

export default scenario
