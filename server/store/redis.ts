// The shared store for several nodes: the log is a Redis stream whose entry ids are the event seqs,
// appended by a Lua script that checks the head, so all nodes agree on one order. Durability comes
// from Redis's AOF with appendfsync always (Redis answers only after the fsync).
import { Redis, type RedisOptions } from 'ioredis'
import type { StoredEvent } from '../../shared/domain/events'
import { openRedisBallotBox } from './ballot-box-redis'
import { CONFLICT_MISSING_MAX, ConflictError, StoreUnavailableError, type EventLog, type SessionStore, type Store, type StoreHealth } from './types'

/** Every key this deployment uses, built in one place from one prefix. */
export function redisKeys(prefix: string) {
  return {
    log: `${prefix}log`,
    head: `${prefix}log:head`,
    sessionByToken: `${prefix}sess:token`,
    sessionByPerson: `${prefix}sess:person`,
  }
}

const APPEND = `
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
local expected = tonumber(ARGV[1])
if head ~= expected then
  -- A conflict: hand back what the writer missed (ARGV[2] at most), saving it a read.
  if expected < head then return {0, head, redis.call('XRANGE', KEYS[2], (expected + 1) .. '-0', '+', 'COUNT', tonumber(ARGV[2]))} end
  return {0, head, {}}
end
for i = 3, #ARGV do
  head = head + 1
  redis.call('XADD', KEYS[2], head .. '-1', 'e', ARGV[i])
end
redis.call('SET', KEYS[1], head)
return {1, head}
`

// sess:token holds token -> "personId" or "!personId" once replaced; sess:person holds the live token.
const START_SESSION = `
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('HSET', KEYS[1], old, '!' .. ARGV[1]) end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return old
`

const END_ALL = `
local live = redis.call('HGET', KEYS[2], ARGV[1])
if live then redis.call('HDEL', KEYS[1], live) end
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`

export interface RedisStoreOptions {
  url: string
  prefix: string
}

export function baseRedisOptions(): RedisOptions {
  return {
    // Never queue a write while disconnected: the caller must get an error, not a late false ack.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    lazyConnect: true,
  }
}

function parseEntry(fields: string[]): StoredEvent {
  return JSON.parse(fields[1]) as StoredEvent
}

export async function openRedisStore(opts: RedisStoreOptions): Promise<Store> {
  const k = redisKeys(opts.prefix)
  const cmd = new Redis(opts.url, baseRedisOptions())
  // Swallow connection errors on the emitter; commands report them to their callers.
  cmd.on('error', () => {})
  await cmd.connect()
  cmd.defineCommand('cmAppend', { numberOfKeys: 2, lua: APPEND })
  cmd.defineCommand('cmStartSession', { numberOfKeys: 2, lua: START_SESSION })
  cmd.defineCommand('cmEndAll', { numberOfKeys: 2, lua: END_ALL })
  const watchers = new Set<{ stop: () => void }>()

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof ConflictError) throw err
      throw new StoreUnavailableError(`redis: ${(err as Error).message}`, { cause: err })
    }
  }

  const log: EventLog = {
    async read(after, limit = 10_000) {
      const entries = await call(() => cmd.xrange(k.log, `${after + 1}-0`, '+', 'COUNT', limit))
      return entries.map(([, fields]) => parseEntry(fields))
    },
    async append(expected, events) {
      if (events.length === 0) return
      const args = [String(expected), String(CONFLICT_MISSING_MAX), ...events.map((e) => JSON.stringify(e))]
      const [ok, head, missing] = await call(
        () => (cmd as unknown as { cmAppend(...a: string[]): Promise<[number, number, Array<[string, string[]]>?]> }).cmAppend(k.head, k.log, ...args),
      )
      if (ok !== 1) throw new ConflictError(head, (missing ?? []).map(([, fields]) => parseEntry(fields)))
    },
    async head() {
      return Number((await call(() => cmd.get(k.head))) ?? 0)
    },
    watch(after, onEvents) {
      // A blocking XREAD needs its own connection; it may queue while reconnecting (it only reads).
      const sub = new Redis(opts.url, { ...baseRedisOptions(), enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined })
      sub.on('error', () => {})
      let last = `${after}-1`
      let stopped = false
      const loop = async () => {
        await sub.connect().catch(() => {})
        while (!stopped) {
          try {
            const res = await sub.xread('COUNT', 5000, 'BLOCK', 5000, 'STREAMS', k.log, last)
            if (!res || stopped) continue
            const entries = res[0][1]
            if (entries.length === 0) continue
            last = entries[entries.length - 1][0]
            onEvents(entries.map(([, fields]) => parseEntry(fields)))
          } catch {
            if (stopped) break
            await new Promise((r) => setTimeout(r, 200))
          }
        }
      }
      void loop()
      const handle = {
        stop: () => {
          stopped = true
          sub.disconnect()
          watchers.delete(handle)
        },
      }
      watchers.add(handle)
      return handle.stop
    },
  }

  const sessions: SessionStore = {
    async start(personId, tokenHash) {
      const previous = await call(() =>
        (cmd as unknown as { cmStartSession(...a: string[]): Promise<string | null> }).cmStartSession(
          k.sessionByToken,
          k.sessionByPerson,
          personId,
          tokenHash,
        ),
      )
      return previous || null
    },
    async lookup(tokenHash) {
      const v = await call(() => cmd.hget(k.sessionByToken, tokenHash))
      if (!v) return null
      return v.startsWith('!') ? { personId: v.slice(1), replaced: true } : { personId: v, replaced: false }
    },
    async end(tokenHash) {
      const v = await call(() => cmd.hget(k.sessionByToken, tokenHash))
      if (!v) return
      if (v.startsWith('!')) await call(() => cmd.hdel(k.sessionByToken, tokenHash))
      else await call(() => cmd.multi().hdel(k.sessionByToken, tokenHash).hdel(k.sessionByPerson, v).exec())
    },
    async endAll(personId) {
      await call(() =>
        (cmd as unknown as { cmEndAll(...a: string[]): Promise<number> }).cmEndAll(k.sessionByToken, k.sessionByPerson, personId),
      )
    },
  }

  return {
    kind: 'redis',
    log,
    sessions,
    ballots: openRedisBallotBox(cmd, opts.prefix),
    async health(): Promise<StoreHealth> {
      try {
        await cmd.ping()
        let durable = false
        let detail: string | undefined
        try {
          const aof = (await cmd.config('GET', 'appendonly')) as string[]
          const fsync = (await cmd.config('GET', 'appendfsync')) as string[]
          durable = aof[1] === 'yes' && fsync[1] === 'always'
          if (!durable) detail = `appendonly=${aof[1]} appendfsync=${fsync[1]}: acked writes can be lost if Redis dies`
        } catch {
          detail = 'CONFIG GET not allowed: durability unknown'
        }
        return { ok: true, kind: 'redis', durable, detail }
      } catch (err) {
        return { ok: false, kind: 'redis', durable: false, detail: (err as Error).message }
      }
    },
    async close() {
      for (const w of [...watchers]) w.stop()
      cmd.disconnect()
    },
  }
}
