// soak: a whole session with a large hall on several nodes, memory sampled each minute, and one
// node killed at the end.
//
//   npm run bench -- soak --clients 10000 --nodes 2 --minutes 10 [--workers N] [--no-kill]
//   npm run bench -- soak --clients 2000 --nodes 2 --minutes 1        (a quick check)
//   npm run bench -- soak --clients 10000 --nodes 1 --store redis --minutes 10   (the comparison)
//
// 1. Nodes (Redis with --nodes > 1), roster of --clients, codes. Displays (round-robin over the nodes)
//    and the chair (node 1) in this process; the tablets in --workers forked load-generator
//    processes (default one per 2500 tablets), each tablet on node (index mod nodes), paced.
// 2. Session clock starts (rss_mb_start). The script, over --minutes:
//    - every tablet checks in within --checkin-seconds;
//    - an agenda item (thematic speeches) becomes current; 20 tablets ask to speak (with a topic), the
//      chair approves them and adds more speakers; a speech every --speech-seconds (next, start);
//    - every tablet pings once per --ping-seconds, all session long (background load and a baseline);
//    - three ballots at 1/4, 1/2 and 3/4 of the session (or after the previous one): a secret
//      election (20 candidates, 15 seats, 2 scrutineers who confirm), a secret resolution, an open
//      resolution with a live tally. Each: open, every tablet casts within --ballot-seconds, close,
//      confirm, publish; the published count checked against the acks (lost, duplicates);
//    - RSS of every node, Redis and the workers each minute.
// 3. rss_mb_end; then (--nodes > 1, unless --no-kill) the last node is SIGKILLed: its tablets reconnect
//    to the other node(s) from the load generator's node list (see tablet-worker.ts: the socket.io
//    client's own backoff, next node on each try). reconnect_all_s = kill -> the last of them has a
//    fresh snapshot; target < 10 s.
//
// File descriptors: the surviving node holds every tablet after the kill, and each worker its share:
// `ulimit -n` must exceed --clients + 1000 (checked at the start; raise it in the shell that runs the
// bench, e.g. `ulimit -n 65536`, within the hard limit).
import { execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import os from 'node:os'
import type { ElectionCount } from '../../../shared/domain/elections'
import type { PollView } from '../../../shared/domain/poll-views'
import type { ResolutionCount } from '../../../shared/domain/votes'
import type { Args } from '../lib/args'
import { command } from '../lib/client'
import { log, sleep } from '../lib/log'
import { cpuSeconds, machineCpu, rssMb } from '../lib/proc'
import type { Scenario, ScenarioContext } from '../lib/scenario'
import { compareElection, electionInput, engineStats, HALL_OPTIONS, hallOptions, setupHall, statsDelta, waitShown, type Hall, type Mark, type Tally } from '../lib/session'
import { round, summarize } from '../lib/stats'
import { WorkerPool, type AckReply, type StatusReply, type TimedReply } from '../lib/workers'

const TARGETS = { lost: 0, duplicates: 0, ack_p99_ms: 500, rss_growth_pct: 10, reconnect_all_s: 10 }

function fdLimit(): number | null {
  try {
    const v = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()
    return v === 'unlimited' ? Infinity : Number(v)
  } catch {
    return null
  }
}

function liveTotal(p: PollView): number {
  const live = (p.result?.count as { live?: Record<string, number> } | undefined)?.live ?? {}
  return (live.for ?? 0) + (live.against ?? 0) + (live.abstain ?? 0)
}

const scenario: Scenario = {
  summary: 'a whole session (check-ins, speeches, three ballots) with a large hall on several nodes; memory each minute; a node killed at the end',
  options: [...HALL_OPTIONS, 'minutes', 'workers', 'ballot-seconds', 'speech-seconds', 'ping-seconds', 'no-kill'],
  defaultTimeoutS: (args: Args) =>
    Math.ceil(420 + args.num('minutes', 10) * 60 * 1.3 + args.num('clients', 10_000) * 0.03 + (args.has('wait-quiet') ? args.num('wait-quiet', 120) : 0)),

  async run(ctx: ScenarioContext) {
    const { args, cleanup, partial } = ctx
    const o = hallOptions(args, 10_000)
    const minutes = args.num('minutes', 10)
    if (!(minutes > 0)) throw new Error('--minutes must be > 0')
    const sessionMs = minutes * 60_000
    const workersN = args.num('workers', Math.max(1, Math.ceil(o.clients / 2500)))
    const ballotS = args.num('ballot-seconds', Math.min(20, Math.max(3, sessionMs / 1000 / 8)))
    const speechS = args.num('speech-seconds', Math.min(30, Math.max(10, sessionMs / 1000 / 12)))
    const pingS = args.num('ping-seconds', Math.min(60, sessionMs / 1000 / 4))
    const checkinS = args.has('checkin-seconds') ? o.checkinSeconds : Math.min(30, Math.max(5, sessionMs / 1000 / 10))
    const kill = !args.bool('no-kill')

    const limit = fdLimit()
    const needFds = o.clients + 1000
    if (limit !== null && limit < needFds)
      throw new Error(`ulimit -n is ${limit}: the node that survives the kill holds every tablet; run \`ulimit -n ${Math.max(65536, needFds)}\` first`)

    const hall: Hall = await setupHall(ctx, { ...o, connectTablets: false })
    const { cluster, chair, displays } = hall
    const nodeUrls = cluster.nodes.map((n) => n.url)
    log(`soak: ${o.clients} tablets in ${workersN} worker(s), ${minutes} min, ${hall.topo.store}, ${hall.topo.nodes} node(s); ulimit -n ${limit}`)

    partial.phase = 'workers'
    const pool = await WorkerPool.start(cleanup, workersN)
    const workerOf = (index: number) => index % workersN
    partial.phase = 'connect'
    const tConn = performance.now()
    const conn = await pool.all((w) => ({
      type: 'connect',
      nodes: nodeUrls,
      creds: hall.prepared.delegates.flatMap((c, index) => (workerOf(index) === w ? [{ index, personId: c.personId, code: c.code }] : [])),
      rate: o.loginRate / workersN,
      concurrency: Math.max(4, Math.ceil(o.loginConcurrency / workersN)),
    }))
    const connected0 = conn.reduce((a, r) => a + (r.type === 'connected' ? r.connected : 0), 0)
    const connMs = summarize(conn.flatMap((r) => (r.type === 'connected' ? r.ms : [])))
    const connErrors: Record<string, number> = {}
    for (const r of conn) if (r.type === 'connected') for (const [k, v] of Object.entries(r.errors)) connErrors[k] = (connErrors[k] ?? 0) + v
    log(`connected ${connected0}/${o.clients} tablets in ${((performance.now() - tConn) / 1000).toFixed(1)} s (p99 ${connMs.p99} ms)${Object.keys(connErrors).length ? ` errors ${JSON.stringify(connErrors)}` : ''}`)
    partial.connected = connected0

    // Memory: nodes, Redis, workers, this process.
    const pids = {
      nodes: cluster.nodes.map((n) => n.pid),
      redis: cluster.redis?.pid ?? null,
      workers: pool.procs.map((p) => p.pid!),
    }
    /** Busy CPU seconds so far: the machine, this bench's processes, the nodes. */
    const noise = () => {
      const m = machineCpu()
      if (!m) return null
      const nodes = pids.nodes.reduce((a, p) => a + (cpuSeconds(p) ?? 0), 0)
      const ours = nodes + (pids.redis ? (cpuSeconds(pids.redis) ?? 0) : 0) + pids.workers.reduce((a, p) => a + (cpuSeconds(p) ?? 0), 0) + (cpuSeconds(process.pid) ?? 0)
      return { t: performance.now(), machine: m.busy, ours, nodes }
    }
    const memSamples: Array<{ t_s: number; nodes: Array<number | null>; redis: number | null; workers: number; loadgen_main: number }> = []
    const sessionStart = performance.now()
    const sampleMem = (label?: string) => {
      const s = {
        t_s: round((performance.now() - sessionStart) / 1000, 0)!,
        nodes: pids.nodes.map((p) => round(rssMb(p), 0)),
        redis: pids.redis ? round(rssMb(pids.redis), 0) : null,
        workers: round(pids.workers.reduce((a, p) => a + (rssMb(p) ?? 0), 0), 0)!,
        loadgen_main: round(process.memoryUsage.rss() / 1048576, 0)!,
      }
      memSamples.push(s)
      log(`memory${label ? ` (${label})` : ''} at ${s.t_s} s: nodes ${s.nodes.join('/')} MB, redis ${s.redis} MB, workers ${s.workers} MB`)
      return s
    }
    await sleep(5000)
    const memStart = sampleMem('start')
    const memTimer = setInterval(() => sampleMem(), 60_000)
    cleanup.add('stop memory sampler', () => clearInterval(memTimer))
    const cpu0 = [...pids.nodes, ...(pids.redis ? [pids.redis] : [])].map((p) => cpuSeconds(p) ?? 0)
    const mono0 = process.hrtime.bigint() / 1000n
    const es0 = await engineStats(cluster)

    const tabletMs: number[] = []
    const castMs: number[] = []
    const checkinMs: number[] = []
    const chairMs: number[] = []
    const errors: Record<string, number> = {}
    let acked = 0
    let lost = 0
    let duplicates = 0
    /** Ballots whose published tallies differ from the acked ballots (beyond lost / duplicates). */
    let tallyMismatches = 0
    const addTimed = (rs: TimedReply[], into: number[], what: string) => {
      let n = 0
      for (const r of rs) {
        for (const m of r.ms) {
          into.push(m)
          tabletMs.push(m)
        }
        n += r.acked
        for (const [k, v] of Object.entries(r.errors)) errors[`${what}:${k}`] = (errors[`${what}:${k}`] ?? 0) + v
      }
      return n
    }
    const chairCmd = async <T>(event: string, payload: unknown): Promise<T> => {
      const r = await command<T>(chair.socket, event, payload, 60_000)
      if (r.ms !== null) chairMs.push(r.ms)
      if (!r.ack) throw new Error(`${event}: no ack`)
      if (!r.ack.ok) throw new Error(`${event} refused: ${r.ack.code}`)
      return r.ack.data
    }
    const tabletCmd = (index: number, event: string, payload: unknown) =>
      pool.request<AckReply>(workerOf(index), {
        type: 'command',
        index,
        event,
        payload,
      })

    // --- check-ins
    partial.phase = 'checkin'
    const checkins = await pool.all<TimedReply>({ type: 'checkin', seconds: checkinS, seed: o.seed })
    const checkedIn = addTimed(checkins, checkinMs, 'checkin')
    acked += checkedIn
    {
      const deadline = performance.now() + 20_000
      while (displays.some((d) => d.present < checkedIn) && performance.now() < deadline) await sleep(100)
      const shown = Math.min(...displays.map((d) => d.present))
      lost += Math.max(0, checkedIn - shown)
      duplicates += Math.max(0, shown - checkedIn)
      log(`check-in: ${checkedIn} acked, displays show ${displays.map((d) => d.present).join('/')} present`)
    }
    const memAfterCheckin = sampleMem('after check-in')

    // --- background pings, all session long
    let stopping = false
    const pingMs: number[] = []
    const pingErrors: Record<string, number> = {}
    let pingRound = 0
    const pinger = (async () => {
      while (!stopping) {
        const rs = await pool.all<TimedReply>({ type: 'ping', seconds: pingS, seed: o.seed + 1000 + pingRound++ }).catch(() => [] as TimedReply[])
        for (const r of rs) {
          pingMs.push(...r.ms)
          for (const [k, v] of Object.entries(r.errors)) pingErrors[k] = (pingErrors[k] ?? 0) + v
        }
      }
    })()

    // --- the agenda item and its speakers
    partial.phase = 'agenda'
    const { itemId } = await chairCmd<{ itemId: string }>('agenda:add', { type: 'speeches', title: '专题发言：围绕县委工作报告', speechLimitMs: 5 * 60_000, warnMs: 60_000 })
    await chairCmd('agenda:setCurrent', { itemId })
    const requesters = Array.from({ length: Math.min(20, o.clients - 2) }, (_, i) => i)
    const requests = await Promise.all(requesters.map((i) => tabletCmd(i, 'speakers:request', { itemId, topic: `关于第${i + 1}项工作的发言` })))
    let approved = 0
    for (const r of requests) {
      const speakerId = (r.ack?.data as { speakerId?: string } | undefined)?.speakerId
      if (r.ack?.ok && speakerId) {
        await chairCmd('speakers:approve', { speakerId })
        approved++
      } else errors[`speakers:request:${r.error ?? r.ack?.code}`] = (errors[`speakers:request:${r.error ?? r.ack?.code}`] ?? 0) + 1
    }
    const speechesNeeded = Math.ceil(sessionMs / 1000 / speechS) + 2
    for (let i = 0; i < Math.max(0, speechesNeeded - approved); i++) {
      const idx = 20 + i
      if (idx >= o.clients - 2) break
      await chairCmd('speakers:add', { itemId, personId: hall.prepared.delegates[idx].personId, topic: `书面转口头发言${i + 1}` })
    }
    let speeches = 0
    const speaker = (async () => {
      while (!stopping) {
        try {
          await chairCmd('speakers:next', { itemId })
          await chairCmd('speakers:start', { itemId })
          speeches++
        } catch (err) {
          log(`speeches: ${(err as Error).message}`)
        }
        const until = performance.now() + speechS * 1000
        while (!stopping && performance.now() < until) await sleep(200)
      }
      await chairCmd('speakers:end', { itemId }).catch(() => {})
    })()
    log(`agenda: ${itemId} current, ${approved} requests approved, a speech every ${speechS} s`)

    // --- three ballots
    const ballotResults: Array<Record<string, unknown>> = []
    const scrutineerIdx = [o.clients - 1, o.clients - 2]
    const runBallot = async (k: number, kind: 'election' | 'secret-resolution' | 'open-resolution') => {
      partial.phase = `ballot ${k + 1} (${kind})`
      const payload =
        kind === 'election'
          ? { title: '选举县委委员', spec: electionInput(20, 15), scrutineers: scrutineerIdx.map((i) => hall.prepared.delegates[i].personId) }
          : kind === 'secret-resolution'
            ? { title: '关于财务工作报告的决议', spec: { kind: 'resolution', question: '通过财务工作报告的决议' }, secret: true }
            : { title: '关于县委工作报告的决议', spec: { kind: 'resolution', question: '通过县委工作报告的决议' }, secret: false, liveResults: true }
      const created = await chairCmd<{ pollId: string; spec: { candidates?: Array<{ id: string }> } }>('poll:create', payload)
      const pollId = created.pollId
      const opened = await chairCmd<{ round: number; issued: number }>('poll:open', { pollId })
      await cluster.waitForVersion((await cluster.health(cluster.nodes[0])).events)
      const tCast = performance.now()
      const noise0 = noise()
      const rs = await pool.all<TimedReply & { tally: Tally; marks: Record<Mark, number> }>({
        type: 'cast',
        pollId,
        round: opened.round,
        kind: kind === 'election' ? 'election' : 'resolution',
        candidateIds: created.spec.candidates?.map((c) => c.id),
        seats: 15,
        seconds: ballotS,
        seed: o.seed * 31 + k,
      })
      const noiseEnd = noise()
      const ballotMs: number[] = []
      const nAcked = addTimed(rs, ballotMs, `cast${k + 1}`)
      castMs.push(...ballotMs)
      acked += nAcked
      const s = summarize(ballotMs)
      const done = kind === 'open-resolution' ? (p: PollView) => liveTotal(p) >= nAcked : (p: PollView) => (p.round?.turnout ?? 0) >= nAcked
      await waitShown(displays, pollId, done, tCast, 15_000)
      const tClose = performance.now()
      await chairCmd('poll:close', { pollId })
      const closed = await waitShown(displays, pollId, (p) => p.round?.n === opened.round && p.round.status !== 'open', tClose, 30_000)
      if (kind === 'election') {
        for (const i of scrutineerIdx) {
          const r = await tabletCmd(i, 'poll:confirm', { pollId })
          if (!r.ack?.ok) throw new Error(`poll:confirm: ${r.error ?? r.ack?.code}`)
        }
      }
      const tPub = performance.now()
      await chairCmd('poll:publish', { pollId })
      const pub = await waitShown(displays, pollId, (p) => p.result?.n === opened.round && p.result.published === true, tPub, 30_000)
      const count = pub[0]?.poll.result?.count
      if (!count) throw new Error(`${pollId}: no display showed the published count`)
      let check: Record<string, unknown>
      if (kind === 'election') {
        const expected: Tally = {}
        for (const r of rs)
          for (const [id, t] of Object.entries(r.tally)) {
            const row = (expected[id] ??= { for: 0, against: 0, abstain: 0 })
            row.for += t.for
            row.against += t.against
            row.abstain += t.abstain
          }
        check = compareElection(count as ElectionCount, nAcked, expected)
        if (check.tally_abs_diff) tallyMismatches++
      } else {
        const c = count as ResolutionCount
        const exp = { for: 0, against: 0, abstain: 0 }
        for (const r of rs) for (const m of ['for', 'against', 'abstain'] as const) exp[m] += r.marks[m]
        const diff = Math.abs(c.for - exp.for) + Math.abs(c.against - exp.against) + Math.abs(c.abstain - exp.abstain)
        check = { returned: c.returned, lost: Math.max(0, nAcked - c.returned), duplicates: Math.max(0, c.returned - nAcked), tally_abs_diff: diff, published: { for: c.for, against: c.against, abstain: c.abstain }, expected: exp }
        if (diff) tallyMismatches++
      }
      lost += check.lost as number
      duplicates += check.duplicates as number
      const closeMs = closed.map((x) => (x ? Math.round(x.t - tClose) : null))
      const pubMs = pub.map((x) => (x ? Math.round(x.t - tPub) : null))
      const summary = {
        poll: pollId,
        kind,
        at_s: round((tCast - sessionStart) / 1000, 0),
        issued: opened.issued,
        acked: nAcked,
        ack_p50_ms: s.p50,
        ack_p99_ms: s.p99,
        ack_max_ms: s.max,
        ...check,
        // While the tablets cast: CPU of the nodes (sum, % of one core), and of processes that are not
        // this bench's (noise from other work on the machine).
        nodes_cpu_pct: noise0 && noiseEnd ? round(((noiseEnd.nodes - noise0.nodes) / ((noiseEnd.t - noise0.t) / 1000)) * 100, 0) : null,
        others_cpu_pct: noise0 && noiseEnd ? round((Math.max(0, noiseEnd.machine - noise0.machine - (noiseEnd.ours - noise0.ours)) / ((noiseEnd.t - noise0.t) / 1000)) * 100, 0) : null,
        close_to_display_ms: closeMs,
        publish_to_display_ms: pubMs,
      }
      ballotResults.push(summary)
      log(`ballot ${k + 1} (${kind}): ${nAcked}/${opened.issued} acked, p99 ${s.p99} ms, returned ${check.returned}, lost ${check.lost}, duplicates ${check.duplicates}`)
      // The displays' history is only needed per ballot.
      for (const d of displays) d.shown.splice(0, d.shown.length - 1)
    }
    const kinds = ['election', 'secret-resolution', 'open-resolution'] as const
    for (let k = 0; k < kinds.length; k++) {
      const at = sessionStart + ((k + 1) / 4) * sessionMs
      while (performance.now() < at) await sleep(200)
      await runBallot(k, kinds[k])
    }
    partial.phase = 'end of session'
    while (performance.now() < sessionStart + sessionMs) await sleep(200)
    stopping = true
    await speaker
    await pinger
    clearInterval(memTimer)
    const cpu1 = [...pids.nodes, ...(pids.redis ? [pids.redis] : [])].map((p) => cpuSeconds(p) ?? 0)
    const mono1 = process.hrtime.bigint() / 1000n
    const sessionS = (performance.now() - sessionStart) / 1000
    // Let timers and buffers settle before the last reading.
    await sleep(5000)
    const memEnd = sampleMem('end')
    const statusBefore = await pool.all<StatusReply>({ type: 'status' })
    const es1 = await engineStats(cluster)
    const connectedBefore = statusBefore.reduce((a, s) => a + s.connected, 0)

    // --- kill one node
    let reconnect: Record<string, unknown> = { killed: null }
    let connectedAfter = connectedBefore
    if (kill && cluster.nodes.length > 1) {
      partial.phase = 'kill'
      const victim = cluster.nodes[cluster.nodes.length - 1]
      const onVictim = statusBefore.reduce((a, s) => a + s.perNode[cluster.nodes.length - 1], 0)
      log(`killing ${victim.name} (pid ${victim.pid}) with ${onVictim} tablets`)
      const killAt = Date.now()
      try {
        process.kill(-victim.pid, 'SIGKILL')
      } catch {
        process.kill(victim.pid, 'SIGKILL')
      }
      let st: StatusReply[] = []
      const deadline = Date.now() + 60_000
      for (;;) {
        await sleep(250)
        st = await pool.all<StatusReply>({ type: 'status', since: killAt })
        const dropped = st.reduce((a, s) => a + s.reconnected.length, 0)
        const back = st.reduce((a, s) => a + s.reconnected.filter((x) => x.at !== null).length, 0)
        if ((dropped >= onVictim && back === dropped) || Date.now() > deadline) break
      }
      const times = st.flatMap((s) => s.reconnected.map((x) => (x.at !== null ? (x.at - killAt) / 1000 : null)))
      const backTimes = times.filter((x): x is number => x !== null)
      const rs = summarize(backTimes)
      connectedAfter = st.reduce((a, s) => a + s.connected, 0)
      reconnect = {
        killed: victim.name,
        tablets_on_killed_node: onVictim,
        dropped: times.length,
        reconnected: backTimes.length,
        not_reconnected: times.length - backTimes.length,
        reconnect_p50_s: round(rs.p50, 2),
        reconnect_p99_s: round(rs.p99, 2),
        reconnect_all_s: backTimes.length === times.length && times.length ? round(Math.max(...backTimes), 2) : null,
        within_10_s: backTimes.filter((x) => x <= 10).length,
        per_node_after: cluster.nodes.map((_, i) => st.reduce((a, s) => a + s.perNode[i], 0)),
      }
      log(`reconnect: ${backTimes.length}/${times.length} back, all within ${reconnect.reconnect_all_s} s`)
    }

    partial.phase = 'report'
    const all = summarize(tabletMs)
    const growth = cluster.nodes.map((_, i) => {
      const a = memStart.nodes[i]
      const b = memEnd.nodes[i]
      return a && b ? round(((b - a) / a) * 100, 1) : null
    })
    const ws = statusBefore
    const result: Record<string, unknown> = {
      store: hall.topo.store,
      nodes: hall.topo.nodes,
      clients: o.clients,
      workers: workersN,
      minutes,
      connected: connectedAfter,
      connected_before_kill: connectedBefore,
      // Connections lost during the session (before the kill), each reconnected by the tablet.
      drops_before_kill: statusBefore.reduce((a, x) => a + x.drops, 0),
      connect_p99_ms: connMs.p99,
      connect_errors: connErrors,
      acked,
      lost,
      duplicates,
      tally_mismatches: tallyMismatches,
      checked_in: checkedIn,
      ack_p50_ms: all.p50,
      ack_p99_ms: all.p99,
      ack_max_ms: all.max,
      checkin_ack_p99_ms: summarize(checkinMs).p99,
      cast_ack_p99_ms: summarize(castMs).p99,
      ping_ack_p50_ms: summarize(pingMs).p50,
      ping_ack_p99_ms: summarize(pingMs).p99,
      pings: pingMs.length,
      ping_errors: pingErrors,
      chair_ack_p99_ms: summarize(chairMs).p99,
      errors,
      speeches,
      ballots: ballotResults,
      rss_mb_start: memStart.nodes,
      rss_mb_after_checkin: memAfterCheckin.nodes,
      rss_mb_end: memEnd.nodes,
      rss_growth_pct: growth,
      redis_rss_mb: [memStart.redis, memEnd.redis],
      memory_samples: memSamples,
      ...reconnect,
      per_node: cluster.nodes.map((n, i) => ({
        node: n.name,
        rss_mb_start: memStart.nodes[i],
        rss_mb_end: memEnd.nodes[i],
        rss_peak_mb: round(hall.rss.peak.get(n.pid) ?? null, 0),
        cpu_pct_session: round(((cpu1[i] - cpu0[i]) / sessionS) * 100, 0),
        tablets_before_kill: ws.reduce((a, s) => a + s.perNode[i], 0),
      })),
      redis_cpu_pct_session: pids.redis ? round(((cpu1[cpu1.length - 1] - cpu0[cpu0.length - 1]) / sessionS) * 100, 0) : null,
      loadgen_workers_cpu_pct: round(ws.reduce((a, s) => a + (s.cpu.user + s.cpu.system) / 1e6, 0) / ((performance.now() - tConn) / 1000) * 100, 0),
      loadgen_workers_elu: ws.map((s) => round(s.elu, 2)),
      session_s: round(sessionS, 0),
      ballot_seconds: ballotS,
      speech_seconds: speechS,
      ping_seconds: pingS,
      checkin_seconds: checkinS,
      ulimit_n: limit,
      loadavg_1m: round(os.loadavg()[0], 2),
      machine_busy_pct_before: round(hall.busyBefore, 0),
      cpu_profiles: hall.topo.cpuProfDir,
      session_window_mono_us: [Number(mono0), Number(mono1)],
      engine_stats_session: statsDelta(es0, es1),
      server_node_options: args.str('server-node-options', null),
      server_root: hall.topo.serverRoot,
    }
    const missed: string[] = []
    if (connected0 !== o.clients) missed.push('connected')
    if (connectedAfter !== o.clients) missed.push('connected_after_kill')
    if (statusBefore.some((x) => x.drops > 0)) missed.push('drops_before_kill')
    if (lost > 0) missed.push('lost')
    if (duplicates > 0) missed.push('duplicates')
    if (tallyMismatches > 0) missed.push('tally_mismatches')
    if (all.p99 === null || all.p99 >= TARGETS.ack_p99_ms) missed.push('ack_p99_ms')
    if (growth.some((g) => g === null || g > TARGETS.rss_growth_pct)) missed.push('rss_growth_pct')
    if (kill && cluster.nodes.length > 1) {
      const r = reconnect.reconnect_all_s as number | null
      if (r === null || r >= TARGETS.reconnect_all_s) missed.push('reconnect_all_s')
    }
    result.targets = TARGETS
    result.targets_missed = missed
    return result
  },
}

export default scenario
