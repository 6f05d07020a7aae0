// The errors people read: the server's AckError (both languages) and the client's own for
// timeouts and a lost connection, in one shape so every screen shows them the same way.
import type { AckError, ErrorCode, Lang } from '../../../shared/errors'

export type ClientErrorCode = ErrorCode | 'TIMEOUT' | 'OFFLINE' | 'NETWORK'

export interface ClientError {
  ok: false
  code: ClientErrorCode
  message: string
  messages: { zh: string; en: string }
  details?: unknown
}

export type Result<T> = { ok: true; data: T } | ClientError

function local(code: ClientErrorCode, zh: string, en: string): ClientError {
  return { ok: false, code, message: zh, messages: { zh, en } }
}

export function timeoutError(): ClientError {
  return local('TIMEOUT', '网络超时，请重试', 'Network timeout, please try again')
}

export function offlineError(): ClientError {
  return local('OFFLINE', '未连接到服务器，请稍候重试', 'Not connected to the server; please try again shortly')
}

export function networkError(): ClientError {
  return local('NETWORK', '无法连接服务器，请检查网络', 'Cannot reach the server; please check the network')
}

export function isAckError(x: unknown): x is AckError {
  if (!x || typeof x !== 'object') return false
  const o = x as Record<string, unknown>
  return o.ok === false && typeof o.code === 'string' && !!o.messages && typeof o.messages === 'object'
}

/** Anything a failed request produced, as a ClientError; unknown shapes are not shown raw. */
export function toClientError(x: unknown): ClientError {
  if (isAckError(x)) return x
  return local('INTERNAL', '服务器内部错误，请联系工作人员', 'Internal server error; please contact the staff')
}

export function messageIn(e: Pick<ClientError, 'message' | 'messages'>, lang: Lang): string {
  return e.messages?.[lang] ?? e.message
}
