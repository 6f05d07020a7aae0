// The DocumentStore port held to one contract on both adapters (files in DATA_DIR/documents, Redis
// values under the prefix): content addressing, durability across a reopen, and one signing key that
// every node of a deployment shares.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { sha256Hex, type DocumentStore } from '../../server/store/documents'
import { openFsDocumentStore } from '../../server/store/documents-fs'
import { documentKeys, openRedisDocumentStore } from '../../server/store/documents-redis'
import { dropPrefix, REDIS_URL, STORE_KINDS, tempDir, testPrefix } from '../helpers/server'

describe.each(STORE_KINDS)('document store on %s', (kind) => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  /** Opens the store; calling open() again gives a second "node" on the same data. */
  function place(): { open(): Promise<DocumentStore>; where: string } {
    if (kind === 'sqlite') {
      const dir = path.join(tempDir(), 'documents')
      cleanups.push(async () => fs.rmSync(path.dirname(dir), { recursive: true, force: true }))
      return { open: async () => openFsDocumentStore(dir), where: dir }
    }
    const prefix = testPrefix()
    cleanups.push(() => dropPrefix(REDIS_URL, prefix))
    return { open: () => openRedisDocumentStore({ url: REDIS_URL, prefix }), where: prefix }
  }

  it('stores by SHA-256, once, and gives the same bytes back', async () => {
    const p = place()
    const store = await p.open()
    cleanups.unshift(() => store.close())
    const bytes = Buffer.from('# 县委工作报告\n\n全文……\n')
    const sha = await store.put(bytes)
    expect(sha).toBe(sha256Hex(bytes))
    expect(await store.put(Buffer.from(bytes))).toBe(sha)
    expect((await store.get(sha))?.equals(bytes)).toBe(true)
    expect(await store.get('0'.repeat(64))).toBeNull()
    // Not a hash: never looked up (no path or key built from it).
    expect(await store.get('../../etc/passwd')).toBeNull()
    if (kind === 'sqlite') {
      expect(fs.readdirSync(p.where).filter((f) => !f.startsWith('.'))).toEqual([sha])
    } else {
      const r = new Redis(REDIS_URL)
      try {
        expect(await r.exists(documentKeys(p.where).doc(sha))).toBe(1)
      } finally {
        r.disconnect()
      }
    }
  })

  it('keeps a 5 MB PDF across a reopen; a second node reads it and shares the signing key', async () => {
    const p = place()
    const a = await p.open()
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(5 * 1024 * 1024)])
    const sha = await a.put(big)
    const key = await a.signingKey()
    expect(key.length).toBe(32)
    const b = await p.open()
    cleanups.unshift(() => b.close())
    expect((await b.get(sha))?.equals(big)).toBe(true)
    expect((await b.signingKey()).equals(key)).toBe(true)
    await a.close()
    const c = await p.open()
    cleanups.unshift(() => c.close())
    expect((await c.signingKey()).equals(key)).toBe(true)
  })
})
