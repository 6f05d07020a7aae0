// Documents as files named by their SHA-256 under one directory (DATA_DIR/documents). Written to a
// temporary name, fsynced and renamed, so a crash never leaves half a file under a real name.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { StoreUnavailableError } from './types'
import { SHA256_HEX, sha256Hex, type DocumentStore } from './documents'

function writeDurably(file: string, bytes: Buffer, exclusive = false): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  const fd = fs.openSync(tmp, 'w', 0o600)
  try {
    fs.writeSync(fd, bytes)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  if (exclusive && fs.existsSync(file)) {
    fs.rmSync(tmp, { force: true })
    return
  }
  fs.renameSync(tmp, file)
  // The rename itself must reach the disk too.
  const dir = fs.openSync(path.dirname(file), 'r')
  try {
    fs.fsyncSync(dir)
  } finally {
    fs.closeSync(dir)
  }
}

export function openFsDocumentStore(dir: string): DocumentStore {
  fs.mkdirSync(dir, { recursive: true })
  const keyFile = path.join(dir, '.signing-key')
  let key: Buffer | null = null
  return {
    kind: 'fs',
    async put(bytes) {
      const sha = sha256Hex(bytes)
      const file = path.join(dir, sha)
      try {
        if (!fs.existsSync(file)) writeDurably(file, bytes)
      } catch (err) {
        throw new StoreUnavailableError(`documents: ${(err as Error).message}`, { cause: err })
      }
      return sha
    },
    async get(sha) {
      if (!SHA256_HEX.test(sha)) return null
      try {
        return await fs.promises.readFile(path.join(dir, sha))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw new StoreUnavailableError(`documents: ${(err as Error).message}`, { cause: err })
      }
    },
    async signingKey() {
      if (key) return key
      if (!fs.existsSync(keyFile)) writeDurably(keyFile, randomBytes(32), true)
      key = fs.readFileSync(keyFile)
      return key
    },
    async close() {},
  }
}
