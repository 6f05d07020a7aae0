// vitest global setup: the suite starts its own throw-away redis-server on a free port (no
// persistence, a temporary directory), so `npm test` needs only the redis-server binary and never
// touches a Redis someone else uses. TEST_REDIS_URL overrides it with an existing server.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`redis-server did not listen on ${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

let child: ChildProcess | null = null
let dir: string | null = null

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEST_REDIS_URL) {
    project.provide('redisUrl', process.env.TEST_REDIS_URL)
    return async () => {}
  }
  const port = await freePort()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-redis-'))
  child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  })
  child.once('error', (err) => {
    console.error(`could not start redis-server (is it installed?): ${err.message}`)
  })
  await waitForPort(port, 10_000)
  project.provide('redisUrl', `redis://127.0.0.1:${port}`)
  return async () => {
    child?.kill('SIGTERM')
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  }
}
