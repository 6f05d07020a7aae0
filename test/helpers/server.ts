// Test helpers: a real server on port 0 with the demo meeting, on either store, and real socket.io
// clients logged in with real codes. Everything started here is stopped by the returned cleanup.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { io as ioc, type Socket } from 'socket.io-client'
import { inject } from 'vitest'
import { createApp, type App } from '../../server/app'
import { defaultConfig, type Config } from '../../server/config'
import { seedDemoIfEmpty, type IssuedCode } from '../../server/seed'
import { openRedisStore } from '../../server/store/redis'
import { openSqliteStore } from '../../server/store/sqlite'
import type { Store } from '../../server/store/types'
import type { Ack } from '../../shared/errors'
import type { ClientToServerEvents, LoginResult, ServerToClientEvents, Snapshot } from '../../shared/protocol'

export type StoreKind = 'sqlite' | 'redis'
export type Client = Socket<ServerToClientEvents, ClientToServerEvents>

/** The suite's own Redis (test/setup/redis.ts), or TEST_REDIS_URL. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? inject('redisUrl')
export const STORE_KINDS: StoreKind[] = ['sqlite', 'redis']

export function tempDir(prefix = 'cm-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** A key prefix of its own, so tests share the machine's Redis without touching anyone's keys. */
export function testPrefix(): string {
  return `cmtest:${randomBytes(6).toString('hex')}:`
}

/** Deletes only the keys under our prefix (never FLUSH: the Redis is shared). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await r.del(...keys)
    } while (cursor !== '0')
  } finally {
    r.disconnect()
  }
}

export interface StoreHandle {
  kind: StoreKind
  config: Partial<Config>
  open(): Promise<Store>
  cleanup(): Promise<void>
}

/** Where a store's data lives; open() may be called again to reopen it (restarts, second nodes). */
export function storeHandle(kind: StoreKind, redisUrl = REDIS_URL): StoreHandle {
  if (kind === 'sqlite') {
    const dir = tempDir()
    return {
      kind,
      config: { dataDir: dir },
      open: async () => openSqliteStore({ file: path.join(dir, 'congress.db'), pollMs: 50 }),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
  const prefix = testPrefix()
  const dir = tempDir()
  return {
    kind,
    config: { dataDir: dir, redisUrl, redisPrefix: prefix },
    open: () => openRedisStore({ url: redisUrl, prefix }),
    cleanup: async () => {
      await dropPrefix(redisUrl, prefix)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface TestServer {
  app: App
  url: string
  close(): Promise<void>
}

export async function startServer(handle: StoreHandle, overrides: Partial<Config> = {}): Promise<TestServer> {
  const config = defaultConfig({ ...handle.config, nodeId: `test-${randomBytes(3).toString('hex')}`, ...overrides })
  const store = await handle.open()
  const app = await createApp({ config, store })
  const url = await app.listen(0, '127.0.0.1')
  return { app, url, close: () => app.close() }
}

export interface Hall {
  handle: StoreHandle
  server: TestServer
  codes: IssuedCode[]
  /** Codes by role, and delegates in roster order. */
  code(personId: string): string
  delegates: IssuedCode[]
  secretariat: IssuedCode
  chair: IssuedCode
  display: IssuedCode
  clients: Client[]
  login(code: string, server?: TestServer): Promise<LoginResult>
  /** Logs in and connects; resolves with the socket and its first snapshot. */
  connect(code: string, server?: TestServer, opts?: { lang?: 'zh' | 'en' }): Promise<{ socket: Client; snapshot: Snapshot; login: LoginResult }>
  close(): Promise<void>
}

/** A server with the demo meeting seeded, and helpers to bring people into the hall. */
export async function startHall(kind: StoreKind, overrides: Partial<Config> = {}): Promise<Hall> {
  const handle = storeHandle(kind)
  const server = await startServer(handle, overrides)
  const codes = await seedDemoIfEmpty(server.app.engine)
  if (!codes) throw new Error('the demo meeting was not seeded')
  const byId = new Map(codes.map((c) => [c.personId, c]))
  const clients: Client[] = []
  const extraServers: TestServer[] = []
  const hall: Hall = {
    handle,
    server,
    codes,
    code: (id) => byId.get(id)!.code,
    delegates: codes.filter((c) => c.role === 'delegate'),
    secretariat: codes.find((c) => c.role === 'secretariat')!,
    chair: codes.find((c) => c.role === 'chair')!,
    display: codes.find((c) => c.role === 'display')!,
    clients,
    async login(code, srv = server) {
      return loginAt(srv.url, code)
    },
    async connect(code, srv = server, opts = {}) {
      const r = await connectAt(srv.url, code, opts)
      clients.push(r.socket)
      return r
    },
    async close() {
      for (const c of clients) c.disconnect()
      for (const s of extraServers) await s.close().catch(() => {})
      await server.close().catch(() => {})
      await handle.cleanup()
    },
  }
  return hall
}

export async function loginAt(url: string, code: string): Promise<LoginResult> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  })
  const body = (await res.json()) as Ack<LoginResult>
  if (!body.ok) throw new Error(`login failed: ${body.code}`)
  return body.data
}

/** Logs in over HTTP, connects a socket.io client and waits for its first snapshot. The caller
 * disconnects it (Hall.connect does so on close). */
export async function connectAt(
  url: string,
  code: string,
  opts: { lang?: 'zh' | 'en' } = {},
): Promise<{ socket: Client; snapshot: Snapshot; login: LoginResult }> {
  const login = await loginAt(url, code)
  const socket: Client = ioc(url, {
    auth: { token: login.token, lang: opts.lang ?? 'zh' },
    transports: ['websocket'],
    reconnection: true,
    forceNew: true,
  })
  const snapshot = await new Promise<Snapshot>((resolve, reject) => {
    socket.once('state:snapshot', resolve)
    socket.once('connect_error', reject)
  })
  return { socket, snapshot, login }
}

/** A fresh idempotency key as a tablet makes one: 16 random hex characters (the server takes 8-64). */
export function idemKey(): string {
  return randomBytes(8).toString('hex')
}

/** Sends a command and returns its ack. */
export function send<T = unknown>(socket: Client, event: string, payload?: unknown, timeoutMs = 10_000): Promise<Ack<T>> {
  return (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p?: unknown): Promise<Ack<T>> }).emitWithAck(event, payload)
}

/** The latest value of a pushed event, kept current. */
export function latest<T>(socket: Client, event: keyof ServerToClientEvents): { value: T | null } {
  const box: { value: T | null } = { value: null }
  ;(socket as unknown as { on(e: string, f: (v: T) => void): void }).on(event, (v: T) => {
    box.value = v
  })
  return box
}

/** Test set-up only: checks people in straight through the engine, as if scanned at the desk. */
export async function checkInDirect(app: App, personIds: string[]): Promise<void> {
  const { commands } = await import('../../shared/domain/commands')
  const actor = { personId: 'sec1', role: 'secretariat' as const }
  const results = await Promise.all(
    personIds.map((personId) => app.engine.submit((s, ctx) => commands['attendance:checkIn'].decide(s, { personId }, actor, ctx), actor)),
  )
  const bad = results.find((r) => !r.ok)
  if (bad) throw new Error(`check-in failed: ${JSON.stringify(bad)}`)
}
