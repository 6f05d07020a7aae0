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
  POLL_NOT_FOUND: 'POLL_NOT_FOUND',
  POLL_NOT_DRAFT: 'POLL_NOT_DRAFT',
  POLL_FINISHED: 'POLL_FINISHED',
  POLL_IS_OPEN: 'POLL_IS_OPEN',
  POLL_NOT_OPEN: 'POLL_NOT_OPEN',
  POLL_NOT_CLOSED: 'POLL_NOT_CLOSED',
  POLL_NOT_PUBLISHED: 'POLL_NOT_PUBLISHED',
  POLL_IS_PAPER: 'POLL_IS_PAPER',
  POLL_IS_ELECTRONIC: 'POLL_IS_ELECTRONIC',
  QUORUM_NOT_MET: 'QUORUM_NOT_MET',
  DUPLICATE_CANDIDATE: 'DUPLICATE_CANDIDATE',
  TOO_FEW_CANDIDATES: 'TOO_FEW_CANDIDATES',
  SCRUTINEER_IS_CANDIDATE: 'SCRUTINEER_IS_CANDIDATE',
  SCRUTINEER_NOT_VOTER: 'SCRUTINEER_NOT_VOTER',
  NOT_A_VOTER: 'NOT_A_VOTER',
  ALREADY_ADMITTED: 'ALREADY_ADMITTED',
  NOT_SCRUTINEER: 'NOT_SCRUTINEER',
  ALREADY_CONFIRMED: 'ALREADY_CONFIRMED',
  NOT_CONFIRMED: 'NOT_CONFIRMED',
  NOT_ELIGIBLE: 'NOT_ELIGIBLE',
  ALREADY_VOTED: 'ALREADY_VOTED',
  INVALID_BALLOT: 'INVALID_BALLOT',
  PAPER_MISMATCH: 'PAPER_MISMATCH',
  NO_FURTHER_ROUND: 'NO_FURTHER_ROUND',
  POLL_IS_SECRET: 'POLL_IS_SECRET',
  ROUND_VOID: 'ROUND_VOID',
  TIE_ROUND_FIXED: 'TIE_ROUND_FIXED',
  SEATS_OUT_OF_RANGE: 'SEATS_OUT_OF_RANGE',
  NOT_IN_POOL: 'NOT_IN_POOL',
  // Agenda and speakers (issue #3)
  ITEM_NOT_FOUND: 'ITEM_NOT_FOUND',
  ITEM_DONE: 'ITEM_DONE',
  ITEM_IS_CURRENT: 'ITEM_IS_CURRENT',
  ITEM_NOT_CURRENT: 'ITEM_NOT_CURRENT',
  ITEM_HAS_SPEAKERS: 'ITEM_HAS_SPEAKERS',
  DOCUMENT_NOT_FOUND: 'DOCUMENT_NOT_FOUND',
  UNSUPPORTED_DOCUMENT: 'UNSUPPORTED_DOCUMENT',
  LIST_CLOSED: 'LIST_CLOSED',
  ALREADY_IN_QUEUE: 'ALREADY_IN_QUEUE',
  NOT_IN_QUEUE: 'NOT_IN_QUEUE',
  SPEAKER_NOT_FOUND: 'SPEAKER_NOT_FOUND',
  SPEAKER_WRONG_STATE: 'SPEAKER_WRONG_STATE',
  NOT_IN_DELEGATION: 'NOT_IN_DELEGATION',
  TOPIC_REQUIRED: 'TOPIC_REQUIRED',
  BUDGET_EXHAUSTED: 'BUDGET_EXHAUSTED',
  QUEUE_EMPTY: 'QUEUE_EMPTY',
  NO_CURRENT_SPEAKER: 'NO_CURRENT_SPEAKER',
  SPEECH_IN_PROGRESS: 'SPEECH_IN_PROGRESS',
  SPEECH_NOT_STARTED: 'SPEECH_NOT_STARTED',
  SPEECH_ALREADY_STARTED: 'SPEECH_ALREADY_STARTED',
  SPEECH_PAUSED: 'SPEECH_PAUSED',
  SPEECH_NOT_PAUSED: 'SPEECH_NOT_PAUSED',
  PAPER_ONLY_ELECTIONS: 'PAPER_ONLY_ELECTIONS',
  PAPER_SAME_PERSON: 'PAPER_SAME_PERSON',
  PAPER_INVALID: 'PAPER_INVALID',
  PAPER_INCOMPLETE: 'PAPER_INCOMPLETE',
  BODY_NOT_FOUND: 'BODY_NOT_FOUND',
  BODY_IN_USE: 'BODY_IN_USE',
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
  POLL_NOT_FOUND: { zh: '找不到该投票事项：{pollId}', en: 'No such poll: {pollId}' },
  POLL_NOT_DRAFT: { zh: '“{title}”已经开始，不能再修改', en: '“{title}” has started and can no longer be changed' },
  POLL_FINISHED: { zh: '“{title}”已经结束或已取消', en: '“{title}” is finished or cancelled' },
  POLL_IS_OPEN: { zh: '“{title}”正在投票中', en: 'Voting on “{title}” is open' },
  POLL_NOT_OPEN: { zh: '“{title}”当前没有进行中的投票', en: '“{title}” is not open for voting' },
  POLL_NOT_CLOSED: { zh: '“{title}”尚未结束投票', en: 'Voting on “{title}” has not been closed' },
  POLL_NOT_PUBLISHED: { zh: '“{title}”的结果尚未宣布', en: 'The result of “{title}” has not been announced' },
  POLL_IS_PAPER: { zh: '“{title}”采用纸质选票，请在签到台录入计票结果', en: '“{title}” is held on paper: enter the counts at the desk' },
  POLL_IS_ELECTRONIC: { zh: '“{title}”采用电子表决，不能录入纸质计票结果', en: '“{title}” is electronic: paper counts cannot be entered' },
  QUORUM_NOT_MET: { zh: '实到会{present}人，未达到规定人数（至少{required}人），不能开始投票', en: '{present} present, below the quorum of {required}: voting cannot open' },
  DUPLICATE_CANDIDATE: { zh: '候选人重复：{name}', en: 'Duplicate candidate: {name}' },
  TOO_FEW_CANDIDATES: { zh: '候选人数（{candidates}）少于应选人数（{seats}）', en: 'Fewer candidates ({candidates}) than seats ({seats})' },
  SCRUTINEER_IS_CANDIDATE: { zh: '{name}是候选人，不能担任监票人', en: '{name} is a candidate and cannot be a scrutineer' },
  SCRUTINEER_NOT_VOTER: { zh: '{name}没有表决权，不能担任监票人', en: '{name} has no vote and cannot be a scrutineer' },
  NOT_A_VOTER: { zh: '{name}没有表决权', en: '{name} has no vote' },
  ALREADY_ADMITTED: { zh: '{name}已在本轮选民名单中', en: '{name} is already on the roll of this round' },
  NOT_SCRUTINEER: { zh: '您不是本次投票的监票人', en: 'You are not a scrutineer of this poll' },
  ALREADY_CONFIRMED: { zh: '您已经确认过计票结果', en: 'You have already confirmed the count' },
  NOT_CONFIRMED: { zh: '监票人尚未全部确认计票结果：{names}', en: 'Not all scrutineers have confirmed the count: {names}' },
  NOT_ELIGIBLE: { zh: '您不在本轮投票的选民名单中，请联系大会秘书处', en: 'You are not on the roll of this round; please contact the secretariat' },
  ALREADY_VOTED: { zh: '您已经投过票，选票提交后不能更改', en: 'You have already voted; a submitted ballot cannot be changed' },
  INVALID_BALLOT: { zh: '选票填写不完整或有误：{reason}', en: 'The ballot is incomplete or wrong: {reason}' },
  PAPER_MISMATCH: { zh: '两次录入的计票结果不一致，请核对：{fields}', en: 'The two entries of the count differ; please check: {fields}' },
  POLL_IS_SECRET: { zh: '“{title}”是无记名投票，投票期间只显示投票人数', en: '“{title}” is a secret ballot: while it is open only turnout is shown' },
  NO_FURTHER_ROUND: { zh: '“{title}”没有待进行的另行选举', en: '“{title}” has no further round waiting' },
  ROUND_VOID: {
    zh: '“{title}”上一轮投票无效，须按原名额和候选人重新投票',
    en: 'The last round of “{title}” was void: it is held again with the same seats and candidates',
  },
  TIE_ROUND_FIXED: {
    zh: '“{title}”下一轮是在得票相等的候选人中再次投票，名额和候选人不能调整',
    en: 'The next round of “{title}” is among the candidates tied at the last seat: its seats and candidates cannot be changed',
  },
  SEATS_OUT_OF_RANGE: { zh: '另行选举的名额须在1到{max}名之间', en: 'A further round fills between 1 and {max} seats' },
  NOT_IN_POOL: {
    zh: '{name}不是上一轮未当选的候选人或被另选的人',
    en: '{name} is not among the last round’s unelected candidates or written-in people',
  },
  // Agenda and speakers (issue #3)
  ITEM_NOT_FOUND: { zh: '找不到该议程', en: 'No such agenda item' },
  ITEM_DONE: { zh: '议程“{title}”已经结束', en: 'The agenda item “{title}” is done' },
  ITEM_IS_CURRENT: { zh: '“{title}”是当前议程，请先切换到其他议程', en: '“{title}” is the current item; move to another item first' },
  ITEM_NOT_CURRENT: { zh: '“{title}”不是当前议程，只能为当前议程安排发言', en: '“{title}” is not the current item; speeches run on the current item only' },
  ITEM_HAS_SPEAKERS: { zh: '“{title}”已有发言人或发言记录，不能删除', en: '“{title}” has speakers or a speech record and cannot be removed' },
  DOCUMENT_NOT_FOUND: { zh: '找不到该会议文件', en: 'No such document' },
  UNSUPPORTED_DOCUMENT: { zh: '只能上传 PDF 或 Markdown 文件：{reason}', en: 'Only PDF or Markdown files can be uploaded: {reason}' },
  LIST_CLOSED: { zh: '“{title}”的发言报名已截止', en: 'The list of speakers on “{title}” is closed' },
  ALREADY_IN_QUEUE: { zh: '{name}已在发言名单中', en: '{name} is already on the list of speakers' },
  NOT_IN_QUEUE: { zh: '{name}不在等待发言的名单中', en: '{name} is not waiting to speak' },
  SPEAKER_NOT_FOUND: { zh: '找不到该发言人', en: 'No such speaker' },
  SPEAKER_WRONG_STATE: { zh: '{name}的发言状态已经改变，不能执行此操作，请刷新后重试', en: 'The state of {name}’s speech has changed and does not allow this' },
  NOT_IN_DELEGATION: { zh: '{name}不是{delegation}的成员', en: '{name} is not a member of {delegation}' },
  TOPIC_REQUIRED: { zh: '请填写发言题目', en: 'Please give the topic of the speech' },
  BUDGET_EXHAUSTED: { zh: '{delegation}在本议程的发言时间已经用完', en: 'The speaking time of {delegation} on this item is used up' },
  QUEUE_EMPTY: { zh: '没有等待发言的人', en: 'Nobody is waiting to speak' },
  NO_CURRENT_SPEAKER: { zh: '当前没有发言人，请先点名下一位', en: 'There is no current speaker; call the next one first' },
  SPEECH_IN_PROGRESS: { zh: '{name}正在发言，请先结束发言', en: '{name} is speaking; end the speech first' },
  SPEECH_NOT_STARTED: { zh: '{name}的发言尚未开始', en: '{name} has not started speaking' },
  SPEECH_ALREADY_STARTED: { zh: '{name}已经开始发言', en: '{name} has already started' },
  SPEECH_PAUSED: { zh: '{name}的发言已经暂停', en: '{name}’s speech is already paused' },
  SPEECH_NOT_PAUSED: { zh: '{name}的发言没有暂停', en: '{name}’s speech is not paused' },
  PAPER_ONLY_ELECTIONS: { zh: '只有选举可以采用纸质选票', en: 'Only elections can be held on paper' },
  PAPER_SAME_PERSON: { zh: '两次录入须由不同的工作人员完成', en: 'The two entries must be made by different people' },
  PAPER_INVALID: { zh: '录入的计票数据不合理：{problems}', en: 'The entered counts do not add up: {problems}' },
  PAPER_INCOMPLETE: { zh: '纸质计票结果须由两人各录入一次后才能结束', en: 'A paper count needs two entries, by two people, before it can be closed' },
  BODY_NOT_FOUND: { zh: '找不到该表决机构：{bodyId}', en: 'No such voting body: {bodyId}' },
  BODY_IN_USE: { zh: '该表决机构已用于“{title}”，不能删除', en: 'The body is used by “{title}” and cannot be removed' },
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
