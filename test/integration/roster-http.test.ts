// The secretariat's roster over HTTP, on both stores: files as Chinese Excel saves them (GB18030,
// UTF-8 with a BOM), all-or-nothing imports with errors by line and column, replacing the delegates
// while the staff keep their logins, the export Excel opens, and the desk's roster kept current.
import iconv from 'iconv-lite'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AckError } from '../../shared/errors'
import type { PublicView, RosterPatch, StateChanged } from '../../shared/protocol'
import type { RosterParseResult } from '../../server/roster/csv'
import { expectRefusal, http } from '../helpers/edge'
import { latest, send, startHall, STORE_KINDS, type Client, type Hall } from '../helpers/server'

const HEADER = '编号,姓名,性别,代表团,座位,身份,状态,表决权'
const csv = (...lines: string[]) => lines.join('\r\n') + '\r\n'

// 䶮 (U+4DAE) is outside GBK: only GB18030 carries it, as four bytes.
const NEWCOMERS = csv(
  HEADER,
  'n001,刘䶮,男,县直机关代表团,20排1座,代表,正常,是',
  'n002,欧阳娜,女,新区代表团,20排2座,,,',
  'o99,李明,男,,21排1座,列席人员,正常,否',
)

type Ok<T> = { ok: true; data: T }

describe.each(STORE_KINDS)('roster over HTTP on %s', (kind) => {
  let hall: Hall
  let desk: Client
  let deskToken: string
  let patches: RosterPatch[]
  const version = () => hall.server.app.engine.version
  const persons = () => hall.server.app.engine.state.persons

  beforeEach(async () => {
    hall = await startHall(kind)
    const d = await hall.connect(hall.secretariat.code)
    desk = d.socket
    deskToken = d.login.token
    patches = []
    desk.on('roster:patched', (p) => patches.push(p))
  })
  afterEach(async () => {
    await hall.close()
  })

  const post = <T>(path: string, body: Uint8Array | string) =>
    http<T>(hall.server.url, path, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), token: deskToken, headers: { 'content-type': 'text/csv' } })

  it('previews a GB18030 file without writing anything, then imports it (merge)', async () => {
    const bytes = iconv.encode(NEWCOMERS, 'gb18030')
    // Really GBK-family bytes, not UTF-8: 刘 is C1 F5 in GB18030.
    expect(bytes.includes(Buffer.from([0xc1, 0xf5]))).toBe(true)
    const v = version()
    const preview = await post<Ok<RosterParseResult>>('/api/roster/preview', bytes)
    expect(preview.status).toBe(200)
    expect(preview.body.data).toMatchObject({ encoding: 'gb18030', rows: 3, errors: [] })
    expect(preview.body.data.persons.map((p) => [p.id, p.name, p.role])).toEqual([
      ['n001', '刘䶮', 'delegate'],
      ['n002', '欧阳娜', 'delegate'],
      ['o99', '李明', 'observer'],
    ])
    // A delegation already known keeps its id; a new one gets a fresh id.
    const byName = new Map(preview.body.data.delegations.map((d) => [d.name, d.id]))
    expect(byName.get('县直机关代表团')).toBe('g01')
    expect(byName.get('新区代表团')).toMatch(/^g\d+$/)
    expect([...hall.server.app.engine.state.delegations.keys()]).not.toContain(byName.get('新区代表团'))
    expect(version()).toBe(v)
    expect(persons().has('n001')).toBe(false)

    const display = await hall.connect(hall.display.code)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    const imported = await post<Ok<{ delegations: number; persons: number }>>('/api/roster/import', bytes)
    expect(imported.status).toBe(200)
    expect(imported.body).toEqual({ ok: true, data: { delegations: 2, persons: 2 } })
    expect(version()).toBe(v + 1)
    expect(persons().get('n001')).toMatchObject({ name: '刘䶮', delegationId: 'g01', seat: '20排1座', votingRight: true })
    expect(persons().get('o99')).toMatchObject({ role: 'observer', votingRight: false })
    // Merged: the 251 are still there, and two more should attend.
    expect(persons().has('d0001')).toBe(true)
    await vi.waitFor(() => expect((seen.value?.view as PublicView | undefined)?.attendance.shouldAttend).toBe(253))
    // The new delegates can be checked in at once.
    expect(await send(desk, 'attendance:checkIn', { personId: 'n001' })).toMatchObject({ ok: true, data: { name: '刘䶮', delegation: '县直机关代表团' } })
  })

  it('reads a UTF-8 file with a BOM the same way', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(NEWCOMERS, 'utf8')])
    const preview = await post<Ok<RosterParseResult>>('/api/roster/preview', bytes)
    expect(preview.body.data).toMatchObject({ encoding: 'utf-8-bom', rows: 3, errors: [] })
    // The BOM does not stick to the first header: the ids are read.
    expect(preview.body.data.persons[0]).toMatchObject({ id: 'n001', name: '刘䶮' })
    const imported = await post<Ok<unknown>>('/api/roster/import', bytes)
    expect(imported.status).toBe(200)
    expect(persons().get('n002')).toMatchObject({ name: '欧阳娜', gender: 'F' })
  })

  it('the desk receives roster:patched rows for the imported people', async () => {
    const r = await post<Ok<unknown>>('/api/roster/import', iconv.encode(NEWCOMERS, 'gb18030'))
    expect(r.status).toBe(200)
    await vi.waitFor(() => {
      const rows = patches.flatMap((p) => p.rows)
      for (const id of ['n001', 'n002', 'o99']) expect(rows.map((row) => row.id)).toContain(id)
    })
    const row = patches.flatMap((p) => p.rows).find((x) => x.id === 'n001')!
    expect(row).toMatchObject({ name: '刘䶮', presence: 'absent', hasCredential: false, role: 'delegate' })
    expect(patches[patches.length - 1].version).toBe(version())
  })

  it('one bad line imports nothing and the errors name the line and the column', async () => {
    const file = csv(
      HEADER,
      'n001,刘䶮,男,县直机关代表团,20排1座,代表,正常,是',
      'n002,欧阳娜,X,新区代表团,20排2座,代表,正常,是',
      'n003,王五,男,新区代表团,20排3座,代表,正常,是',
    )
    const v = version()
    const before = persons().size
    const preview = await post<Ok<RosterParseResult>>('/api/roster/preview', iconv.encode(file, 'gb18030'))
    expect(preview.body.data.persons).toEqual([])
    expect(preview.body.data.errors).toHaveLength(1)

    const r = await post<AckError & { details: { errors: RosterParseResult['errors'] } }>('/api/roster/import', iconv.encode(file, 'gb18030'))
    expect(r.status).toBe(400)
    expect(expectRefusal(r.body, 'ROSTER_INVALID').message).toBe('名单有错误，未导入任何内容')
    expect(r.body.details.errors).toEqual([
      { line: 3, column: '性别', message: { zh: '性别“X”无法识别，应为男或女', en: 'Unknown gender "X"; use 男/女 or M/F' } },
    ])
    expect(version()).toBe(v)
    expect(persons().size).toBe(before)
    expect(persons().has('n001')).toBe(false)
    expect(persons().has('n003')).toBe(false)
  })

  it('lists every error in line order, across columns', async () => {
    const file = csv(
      HEADER,
      'n001,刘䶮,男,县直机关代表团,20排1座,代表,退休,是',
      'n002,,女,新区代表团,20排2座,代表,正常,是',
      'n003,王五,男,新区代表团,20排1座,代表,正常,也许',
    )
    const r = await post<AckError & { details: { errors: RosterParseResult['errors'] } }>('/api/roster/import', Buffer.from('\uFEFF' + file))
    expect(r.status).toBe(400)
    const errors = r.body.details.errors
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 4])
    expect(errors.map((e) => `${e.line}:${e.column}`).sort()).toEqual(['2:状态', '3:姓名', '4:座位', '4:表决权'])
    // The duplicate seat points back at the line it repeats.
    expect(errors.find((e) => e.column === '座位')!.message.zh).toBe('座位“20排1座”与第2行重复')
    for (const e of errors) expect(e.message.zh).toMatch(/\p{Script=Han}/u)
  })

  it('an empty file and an id that belongs to a staff account are refused, and nothing changes', async () => {
    const v = version()
    const empty = await post<AckError & { details: { errors: RosterParseResult['errors'] } }>('/api/roster/import', '')
    expect(empty.status).toBe(400)
    expectRefusal(empty.body, 'ROSTER_INVALID')
    expect(empty.body.details.errors[0]).toMatchObject({ line: 1, message: { zh: '文件为空' } })
    const clash = await post<AckError>('/api/roster/import?mode=replace', csv(HEADER, 'chair,冒名,男,县直机关代表团,1排1座,代表,正常,是'))
    expect(clash.status).toBe(409)
    expect(expectRefusal(clash.body, 'DUPLICATE_ID').message).toBe('编号重复：chair')
    expect(version()).toBe(v)
    expect(persons().get('chair')!.role).toBe('chair')
    expect(persons().size).toBe(251 + 8 + 4)
  })

  it('a file without ids cannot be merged into a roster (it would overwrite people by row number); it can replace it', async () => {
    const noIds = csv('姓名,性别,代表团,座位,身份,状态,表决权', '周新,男,县直机关代表团,30排1座,代表,正常,是', '吴新,女,县直机关代表团,30排2座,代表,正常,是')
    const v = version()
    const merged = await post<AckError & { details: { errors: RosterParseResult['errors'] } }>('/api/roster/import?mode=merge', noIds)
    expect(merged.status).toBe(400)
    expectRefusal(merged.body, 'ROSTER_INVALID')
    expect(merged.body.details.errors).toEqual([expect.objectContaining({ line: 1, column: '编号' })])
    expect(merged.body.details.errors[0].message.zh).toContain('合并导入按编号对应已有人员')
    expect(version()).toBe(v)
    // The preview says the ids would be made up, so the desk can tell before importing.
    const preview = await post<Ok<RosterParseResult>>('/api/roster/preview', noIds)
    expect(preview.body.data).toMatchObject({ errors: [], idsGenerated: true })
    const replaced = await post<Ok<{ persons: number }>>('/api/roster/import?mode=replace', noIds)
    expect(replaced.status).toBe(200)
    expect([...persons().values()].filter((p) => p.role === 'delegate').map((p) => p.name).sort()).toEqual(['吴新', '周新'])
  })

  it('replace mode swaps the delegates and keeps the staff accounts and their logins', async () => {
    const chair = await hall.connect(hall.chair.code)
    const chairSeen = latest<StateChanged>(chair.socket, 'state:changed')
    // A delegate who is about to leave the roster has a tablet logged in.
    const leaving = await hall.connect(hall.delegates[5].code)
    const ended = new Promise<{ code: string }>((resolve) => leaving.socket.once('session:ended', resolve))
    const file = csv(HEADER, 'r001,张三,男,第一代表团,1排1座,,,', 'r002,李四,女,第一代表团,1排2座,,,', 'r003,王五,男,第二代表团,2排1座,,停止执行职务,')
    const r = await post<Ok<{ delegations: number; persons: number }>>('/api/roster/import?mode=replace', iconv.encode(file, 'gb18030'))
    expect(r.status).toBe(200)
    // r003 is suspended: two should attend.
    expect(r.body.data).toEqual({ delegations: 2, persons: 2 })
    expect([...persons().keys()].sort()).toEqual(['chair', 'display1', 'r001', 'r002', 'r003', 'sec1', 'sec2'])
    expect([...hall.server.app.engine.state.delegations.values()].map((d) => d.name)).toEqual(['第一代表团', '第二代表团'])

    await vi.waitFor(() => expect((chairSeen.value?.view as PublicView | undefined)?.attendance.shouldAttend).toBe(2))
    // The desk hears which rows went away.
    await vi.waitFor(() => expect(patches.flatMap((p) => p.removed)).toContain('d0001'))
    const removed = new Set(patches.flatMap((p) => p.removed))
    expect(removed.size).toBe(251 + 8)
    expect(removed.has('sec1')).toBe(false)

    // Staff still log in and work; the old delegates' codes do not.
    expect(desk.connected).toBe(true)
    expect(chair.socket.connected).toBe(true)
    for (const staff of [hall.secretariat, hall.chair, hall.display]) {
      const login = await http(hall.server.url, '/api/login', { json: { code: staff.code } })
      expect(login.status, staff.personId).toBe(200)
    }
    const old = await http<AckError>(hall.server.url, '/api/login', { json: { code: hall.delegates[0].code } })
    expect(old.status).toBe(401)
    expectRefusal(old.body, 'INVALID_CODE')
    // The removed delegate's tablet is told and signed out.
    expect((await ended).code).toBe('CREDENTIAL_REVOKED')
    await vi.waitFor(() => expect(leaving.socket.connected).toBe(false))
  })

  it('the export is a CSV with a BOM that shows who has checked in, who is on leave and who is absent', async () => {
    const [a, b, c] = hall.delegates
    expect(await send(desk, 'attendance:checkIn', { code: a.code })).toMatchObject({ ok: true })
    expect(await send(desk, 'attendance:registerLeave', { personId: b.personId, reason: 'illness' })).toMatchObject({ ok: true })

    const res = await fetch(`${hall.server.url}/api/roster/export.csv`, { headers: { authorization: `Bearer ${deskToken}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/)
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="roster-\d{4}-\d{2}-\d{2}\.csv"$/)
    const bytes = Buffer.from(await res.arrayBuffer())
    // Excel needs the BOM to read UTF-8; fetch's text() would hide it, so look at the bytes.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const lines = bytes.subarray(3).toString('utf8').split('\r\n')
    expect(lines[0]).toBe('编号,姓名,性别,代表团,座位,身份,状态,表决权,出席情况,请假事由,时间')
    const row = (id: string) => lines.find((l) => l.startsWith(`${id},`))!.split(',')
    expect(row(a.personId).slice(0, 2)).toEqual([a.personId, a.name])
    expect(row(a.personId)[8]).toBe('已签到')
    expect(row(a.personId)[10]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(row(b.personId).slice(8, 10)).toEqual(['请假', '因病'])
    expect(row(c.personId)[8]).toBe('未到')
    expect(lines.filter((l) => l.includes('已签到'))).toHaveLength(1)
    // Staff accounts are not on the roster.
    expect(lines.some((l) => l.startsWith('sec1,'))).toBe(false)
  })
})
