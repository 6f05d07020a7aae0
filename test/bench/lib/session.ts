// Shared pieces of the poll and session scenarios (ballots, votes, soak): a hall set up in one call
// (nodes, roster, codes, displays, the chair), displays that record every poll view they are shown
// (with the time they saw it), ballots generated from a seed and checked against a published count,
// and the glue to the tablets in worker processes (workers.ts, tablet-worker.ts): connecting them,
// checking them in, merging their timed acks. Built on cluster.ts, hall.ts and client.ts.
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { ElectionCount } from '../../../shared/domain/elections'
import type { PollView } from '../../../shared/domain/poll-views'
import type { PublicView, Snapshot, StateChanged } from '../../../shared/protocol'
import { prng } from '../../../shared/prng'
import type { Args } from './args'
import type { BenchClient } from './client'
import { startCluster, type Cluster, type ServerNode } from './cluster'
import { connectMany, prepareHall, type PreparedHall } from './hall'
import { log, sleep } from './log'
import { machineBusyPct, RssSampler, waitQuiet } from './proc'
import { topology, type ScenarioContext, type Topology } from './scenario'
import { round, summarize } from './stats'
import type { TimedReply, WorkerPool } from './workers'

export { prng }

/** A device's idempotency key: 16 of A-Za-z0-9, random per ballot. */
export function idemKey(): string {
  return randomBytes(12).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 16)
}

// ---------------------------------------------------------------------------------------------
// Displays that remember what they showed

export interface ShownPolls {
  /** performance.now() when the view arrived. */
  t: number
  serverTime: number
  version: number
  polls: PollView[]
}

export interface PollDisplay {
  client: BenchClient
  node: string
  /** Every view this display got (snapshot and state:changed), polls only, in arrival order. */
  shown: ShownPolls[]
  /** performance.now() of every state:changed frame. */
  changedAt: number[]
  /** serverTime of every state:changed frame (when the server built it). */
  changedServerTime: number[]
  /** attendance.present of the last view. */
  present: number
}

export function watchPollDisplay(client: BenchClient, node: string): PollDisplay {
  const d: PollDisplay = { client, node, shown: [], changedAt: [], changedServerTime: [], present: 0 }
  const take = (msg: Snapshot | StateChanged, changed: boolean) => {
    const t = performance.now()
    const v = msg.view as PublicView
    d.present = v.attendance.present
    d.shown.push({ t, serverTime: msg.serverTime, version: msg.version, polls: v.polls ?? [] })
    if (changed) {
      d.changedAt.push(t)
      d.changedServerTime.push(msg.serverTime)
    }
  }
  if (client.snapshot) take(client.snapshot, false)
  client.socket.on('state:changed', (m: StateChanged) => take(m, true))
  client.socket.on('state:snapshot', (m: Snapshot) => take(m, false))
  return d
}

/** The first time (performance.now(), at or after `from`) this display showed a poll matching pred. */
export function firstShown(d: PollDisplay, pollId: string, pred: (p: PollView) => boolean, from = -Infinity): { t: number; poll: PollView } | null {
  for (const s of d.shown) {
    if (s.t < from) continue
    const p = s.polls.find((x) => x.id === pollId)
    if (p && pred(p)) return { t: s.t, poll: p }
  }
  return null
}

export async function waitShown(
  displays: PollDisplay[],
  pollId: string,
  pred: (p: PollView) => boolean,
  from: number,
  timeoutMs: number,
): Promise<Array<{ t: number; poll: PollView } | null>> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const seen = displays.map((d) => firstShown(d, pollId, pred, from))
    if (seen.every(Boolean) || performance.now() > deadline) return seen
    await sleep(5)
  }
}

/** The most updates in any one second (half-open windows), from sorted times in ms. */
export function maxPerSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b)
  let best = 0
  let j = 0
  for (let i = 0; i < t.length; i++) {
    while (t[i] - t[j] >= 1000) j++
    best = Math.max(best, i - j + 1)
  }
  return best
}

// ---------------------------------------------------------------------------------------------
// The hall

export interface HallOptions {
  clients: number
  displays: number
  loginRate: number
  loginConcurrency: number
  /** Extra environment for the nodes. */
  env?: Record<string, string>
  /** false: leave the tablets to the caller (worker processes); tablets and byIndex stay empty. */
  connectTablets?: boolean
}

export interface Hall {
  topo: Topology
  cluster: Cluster
  prepared: PreparedHall
  chair: BenchClient
  displays: PollDisplay[]
  tablets: BenchClient[]
  /** Tablet i (or null when it did not connect) by delegate index. */
  byIndex: Array<BenchClient | null>
  rss: RssSampler
  connect: { p50: number | null; p99: number | null; phase_s: number | null; errors: Record<string, number> }
  busyBefore: number | null
}

/** Nodes, roster and codes, displays (round-robin, display 1 on node 1), the chair on node 1, and
 * the tablets (round-robin over the nodes, paced). Everything is registered with ctx.cleanup. */
export async function setupHall(ctx: ScenarioContext, opts: HallOptions): Promise<Hall> {
  const { args, cleanup, partial } = ctx
  const topo = topology(args, () => path.join(os.tmpdir(), `congress-bench-prof-${Date.now()}`))
  if (opts.env) Object.assign(topo.env, opts.env)
  // --server-node-options "...": NODE_OPTIONS of the server nodes only (e.g. GC settings to compare).
  const nodeOptions = args.str('server-node-options', null)
  if (nodeOptions) topo.env.NODE_OPTIONS = nodeOptions
  const busyBefore = args.has('wait-quiet') ? await waitQuiet(args.num('wait-quiet', 120)) : await machineBusyPct(1000)
  Object.assign(partial, { store: topo.store, nodes: topo.nodes, clients: opts.clients, phase: 'start' })
  const cluster = await startCluster(cleanup, { store: topo.store, nodes: topo.nodes, env: topo.env, cpuProfDir: topo.cpuProfDir, serverRoot: topo.serverRoot })
  if (topo.cpuProfDir) log(`CPU profiles of the nodes go to ${topo.cpuProfDir} when they stop`)
  const all: BenchClient[] = []
  cleanup.add('disconnect clients', async () => {
    for (const c of all) c.close()
    await sleep(200)
  })
  const rss = new RssSampler([...cluster.nodes.map((n) => n.pid), process.pid])
  cleanup.add('stop rss sampler', () => rss.stop())

  partial.phase = 'roster'
  const prepared = await prepareHall(cluster, { delegates: opts.clients, displays: opts.displays })
  all.push(prepared.secretariat)

  partial.phase = 'displays'
  const nodeOf = (i: number): ServerNode => cluster.nodes[i % cluster.nodes.length]
  const dOut = await connectMany(
    prepared.displays.map((cred, i) => ({ node: nodeOf(i), cred })),
    { rate: 100, concurrency: 4, label: 'displays' },
  )
  const displays: PollDisplay[] = []
  for (const o of dOut) {
    if (!o.client) throw new Error(`display ${o.index + 1} did not connect: ${o.error}`)
    all.push(o.client)
    displays.push(watchPollDisplay(o.client, nodeOf(o.index).name))
  }
  const chairCred = cluster.credentials.find((c) => c.role === 'chair')
  if (!chairCred) throw new Error('demo credentials lack the chair')
  const [chairOut] = await connectMany([{ node: cluster.nodes[0], cred: { personId: chairCred.personId, code: chairCred.code } }], { rate: 10, concurrency: 1, label: 'chair' })
  if (!chairOut.client) throw new Error(`chair did not connect: ${chairOut.error}`)
  all.push(chairOut.client)

  if (opts.connectTablets === false) {
    return { topo, cluster, prepared, chair: chairOut.client, displays, tablets: [], byIndex: [], rss, connect: { p50: null, p99: null, phase_s: null, errors: {} }, busyBefore }
  }
  partial.phase = 'connect'
  const t0 = performance.now()
  const outcomes = await connectMany(
    prepared.delegates.map((cred, i) => ({ node: nodeOf(i), cred })),
    { rate: opts.loginRate, concurrency: opts.loginConcurrency, label: 'tablets', skip: ['state:changed', 'state:patched'] },
  )
  const phaseS = (performance.now() - t0) / 1000
  const byIndex = outcomes.map((o) => o.client)
  const tablets = byIndex.filter((c): c is BenchClient => c !== null)
  all.push(...tablets)
  const errors = new Map<string, number>()
  for (const o of outcomes) if (o.error) errors.set(o.error, (errors.get(o.error) ?? 0) + 1)
  const s = summarize(outcomes.flatMap((o) => (o.connectMs !== null ? [o.connectMs] : [])))
  log(`connected ${tablets.length}/${opts.clients} tablets in ${phaseS.toFixed(1)} s (connect p99 ${s.p99} ms)`)
  partial.connected = tablets.length
  return {
    topo,
    cluster,
    prepared,
    chair: chairOut.client,
    displays,
    tablets,
    byIndex,
    rss,
    connect: { p50: s.p50, p99: s.p99, phase_s: round(phaseS), errors: Object.fromEntries(errors) },
    busyBefore,
  }
}

// ---------------------------------------------------------------------------------------------
// Elections

const CANDIDATE_NAMES = [
  '丁志国', '王建华', '王丽萍', '方红梅', '史明亮', '吕春燕', '朱海涛', '刘晓东', '孙玉兰', '李国强',
  '杨秀英', '吴建军', '何春生', '沈佳慧', '张德明', '陈卫东', '林淑芬', '周立新', '郑海燕', '赵振华',
  '胡晓明', '徐桂兰', '高志远', '黄文博', '曹丽娟', '梁建平', '彭海鹰', '韩雪梅', '蒋伟民', '谢红英',
]

export function electionInput(candidates: number, seats: number) {
  if (candidates > CANDIDATE_NAMES.length) throw new Error(`at most ${CANDIDATE_NAMES.length} candidates`)
  return { kind: 'election' as const, seats, electionKind: 'committee' as const, candidates: CANDIDATE_NAMES.slice(0, candidates).map((name) => ({ name })) }
}

export type Mark = 'for' | 'against' | 'abstain'

/** A valid random ballot: how many "for" (0..seats), which candidates get them, the rest against or
 * abstain. `order` is the order of the marks in the object sent: the candidate list's (what the
 * tablet sends) or a random one per ballot (a device that sends marks in the order they were made). */
export function electionBallot(candidateIds: string[], seats: number, seed: number, order: MarkOrder = 'list'): { marks: Record<string, Mark>; writeIns: string[] } {
  const rand = prng(seed)
  const nFor = Math.floor(rand() * (seats + 1))
  const shuffled = candidateIds.map((id) => ({ id, k: rand() })).sort((a, b) => a.k - b.k)
  const chosen = new Map<string, Mark>()
  shuffled.forEach((c, j) => {
    chosen.set(c.id, j < nFor ? 'for' : rand() < 0.6 ? 'against' : 'abstain')
  })
  const marks: Record<string, Mark> = {}
  for (const id of order === 'list' ? candidateIds : shuffled.map((c) => c.id)) marks[id] = chosen.get(id)!
  return { marks, writeIns: [] }
}

export type MarkOrder = 'list' | 'click'

export type Tally = Record<string, { for: number; against: number; abstain: number }>

/** A published election count against the ballots the clients had acked. */
export function compareElection(count: ElectionCount, acked: number, expected: Tally) {
  const returned = count.returned
  let mismatched = 0
  let diff = 0
  for (const r of count.results) {
    if (r.writeIn) continue
    const e = expected[r.id] ?? { for: 0, against: 0, abstain: 0 }
    const d = Math.abs(r.for - e.for) + Math.abs(r.against - e.against) + Math.abs(r.abstain - e.abstain)
    if (d) mismatched++
    diff += d
  }
  // Tallies missing (acked but not counted) or extra (counted beyond the acks), per candidate.
  let missingMarks = 0
  let extraMarks = 0
  for (const [id, e] of Object.entries(expected)) {
    const r = count.results.find((x) => x.id === id)
    for (const k of ['for', 'against', 'abstain'] as const) {
      const got = r ? r[k] : 0
      if (got < e[k]) missingMarks += e[k] - got
      if (got > e[k]) extraMarks += got - e[k]
    }
  }
  return {
    returned,
    valid: count.valid,
    invalid: count.invalid,
    lost: Math.max(0, acked - returned),
    duplicates: Math.max(0, returned - acked),
    tally_mismatched_candidates: mismatched,
    tally_abs_diff: diff,
    tally_marks_missing: missingMarks,
    tally_marks_extra: extraMarks,
    outcome: count.outcome,
    elected: count.elected.length,
  }
}

/** Options every poll scenario reads besides its own. */
export const HALL_OPTIONS = ['clients', 'displays', 'login-rate', 'login-concurrency', 'seed', 'checkin-seconds', 'workers', 'server-node-options']

export function hallOptions(args: Args, defClients: number) {
  const clients = args.num('clients', defClients)
  const displays = args.num('displays', 2)
  if (!Number.isInteger(clients) || clients < 10 || clients > 10_000) throw new Error('--clients must be 10..10000')
  if (!Number.isInteger(displays) || displays < 1) throw new Error('--displays must be >= 1')
  return {
    clients,
    displays,
    loginRate: args.num('login-rate', 300),
    loginConcurrency: args.num('login-concurrency', 64),
    seed: args.num('seed', 1),
    checkinSeconds: args.num('checkin-seconds', 5),
  }
}

// ---------------------------------------------------------------------------------------------
// Tablets in worker processes (workers.ts, tablet-worker.ts)

/** Wall-clock ms with sub-ms resolution, comparable across the bench's processes. */
export const wall = (): number => performance.timeOrigin + performance.now()

/** A wall time as this process's performance.now() (display times are kept in the latter). */
export const fromWall = (w: number): number => w - performance.timeOrigin

export interface Merged {
  sent: number
  acked: number
  ms: number[]
  /** Wall times of the acks, sorted. */
  ackAt: number[]
  firstSend: number | null
  /** Wall time of the last acked command's send (its ack time less its latency). */
  lastSend: number | null
  lastAck: number | null
  /** acked / (last ack - first send). */
  perS: number | null
  /** The load-generator workers' own garbage collection in the burst, ms, summed over workers. */
  gcMs: number
  errors: Record<string, number>
}

export function mergeTimed(rs: TimedReply[]): Merged {
  const ms = rs.flatMap((r) => r.ms)
  const ackAt = rs.flatMap((r) => r.ackAt).sort((a, b) => a - b)
  const firsts = rs.flatMap((r) => (r.firstSend !== null ? [r.firstSend] : []))
  const firstSend = firsts.length ? Math.min(...firsts) : null
  const lastAck = ackAt.length ? ackAt[ackAt.length - 1] : null
  let lastSend: number | null = null
  for (const r of rs) for (let i = 0; i < r.ackAt.length; i++) lastSend = Math.max(lastSend ?? -Infinity, r.ackAt[i] - r.ms[i])
  const errors: Record<string, number> = {}
  for (const r of rs) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v
  const span = firstSend !== null && lastAck !== null ? (lastAck - firstSend) / 1000 : null
  return { sent: rs.reduce((a, r) => a + r.sent, 0), acked: ms.length, ms, ackAt, firstSend, lastSend, lastAck, perS: span ? ms.length / span : null, gcMs: rs.reduce((a, r) => a + (r.gcMs ?? 0), 0), errors }
}

/** Which worker holds delegate `index`. */
export const workerOf = (pool: WorkerPool, index: number): number => index % pool.procs.length

/** Connects every delegate of the hall from the pool's workers (tablet i on node i mod nodes),
 * paced at rate per second overall. */
export async function connectTablets(ctx: ScenarioContext, hall: Hall, pool: WorkerPool, opts: { loginRate: number; loginConcurrency: number }) {
  ctx.partial.phase = 'connect'
  const w = pool.procs.length
  const t0 = performance.now()
  const replies = await pool.all((i) => ({
    type: 'connect',
    nodes: hall.cluster.nodes.map((n) => n.url),
    creds: hall.prepared.delegates.flatMap((c, index) => (index % w === i ? [{ index, personId: c.personId, code: c.code }] : [])),
    rate: opts.loginRate / w,
    concurrency: Math.max(4, Math.ceil(opts.loginConcurrency / w)),
  }))
  let connected = 0
  const ms: number[] = []
  const errors: Record<string, number> = {}
  for (const r of replies) {
    if (r.type !== 'connected') continue
    connected += r.connected
    ms.push(...r.ms)
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v
  }
  const s = summarize(ms)
  const phaseS = (performance.now() - t0) / 1000
  log(`connected ${connected}/${hall.prepared.delegates.length} tablets in ${w} worker(s) in ${phaseS.toFixed(1)} s (connect p99 ${s.p99} ms)`)
  ctx.partial.connected = connected
  hall.connect = { p50: s.p50, p99: s.p99, phase_s: round(phaseS), errors }
  return connected
}

/** Every tablet (in the workers) checks in within `seconds`; waits until every display shows them. */
export async function checkInWorkers(hall: Hall, pool: WorkerPool, seconds: number, seed: number) {
  const m = mergeTimed(await pool.all<TimedReply>({ type: 'checkin', seconds, seed }))
  const deadline = performance.now() + 20_000
  while (hall.displays.some((d) => d.present < m.acked) && performance.now() < deadline) await sleep(50)
  const s = summarize(m.ms)
  log(`check-in: ${m.acked}/${m.sent} acked (p99 ${s.p99} ms), displays show ${hall.displays.map((d) => d.present).join('/')}`)
  return { acked: m.acked, errors: m.errors, p99: s.p99, shown: Math.min(...hall.displays.map((d) => d.present)) }
}

/** Sums what the workers' tablets received (frames, bytes, views: state:changed and state:patched). */
export async function received(pool: WorkerPool) {
  const rs = await pool.all<{ type: 'rx'; id: number; tablets: number; frames: number; bytes: number; changed: number }>({ type: 'rx' })
  return rs.reduce((a, r) => ({ tablets: a.tablets + r.tablets, frames: a.frames + r.frames, bytes: a.bytes + r.bytes, changed: a.changed + r.changed }), { tablets: 0, frames: 0, bytes: 0, changed: 0 })
}

export function defaultWorkers(args: Args, clients: number): number {
  const n = args.num('workers', Math.max(2, Math.ceil(clients / 2500)))
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new Error('--workers must be 1..32')
  return n
}

/** The nodes' engine counters from /healthz (batches, conflicts between nodes, events appended),
 * null for a node that does not answer or does not report them. */
export async function engineStats(cluster: Cluster): Promise<Array<Record<string, number> | null>> {
  return Promise.all(
    cluster.nodes.map(async (n) => {
      try {
        const res = await fetch(`${n.url}/healthz`, { signal: AbortSignal.timeout(5000) })
        return ((await res.json()) as { engineStats?: Record<string, number> }).engineStats ?? null
      } catch {
        return null
      }
    }),
  )
}

/** Counter differences b - a, per node. */
export function statsDelta(a: Array<Record<string, number> | null>, b: Array<Record<string, number> | null>) {
  return b.map((x, i) => {
    const y = a[i]
    if (!x || !y) return x
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v - (y[k] ?? 0)]))
  })
}
