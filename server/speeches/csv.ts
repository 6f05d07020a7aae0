// The record of speeches (发言记录) as CSV for Excel and WPS: one row per speech in the order given,
// and the counts per delegation. UTF-8 with a BOM, like the roster export.
import { speechRecords, speechStats } from '../../shared/domain/agendaViews'
import { formatDuration } from '../../shared/domain/speechTime'
import type { MeetingState } from '../../shared/domain/types'
import { BOM, csvLine, formatLocalTime, type ExportOptions } from '../roster/csv'

export const SPEECH_HEADER = [
  '序号',
  '议程',
  '发言人',
  '代表团',
  '发言形式',
  '发言题目',
  '开始时间',
  '结束时间',
  '发言时长',
  '规定时长',
  '超时',
  '发言秒数',
  '超时秒数',
]

export function exportSpeechesCsv(state: MeetingState, options: ExportOptions = {}): string {
  let out = BOM + csvLine(SPEECH_HEADER)
  let n = 0
  for (const { item, row } of speechRecords(state)) {
    const t = row.timing
    out += csvLine([
      String(++n),
      item.title,
      row.name,
      row.delegation,
      row.kind === 'delegation' ? '代表团发言' : '个人发言',
      row.topic,
      t ? formatLocalTime(t.startedAt, options.timeZone) : '',
      row.endedAt !== null ? formatLocalTime(row.endedAt, options.timeZone) : '',
      formatDuration(row.durationMs ?? 0),
      formatDuration(row.limitMs),
      row.overrunMs ? formatDuration(row.overrunMs) : '',
      String(Math.round((row.durationMs ?? 0) / 1000)),
      String(Math.round((row.overrunMs ?? 0) / 1000)),
    ])
  }
  return out
}

export const STATS_HEADER = ['代表团', '个人发言次数', '代表团发言次数', '发言总时长', '超时总计', '发言总秒数', '超时总秒数']

export function exportSpeechStatsCsv(state: MeetingState): string {
  let out = BOM + csvLine(STATS_HEADER)
  for (const r of speechStats(state)) {
    out += csvLine([
      r.name,
      String(r.speeches),
      String(r.delegationSpeeches),
      formatDuration(r.totalMs),
      formatDuration(r.overrunMs),
      String(Math.round(r.totalMs / 1000)),
      String(Math.round(r.overrunMs / 1000)),
    ])
  }
  return out
}
