// Roster CSV as the secretariat meets it: files saved by Chinese Excel, typos reported by line and
// column, and an export that opens in Excel and imports again unchanged.
import { describe, it, expect } from 'vitest'
import iconv from 'iconv-lite'
import {
  decodeCsvBytes,
  exportRosterCsv,
  formatLocalTime,
  parseCsv,
  parseRoster,
  rosterTemplateCsv,
  type RosterParseResult,
} from '../../server/roster/csv'
import { emptyState, type Delegation, type MeetingState, type Person } from '../../shared/domain/types'

const utf8 = (s: string) => new TextEncoder().encode(s)
const gb = (s: string) => new Uint8Array(iconv.encode(s, 'gb18030'))
const csv = (...lines: string[]) => lines.join('\r\n') + '\r\n'

const HEADER = '编号,姓名,性别,代表团,座位,身份,状态,表决权'
// 䶮 (U+4DAE) is outside GBK: only GB18030 can carry it, as a 4-byte sequence.
const SAMPLE = csv(
  HEADER,
  'd001,王伟,男,县直机关代表团,1排1座,代表,正常,是',
  'd002,刘䶮,女,芦溪镇代表团,1排2座,,,',
  'd003,陈静,F,县直机关代表团,1排3座,代表,停止执行职务,是',
  'o01,李明,男,,9排1座,列席人员,正常,否',
)

function ok(r: RosterParseResult): RosterParseResult {
  expect(r.errors).toEqual([])
  return r
}

function only(r: RosterParseResult) {
  expect(r.errors).toHaveLength(1)
  expect(r.delegations).toEqual([])
  expect(r.persons).toEqual([])
  return r.errors[0]
}

describe('decodeCsvBytes', () => {
  it('recognises UTF-8 with and without a BOM, GB18030 and UTF-16LE', () => {
    const text = '姓名,代表团\r\n王伟,县直机关代表团\r\n'
    expect(decodeCsvBytes(utf8('\uFEFF' + text))).toEqual({ text, encoding: 'utf-8-bom' })
    expect(decodeCsvBytes(utf8(text))).toEqual({ text, encoding: 'utf-8' })
    expect(decodeCsvBytes(gb(text))).toEqual({ text, encoding: 'gb18030' })
    const le = new Uint8Array([0xff, 0xfe, ...iconv.encode(text, 'utf16le')])
    expect(decodeCsvBytes(le)).toEqual({ text, encoding: 'utf-16le' })
  })
})

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas and newlines inside quotes, and tracks physical lines', () => {
    const { records, unterminatedQuoteLine } = parseCsv('a,"b,c","say ""hi"""\n"two\r\nlines",x\r\n\r\nlast,"",\n')
    expect(unterminatedQuoteLine).toBeNull()
    expect(records).toEqual([
      { line: 1, cells: ['a', 'b,c', 'say "hi"'] },
      { line: 2, cells: ['two\r\nlines', 'x'] },
      { line: 4, cells: [''] },
      { line: 5, cells: ['last', '', ''] },
    ])
  })

  it('reports a quote that never closes at the line it opened', () => {
    expect(parseCsv('a,b\n1,"oops\n2,3\n').unterminatedQuoteLine).toBe(2)
  })

  it('reads a tab-separated file when the header has tabs and no commas', () => {
    expect(parseCsv('姓名\t代表团\n王伟\t企业代表团,一组\n').records[1].cells).toEqual(['王伟', '企业代表团,一组'])
  })
})

describe('parseRoster', () => {
  it('reads a roster with Chinese headers into persons and delegations', () => {
    const r = ok(parseRoster(utf8(SAMPLE)))
    expect(r.encoding).toBe('utf-8')
    expect(r.rows).toBe(4)
    expect(r.delegations).toEqual([
      { id: 'g01', name: '县直机关代表团', order: 1 },
      { id: 'g02', name: '芦溪镇代表团', order: 2 },
    ])
    expect(r.persons).toEqual([
      { id: 'd001', name: '王伟', gender: 'M', role: 'delegate', delegationId: 'g01', seat: '1排1座', status: 'active', votingRight: true },
      { id: 'd002', name: '刘䶮', gender: 'F', role: 'delegate', delegationId: 'g02', seat: '1排2座', status: 'active', votingRight: true },
      { id: 'd003', name: '陈静', gender: 'F', role: 'delegate', delegationId: 'g01', seat: '1排3座', status: 'suspended', votingRight: true },
      { id: 'o01', name: '李明', gender: 'M', role: 'observer', delegationId: null, seat: '9排1座', status: 'active', votingRight: false },
    ])
  })

  it('imports a GB18030 file (Excel "CSV" in China) exactly as the UTF-8 one', () => {
    const fromGb = ok(parseRoster(gb(SAMPLE)))
    expect(fromGb.encoding).toBe('gb18030')
    const fromUtf8 = parseRoster(utf8(SAMPLE))
    expect(fromGb.persons).toEqual(fromUtf8.persons)
    expect(fromGb.delegations).toEqual(fromUtf8.delegations)
  })

  it('does not mistake the BOM for part of the first column name', () => {
    const r = ok(parseRoster(utf8('\uFEFF' + SAMPLE)))
    expect(r.encoding).toBe('utf-8-bom')
    expect(r.persons[0].id).toBe('d001')
  })

  it('reads Excel "Unicode text" (UTF-16LE, tab-separated)', () => {
    const tsv = SAMPLE.replace(/,/g, '\t')
    const r = ok(parseRoster(new Uint8Array([0xff, 0xfe, ...iconv.encode(tsv, 'utf16le')])))
    expect(r.encoding).toBe('utf-16le')
    expect(r.persons).toEqual(parseRoster(utf8(SAMPLE)).persons)
  })

  it('keeps commas inside quoted cells', () => {
    const r = ok(parseRoster(utf8(csv('姓名,代表团,座位', '王伟,"企业代表团,第一组","1排1座"'))))
    expect(r.delegations[0].name).toBe('企业代表团,第一组')
    expect(r.persons[0].seat).toBe('1排1座')
  })

  it('accepts English headers in any case, trims cells, ignores extra columns and blank lines', () => {
    const r = ok(
      parseRoster(
        utf8(
          ' Name , DELEGATION ,Gender,Role,Status,Voting,Remarks\n' +
            '\n' +
            '  Wang Wei , Enterprise , male , Delegate , Suspended , No ,whatever\n' +
            ',,,,,,\n' +
            'Li Na,,female,observer,terminated,,\n',
        ),
      ),
    )
    expect(r.rows).toBe(2)
    expect(r.persons).toEqual([
      { id: 'p0001', name: 'Wang Wei', gender: 'M', role: 'delegate', delegationId: 'g01', seat: '', status: 'suspended', votingRight: false },
      { id: 'p0002', name: 'Li Na', gender: 'F', role: 'observer', delegationId: null, seat: '', status: 'terminated', votingRight: false },
    ])
  })

  it('generates stable ids by row order when the file has no id column', () => {
    const file = utf8(csv('姓名,代表团', '王伟,甲', '李娜,乙', '张敏,甲'))
    expect(parseRoster(file).persons.map((p) => p.id)).toEqual(['p0001', 'p0002', 'p0003'])
    expect(parseRoster(file).persons).toEqual(parseRoster(file).persons)
  })

  it('drops the padding spaces of aligned two-character names', () => {
    expect(ok(parseRoster(utf8(csv('姓名,代表团', '王　伟,甲', '王 二 小,甲')))).persons.map((p) => p.name)).toEqual([
      '王伟',
      '王二小',
    ])
  })

  it('keeps the ids of delegations it already knows and gives new ones ids that do not clash', () => {
    const existing: Delegation[] = [
      { id: 'g01', name: '宣风镇代表团', order: 1 },
      { id: 'x7', name: '芦溪镇代表团', order: 2 },
    ]
    const r = ok(parseRoster(utf8(csv('姓名,代表团', '甲,县直机关代表团', '乙,芦溪镇代表团', '丙,宣风镇代表团', '丁,企业代表团')), existing))
    expect(r.delegations).toEqual([
      { id: 'g02', name: '县直机关代表团', order: 1 },
      { id: 'x7', name: '芦溪镇代表团', order: 2 },
      { id: 'g01', name: '宣风镇代表团', order: 3 },
      { id: 'g03', name: '企业代表团', order: 4 },
    ])
    expect(r.persons.map((p) => p.delegationId)).toEqual(['g02', 'x7', 'g01', 'g03'])
  })

  it('accepts the value spellings the secretariat uses', () => {
    const r = ok(
      parseRoster(
        utf8(
          csv(
            '姓名,性别,代表团,身份,状态,表决权',
            'a,M,甲,代表,暂停,1',
            'b,f,甲,delegate,停止,0',
            'c,,甲,代表,终止,yes',
            'd,女,,列席,active,false',
            'e,男,甲,,,',
          ),
        ),
      ),
    )
    expect(r.persons.map((p) => [p.gender, p.role, p.status, p.votingRight])).toEqual([
      ['M', 'delegate', 'suspended', true],
      ['F', 'delegate', 'suspended', false],
      ['', 'delegate', 'terminated', true],
      ['F', 'observer', 'active', false],
      ['M', 'delegate', 'active', true],
    ])
  })

  it('accepts a roster of observers only without a delegation column', () => {
    ok(parseRoster(utf8(csv('姓名,身份', '王伟,列席'))))
  })
})

describe('parseRoster errors: line, column and a message in both languages', () => {
  const head = '编号,姓名,性别,代表团,座位,身份,状态,表决权'
  const good = 'd1,王伟,男,甲,1排1座,代表,正常,是'
  // Each case: the file's lines after the header; the error is expected on the last line (line n+1).
  const cases: Array<[string, string[], string | null, string]> = [
    ['empty name', ['d2,,男,甲,,代表,正常,是'], '姓名', '姓名为空'],
    ['name too long', [`d2,${'王'.repeat(51)},男,甲,,代表,正常,是`], '姓名', '姓名过长'],
    ['unknown gender', ['d2,李娜,X,甲,,代表,正常,是'], '性别', '“X”'],
    ['unknown role', ['d2,李娜,女,甲,,主席,正常,是'], '身份', '“主席”'],
    ['unknown status', ['d2,李娜,女,甲,,代表,请假,是'], '状态', '“请假”'],
    ['unknown voting value', ['d2,李娜,女,甲,,代表,正常,可以'], '表决权', '“可以”'],
    ['observer with a vote', ['o1,李娜,女,,,列席,正常,是'], '表决权', '列席人员没有表决权'],
    ['delegate without a delegation', ['d2,李娜,女,,,代表,正常,是'], '代表团', '代表团'],
    ['duplicate id', [good, 'd1,李娜,女,甲,1排2座,代表,正常,是'], '编号', '第2行'],
    ['duplicate seat', [good, 'd2,李娜,女,甲,1排 1座,代表,正常,是'], '座位', '第2行'],
    ['empty id', [',李娜,女,甲,,代表,正常,是'], '编号', '编号为空'],
    ['id too long', [`${'d'.repeat(65)},李娜,女,甲,,代表,正常,是`], '编号', '编号过长'],
    ['id with other characters', ['代表1,李娜,女,甲,,代表,正常,是'], '编号', '“代表1”'],
    ['seat too long', [`d2,李娜,女,甲,${'座'.repeat(21)},代表,正常,是`], '座位', '座位过长'],
    ['delegation name too long', [`d2,李娜,女,${'团'.repeat(51)},,代表,正常,是`], '代表团', '代表团名称过长'],
  ]

  it.each(cases)('%s', (_kind, rows, column, zh) => {
    const e = only(parseRoster(utf8(csv(head, ...rows))))
    expect(e.line).toBe(rows.length + 1)
    expect(e.column).toBe(column)
    expect(e.message.zh).toContain(zh)
    expect(e.message.en.length).toBeGreaterThan(0)
  })

  it('quotes the offending value in English too', () => {
    expect(only(parseRoster(utf8(csv(head, 'd2,李娜,X,甲,,代表,正常,是')))).message.en).toContain('"X"')
  })

  it('counts physical lines: blank lines and quoted line breaks included', () => {
    const file = csv(head, '', 'd1,"王伟",男,"甲', '乙",1排1座,代表,正常,是', 'd2,李娜,?,甲,,代表,正常,是')
    expect(only(parseRoster(utf8(file)))).toMatchObject({ line: 5, column: '性别' })
  })

  it('names the column as the file names it', () => {
    expect(only(parseRoster(utf8(csv('Name,Delegation,Gender', 'Wang,A,X')))).column).toBe('Gender')
  })

  it('reports a missing name column on line 1', () => {
    expect(only(parseRoster(utf8(csv('编号,代表团', 'd1,甲'))))).toMatchObject({ line: 1, column: '姓名' })
  })

  it('reports a missing delegation column on line 1, once', () => {
    expect(only(parseRoster(utf8(csv('姓名', '王伟', '李娜'))))).toMatchObject({ line: 1, column: '代表团' })
  })

  it('reports a column given twice', () => {
    expect(only(parseRoster(utf8(csv('姓名,代表团,代表活动组', '王伟,甲,乙'))))).toMatchObject({ line: 1, column: '代表活动组' })
  })

  it('reports an empty file', () => {
    for (const bytes of [new Uint8Array(0), utf8('\uFEFF'), utf8('\r\n  \r\n,,\r\n')]) {
      const e = only(parseRoster(bytes))
      expect(e.line).toBe(1)
      expect(e.message.zh).toBe('文件为空')
    }
  })

  it('reports a header without data rows', () => {
    expect(only(parseRoster(utf8(csv(head))))).toMatchObject({ line: 1, column: null })
  })

  it('refuses more than 10000 rows, pointing at the first row too many', () => {
    const rows = Array.from({ length: 10_001 }, (_, i) => `p${i},王${i},甲`)
    const e = only(parseRoster(utf8(csv('编号,姓名,代表团', ...rows))))
    expect(e.line).toBe(10_002)
    expect(e.message.zh).toContain('10000')
    ok(parseRoster(utf8(csv('编号,姓名,代表团', ...rows.slice(0, 10_000)))))
  })

  it('reports a quote that never closes', () => {
    const r = parseRoster(utf8(csv('姓名,代表团', '王伟,"甲', '李娜,乙')))
    expect(r.errors[0]).toMatchObject({ line: 2, column: null })
    expect(r.persons).toEqual([])
  })

  it('imports nothing when any row has an error, and lists every error in line order', () => {
    const r = parseRoster(utf8(csv(head, good, 'd2,,男,甲,,代表,正常,是', 'd3,李娜,X,甲,,代表,正常,是', 'd4,张敏,女,甲,,代表,正常,是')))
    expect(r.rows).toBe(4)
    expect(r.persons).toEqual([])
    expect(r.delegations).toEqual([])
    expect(r.errors.map((e) => [e.line, e.column])).toEqual([
      [3, '姓名'],
      [4, '性别'],
    ])
  })

  it('lists at most 200 errors and says how many more there are', () => {
    const rows = Array.from({ length: 300 }, (_, i) => `d${i},王${i},X,甲`)
    const r = parseRoster(utf8(csv('编号,姓名,性别,代表团', ...rows)))
    expect(r.errors).toHaveLength(201)
    expect(r.errors[200].message.zh).toContain('另有100处错误')
  })
})

function sampleState(): MeetingState {
  const s = emptyState()
  const delegations: Delegation[] = [
    { id: 'g02', name: '企业代表团', order: 2 },
    { id: 'g01', name: '县直机关代表团', order: 1 },
  ]
  const persons: Person[] = [
    { id: 'd3', name: '张敏', gender: 'F', role: 'delegate', delegationId: 'g02', seat: '5排1座', status: 'active', votingRight: true },
    { id: 'd2', name: '李娜', gender: 'F', role: 'delegate', delegationId: 'g01', seat: '1排12座', status: 'suspended', votingRight: true },
    { id: 'd1', name: '王伟', gender: 'M', role: 'delegate', delegationId: 'g01', seat: '1排2座', status: 'active', votingRight: true },
    { id: 'd4', name: '赵"小"刚, 二', gender: '', role: 'delegate', delegationId: 'g01', seat: '', status: 'terminated', votingRight: false },
    { id: 'o1', name: '陈列', gender: 'M', role: 'observer', delegationId: null, seat: '9排1座', status: 'active', votingRight: false },
    { id: 'chair', name: '执行主席', gender: '', role: 'chair', delegationId: null, seat: '', status: 'active', votingRight: false },
  ]
  for (const d of delegations) s.delegations.set(d.id, d)
  for (const p of persons) s.persons.set(p.id, p)
  // 2024-05-04 08:30:05 in Beijing
  const at = Date.UTC(2024, 4, 4, 0, 30, 5)
  s.attendance.set('d1', { presence: 'present', leaveReason: null, since: at, via: 'desk' })
  s.attendance.set('d2', { presence: 'leave', leaveReason: 'illness', since: at + 1000, via: null })
  s.attendance.set('d3', { presence: 'left', leaveReason: null, since: at + 2000, via: null })
  return s
}

describe('exportRosterCsv', () => {
  it('writes what Excel opens: UTF-8 BOM, CRLF, Chinese header, attendance in Chinese', () => {
    const out = exportRosterCsv(sampleState(), { timeZone: 'Asia/Shanghai' })
    expect(out.startsWith('\uFEFF编号,姓名,性别,代表团,座位,身份,状态,表决权,出席情况,请假事由,时间\r\n')).toBe(true)
    expect(out.endsWith('\r\n')).toBe(true)
    expect(out.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    expect(out.slice(1).split('\r\n').slice(1, -1)).toEqual([
      // delegation order, then seat read as numbers (2 before 12), empty seat last; staff left out
      'd1,王伟,男,县直机关代表团,1排2座,代表,正常,是,已签到,,2024-05-04 08:30:05',
      'd2,李娜,女,县直机关代表团,1排12座,代表,停止执行职务,是,请假,因病,2024-05-04 08:30:06',
      'd4,"赵""小""刚, 二",,县直机关代表团,,代表,终止,否,未到,,',
      'd3,张敏,女,企业代表团,5排1座,代表,正常,是,已离场,,2024-05-04 08:30:07',
      'o1,陈列,男,,9排1座,列席,正常,否,未到,,',
    ])
  })

  it('uses the server clock by default', () => {
    const at = new Date(2024, 0, 2, 3, 4, 5).getTime()
    expect(formatLocalTime(at)).toBe('2024-01-02 03:04:05')
  })

  it('neutralises formulas so a spreadsheet shows them as text', () => {
    const s = sampleState()
    const evil = ['=HYPERLINK("http://x.example","点我")', '+1+1', '-2', '@SUM(A1)']
    evil.forEach((name, i) => {
      s.persons.set(`x${i}`, { id: `x${i}`, name, gender: '', role: 'delegate', delegationId: 'g01', seat: `8排${i + 1}座`, status: 'active', votingRight: true })
    })
    const out = exportRosterCsv(s)
    expect(out).toContain(`x0,"'=HYPERLINK(""http://x.example"",""点我"")",`)
    expect(out).toContain(`x1,'+1+1,`)
    expect(out).toContain(`x2,'-2,`)
    expect(out).toContain(`x3,'@SUM(A1),`)
    for (const line of out.split('\r\n').slice(1)) expect(line.split(',').every((c) => !/^[=+\-@]/.test(c))).toBe(true)
    // and the names come back unchanged on import
    const back = ok(parseRoster(utf8(out), [...s.delegations.values()]))
    expect(evil.map((_, i) => back.persons.find((p) => p.id === `x${i}`)?.name)).toEqual(evil)
  })

  it('imports again into the same roster', () => {
    const s = sampleState()
    const r = ok(parseRoster(utf8(exportRosterCsv(s)), [...s.delegations.values()]))
    expect(r.encoding).toBe('utf-8-bom')
    const byId = (a: Person, b: Person) => a.id.localeCompare(b.id)
    const expected = [...s.persons.values()].filter((p) => p.role === 'delegate' || p.role === 'observer')
    expect([...r.persons].sort(byId)).toEqual(expected.sort(byId))
    expect(r.delegations).toEqual([
      { id: 'g01', name: '县直机关代表团', order: 1 },
      { id: 'g02', name: '企业代表团', order: 2 },
    ])
  })

  it('survives a trip through Excel saving it back as GB18030', () => {
    const s = sampleState()
    const out = exportRosterCsv(s).replace(/^\uFEFF/, '')
    const r = ok(parseRoster(gb(out), [...s.delegations.values()]))
    expect(r.persons).toEqual(ok(parseRoster(utf8(out), [...s.delegations.values()])).persons)
  })
})

describe('rosterTemplateCsv', () => {
  it('is a BOM-marked CSV that imports cleanly as one delegate and one observer', () => {
    const t = rosterTemplateCsv()
    expect(t.startsWith('\uFEFF编号,姓名,性别,代表团,座位,身份,状态,表决权\r\n')).toBe(true)
    const r = ok(parseRoster(utf8(t)))
    expect(r.persons.map((p) => [p.role, p.votingRight])).toEqual([
      ['delegate', true],
      ['observer', false],
    ])
    expect(r.delegations).toHaveLength(1)
  })
})
