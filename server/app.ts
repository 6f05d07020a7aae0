// createApp(deps): builds the store-backed engine, express, socket.io and the gateway. Nothing starts
// on import and nothing listens until listen() is called, so tests can build many servers on port 0.
import { createAdapter } from '@socket.io/redis-adapter'
import { LOCAL_CLOCK, redisTime, referenceClock, type HallClock } from './clock'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import type { Config } from './config'
import { Engine } from './engine'
import { Broadcaster, type IO } from './gateway/broadcast'
import { attachGateway } from './gateway/socket'
import { receivedNotifier } from './gateway/received'
import { Sessions } from './gateway/sessions'
import { buildHttp } from './http/routes'
import { isOriginAllowed } from './http/origin'
import { PollService } from './polls'
import { openRedisStore } from './store/redis'
import { openSqliteStore } from './store/sqlite'
import type { Store } from './store/types'
import type { DocumentStore } from './store/documents'
import { openFsDocumentStore } from './store/documents-fs'
import { openRedisDocumentStore } from './store/documents-redis'

export const VERSION = '0.1.0'

export async function openStore(config: Config): Promise<Store> {
  if (config.redisUrl) return openRedisStore({ url: config.redisUrl, prefix: config.redisPrefix })
  return openSqliteStore({ file: path.join(config.dataDir, 'congress.db') })
}

export interface App {
  config: Config
  store: Store
  engine: Engine
  io: IO
  httpServer: http.Server
  broadcaster: Broadcaster
  polls: PollService
  sessions: Sessions
  documents: DocumentStore
  /** Listens on the port (0 = any free one) and resolves the URL. */
  listen(port?: number, host?: string): Promise<string>
  close(): Promise<void>
}

/** Meeting documents live beside the log: files in DATA_DIR/documents for SQLite, Redis values when
 * several nodes share Redis (every node must serve every document). */
export async function openDocumentStore(config: Config, store: Store): Promise<DocumentStore> {
  if (store.kind === 'redis' && config.redisUrl) return openRedisDocumentStore({ url: config.redisUrl, prefix: config.redisPrefix })
  return openFsDocumentStore(path.join(config.dataDir, 'documents'))
}

export async function createApp(deps: { config: Config; store: Store; documents?: DocumentStore }): Promise<App> {
  const { config, store } = deps
  const engine = new Engine(store.log)
  await engine.start()

  // Express is bound through this listener, registered before socket.io attaches: engine.io then
  // takes /socket.io/ requests (long-polling) for itself and hands every other request on. A listener
  // added after the attach would also see the polling requests and answer them with a 404 first.
  let expressApp: ReturnType<typeof buildHttp> | null = null
  const httpServer = http.createServer((req, res) => expressApp?.(req, res))
  const io: IO = new Server(httpServer, {
    maxHttpBufferSize: config.maxMessageBytes,
    pingInterval: 10_000,
    pingTimeout: 8_000,
    // A tablet that stops reading is dropped instead of buffering without bound.
    perMessageDeflate: false,
    allowRequest: (req, cb) => {
      const ok = isOriginAllowed(req.headers.origin, req.headers.host, config.allowedOrigins)
      cb(ok ? null : 'origin not allowed', ok)
    },
  })

  let adapterClients: Redis[] = []
  let clock: HallClock = LOCAL_CLOCK
  if (store.kind === 'redis' && config.redisUrl) {
    const pub = new Redis(config.redisUrl, { lazyConnect: true })
    const sub = pub.duplicate()
    pub.on('error', () => {})
    sub.on('error', () => {})
    await Promise.all([pub.connect(), sub.connect()])
    adapterClients = [pub, sub]
    io.adapter(createAdapter(pub, sub, { key: `${config.redisPrefix}socket.io` }))
    // Several nodes keep time by Redis's clock, whatever their own say.
    clock = await referenceClock(redisTime(pub))
    engine.now = clock.now
    if (Math.abs(clock.offsetMs) > 2000) console.warn(`[clock] this machine's clock is ${Math.round(clock.offsetMs / 1000)} s off Redis's: the node keeps Redis's time`)
  }

  // The broadcaster reads turnout from the poll service, which pokes it when turnout changes.
  let polls: PollService | null = null
  const broadcaster = new Broadcaster(
    io,
    engine,
    config.nodeId,
    config.broadcastIntervalMs,
    () => ({ turnout: polls?.turnout ?? new Map() }),
    config.tabletBroadcastIntervalMs,
  )
  polls = new PollService(engine, store.ballots, () => broadcaster.poke())
  await polls.start()
  const sessions = new Sessions(store, engine, io)
  // Multi-node: the voter's other devices may sit on another node; a connection of its own listens.
  const receivedSub = adapterClients.length ? adapterClients[0].duplicate() : null
  receivedSub?.on('error', () => {})
  const received = await receivedNotifier(
    io,
    receivedSub ? { pub: adapterClients[0], sub: receivedSub, channel: `${config.redisPrefix}ballots-received` } : null,
  )
  attachGateway({ io, engine, store, config, broadcaster, sessions, polls, received })
  const documents = deps.documents ?? (await openDocumentStore(config, store))
  expressApp = buildHttp({ config, engine, store, sessions, version: VERSION, documents })

  return {
    config,
    store,
    engine,
    io,
    httpServer,
    broadcaster,
    sessions,
    polls,
    documents,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject)
        httpServer.listen(port, host, () => {
          const a = httpServer.address() as AddressInfo
          resolve(`http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${a.port}`)
        })
      })
    },
    async close() {
      broadcaster.close()
      clock.close()
      received.close()
      polls.stop()
      engine.stop()
      await new Promise<void>((resolve) => io.close(() => resolve()))
      for (const c of adapterClients) c.disconnect()
      await documents.close()
      await store.close()
    },
  }
}
