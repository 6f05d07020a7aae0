// A load-generator worker process (forked by workers.ts): holds a share of the tablets, so that
// 10,000 sockets are not read by one event loop. It answers requests from the parent over IPC:
// connect its tablets, check them in, cast ballots, ping, send one command from one tablet, report.
//
// Failover (a node list, not a proxy): each tablet connects to nodes[index % nodes.length]. When its
// connection drops without the bench asking (a node was killed), it reconnects like the socket.io
// client of the real tablet page would (first try after 0.5-1.5 s, then doubling up to 5 s), each
// try going to the next node of the list, with the same token (sessions live in Redis, so every node
// accepts it). What a tablet behind nginx with proxy_next_upstream would see, minus the proxy hop.
import v8 from 'node:v8'
import vm from 'node:vm'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { command, connect, type BenchClient, type Timed } from './client'
import { connectMany } from './hall'
import type { ServerNode } from './cluster'
import { electionBallot, idemKey, prng, type Mark, type Tally } from './session'
import { sleep } from './log'
import type { TimedReply, WorkerReply, WorkerRequest } from './workers'

/** A full collection on request (gc is not exposed to forked workers by default). */
const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc') as () => void
})()

interface Tablet {
  index: number
  personId: string
  token: string | null
  nodeIdx: number
  client: BenchClient | null
  /** Drops not asked for, and when the last one happened (Date.now()). */
  drops: number
  droppedAt: number | null
  /** Date.now() when it had a fresh snapshot after its last drop. */
  reconnectedAt: number | null
  reconnects: number
  closing: boolean
}

/** The worker's own garbage collections (start and duration, performance.now() ms), recent ones. */
const gcs: Array<[number, number]> = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([e.startTime, e.duration])
  if (gcs.length > 10_000) gcs.splice(0, gcs.length - 10_000)
}).observe({ entryTypes: ['gc'] })

/** Milliseconds this worker spent collecting from wall time `from` to `to`. */
function gcMsBetween(from: number, to: number): number {
  const a = from - performance.timeOrigin
  const b = to - performance.timeOrigin
  return gcs.reduce((sum, [t, d]) => (t >= a && t <= b ? sum + d : sum), 0)
}

let nodes: string[] = []
const tablets: Tablet[] = []
const rand = prng(process.pid)

function send(msg: WorkerReply): void {
  process.send?.(msg)
}

function attach(t: Tablet, client: BenchClient): void {
  t.client = client
  client.socket.on('disconnect', (reason) => {
    if (t.closing || reason === 'io client disconnect') return
    t.drops++
    t.droppedAt = Date.now()
    t.reconnectedAt = null
    t.client = null
    scheduleReconnect(t, 1)
  })
}

function scheduleReconnect(t: Tablet, attempt: number): void {
  // socket.io-client defaults: reconnectionDelay 1000, randomizationFactor 0.5, max 5000.
  const base = Math.min(5000, 1000 * 2 ** (attempt - 1))
  const delay = base * (0.5 + rand())
  setTimeout(() => void reconnect(t, attempt), delay)
}

async function reconnect(t: Tablet, attempt: number): Promise<void> {
  if (t.closing || !t.token) return
  t.nodeIdx = (t.nodeIdx + 1) % nodes.length
  try {
    const c = await connect(nodes[t.nodeIdx], t.token, t.personId, { timeoutMs: 10_000, skip: ['state:changed', 'state:patched'] })
    t.reconnects++
    t.reconnectedAt = Date.now()
    attach(t, c)
  } catch {
    scheduleReconnect(t, attempt + 1)
  }
}

function live(): Tablet[] {
  return tablets.filter((t) => t.client && !t.client.disconnected)
}

/** Wall-clock ms with sub-ms resolution, comparable across the bench's processes. */
const wall = () => performance.timeOrigin + performance.now()

interface Sent {
  r: Timed<unknown>
  /** wall() at the ack. */
  ackAt: number
  sentAt: number
}

/** Sends one command per live tablet: all in one loop at wall time `at` (burst), or each at a
 * uniform random moment within `seconds` from `at`. Payloads are built before the clock starts. */
async function run(opts: { at?: number; seconds?: number; burst?: boolean; seed: number }, event: string, payloadOf: (t: Tablet) => unknown, onAck?: (t: Tablet, r: Timed<unknown>) => void): Promise<Sent[]> {
  const r = prng(opts.seed)
  const targets = live().map((t) => ({ t, payload: payloadOf(t), delay: opts.burst ? 0 : r() * (opts.seconds ?? 0) * 1000 }))
  const at = opts.at ?? wall()
  const fire = (x: (typeof targets)[number]) => {
    const sentAt = wall()
    return command(x.t.client!.socket, event, x.payload, 30_000).then((res) => {
      onAck?.(x.t, res)
      return { r: res, ackAt: performance.timeOrigin + res.at, sentAt }
    })
  }
  if (opts.burst) {
    await sleep(Math.max(0, at - wall()))
    return Promise.all(targets.map(fire))
  }
  return Promise.all(targets.map((x) => sleep(Math.max(0, at + x.delay - wall())).then(() => fire(x))))
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.type) {
    case 'connect': {
      nodes = req.nodes
      for (const c of req.creds) tablets.push({ index: c.index, personId: c.personId, token: null, nodeIdx: c.index % nodes.length, client: null, drops: 0, droppedAt: null, reconnectedAt: null, reconnects: 0, closing: false })
      const byIndex = new Map(tablets.map((t) => [t.index, t]))
      const out = await connectMany(
        req.creds.map((c) => ({ node: { url: nodes[c.index % nodes.length] } as ServerNode, cred: { personId: c.personId, code: c.code } })),
        { rate: req.rate, concurrency: req.concurrency, skip: ['state:changed', 'state:patched'], label: `worker ${process.pid}` },
      )
      const ms: number[] = []
      const errors: Record<string, number> = {}
      out.forEach((o, i) => {
        const t = byIndex.get(req.creds[i].index)!
        if (o.client) {
          // The token the client handshook with: kept for reconnects.
          t.token = (o.client.socket as unknown as { auth: { token: string } }).auth.token
          attach(t, o.client)
          ms.push(o.connectMs!)
        } else errors[o.error ?? '?'] = (errors[o.error ?? '?'] ?? 0) + 1
      })
      return { type: 'connected', id: req.id, connected: ms.length, ms, errors }
    }
    case 'checkin': {
      const res = await run(req, 'attendance:checkIn', () => ({}))
      return timedReply(req.id, res, (x) => x.ack?.ok === true || x.error === 'ALREADY_CHECKED_IN')
    }
    case 'ping': {
      const res = await run(req, 'system:ping', () => ({}))
      return timedReply(req.id, res, (x) => x.ack?.ok === true)
    }
    case 'cast': {
      const tally: Tally = {}
      const marks: Record<Mark, number> = { for: 0, against: 0, abstain: 0 }
      const ballots = new Map<number, { marks: Record<string, Mark> } | { mark: Mark }>()
      const acked: number[] = []
      const res = await run(
        req,
        'ballot:cast',
        (t) => {
          let ballot: { marks: Record<string, Mark>; writeIns: string[] } | { mark: Mark }
          if (req.kind === 'election') ballot = electionBallot(req.candidateIds!, req.seats!, req.seed * 100_003 + t.index, req.markOrder)
          else {
            const x = prng(req.seed * 7919 + t.index)()
            ballot = { mark: x < 0.7 ? 'for' : x < 0.9 ? 'against' : 'abstain' }
          }
          ballots.set(t.index, ballot)
          return { pollId: req.pollId, round: req.round, ballot, idempotencyKey: idemKey() }
        },
        // The tally of what was acked is the bench's bookkeeping, not a tablet's work: noted here,
        // summed once the burst is over.
        (t, r) => {
          if (r.ack?.ok) acked.push(t.index)
        },
      )
      for (const i of acked) {
        const b = ballots.get(i)!
        if ('mark' in b) marks[b.mark]++
        else
          for (const [id, m] of Object.entries(b.marks)) {
            const row = (tally[id] ??= { for: 0, against: 0, abstain: 0 })
            row[m]++
          }
      }
      return { ...timedReply(req.id, res, (x) => x.ack?.ok === true), tally, marks }
    }
    case 'command': {
      const t = tablets.find((x) => x.index === req.index)
      if (!t?.client) return { type: 'ack', id: req.id, ack: null, error: 'NOT_CONNECTED', ms: null }
      const r = await command(t.client.socket, req.event, req.payload, 30_000)
      return { type: 'ack', id: req.id, ack: r.ack, error: r.error, ms: r.ms }
    }
    case 'rx': {
      // What the tablets received so far: frames, bytes, views (state:changed and state:patched).
      let frames = 0
      let bytes = 0
      let changed = 0
      for (const t of tablets) {
        if (!t.client) continue
        frames += t.client.frames
        bytes += t.client.bytes
        changed += (t.client.events.get('state:changed') ?? 0) + (t.client.events.get('state:patched') ?? 0)
      }
      return { type: 'rx', id: req.id, tablets: live().length, frames, bytes, changed }
    }
    case 'gc': {
      const t0 = performance.now()
      collect()
      return { type: 'collected', id: req.id, ms: performance.now() - t0 }
    }
    case 'status': {
      const perNode = nodes.map(() => 0)
      for (const t of live()) perNode[t.nodeIdx]++
      return {
        type: 'status',
        id: req.id,
        tablets: tablets.length,
        connected: live().length,
        perNode,
        drops: tablets.reduce((a, t) => a + t.drops, 0),
        reconnects: tablets.reduce((a, t) => a + t.reconnects, 0),
        // Tablets dropped since `since` (Date.now()) and when each was back (null: not yet).
        reconnected: tablets.filter((t) => t.droppedAt !== null && t.droppedAt >= (req.since ?? 0)).map((t) => ({ droppedAt: t.droppedAt!, at: t.reconnectedAt })),
        rssMb: process.memoryUsage.rss() / 1048576,
        cpu: process.cpuUsage(),
        elu: performance.eventLoopUtilization().utilization,
      }
    }
    case 'close': {
      for (const t of tablets) {
        t.closing = true
        t.client?.close()
      }
      return { type: 'closed', id: req.id }
    }
  }
}

function timedReply(id: number, res: Sent[], ok: (r: Timed<unknown>) => boolean): TimedReply {
  const ms: number[] = []
  const ackAt: number[] = []
  const errors: Record<string, number> = {}
  let firstSend = Infinity
  let lastAck = -Infinity
  for (const x of res) {
    firstSend = Math.min(firstSend, x.sentAt)
    lastAck = Math.max(lastAck, x.ackAt)
    if (ok(x.r) && x.r.ms !== null) {
      ms.push(x.r.ms)
      ackAt.push(x.ackAt)
    } else errors[x.r.error ?? '?'] = (errors[x.r.error ?? '?'] ?? 0) + 1
  }
  const gcMs = Number.isFinite(firstSend) && Number.isFinite(lastAck) ? gcMsBetween(firstSend, lastAck) : 0
  return { type: 'timed', id, sent: res.length, acked: ms.length, ms, ackAt, firstSend: Number.isFinite(firstSend) ? firstSend : null, gcMs, errors }
}

process.on('message', (req: WorkerRequest) => {
  handle(req).then(
    (reply) => send(reply),
    (err) => send({ type: 'error', id: req.id, error: (err as Error).stack ?? String(err) }),
  )
})
// The parent went away (killed, or it closed the channel): go too.
process.on('disconnect', () => process.exit(0))
send({ type: 'ready', id: 0 })
