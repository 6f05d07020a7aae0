// The document store port: meeting documents (PDF, Markdown) stored by the SHA-256 of their bytes, so
// an upload twice is stored once and the event log carries only the metadata. Two adapters: files in
// DATA_DIR/documents (one node, SQLite) and Redis values (several nodes, all reading one Redis).
import { createHash } from 'node:crypto'

/** The largest document accepted (MAX_DOCUMENT_BYTES, default 20 MB). */
export const DEFAULT_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

export interface DocumentStore {
  readonly kind: 'fs' | 'redis'
  /** Stores the bytes (durably, when it resolves) and returns their SHA-256 (hex). */
  put(bytes: Buffer): Promise<string>
  /** The bytes with this SHA-256, or null. */
  get(sha256: string): Promise<Buffer | null>
  /** A secret shared by every node of the deployment, for signed document links. */
  signingKey(): Promise<Buffer>
  close(): Promise<void>
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export const SHA256_HEX = /^[0-9a-f]{64}$/
