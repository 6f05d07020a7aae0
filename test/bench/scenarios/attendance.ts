// attendance: a full hall checks itself in on its tablets.
//
//   npm run bench -- attendance --clients 3000 [--seconds 30] [--displays 2] [--store sqlite|redis] [--nodes 1|2]
//
// 1. Start the nodes; the secretariat imports a roster of --clients delegates and issues their codes.
// 2. --displays hall displays connect (round-robin over the nodes, display 1 on node 1).
// 3. Every delegate logs in over HTTP and connects (paced: --login-rate per second, at most
//    --login-concurrency in flight), round-robin over the nodes. connect = login start to the first
//    state:snapshot.
// 4. Check-in window (--seconds): every tablet sends `attendance:checkIn {}` at a uniformly random
//    moment, and `system:ping` (the no-op baseline) at another, independent one, so both see the same
//    load. Ack latency is measured per command.
// 5. Display lag: the r-th successful ack (in order of arrival) at time t is on a display once that
//    display shows present >= r; lag = when it first did - t (clamped at 0, per display).
// 6. Bytes: every websocket frame a tablet receives during the window, divided by the tablets and by
//    the check-ins: what each tablet receives per check-in happening in the hall.
import { performance } from 'node:perf_hooks'
import os from 'node:os'
import path from 'node:path'
import type { PublicView, StateChanged, Snapshot } from '../../../shared/protocol'
import type { Args } from '../lib/args'
import { command, type BenchClient } from '../lib/client'
import { startCluster } from '../lib/cluster'
import { connectMany, prepareHall } from '../lib/hall'
import { LoadgenMonitor } from '../lib/loadgen'
import { log, sleep } from '../lib/log'
import { cpuSeconds, machineBusyPct, machineCpu, RssSampler, waitQuiet } from '../lib/proc'
import type { Scenario, ScenarioContext } from '../lib/scenario'
import { topology } from '../lib/scenario'
import { round, summarize } from '../lib/stats'
import { prng } from '../../../shared/prng'

const TARGETS = { checkin_ack_p99_ms: 50, display_lag_p99_ms: 200, server_rss_mb: 400 }

interface DisplayWatch {
  client: BenchClient
  node: string
  /** firstAtLeast[k]: performance.now() when this display first showed present >= k. */
  firstAtLeast: number[]
  maxSeen: number
}

function watchDisplay(client: BenchClient, node: string): DisplayWatch {
  const w: DisplayWatch = { client, node, firstAtLeast: [], maxSeen: 0 }
  const see = (present: number) => {
    const now = performance.now()
    for (let k = w.maxSeen + 1; k <= present; k++) w.firstAtLeast[k] = now
    if (present > w.maxSeen) w.maxSeen = present
  }
  see((client.snapshot?.view as PublicView).attendance.present)
  client.socket.on('state:changed', (s: StateChanged) => see((s.view as PublicView).attendance.present))
  client.socket.on('state:snapshot', (s: Snapshot) => see((s.view as PublicView).attendance.present))
  return w
}

function diffStats(a: Record<string, number> | null, b: Record<string, number> | null): Record<string, number> | undefined {
  if (!a || !b) return undefined
  return Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]))
}

const scenario: Scenario = {
  summary: 'a hall of --clients tablets connects and checks itself in within --seconds; displays follow the count',
  options: ['clients', 'seconds', 'displays', 'login-rate', 'login-concurrency', 'seed', 'parse-all'],
  defaultTimeoutS: (args: Args) =>
    Math.ceil(180 + args.num('seconds', 30) + args.num('clients', 3000) * 0.03 + (args.has('wait-quiet') ? args.num('wait-quiet', 120) : 0)),

  async run(ctx: ScenarioContext) {
    const { args, cleanup, partial } = ctx
    const clients = args.num('clients', 3000)
    const seconds = args.num('seconds', 30)
    const displayCount = args.num('displays', 2)
    const loginRate = args.num('login-rate', 300)
    const loginConcurrency = args.num('login-concurrency', 64)
    const seed = args.num('seed', 1)
    // Tablets count state:changed and state:patched frames without parsing them unless --parse-all
    // (displays always parse).
    const parseAll = args.bool('parse-all')
    if (!Number.isInteger(clients) || clients < 1 || clients > 10_000) throw new Error('--clients must be 1..10000')
    if (!(seconds > 0)) throw new Error('--seconds must be > 0')
    if (!Number.isInteger(displayCount) || displayCount < 1) throw new Error('--displays must be >= 1')
    const topo = topology(args, () => path.join(os.tmpdir(), `congress-bench-prof-${Date.now()}`))
    // --wait-quiet S: on a shared machine, wait up to S seconds for other processes to go idle first.
    const busyBefore = args.has('wait-quiet') ? await waitQuiet(args.num('wait-quiet', 120)) : await machineBusyPct(1000)
    Object.assign(partial, { store: topo.store, nodes: topo.nodes, clients, phase: 'start' })
    log(`attendance: ${clients} tablets, ${displayCount} displays, ${seconds} s window, ${topo.store}, ${topo.nodes} node(s)`)

    const cluster = await startCluster(cleanup, {
      store: topo.store,
      nodes: topo.nodes,
      env: topo.env,
      cpuProfDir: topo.cpuProfDir,
      serverRoot: topo.serverRoot,
    })
    if (topo.cpuProfDir) log(`CPU profiles of the nodes go to ${topo.cpuProfDir} when they stop`)
    const all: BenchClient[] = []
    cleanup.add('disconnect clients', async () => {
      for (const c of all) c.close()
      await sleep(200)
    })
    const serverPids = cluster.nodes.map((n) => n.pid)
    const rss = new RssSampler([...serverPids, process.pid])

    partial.phase = 'roster'
    const hall = await prepareHall(cluster, { delegates: clients, displays: displayCount })
    all.push(hall.secretariat)

    partial.phase = 'displays'
    const displayOutcomes = await connectMany(
      hall.displays.map((cred, i) => ({ node: cluster.nodes[i % cluster.nodes.length], cred })),
      { rate: 100, concurrency: 4, label: 'displays' },
    )
    const displays: DisplayWatch[] = []
    for (const o of displayOutcomes) {
      if (!o.client) throw new Error(`display ${o.index + 1} did not connect: ${o.error}`)
      all.push(o.client)
      displays.push(watchDisplay(o.client, cluster.nodes[o.index % cluster.nodes.length].name))
    }

    partial.phase = 'connect'
    const connectMon = new LoadgenMonitor()
    const tConnect = performance.now()
    const outcomes = await connectMany(
      hall.delegates.map((cred, i) => ({ node: cluster.nodes[i % cluster.nodes.length], cred })),
      { rate: loginRate, concurrency: loginConcurrency, label: 'tablets', skip: parseAll ? [] : ['state:changed', 'state:patched'] },
    )
    const connectS = (performance.now() - tConnect) / 1000
    const connectLoadgen = connectMon.read()
    connectMon.stop()
    const tablets = outcomes.flatMap((o) => (o.client ? [o.client] : []))
    all.push(...tablets)
    const connectErrors = new Map<string, number>()
    for (const o of outcomes) if (o.error) connectErrors.set(o.error, (connectErrors.get(o.error) ?? 0) + 1)
    const connect = summarize(outcomes.flatMap((o) => (o.connectMs !== null ? [o.connectMs] : [])))
    const loginLat = summarize(outcomes.flatMap((o) => (o.loginMs !== null ? [o.loginMs] : [])))
    log(`connected ${tablets.length}/${clients} in ${connectS.toFixed(1)} s: connect p50 ${connect.p50} ms, p99 ${connect.p99} ms (login p99 ${loginLat.p99} ms)`)
    if (connectErrors.size) log(`connect errors: ${JSON.stringify(Object.fromEntries(connectErrors))}`)
    Object.assign(partial, { connected: tablets.length, connect_p99_ms: connect.p99 })

    // Let the last snapshots and any straggling frames land before counting bytes.
    await sleep(1000)
    const rssBeforeCheckin = rss.sample()

    partial.phase = 'checkin'
    const rand = prng(seed)
    const windowMs = seconds * 1000
    const bytes0 = tablets.reduce((a, c) => a + c.bytes, 0)
    const frames0 = tablets.reduce((a, c) => a + c.frames, 0)
    const views = (c: (typeof tablets)[number]) => (c.events.get('state:changed') ?? 0) + (c.events.get('state:patched') ?? 0)
    const changed0 = tablets.reduce((a, c) => a + views(c), 0)
    const ourPids = [...serverPids, ...(cluster.redis ? [cluster.redis.pid] : [])]
    const cpu0 = ourPids.map((p) => cpuSeconds(p) ?? 0)
    const stats0 = await Promise.all(cluster.nodes.map((n) => cluster.health(n).then((h) => h.stats ?? null).catch(() => null)))
    const machine0 = machineCpu()
    const loadavg0 = os.loadavg()[0]
    const mono0 = process.hrtime.bigint() / 1000n
    const mon = new LoadgenMonitor()
    const ackTimes: number[] = []
    const checkinMs: number[] = []
    const pingMs: number[] = []
    // ping acks carry serverTime: up = until the server handled it, down = until the loadgen saw the ack.
    const pingUp: number[] = []
    const pingDown: number[] = []
    const checkinErrors = new Map<string, number>()
    const pingErrors = new Map<string, number>()
    let acked = 0
    const t0 = performance.now()
    const work: Promise<void>[] = []
    for (const c of tablets) {
      const checkInAt = rand() * windowMs
      const pingAt = rand() * windowMs
      work.push(
        sleep(checkInAt).then(async () => {
          const r = await command(c.socket, 'attendance:checkIn', {})
          if (r.ack?.ok && r.ms !== null) {
            acked++
            ackTimes.push(r.at)
            checkinMs.push(r.ms)
          } else checkinErrors.set(r.error ?? '?', (checkinErrors.get(r.error ?? '?') ?? 0) + 1)
        }),
        sleep(pingAt).then(async () => {
          const r = await command(c.socket, 'system:ping', {})
          if (r.ack?.ok && r.ms !== null) {
            pingMs.push(r.ms)
            const serverTime = (r.ack.data as { serverTime: number }).serverTime
            pingUp.push(serverTime - r.sentWall)
            pingDown.push(r.ackWall - serverTime)
          } else pingErrors.set(r.error ?? '?', (pingErrors.get(r.error ?? '?') ?? 0) + 1)
        }),
      )
    }
    const progress = setInterval(() => {
      const s = summarize(checkinMs.slice(-500))
      log(`check-in: ${acked}/${tablets.length} acked (last 500: p50 ${s.p50} ms, p99 ${s.p99} ms), displays at ${displays.map((d) => d.maxSeen).join('/')}`)
    }, 3000)
    await Promise.all(work)
    clearInterval(progress)
    const lastAck = performance.now()
    // Every acked check-in must reach every display; a broadcast interval or two after the last ack.
    const settleDeadline = performance.now() + 5000
    while (displays.some((d) => d.maxSeen < acked) && performance.now() < settleDeadline) await sleep(20)
    await sleep(300)
    const windowS = (performance.now() - t0) / 1000
    const loadgen = mon.read()
    mon.stop()
    const cpu1 = ourPids.map((p) => cpuSeconds(p) ?? 0)
    const machine1 = machineCpu()
    const mono1 = process.hrtime.bigint() / 1000n
    const ourCpuS = cpu1.reduce((a, v, i) => a + v - cpu0[i], 0) + ((loadgen.cpu_pct ?? 0) / 100) * windowS
    const machineBusyS = machine0 && machine1 ? machine1.busy - machine0.busy : null
    const bytes = tablets.reduce((a, c) => a + c.bytes, 0) - bytes0
    const frames = tablets.reduce((a, c) => a + c.frames, 0) - frames0
    const changed = tablets.reduce((a, c) => a + views(c), 0) - changed0
    log(`check-in window done in ${windowS.toFixed(1)} s (last ack ${((lastAck - t0) / 1000).toFixed(1)} s): ${acked} acked`)
    if (checkinErrors.size) log(`check-in errors: ${JSON.stringify(Object.fromEntries(checkinErrors))}`)

    // Display lag, per display, pooled.
    const lags: number[] = []
    const perDisplay: Array<Record<string, unknown>> = []
    let missing = 0
    let negative = 0
    for (const d of displays) {
      const mine: number[] = []
      for (let r = 1; r <= ackTimes.length; r++) {
        const shown = d.firstAtLeast[r]
        if (shown === undefined) {
          missing++
          continue
        }
        const lag = shown - ackTimes[r - 1]
        if (lag < 0) negative++
        mine.push(Math.max(0, lag))
      }
      lags.push(...mine)
      const s = summarize(mine)
      perDisplay.push({ node: d.node, final_present: d.maxSeen, lag_p50_ms: s.p50, lag_p99_ms: s.p99, lag_max_ms: s.max, disconnected: d.client.disconnected })
    }

    partial.phase = 'report'
    const endRss = rss.sample()
    rss.stop()
    const healths = await Promise.all(cluster.nodes.map((n) => cluster.health(n).catch(() => null)))
    const perNode = cluster.nodes.map((n, i) => ({
      node: n.name,
      pid: n.pid,
      rss_mb: round(endRss.get(n.pid) ?? null, 0),
      rss_before_checkin_mb: round(rssBeforeCheckin.get(n.pid) ?? null, 0),
      rss_peak_mb: round(rss.peak.get(n.pid) ?? null, 0),
      cpu_pct_checkin: round(((cpu1[i] - cpu0[i]) / windowS) * 100, 0),
      events: healths[i]?.events ?? null,
      // Engine counters over the window (batches, conflicts with other nodes), when /healthz has them.
      engine_window: diffStats(stats0[i], healths[i]?.stats ?? null),
      tablets: tablets.filter((c) => c.url === n.url).length,
    }))
    const checkin = summarize(checkinMs)
    const ping = summarize(pingMs)
    const up = summarize(pingUp)
    const down = summarize(pingDown)
    const lag = summarize(lags)
    const serverRss = Math.max(...perNode.map((n) => n.rss_mb ?? 0))
    const dropped = tablets.filter((c) => c.disconnected).length
    const bytesPerCheckinPerClient = tablets.length && acked ? bytes / tablets.length / acked : null

    const result: Record<string, unknown> = {
      store: topo.store,
      nodes: topo.nodes,
      clients,
      displays: displays.length,
      seconds,
      connected: tablets.length,
      connect_p50_ms: connect.p50,
      connect_p99_ms: connect.p99,
      connect_max_ms: connect.max,
      login_p99_ms: loginLat.p99,
      connect_phase_s: round(connectS),
      connect_errors: Object.fromEntries(connectErrors),
      checkin_acked: acked,
      checkin_ack_p50_ms: checkin.p50,
      checkin_ack_p90_ms: checkin.p90,
      checkin_ack_p99_ms: checkin.p99,
      checkin_ack_max_ms: checkin.max,
      checkin_errors: Object.fromEntries(checkinErrors),
      ping_acked: pingMs.length,
      ping_ack_p50_ms: ping.p50,
      ping_ack_p99_ms: ping.p99,
      ping_ack_max_ms: ping.max,
      ping_up_p99_ms: up.p99,
      ping_down_p99_ms: down.p99,
      checkin_vs_ping_p99_ratio: checkin.p99 !== null && ping.p99 ? round(checkin.p99 / ping.p99, 2) : null,
      display_lag_p50_ms: lag.p50,
      display_lag_p99_ms: lag.p99,
      display_lag_max_ms: lag.max,
      display_lag_missing: missing,
      display_lag_negative: negative,
      per_display: perDisplay,
      server_rss_mb: serverRss,
      server_rss_peak_mb: Math.max(...perNode.map((n) => n.rss_peak_mb ?? 0)),
      per_node: perNode,
      bytes_per_checkin_per_client: round(bytesPerCheckinPerClient, 1),
      tablet_bytes_in_window: tablets.length ? Math.round(bytes / tablets.length) : null,
      tablet_frames_in_window: tablets.length ? round(frames / tablets.length, 1) : null,
      state_changed_per_tablet: tablets.length ? round(changed / tablets.length, 1) : null,
      tablets_dropped: dropped,
      checkin_window_s: round(windowS),
      loadgen_cpu_pct_checkin: loadgen.cpu_pct,
      loadgen_eld_p99_ms: loadgen.eld_p99_ms,
      loadgen_eld_max_ms: loadgen.eld_max_ms,
      loadgen_cpu_pct_connect: connectLoadgen.cpu_pct,
      loadgen_rss_mb: round(endRss.get(process.pid) ?? null, 0),
      tablets_parse_all: parseAll,
      cpus: os.cpus().length,
      redis_cpu_pct_checkin: cluster.redis ? round(((cpu1[cpu1.length - 1] - cpu0[cpu0.length - 1]) / windowS) * 100, 0) : null,
      machine_busy_pct_checkin: machineBusyS !== null ? round((machineBusyS / windowS) * 100, 0) : null,
      // CPU used on the machine by processes other than this bench's (other test runs): noise.
      others_cpu_pct_checkin: machineBusyS !== null ? round(Math.max(0, machineBusyS - ourCpuS) / windowS * 100, 0) : null,
      loadavg_1m_at_start: round(loadavg0, 2),
      machine_busy_pct_before: round(busyBefore, 0),
      cpu_profiles: topo.cpuProfDir,
      // CLOCK_MONOTONIC in µs, the clock of V8 profiles: prof-top.ts --from/--to cuts to the window.
      checkin_window_mono_us: [Number(mono0), Number(mono1)],
      server_root: topo.serverRoot,
    }
    const missed: string[] = []
    if (tablets.length !== clients) missed.push('connected')
    if (acked !== clients) missed.push('checkin_acked')
    if (checkin.p99 === null || checkin.p99 >= TARGETS.checkin_ack_p99_ms) missed.push('checkin_ack_p99_ms')
    if (lag.p99 === null || lag.p99 >= TARGETS.display_lag_p99_ms || missing > 0) missed.push('display_lag_p99_ms')
    if (serverRss >= TARGETS.server_rss_mb) missed.push('server_rss_mb')
    result.targets = TARGETS
    result.targets_missed = missed
    return result
  },
}

export default scenario
