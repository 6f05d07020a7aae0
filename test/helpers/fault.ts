// Helpers for the fault tests (test/integration/fault-*.test.ts): a hall of real processes (our own
// AOF Redis, server nodes, the nginx-like proxy), tablets that log in and keep what the server last
// told them, a ballot round set up through the real commands, and readers for what the store holds.
// Everything a test starts is registered with a Teardown and stopped in afterAll, even on failure.
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { io as ioc } from 'socket.io-client'
import type { StoredEvent } from '../../shared/domain/events'
import type { PollView } from '../../shared/domain/poll-views'
import type { Ack } from '../../shared/errors'
import type { ChairView, LoginResult, OwnStatus, Snapshot } from '../../shared/protocol'
import { startNode, startRedis, waitFor, type NodeProcess, type RedisProcess } from './processes'
import { startProxy, type TcpProxy } from './proxy'
import type { Client } from './server'

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Stops everything a test started, last first; never throws. */
export class Teardown {
  private steps: Array<{ what: string; fn: () => unknown }> = []
  add(what: string, fn: () => unknown): void {
    this.steps.push({ what, fn })
  }
  async run(): Promise<void> {
    const steps = this.steps.reverse()
    this.steps = []
    for (const s of steps) {
      try {
        await Promise.race([s.fn(), sleep(10_000)])
      } catch (err) {
        console.error(`[teardown] ${s.what}: ${(err as Error).message}`)
      }
    }
  }
}

/** The fault tests each run several servers and hundreds or thousands of clients on what may be a
 * two-core machine, and measure times: two of them at once would measure each other. vitest runs
 * files in parallel, so they take turns through a lock file (per machine; a lock whose owner died is
 * taken over). Released by the Teardown. */
export async function faultLock(t: Teardown, waitMs = 180_000): Promise<void> {
  const file = path.join(os.tmpdir(), 'congress-fault-tests.lock')
  const read = () => {
    try {
      return fs.readFileSync(file, 'utf8')
    } catch {
      return null
    }
  }
  const until = Date.now() + waitMs
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' })
      t.add('fault lock', () => {
        if (read() === String(process.pid)) fs.rmSync(file, { force: true })
      })
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const owner = read()
    if (owner === null) continue
    if (owner === '') {
      // Just created by another process, which is writing its pid.
      await sleep(50)
      continue
    }
    let alive = false
    try {
      process.kill(Number(owner), 0)
      alive = true
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM'
    }
    // Stale (its owner died, or is this very process after a file that failed to clean up).
    if (!alive || owner === String(process.pid)) {
      if (read() === owner) fs.rmSync(file, { force: true })
      continue
    }
    if (Date.now() > until) throw new Error(`another fault test (pid ${owner}) held ${file} for ${waitMs / 1000} s`)
    await sleep(250)
  }
}

/** Registers a started node so it is killed and its data directory removed on teardown. */
export function ownNode(t: Teardown, n: NodeProcess): NodeProcess {
  t.add(`node ${n.port}`, async () => {
    await n.kill('SIGKILL')
    fs.rmSync(n.dataDir, { recursive: true, force: true })
  })
  return n
}

export function ownRedis(t: Teardown, r: RedisProcess): RedisProcess {
  t.add(`redis ${r.port}`, () => r.stop())
  return r
}

/** Distinct loopback source addresses, so the proxy's ip_hash spreads tablets over the nodes. */
/** The multi-node hall of the fault tests: our own AOF Redis, `n` nodes on it (the first seeds the
 * demo meeting and writes its codes; the others join it), and the nginx-like proxy in front of them.
 * Takes the fault lock first; everything is registered with `t`. */
export async function redisHall(t: Teardown, n: number): Promise<{ redis: RedisProcess; nodes: NodeProcess[]; proxy: TcpProxy; codes: Codes }> {
  await faultLock(t)
  const redis = ownRedis(t, await startRedis({ aof: true }))
  const env = { REDIS_URL: redis.url, BROADCAST_INTERVAL_MS: '100' }
  const first = ownNode(t, await startNode(env))
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => startNode(env)))
  const nodes = [first, ...rest.map((x) => ownNode(t, x))]
  const codes = demoCodes(first.dataDir)
  const proxy = await startProxy({ upstreams: nodes.map((x) => ({ port: x.port })) })
  t.add('proxy', () => proxy.close())
  return { redis, nodes, proxy, codes }
}

export function tabletAddress(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 2}`
}

export async function login(url: string, code: string, timeoutMs = 15_000): Promise<LoginResult> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await res.json()) as Ack<LoginResult>
  if (!body.ok) throw new Error(`login refused: ${body.code}`)
  return body.data
}

/** A tablet (or console): one socket.io connection with socket.io-client's default reconnection,
 * as in client/src/socket.ts (WebSocket only here), keeping what the server last told it. */
export interface Tablet {
  personId: string
  token: string
  socket: Client
  /** Every snapshot received, with the local time it arrived (performance.now()). */
  snapshots: Array<{ at: number; snap: Snapshot }>
  /** The latest own status (from snapshots and me:updated). */
  me: OwnStatus | null
  /** Each own status received, with the local wall-clock time (Date.now()) it arrived. */
  meLog: Array<{ wall: number; me: OwnStatus | null }>
  /** The highest view version seen, from snapshots, state:changed and state:patched. */
  version: number
  /** state:changed and state:patched messages received. */
  changed: number
  /** performance.now() of each disconnect and (re)connect. */
  disconnects: number[]
  connects: number[]
  close(): void
}

export interface TabletOptions {
  /** Source address (see tabletAddress), so a proxy can tell tablets apart. */
  localAddress?: string
  /** Do not JSON-parse state:changed or state:patched, only read its version (a hall of tablets on one load
   * generator would spend its CPU parsing the same broadcast thousands of times). */
  lightweight?: boolean
  timeoutMs?: number
}

const CHANGED_PREFIXES = ['42["state:changed",', '42["state:patched",']

export function connectTablet(url: string, login: LoginResult, opts: TabletOptions = {}): Promise<Tablet> {
  const socket: Client = ioc(url, {
    auth: { token: login.token, lang: 'zh' },
    transports: ['websocket'],
    forceNew: true,
    localAddress: opts.localAddress,
  } as Parameters<typeof ioc>[1])
  const t: Tablet = {
    personId: login.personId,
    token: login.token,
    socket,
    snapshots: [],
    me: null,
    meLog: [],
    version: 0,
    changed: 0,
    disconnects: [],
    connects: [],
    close: () => socket.disconnect(),
  }
  if (opts.lightweight) {
    // engine.io-client hands every frame to transport.onData (looked up at call time); the
    // transport is new after each reconnect, so wrap it whenever one opens.
    const wrap = () => {
      const transport = (socket.io as unknown as { engine?: { transport?: { onData(d: unknown): void; __wrapped?: boolean } } }).engine?.transport
      if (!transport || transport.__wrapped) return
      transport.__wrapped = true
      const onData = transport.onData.bind(transport)
      transport.onData = (d: unknown) => {
        if (typeof d === 'string' && CHANGED_PREFIXES.some((prefix) => d.startsWith(prefix))) {
          t.changed++
          const m = /"version":(\d+)/.exec(d.slice(0, 80))
          if (m) t.version = Math.max(t.version, Number(m[1]))
          return
        }
        onData(d)
      }
    }
    socket.io.on('open', wrap)
    wrap()
  } else {
    socket.on('state:changed', (c) => {
      t.changed++
      t.version = Math.max(t.version, c.version)
    })
    socket.on('state:patched', (p) => {
      t.changed++
      t.version = Math.max(t.version, p.version)
    })
  }
  socket.on('state:snapshot', (snap) => {
    t.snapshots.push({ at: performance.now(), snap })
    t.version = Math.max(t.version, snap.version)
    t.me = snap.me
    t.meLog.push({ wall: Date.now(), me: snap.me })
  })
  socket.on('me:updated', (me) => {
    t.me = me
    t.meLog.push({ wall: Date.now(), me })
  })
  socket.on('connect', () => t.connects.push(performance.now()))
  socket.on('disconnect', () => t.disconnects.push(performance.now()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tablet ${login.personId}: no snapshot`)), opts.timeoutMs ?? 20_000)
    socket.once('state:snapshot', () => {
      clearTimeout(timer)
      resolve(t)
    })
    socket.once('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (!err.data) return // a transport error: socket.io-client retries by itself
      clearTimeout(timer)
      socket.disconnect()
      reject(new Error(`tablet ${login.personId}: ${err.data.code ?? err.message}`))
    })
  })
}

/** Runs fn over items with at most `limit` at a time. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i], i)
      }
    }),
  )
  return out
}

/** A command with its ack, or `{ timeout: true }` when no ack came in time (never rejects). */
export type Sent<T> = Ack<T> | { ok: false; code: 'TIMEOUT'; message: string }

export function emit<T = unknown>(socket: Client, event: string, payload: unknown, timeoutMs = 10_000): Promise<Sent<T>> {
  return new Promise((resolve) => {
    ;(socket.timeout(timeoutMs) as unknown as { emit(e: string, p: unknown, cb: (err: Error | null, a: Ack<T>) => void): void }).emit(
      event,
      payload,
      (err, ack) => resolve(err ? { ok: false, code: 'TIMEOUT', message: err.message } : ack),
    )
  })
}

export async function must<T = unknown>(socket: Client, event: string, payload: unknown, timeoutMs = 30_000): Promise<T> {
  const r = await emit<T>(socket, event, payload, timeoutMs)
  if (!r.ok) throw new Error(`${event} refused: ${r.code} ${r.message}`)
  return r.data
}

export const idemKey = () => randomBytes(12).toString('base64url')

export type Mark = 'for' | 'against' | 'abstain'
export const MARKS: Mark[] = ['for', 'against', 'abstain']

/** One voter's ballot in a secret resolution vote, and what became of it. */
export interface Vote {
  personId: string
  mark: Mark
  key: string
  /** Every ack received for it, in order. */
  acks: Array<Sent<unknown>>
  acked: boolean
  /** performance.now() when the first ok ack arrived. */
  ackedAt: number | null
}

export function newVote(personId: string, i: number): Vote {
  return { personId, mark: MARKS[i % 3], key: idemKey(), acks: [], acked: false, ackedAt: null }
}

/** Casts (or retries with the same key) once; records the ack. */
export async function castOnce(t: Tablet, pollId: string, round: number, v: Vote, timeoutMs = 5000): Promise<Sent<unknown>> {
  const ack = await emit(t.socket, 'ballot:cast', { pollId, round, ballot: { mark: v.mark }, idempotencyKey: v.key }, timeoutMs)
  v.acks.push(ack)
  if (ack.ok && !v.acked) {
    v.acked = true
    v.ackedAt = performance.now()
  }
  return ack
}

/** Retries with the same idempotency key until an ok ack (or a refusal that is final). */
export async function castUntilAcked(t: Tablet, pollId: string, round: number, v: Vote, deadline: number, timeoutMs = 5000): Promise<void> {
  while (Date.now() < deadline) {
    const ack = await castOnce(t, pollId, round, v, timeoutMs)
    if (ack.ok) return
    if (ack.code !== 'TIMEOUT' && ack.code !== 'STORE_UNAVAILABLE') throw new Error(`cast by ${v.personId} refused: ${ack.code} ${ack.message}`)
    await sleep(200 + Math.random() * 300)
  }
  throw new Error(`cast by ${v.personId} not acked before the deadline: ${JSON.stringify(v.acks.at(-1))}`)
}

/** Demo codes by role, as the seeding node wrote them. */
export interface Codes {
  chair: string
  secretariat: string[]
  display: string
  delegates: Array<{ personId: string; code: string }>
}

export function demoCodes(dataDir: string): Codes {
  const { codes } = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as {
    codes: Array<{ personId: string; role: string; code: string }>
  }
  return {
    chair: codes.find((c) => c.role === 'chair')!.code,
    secretariat: codes.filter((c) => c.role === 'secretariat').map((c) => c.code),
    display: codes.find((c) => c.role === 'display')!.code,
    delegates: codes.filter((c) => c.role === 'delegate').map((c) => ({ personId: c.personId, code: c.code })),
  }
}

/** Checks the delegates in at the desk (two desks, within the desk's rate limit). */
export async function checkInAtDesk(desks: Client[], personIds: string[]): Promise<void> {
  await mapLimit(personIds, 40, async (personId, i) => {
    for (let attempt = 0; ; attempt++) {
      const r = await emit(desks[i % desks.length], 'attendance:checkIn', { personId })
      if (r.ok || (!r.ok && r.code === 'ALREADY_CHECKED_IN')) return
      if (attempt > 20 || (r.code !== 'RATE_LIMITED' && r.code !== 'TIMEOUT')) throw new Error(`check-in of ${personId}: ${r.code}`)
      await sleep(250)
    }
  })
}

/** Creates a secret resolution vote and opens its first round. */
export async function openVote(chair: Client, title: string, timeLimitS: number | null = null) {
  const created = await must<{ pollId: string }>(chair, 'poll:create', {
    title,
    spec: { kind: 'resolution', question: `${title}：是否通过？`, passRule: 'present' },
    secret: true,
    timeLimitS,
  })
  const opened = await must<{ pollId: string; round: number; issued: number; closesAt: number | null; roundKey: string }>(chair, 'poll:open', {
    pollId: created.pollId,
  })
  return opened
}

export interface ResolutionCount {
  returned: number
  issued: number
  for: number
  against: number
  abstain: number
}

/** The chair's view of a poll, fresh from the server. */
export async function chairPoll(chair: Client, pollId: string): Promise<PollView> {
  const snap = await must<Snapshot>(chair, 'state:sync', {})
  const p = (snap.view as ChairView).polls.find((x) => x.id === pollId)
  if (!p) throw new Error(`poll ${pollId} not in the chair's view`)
  return p
}

/** What the acked votes say the count must be. */
export function expectedCount(votes: Vote[]): Pick<ResolutionCount, 'returned' | 'for' | 'against' | 'abstain'> {
  const acked = votes.filter((v) => v.acked)
  return {
    returned: acked.length,
    for: acked.filter((v) => v.mark === 'for').length,
    against: acked.filter((v) => v.mark === 'against').length,
    abstain: acked.filter((v) => v.mark === 'abstain').length,
  }
}

/** Every event in a Redis log (the stream under `<prefix>log`). */
export async function redisLog(url: string, prefix = 'cm:'): Promise<StoredEvent[]> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  r.on('error', () => {})
  try {
    await r.connect()
    const entries = await r.xrange(`${prefix}log`, '-', '+')
    return entries.map(([, fields]) => JSON.parse(fields[1]) as StoredEvent)
  } finally {
    r.disconnect()
  }
}

/** Every event in an embedded node's SQLite log (read-only; the node may still be running). */
export function sqliteLog(dataDir: string): StoredEvent[] {
  const db = new Database(path.join(dataDir, 'congress.db'), { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT seq, at, actor, data, prev, hash FROM events ORDER BY seq').all() as Array<{
      seq: number
      at: number
      actor: string | null
      data: string
      prev: string
      hash: string
    }>
    return rows.map((r) => ({ seq: r.seq, at: r.at, actor: r.actor, event: JSON.parse(r.data), prev: r.prev, hash: r.hash }))
  } finally {
    db.close()
  }
}

/** The `poll.closed` events of a poll's round in a log. */
export function closings(events: StoredEvent[], pollId: string, n: number): StoredEvent[] {
  return events.filter((e) => e.event.type === 'poll.closed' && (e.event as { pollId: string }).pollId === pollId && (e.event as { n: number }).n === n)
}

/** Resident set size of a process in KiB (VmRSS in /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS for ${pid}`)
  return Number(m[1])
}

export async function health(url: string): Promise<{ status: number; body: { ok: boolean; events: number; node: string } & Record<string, unknown> }> {
  const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) })
  return { status: r.status, body: await r.json() }
}

/** Bytes queued in the kernel for TCP sockets (from /proc/net/tcp): what `localPort` has written
 * to each of `remotePorts` and the peer has not read (sender's send queue + receiver's receive
 * queue). Loopback IPv4 only. */
export function kernelQueuedBytes(localPort: number, remotePorts: Set<number>): number {
  let sum = 0
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 5) continue
    const lp = parseInt(f[1].split(':')[1], 16)
    const rp = parseInt(f[2].split(':')[1], 16)
    const [tx, rx] = f[4].split(':').map((x) => parseInt(x, 16))
    if (lp === localPort && remotePorts.has(rp)) sum += tx
    else if (remotePorts.has(lp) && rp === localPort) sum += rx
  }
  return sum
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

export { waitFor }

/** Which proxy upstream (node index) each live connection of a tablet goes to. */
export function nodeOf(proxy: TcpProxy, localAddress: string): number | null {
  for (const c of proxy.connections) if (c.clientAddress === localAddress) return c.upstream
  return null
}
