// HTTP calls to the same origin: login/logout and the desk's roster files. Every failure comes
// back as a ClientError so screens show server messages and network trouble alike.
import type { LoginResult } from '@shared/protocol'
import { errorMessage, ErrorCode, type Lang } from '@shared/errors'
import { networkError, type ClientError, type Result } from './logic/errors'

function fromBody(body: unknown, status: number): ClientError {
  const o = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const code = (typeof o.code === 'string' && o.code in ErrorCode ? o.code : status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL') as ErrorCode
  const given = o.messages as { zh?: string; en?: string } | undefined
  // Some replies carry only a code: fill in the messages the shared table has for it.
  const messages = {
    zh: given?.zh ?? errorMessage(code, {}, 'zh'),
    en: given?.en ?? errorMessage(code, {}, 'en'),
  }
  const e: ClientError = { ok: false, code, message: typeof o.message === 'string' ? o.message : messages.zh, messages }
  if (o.details !== undefined) e.details = o.details
  return e
}

async function request<T>(url: string, init: RequestInit): Promise<Result<T>> {
  let res: Response
  try {
    res = await fetch(url, init)
  } catch {
    return networkError()
  }
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  const o = body as { ok?: boolean; data?: T } | null
  if (res.ok && o && o.ok !== false) return { ok: true, data: (o.ok === true ? o.data : o) as T }
  return fromBody(body, res.status)
}

function auth(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` }
}

export function login(code: string, lang: Lang): Promise<Result<LoginResult>> {
  return request<LoginResult>('/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, lang }),
  })
}

export async function logout(token: string): Promise<void> {
  try {
    await fetch('/api/logout', { method: 'POST', headers: auth(token) })
  } catch {
    // The token is dropped locally anyway; the server expires it or the next login replaces it.
  }
}

export function postFile<T>(url: string, bytes: ArrayBuffer, token: string): Promise<Result<T>> {
  return request<T>(url, {
    method: 'POST',
    headers: { ...auth(token), 'Content-Type': 'application/octet-stream' },
    body: bytes,
  })
}

function filenameFrom(disposition: string | null): string | null {
  if (!disposition) return null
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (star) return decodeURIComponent(star[1])
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1] : null
}

/** Fetches with the token (a plain link cannot send it) and hands the file to the browser. */
export async function download(url: string, token: string, fallbackName: string): Promise<Result<null>> {
  let res: Response
  try {
    res = await fetch(url, { headers: auth(token) })
  } catch {
    return networkError()
  }
  if (!res.ok) {
    let body: unknown = null
    try {
      body = await res.json()
    } catch {
      body = null
    }
    return fromBody(body, res.status)
  }
  const blob = await res.blob()
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = filenameFrom(res.headers.get('Content-Disposition')) ?? fallbackName
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 10_000)
  return { ok: true, data: null }
}

/** A GET with the token, for JSON replies (document links). */
export function getJson<T>(url: string, token: string): Promise<Result<T>> {
  return request<T>(url, { headers: auth(token) })
}

/** A GET with the token for a text body (Markdown documents). */
export async function getText(url: string, token: string): Promise<Result<string>> {
  let res: Response
  try {
    res = await fetch(url, { headers: auth(token) })
  } catch {
    return networkError()
  }
  if (res.ok) return { ok: true, data: await res.text() }
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  return fromBody(body, res.status)
}
