// Documents as Redis values (`<prefix>doc:<sha256>`), so every node serves every document. With the
// deployment's appendfsync always, a SET is on disk when Redis answers. Values are at most
// MAX_DOCUMENT_BYTES (20 MB by default), well under Redis's 512 MB limit.
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { baseRedisOptions } from './redis'
import { StoreUnavailableError } from './types'
import { SHA256_HEX, sha256Hex, type DocumentStore } from './documents'

export function documentKeys(prefix: string) {
  return {
    doc: (sha: string) => `${prefix}doc:${sha}`,
    signingKey: `${prefix}doc-signing-key`,
  }
}

export async function openRedisDocumentStore(opts: { url: string; prefix: string }): Promise<DocumentStore> {
  const k = documentKeys(opts.prefix)
  // Documents are large: their own connection, so an upload never holds up log appends.
  const r = new Redis(opts.url, { ...baseRedisOptions(), commandTimeout: 30_000 })
  r.on('error', () => {})
  await r.connect()
  let key: Buffer | null = null

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw new StoreUnavailableError(`redis documents: ${(err as Error).message}`, { cause: err })
    }
  }

  return {
    kind: 'redis',
    async put(bytes) {
      const sha = sha256Hex(bytes)
      await call(() => r.set(k.doc(sha), bytes, 'NX'))
      return sha
    },
    async get(sha) {
      if (!SHA256_HEX.test(sha)) return null
      return call(() => r.getBuffer(k.doc(sha)))
    },
    async signingKey() {
      if (key) return key
      // The first node to ask creates it; every other node reads the same one.
      await call(() => r.set(k.signingKey, randomBytes(32), 'NX'))
      key = await call(() => r.getBuffer(k.signingKey))
      if (!key) throw new StoreUnavailableError('redis documents: no signing key')
      return key
    },
    async close() {
      r.disconnect()
    },
  }
}
