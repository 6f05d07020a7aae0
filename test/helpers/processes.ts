// Real processes for topology and fault tests: a redis-server of our own (AOF, temp dir, free port)
// and server nodes started exactly as `npm run serve` starts them. Everything is killed on cleanup.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { freePort } from '../setup/redis'
import { tempDir } from './server'

export { freePort }

const ROOT = path.resolve(import.meta.dirname, '../..')

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms
  let lastErr: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (err) {
      lastErr = err
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface RedisProcess {
  url: string
  port: number
  dir: string
  child: ChildProcess
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>
  /** Starts again on the same port and directory (replaying its AOF). */
  restart(): Promise<void>
  stop(): Promise<void>
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

export async function startRedis(opts: { aof?: boolean } = {}): Promise<RedisProcess> {
  const port = await freePort()
  const dir = tempDir('cm-redis-')
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir]
  if (opts.aof ?? true) args.push('--appendonly', 'yes', '--appendfsync', 'always')
  else args.push('--appendonly', 'no')
  const launch = () => spawn('redis-server', args, { stdio: 'ignore' })
  const r: RedisProcess = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    child: launch(),
    async kill() {
      r.child.kill('SIGKILL')
      await exited(r.child)
    },
    async restart() {
      r.child = launch()
      await waitForTcp(port)
    },
    async stop() {
      r.child.kill('SIGKILL')
      await exited(r.child)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  await waitForTcp(port)
  return r
}

async function waitForTcp(port: number): Promise<void> {
  const net = await import('node:net')
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.end()
          resolve(true)
        })
        s.once('error', () => resolve(false))
      }),
    10_000,
    `port ${port}`,
  )
}

export interface NodeProcess {
  url: string
  port: number
  dataDir: string
  child: ChildProcess
  output: () => string
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts again with the same settings. */
  restart(): Promise<void>
}

/** Starts a server node process and waits until /healthz answers. */
export async function startNode(env: Record<string, string>, opts: { port?: number; dataDir?: string } = {}): Promise<NodeProcess> {
  const port = opts.port ?? (await freePort())
  const dataDir = opts.dataDir ?? tempDir('cm-node-')
  let out = ''
  const launch = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ID: `node-${port}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    return child
  }
  const n: NodeProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    child: launch(),
    output: () => out,
    async kill(signal = 'SIGKILL') {
      n.child.kill(signal)
      await exited(n.child)
    },
    async restart() {
      n.child = launch()
      await waitHealthy(n)
    },
  }
  await waitHealthy(n)
  return n
}

async function waitHealthy(n: NodeProcess): Promise<void> {
  await waitFor(
    async () => {
      if (n.child.exitCode !== null) throw new Error(`node exited (code ${n.child.exitCode}): ${n.output().slice(-2000)}`)
      const r = await fetch(`${n.url}/healthz`)
      return r.ok
    },
    30_000,
    `node on ${n.port} to be healthy`,
  )
}

export interface DemoCodes {
  codes: Array<{ personId: string; role: string; name: string; code: string; delegation: string }>
}

export function readDemoCodes(dataDir: string): DemoCodes {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as DemoCodes
}
