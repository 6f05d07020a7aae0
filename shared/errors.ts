// Error codes every ack and HTTP reply may carry, with the messages people read (Chinese first).
// Messages are templates: {name} is replaced from the error's params.

export const ErrorCode = {
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  SESSION_REPLACED: 'SESSION_REPLACED',
  INVALID_CODE: 'INVALID_CODE',
  CREDENTIAL_REVOKED: 'CREDENTIAL_REVOKED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  NO_MEETING: 'NO_MEETING',
  MEETING_EXISTS: 'MEETING_EXISTS',
  PERSON_NOT_FOUND: 'PERSON_NOT_FOUND',
  DELEGATION_NOT_FOUND: 'DELEGATION_NOT_FOUND',
  UNKNOWN_CARD: 'UNKNOWN_CARD',
  CARD_REVOKED: 'CARD_REVOKED',
  NOT_ATTENDEE: 'NOT_ATTENDEE',
  NOT_ACTIVE: 'NOT_ACTIVE',
  ALREADY_CHECKED_IN: 'ALREADY_CHECKED_IN',
  NOT_CHECKED_IN: 'NOT_CHECKED_IN',
  ALREADY_ON_LEAVE: 'ALREADY_ON_LEAVE',
  NOT_ON_LEAVE: 'NOT_ON_LEAVE',
  LEAVE_WHILE_PRESENT: 'LEAVE_WHILE_PRESENT',
  SELF_CHECKIN_DISABLED: 'SELF_CHECKIN_DISABLED',
  NOTHING_TO_UNDO: 'NOTHING_TO_UNDO',
  NO_CREDENTIAL: 'NO_CREDENTIAL',
  ROSTER_INVALID: 'ROSTER_INVALID',
  DUPLICATE_ID: 'DUPLICATE_ID',
  NOT_FOUND: 'NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export type Lang = 'zh' | 'en'

const MESSAGES: Record<ErrorCode, { zh: string; en: string }> = {
  INVALID_PAYLOAD: { zh: '请求内容不正确：{details}', en: 'The request is malformed: {details}' },
  UNKNOWN_COMMAND: { zh: '不支持的操作：{command}', en: 'Unknown command: {command}' },
  UNAUTHENTICATED: { zh: '请先登录', en: 'Please log in first' },
  SESSION_REPLACED: {
    zh: '该账号已在另一台设备上登录，本设备已退出',
    en: 'This account has logged in on another device; this device has been signed out',
  },
  INVALID_CODE: { zh: '登录码无效或已作废', en: 'The login code is invalid or has been revoked' },
  CREDENTIAL_REVOKED: {
    zh: '您的证件已被作废，本设备已退出，请联系大会秘书处',
    en: 'Your card has been revoked and this device signed out; please contact the secretariat',
  },
  FORBIDDEN: { zh: '您没有执行此操作的权限', en: 'You are not allowed to do this' },
  RATE_LIMITED: { zh: '操作过于频繁，请稍候再试', en: 'Too many requests; please wait a moment' },
  STORE_UNAVAILABLE: { zh: '暂时无法保存，请稍候重试', en: 'Cannot save right now; please try again shortly' },
  INTERNAL: { zh: '服务器内部错误，请联系工作人员', en: 'Internal server error; please contact the staff' },
  NO_MEETING: { zh: '尚未创建会议', en: 'No meeting has been set up' },
  MEETING_EXISTS: { zh: '会议已经存在', en: 'The meeting already exists' },
  PERSON_NOT_FOUND: { zh: '找不到该人员：{personId}', en: 'No such person: {personId}' },
  DELEGATION_NOT_FOUND: { zh: '找不到该代表团：{delegationId}', en: 'No such delegation: {delegationId}' },
  UNKNOWN_CARD: { zh: '无法识别的证件，请核对', en: 'Unknown card; please check it' },
  CARD_REVOKED: {
    zh: '该证件已作废（{name}），请使用新证件',
    en: 'This card has been revoked ({name}); please use the new card',
  },
  NOT_ATTENDEE: { zh: '{name}不是参会人员，无需签到', en: '{name} is not an attendee and does not check in' },
  NOT_ACTIVE: { zh: '{name}的代表资格已停止或终止', en: "{name}'s mandate is suspended or terminated" },
  ALREADY_CHECKED_IN: { zh: '{name}已经签到，请勿重复签到', en: '{name} has already checked in' },
  NOT_CHECKED_IN: { zh: '{name}尚未签到', en: '{name} has not checked in' },
  ALREADY_ON_LEAVE: { zh: '{name}已登记请假', en: '{name} is already on leave' },
  NOT_ON_LEAVE: { zh: '{name}没有请假记录', en: '{name} is not on leave' },
  LEAVE_WHILE_PRESENT: {
    zh: '{name}已签到在场，请先办理离场再登记请假',
    en: '{name} is present; check them out before registering leave',
  },
  SELF_CHECKIN_DISABLED: {
    zh: '本次会议不允许在平板上自助签到，请到签到台签到',
    en: 'Self check-in on the tablet is not allowed for this meeting; please check in at the desk',
  },
  NOTHING_TO_UNDO: { zh: '{name}没有可撤销的签到', en: 'There is no check-in of {name} to undo' },
  NO_CREDENTIAL: { zh: '{name}没有有效证件', en: '{name} has no valid card' },
  ROSTER_INVALID: { zh: '名单有错误，未导入任何内容', en: 'The roster has errors; nothing was imported' },
  DUPLICATE_ID: { zh: '编号重复：{id}', en: 'Duplicate id: {id}' },
  NOT_FOUND: { zh: '找不到请求的内容', en: 'Not found' },
  PAYLOAD_TOO_LARGE: { zh: '请求内容过大', en: 'The request is too large' },
  ORIGIN_NOT_ALLOWED: { zh: '不允许来自该地址的访问', en: 'Requests from this origin are not allowed' },
}

export type Params = Record<string, string | number>

export function errorMessage(code: ErrorCode, params: Params = {}, lang: Lang = 'zh'): string {
  const tpl = (MESSAGES[code] ?? MESSAGES.INTERNAL)[lang]
  return tpl.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? String(params[k]) : ''))
}

/** What a refused command acks: the code for programs, the message for people in both languages. */
export interface AckError {
  ok: false
  code: ErrorCode
  /** In the language the client asked for (Chinese unless it asked for English). */
  message: string
  /** Always both, so a display of either language can show it. */
  messages: { zh: string; en: string }
  details?: unknown
}

export function ackError(code: ErrorCode, params: Params = {}, lang: Lang = 'zh', details?: unknown): AckError {
  const zh = errorMessage(code, params, 'zh')
  const en = errorMessage(code, params, 'en')
  const e: AckError = { ok: false, code, message: lang === 'en' ? en : zh, messages: { zh, en } }
  if (details !== undefined) e.details = details
  return e
}

export type Ack<T> = { ok: true; data: T } | AckError
