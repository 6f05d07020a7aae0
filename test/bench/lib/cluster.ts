// The system under test as real processes: one or more server nodes (`node --import tsx
// server/index.ts`, each with its own temp DATA_DIR and free port) on SQLite or on a private
// redis-server (own port and temp dir, AOF with fsync on every write). Node 1 seeds the demo meeting
// and writes the demo credentials; the others start after it is healthy.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import type { IssuedCode } from '../../../server/seed'
import type { Cleanup } from './cleanup'
import { log, sleep } from './log'
import { freePort, spawnChild, type Child } from './proc'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

export type StoreKind = 'sqlite' | 'redis'

export interface ServerNode {
  name: string
  url: string
  port: number
  pid: number
  dataDir: string
  child: Child
}

export interface Health {
  ok: boolean
  store: string
  events: number
  node: string
  /** Engine counters (batches, conflicts, appended) when the server exposes them. */
  stats?: Record<string, number>
}

export interface Cluster {
  store: StoreKind
  nodes: ServerNode[]
  redis: { url: string; pid: number; child: Child } | null
  /** The demo codes written by the seeding node (chair, secretariat, display1, demo delegates). */
  credentials: IssuedCode[]
  health(node: ServerNode): Promise<Health>
  /** Waits until every node has folded in at least `version` events (followers lag the writer). */
  waitForVersion(version: number, timeoutMs?: number): Promise<void>
}

export interface ClusterOptions {
  store: StoreKind
  nodes: number
  /** Extra environment for every node (e.g. BROADCAST_INTERVAL_MS). */
  env?: Record<string, string>
  /** Write a V8 CPU profile per node into this directory (on graceful stop). */
  cpuProfDir?: string | null
  /** Where server/index.ts lives (default: this repository); a copy with a patch to compare. */
  serverRoot?: string
}

async function startRedis(cleanup: Cleanup): Promise<{ url: string; pid: number; child: Child }> {
  const port = await freePort()
  const dir = cleanup.tempDir('congress-bench-redis-')
  const child = spawnChild(cleanup, {
    name: 'redis-server',
    cmd: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--maxclients', '10000'],
    logFile: path.join(dir, 'redis.log'),
  })
  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitedAt !== null) throw new Error(`redis-server exited (${child.exitedAt}):\n${child.tail()}`)
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    r.on('error', () => {})
    try {
      await r.connect()
      if ((await r.ping()) === 'PONG') {
        r.disconnect()
        break
      }
    } catch {
      r.disconnect()
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${url}:\n${child.tail()}`)
    await sleep(100)
  }
  log(`redis-server pid ${child.pid} on ${url} (dir ${dir}, appendfsync always)`)
  return { url, pid: child.pid, child }
}

async function getHealth(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })
  return (await res.json()) as Health
}

async function waitHealthy(node: ServerNode, timeoutMs = 60_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (node.child.exitedAt !== null) throw new Error(`${node.name} exited (${node.child.exitedAt}):\n${node.child.tail()}`)
    try {
      const h = await getHealth(node.url)
      if (h.ok) return h
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${node.name} not healthy after ${timeoutMs} ms:\n${node.child.tail()}`)
    await sleep(100)
  }
}

export async function startCluster(cleanup: Cleanup, opts: ClusterOptions): Promise<Cluster> {
  if (opts.nodes > 1 && opts.store !== 'redis') throw new Error('several nodes need --store redis')
  const redis = opts.store === 'redis' ? await startRedis(cleanup) : null
  const prefix = `bench:${process.pid}:`
  const nodes: ServerNode[] = []
  for (let i = 1; i <= opts.nodes; i++) {
    const port = await freePort()
    const dataDir = cleanup.tempDir(`congress-bench-n${i}-`)
    const name = `node${i}`
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      NODE_ID: `bench-${name}`,
      SEED_DEMO: 'true',
      ...opts.env,
    }
    // A REDIS_URL in the caller's environment must not turn a SQLite run into a Redis one.
    delete env.REDIS_URL
    delete env.REDIS_PREFIX
    if (redis) {
      env.REDIS_URL = redis.url
      env.REDIS_PREFIX = prefix
    }
    const nodeArgs = ['--import', 'tsx']
    // One directory per node: the tsx loader thread writes a profile of its own next to the main
    // thread's (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the server).
    if (opts.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${path.join(opts.cpuProfDir, name)}`)
    const child = spawnChild(cleanup, {
      name,
      cmd: process.execPath,
      args: [...nodeArgs, 'server/index.ts'],
      cwd: opts.serverRoot ?? REPO_ROOT,
      env,
      logFile: path.join(dataDir, 'server.log'),
    })
    const node: ServerNode = { name, url: `http://127.0.0.1:${port}`, port, pid: child.pid, dataDir, child }
    const h = await waitHealthy(node)
    log(`${name} pid ${child.pid} on ${node.url}: ${h.store}, ${h.events} events`)
    nodes.push(node)
  }
  const credFile = path.join(nodes[0].dataDir, 'demo-credentials.json')
  if (!fs.existsSync(credFile)) throw new Error(`node1 did not seed the demo meeting (${credFile} missing)`)
  const credentials = (JSON.parse(fs.readFileSync(credFile, 'utf8')) as { codes: IssuedCode[] }).codes

  const cluster: Cluster = {
    store: opts.store,
    nodes,
    redis,
    credentials,
    health: (node) => getHealth(node.url),
    async waitForVersion(version, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (const node of nodes) {
        for (;;) {
          const h = await getHealth(node.url).catch(() => null)
          if (h && h.events >= version) break
          if (Date.now() > deadline) throw new Error(`${node.name} stuck at ${h?.events} events, expected ${version}`)
          await sleep(50)
        }
      }
    },
  }
  return cluster
}
