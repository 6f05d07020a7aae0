// Roster import and export for the secretariat's desk: reads the CSV a county office keeps in Excel
// (any of the encodings Excel writes in China) and writes one Excel opens without garbling.
import iconv from 'iconv-lite'
import type { Delegation, Gender, LeaveReason, MeetingState, Person, PersonStatus, Presence, Role } from '../../shared/domain/types'
import { NO_ATTENDANCE } from '../../shared/domain/types'

export type CsvEncoding = 'utf-8-bom' | 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be'

export interface RosterError {
  /** Physical line in the file, 1-based, so the secretariat can find it in a text editor or Excel. */
  line: number
  /** The column header as written in the file, or the Chinese name of a missing column. */
  column: string | null
  message: { zh: string; en: string }
}

export interface RosterParseResult {
  encoding: string
  /** Data rows read (blank lines not counted). */
  rows: number
  /** Empty whenever `errors` is not, so that a careless caller cannot import half a roster. */
  delegations: Delegation[]
  persons: Person[]
  errors: RosterError[]
  /** The file has no 编号 column: the ids are made from row numbers (p0001…), so they name nobody
   * already on the roster. */
  idsGenerated?: boolean
}

export const MAX_ROWS = 10_000
/** Beyond this a wrong file (say, a ballot export) would bury the first, telling errors. */
const MAX_ERRORS = 200
const MAX_NAME = 50
const MAX_SEAT = 20
const MAX_ID = 64
const ID_RE = /^[A-Za-z0-9_-]+$/

// ---------------------------------------------------------------------------------------------
// Bytes to text

export function decodeCsvBytes(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  const b = bytes
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(b.subarray(3)), encoding: 'utf-8-bom' }
  }
  // Excel's "Unicode text" export is UTF-16LE with a BOM (and tab-separated).
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(b.subarray(2)), encoding: 'utf-16le' }
  }
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(b.subarray(2)), encoding: 'utf-16be' }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b), encoding: 'utf-8' }
  } catch {
    // Chinese Excel saves "CSV (逗号分隔)" in the ANSI code page, GBK; GB18030 is its superset, and
    // Chinese text in GBK is practically never valid UTF-8, so the strict decode above tells them apart.
    return { text: iconv.decode(b, 'gb18030'), encoding: 'gb18030' }
  }
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180, read leniently)

export interface CsvRecord {
  /** Physical line the record starts on. */
  line: number
  cells: string[]
}

export interface CsvParse {
  records: CsvRecord[]
  /** Line of a quote that never closed: everything after it was swallowed into one cell. */
  unterminatedQuoteLine: number | null
}

/** Tabs when the header line has tabs and no commas (Excel's "Unicode text", pasted tables). */
export function detectDelimiter(text: string): ',' | '\t' {
  const header = text.split(/\r\n|\n|\r/).find((l) => l.trim() !== '') ?? ''
  return header.includes('\t') && !header.includes(',') ? '\t' : ','
}

export function parseCsv(text: string, delimiter: string = detectDelimiter(text)): CsvParse {
  const records: CsvRecord[] = []
  let cells: string[] = []
  let cell = ''
  let line = 1
  let recordLine = 1
  let inQuotes = false
  let quoteLine = 0
  /** Whether the current record has consumed any character, so a final newline adds no record. */
  let started = false
  /** Whether the current cell may still open a quote: only whitespace seen so far. */
  let atCellStart = true

  const endRecord = () => {
    cells.push(cell)
    records.push({ line: recordLine, cells })
    cells = []
    cell = ''
    started = false
    atCellStart = true
  }

  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else {
          inQuotes = false
        }
      } else {
        if (c === '\r' && text[i + 1] === '\n') {
          cell += '\r\n'
          i++
          line++
        } else {
          cell += c
          if (c === '\r' || c === '\n') line++
        }
      }
      continue
    }
    if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++
      // A blank line is still a record (of one empty cell); the roster reader skips those.
      endRecord()
      line++
      recordLine = line
      continue
    }
    started = true
    if (c === delimiter) {
      cells.push(cell)
      cell = ''
      atCellStart = true
    } else if (c === '"' && atCellStart) {
      // People type `a, "b,c"`: the space before the quote is not part of the cell.
      cell = ''
      inQuotes = true
      quoteLine = line
      atCellStart = false
    } else {
      cell += c
      if (c !== ' ' && c !== '\t') atCellStart = false
    }
  }
  if (inQuotes || started || cell !== '' || cells.length > 0) endRecord()
  return { records, unterminatedQuoteLine: inQuotes ? quoteLine : null }
}

// ---------------------------------------------------------------------------------------------
// Roster import

type Field = 'id' | 'name' | 'gender' | 'delegation' | 'seat' | 'role' | 'status' | 'voting'

/** Header aliases, compared after normalizeHeader. */
const HEADER_ALIASES: Record<Field, string[]> = {
  id: ['编号', 'id'],
  name: ['姓名', 'name'],
  gender: ['性别', 'gender', 'sex'],
  delegation: ['代表团', '代表活动组', 'delegation'],
  seat: ['座位', '座位号', 'seat'],
  role: ['身份', 'role'],
  status: ['状态', 'status'],
  voting: ['表决权', 'voting', 'votingright'],
}

/** How a missing column is named in the error. */
const FIELD_ZH: Record<Field, string> = {
  id: '编号',
  name: '姓名',
  gender: '性别',
  delegation: '代表团',
  seat: '座位',
  role: '身份',
  status: '状态',
  voting: '表决权',
}

/** Spaces and the `*` that templates put on required columns are not part of the name. */
function normalizeHeader(h: string): string {
  return h.replace(/[\s*＊\uFEFF]/g, '').toLowerCase()
}

const HEADER_INDEX = new Map<string, Field>()
for (const [field, names] of Object.entries(HEADER_ALIASES) as Array<[Field, string[]]>) {
  for (const n of names) HEADER_INDEX.set(normalizeHeader(n), field)
}

const GENDERS = new Map<string, Gender>([
  ['', ''],
  ['男', 'M'],
  ['女', 'F'],
  ['m', 'M'],
  ['f', 'F'],
  ['male', 'M'],
  ['female', 'F'],
])

// Only the two roles a roster may carry: staff accounts are seeded, and a roster import replaces
// delegates and observers only, so a "chair" row here would be left behind by the next import.
const ROLE_VALUES = new Map<string, 'delegate' | 'observer'>([
  ['代表', 'delegate'],
  ['党代表', 'delegate'],
  ['delegate', 'delegate'],
  ['列席', 'observer'],
  ['列席人员', 'observer'],
  ['列席代表', 'observer'],
  ['observer', 'observer'],
])

const STATUS_VALUES = new Map<string, PersonStatus>([
  ['正常', 'active'],
  ['active', 'active'],
  ['停止', 'suspended'],
  ['暂停', 'suspended'],
  ['停止执行职务', 'suspended'],
  ['停止执行代表职务', 'suspended'],
  ['suspended', 'suspended'],
  ['终止', 'terminated'],
  ['终止代表资格', 'terminated'],
  ['terminated', 'terminated'],
])

const VOTING_VALUES = new Map<string, boolean>([
  ['是', true],
  ['有', true],
  ['yes', true],
  ['y', true],
  ['true', true],
  ['1', true],
  ['否', false],
  ['无', false],
  ['no', false],
  ['n', false],
  ['false', false],
  ['0', false],
])

/** Trimmed, and without the apostrophe our own export adds against formula injection. */
function cleanCell(raw: string | undefined): string {
  const t = (raw ?? '').trim()
  return /^'[=+\-@\t\r]/.test(t) ? t.slice(1) : t
}

/** Word's and Excel's rosters pad two-character names to three with spaces (`王　伟`); the name is 王伟. */
function cleanName(s: string): string {
  return s.replace(/(\p{Script=Han})\s+(?=\p{Script=Han})/gu, '$1')
}

function length(s: string): number {
  return [...s].length
}

export function parseRoster(bytes: Uint8Array, existingDelegations: Delegation[] = []): RosterParseResult {
  const { text: decoded, encoding } = decodeCsvBytes(bytes)
  const text = decoded.replace(/^\uFEFF/, '')
  const errors: RosterError[] = []
  const fail = (rows: number): RosterParseResult => ({
    encoding,
    rows,
    delegations: [],
    persons: [],
    errors: capErrors(errors.sort((a, b) => a.line - b.line)),
  })
  const error = (line: number, column: string | null, zh: string, en: string) =>
    errors.push({ line, column, message: { zh, en } })

  if (text.trim() === '') {
    error(1, null, '文件为空', 'The file is empty')
    return fail(0)
  }

  const parsed = parseCsv(text)
  if (parsed.unterminatedQuoteLine !== null) {
    error(
      parsed.unterminatedQuoteLine,
      null,
      '此处的引号没有配对，其后内容无法读取',
      'A quote opened here is never closed; the rest of the file cannot be read',
    )
  }
  const records = parsed.records.filter((r) => r.cells.some((c) => c.trim() !== ''))
  const header = records[0]
  const data = records.slice(1)
  if (!header) {
    error(1, null, '文件为空', 'The file is empty')
    return fail(0)
  }

  // Header
  const columns = new Map<Field, { index: number; label: string }>()
  header.cells.forEach((raw, index) => {
    const label = raw.replace(/^\uFEFF/, '').trim()
    const field = HEADER_INDEX.get(normalizeHeader(label))
    if (!field) return // extra columns (备注, 出席情况 from our own export...) are ignored
    const first = columns.get(field)
    if (first) {
      error(
        header.line,
        label,
        `“${label}”列与“${first.label}”列重复`,
        `Column "${label}" duplicates column "${first.label}"`,
      )
      return
    }
    columns.set(field, { index, label })
  })
  if (!columns.has('name')) {
    error(
      header.line,
      FIELD_ZH.name,
      '缺少“姓名”列（第一行应为表头）',
      'The "姓名" (name) column is missing (the first line must be the header)',
    )
  }
  // Rows read against a wrong header would only repeat the header's mistake on every line.
  if (errors.some((e) => e.line === header.line)) return fail(data.length)

  if (data.length === 0) {
    error(header.line, null, '名单只有表头，没有数据行', 'The roster has a header but no data rows')
    return fail(0)
  }
  if (data.length > MAX_ROWS) {
    error(
      data[MAX_ROWS].line,
      null,
      `名单超过${MAX_ROWS}行，请分开导入或检查文件是否正确`,
      `The roster has more than ${MAX_ROWS} rows; check that this is the right file`,
    )
    return fail(data.length)
  }

  const label = (f: Field) => columns.get(f)?.label ?? FIELD_ZH[f]
  const cellOf = (r: CsvRecord, f: Field): string => {
    const c = columns.get(f)
    return c ? cleanCell(r.cells[c.index]) : ''
  }

  const persons: Person[] = []
  const delegationNames: string[] = []
  const delegationNameOf = new Map<Person, string>()
  const idLine = new Map<string, number>()
  const seatLine = new Map<string, number>()
  let anyDelegate = false

  data.forEach((r, i) => {
    const line = r.line
    const generated = `p${String(i + 1).padStart(4, '0')}`
    const id = columns.has('id') ? cellOf(r, 'id') : generated
    if (columns.has('id')) {
      if (id === '') {
        error(line, label('id'), '编号为空', 'The id is empty')
      } else if (length(id) > MAX_ID) {
        error(line, label('id'), `编号过长（最多${MAX_ID}个字符）`, `The id is longer than ${MAX_ID} characters`)
      } else if (!ID_RE.test(id)) {
        error(
          line,
          label('id'),
          `编号“${id}”只能包含英文字母、数字、下划线和连字符`,
          `The id "${id}" may contain only letters A-Z, digits, "_" and "-"`,
        )
      } else if (idLine.has(id)) {
        error(line, label('id'), `编号“${id}”与第${idLine.get(id)}行重复`, `The id "${id}" repeats line ${idLine.get(id)}`)
      } else idLine.set(id, line)
    }

    const name = cleanName(cellOf(r, 'name'))
    if (name === '') error(line, label('name'), '姓名为空', 'The name is empty')
    else if (length(name) > MAX_NAME) {
      error(line, label('name'), `姓名过长（最多${MAX_NAME}个字）`, `The name is longer than ${MAX_NAME} characters`)
    }

    const genderRaw = cellOf(r, 'gender')
    const gender = GENDERS.get(genderRaw.toLowerCase())
    if (gender === undefined) {
      error(line, label('gender'), `性别“${genderRaw}”无法识别，应为男或女`, `Unknown gender "${genderRaw}"; use 男/女 or M/F`)
    }

    const roleRaw = cellOf(r, 'role')
    const role: Role | undefined = roleRaw === '' ? 'delegate' : ROLE_VALUES.get(roleRaw.toLowerCase())
    if (role === undefined) {
      error(line, label('role'), `身份“${roleRaw}”无法识别，应为代表或列席`, `Unknown role "${roleRaw}"; use 代表 (delegate) or 列席 (observer)`)
    }
    if (role === 'delegate') anyDelegate = true

    const statusRaw = cellOf(r, 'status')
    const status = statusRaw === '' ? 'active' : STATUS_VALUES.get(statusRaw.toLowerCase())
    if (status === undefined) {
      error(
        line,
        label('status'),
        `状态“${statusRaw}”无法识别，应为正常、停止执行职务或终止`,
        `Unknown status "${statusRaw}"; use 正常 (active), 停止执行职务 (suspended) or 终止 (terminated)`,
      )
    }

    const votingRaw = cellOf(r, 'voting')
    let votingRight: boolean | undefined = votingRaw === '' ? role !== 'observer' : VOTING_VALUES.get(votingRaw.toLowerCase())
    if (votingRight === undefined) {
      error(line, label('voting'), `表决权“${votingRaw}”无法识别，应为是或否`, `Unknown voting value "${votingRaw}"; use 是 (yes) or 否 (no)`)
    } else if (votingRight && role === 'observer') {
      error(line, label('voting'), '列席人员没有表决权', 'Observers have no voting right')
      votingRight = false
    }

    const delegation = cellOf(r, 'delegation')
    if (delegation === '') {
      // A missing column is reported once on the header line, not on every row.
      if (role === 'delegate' && columns.has('delegation')) {
        error(line, label('delegation'), '代表必须填写所属代表团', 'A delegate needs a delegation')
      }
    } else if (length(delegation) > MAX_NAME) {
      error(line, label('delegation'), `代表团名称过长（最多${MAX_NAME}个字）`, `The delegation name is longer than ${MAX_NAME} characters`)
    } else if (!delegationNames.includes(delegation)) delegationNames.push(delegation)

    const seat = cellOf(r, 'seat')
    if (length(seat) > MAX_SEAT) {
      error(line, label('seat'), `座位过长（最多${MAX_SEAT}个字）`, `The seat is longer than ${MAX_SEAT} characters`)
    } else if (seat !== '') {
      // `3排 12座` and `3排12座` are the same chair.
      const key = seat.replace(/\s+/g, '')
      const first = seatLine.get(key)
      if (first !== undefined) {
        error(line, label('seat'), `座位“${seat}”与第${first}行重复`, `The seat "${seat}" repeats line ${first}`)
      } else seatLine.set(key, line)
    }

    const person: Person = {
      id,
      name,
      gender: gender ?? '',
      role: role ?? 'delegate',
      delegationId: null,
      seat,
      status: status ?? 'active',
      votingRight: votingRight ?? false,
    }
    persons.push(person)
    if (delegation !== '') delegationNameOf.set(person, delegation)
  })

  if (!columns.has('delegation') && anyDelegate) {
    error(
      header.line,
      FIELD_ZH.delegation,
      '缺少“代表团”列，代表必须填写所属代表团',
      'The "代表团" (delegation) column is missing; every delegate needs a delegation',
    )
  }
  if (errors.length > 0) return fail(data.length)

  const delegations = assignDelegations(delegationNames, existingDelegations)
  const idByName = new Map(delegations.map((d) => [d.name, d.id]))
  for (const p of persons) {
    const n = delegationNameOf.get(p)
    if (n !== undefined) p.delegationId = idByName.get(n) ?? null
  }
  return { encoding, rows: data.length, delegations, persons, errors: [], idsGenerated: !columns.has('id') }
}

/** Keeps the id of a delegation already known by name, so a re-import leaves attendance by
 * delegation and credentials pointing at the same groups. */
function assignDelegations(names: string[], existing: Delegation[]): Delegation[] {
  const existingByName = new Map<string, string>()
  for (const d of existing) if (!existingByName.has(d.name.trim())) existingByName.set(d.name.trim(), d.id)
  const used = new Set(existing.map((d) => d.id))
  let n = 0
  const nextId = () => {
    let id: string
    do id = `g${String(++n).padStart(2, '0')}`
    while (used.has(id))
    used.add(id)
    return id
  }
  return names.map((name, i) => ({ id: existingByName.get(name) ?? nextId(), name, order: i + 1 }))
}

function capErrors(errors: RosterError[]): RosterError[] {
  if (errors.length <= MAX_ERRORS) return errors
  const more = errors.length - MAX_ERRORS
  return [
    ...errors.slice(0, MAX_ERRORS),
    {
      line: errors[MAX_ERRORS].line,
      column: null,
      message: { zh: `另有${more}处错误未列出，请先改正以上错误`, en: `${more} more errors not listed; fix the ones above first` },
    },
  ]
}

// ---------------------------------------------------------------------------------------------
// Export

export const BOM = '\uFEFF'
const EXPORT_HEADER = ['编号', '姓名', '性别', '代表团', '座位', '身份', '状态', '表决权', '出席情况', '请假事由', '时间']
const TEMPLATE_HEADER = EXPORT_HEADER.slice(0, 8)

const GENDER_ZH: Record<Gender, string> = { M: '男', F: '女', '': '' }
const ROLE_ZH: Partial<Record<Role, string>> = { delegate: '代表', observer: '列席' }
const STATUS_ZH: Record<PersonStatus, string> = { active: '正常', suspended: '停止执行职务', terminated: '终止' }
const PRESENCE_ZH: Record<Presence, string> = { absent: '未到', present: '已签到', left: '已离场', leave: '请假' }
const LEAVE_ZH: Record<LeaveReason, string> = { business: '因事', illness: '因病' }

/** Excel and WPS run a cell starting with these as a formula (OWASP "CSV injection"); parseRoster
 * strips the apostrophe again so that an export re-imports unchanged. */
export function csvCell(value: string): string {
  const v = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

export function csvLine(cells: string[]): string {
  return cells.map(csvCell).join(',') + '\r\n'
}

const natural = new Intl.Collator('zh-CN', { numeric: true })

/** Empty seats last, `3排2座` before `3排12座`. */
function compareSeat(a: string, b: string): number {
  if (a === '' || b === '') return (a === '' ? 1 : 0) - (b === '' ? 1 : 0)
  return natural.compare(a, b)
}

export interface ExportOptions {
  /** IANA zone for the time column; defaults to the server's. Containers often run in UTC while
   * the hall reads Beijing time, so the caller may pass 'Asia/Shanghai'. */
  timeZone?: string
}

export function formatLocalTime(ms: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms))
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`
}

export function exportRosterCsv(state: MeetingState, options: ExportOptions = {}): string {
  const orderOf = (id: string | null) => (id !== null ? state.delegations.get(id)?.order : undefined) ?? Number.MAX_SAFE_INTEGER
  const people = [...state.persons.values()]
    .filter((p) => p.role === 'delegate' || p.role === 'observer')
    .sort(
      (a, b) =>
        orderOf(a.delegationId) - orderOf(b.delegationId) || compareSeat(a.seat, b.seat) || natural.compare(a.id, b.id),
    )
  let out = BOM + csvLine(EXPORT_HEADER)
  for (const p of people) {
    const a = state.attendance.get(p.id) ?? NO_ATTENDANCE
    out += csvLine([
      p.id,
      p.name,
      GENDER_ZH[p.gender],
      p.delegationId !== null ? (state.delegations.get(p.delegationId)?.name ?? '') : '',
      p.seat,
      ROLE_ZH[p.role] ?? p.role,
      STATUS_ZH[p.status],
      p.votingRight ? '是' : '否',
      PRESENCE_ZH[a.presence],
      a.presence === 'leave' && a.leaveReason ? LEAVE_ZH[a.leaveReason] : '',
      a.since !== null ? formatLocalTime(a.since, options.timeZone) : '',
    ])
  }
  return out
}

/** What the desk offers for download before the first import: the columns and one row of each kind. */
export function rosterTemplateCsv(): string {
  return (
    BOM +
    csvLine(TEMPLATE_HEADER) +
    csvLine(['d0001', '张伟', '男', '县直机关代表团', '1排1座', '代表', '正常', '是']) +
    csvLine(['o01', '李娜', '女', '', '15排1座', '列席', '正常', '否'])
  )
}
