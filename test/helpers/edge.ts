// Test helpers for the edges of the server: refusals as people see them, plain HTTP calls, and raw
// socket.io clients whose handshakes may fail.
import { expect } from 'vitest'
import { io as ioc, type ManagerOptions, type SocketOptions } from 'socket.io-client'
import type { AckError, ErrorCode } from '../../shared/errors'
import type { Client } from './server'

const HAN = /\p{Script=Han}/u

/** Asserts the refusal shape every ack and HTTP error shares, with a Chinese message first. */
export function expectRefusal(res: unknown, code: ErrorCode): AckError {
  expect(res, JSON.stringify(res)?.slice(0, 300)).toMatchObject({ ok: false, code })
  const e = res as AckError
  for (const k of Object.keys(e)) expect(['ok', 'code', 'message', 'messages', 'details']).toContain(k)
  expect(typeof e.message).toBe('string')
  expect(e.message).toBe(e.messages.zh)
  expect(e.message).toMatch(HAN)
  expect(e.messages.en).toMatch(/[A-Za-z]{3}/)
  expect(e.messages.en).not.toBe(e.messages.zh)
  // Nothing a program would print: no stack, no JavaScript error names.
  expect(e.message).not.toMatch(/\bat .*\(.*:\d+:\d+\)|TypeError|ReferenceError|ZodError/)
  return e
}

export interface HttpReply<T = unknown> {
  status: number
  headers: Headers
  text: string
  body: T
}

/** One HTTP call; the body is parsed as JSON when it is JSON. */
export async function http<T = unknown>(
  base: string,
  path: string,
  opts: { method?: string; token?: string; body?: BodyInit; json?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  let body = opts.body
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json)
    headers['content-type'] ??= 'application/json'
  }
  const res = await fetch(base + path, { method: opts.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body })
  const text = await res.text()
  let parsed: unknown = text
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text)
  return { status: res.status, headers: res.headers, text, body: parsed as T }
}

/** A socket.io client that does not retry on its own; closed by the caller (or pushed to `track`). */
export function rawClient(url: string, opts: Partial<ManagerOptions & SocketOptions> = {}, track?: Client[]): Client {
  const c = ioc(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts }) as Client
  track?.push(c)
  return c
}

/** Resolves when the handshake fails (with socket.io's error, `data` set by our middleware), and
 * rejects if the client connects instead. */
export function connectError(c: Client): Promise<Error & { data?: AckError }> {
  return new Promise((resolve, reject) => {
    c.once('connect_error', (err) => resolve(err as Error & { data?: AckError }))
    c.once('connect', () => reject(new Error('connected, but the handshake should have been refused')))
  })
}

export function connected(c: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    if (c.connected) return resolve()
    c.once('connect', () => resolve())
    c.once('connect_error', reject)
  })
}

/** The next `event` on the socket; fails after `ms` so that a missing push fails the test quickly. */
export function nextEvent<T>(c: Client, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms)
    ;(c as unknown as { once(e: string, f: (v: T) => void): void }).once(event, (v: T) => {
      clearTimeout(timer)
      resolve(v)
    })
  })
}
