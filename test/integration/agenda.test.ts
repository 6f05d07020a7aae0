// The agenda and the speaking queue with a real server and real clients, on both stores: the chair
// runs the session, tablets ask to speak and follow their place, the display follows the speech; the
// timing facts are absolute server times, so a tablet with a wrong clock and one that reconnects
// mid-speech show the same remaining time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ChairView, OwnStatus, PublicView, Snapshot, StateChanged } from '../../shared/protocol'
import { remainingMs, type SpeechTiming } from '../../shared/domain/speechTime'
import { expectRefusal } from '../helpers/edge'
import { latest, send, startHall, STORE_KINDS, type Client, type Hall } from '../helpers/server'

const MIN = 60_000

type Ok<T> = { ok: true; data: T }
async function must<T = any>(socket: Client, event: string, payload: unknown): Promise<T> {
  const r = await send<T>(socket, event, payload)
  if (!r.ok) throw new Error(`${event} refused: ${r.code} ${r.message}`)
  return (r as Ok<T>).data
}

function view<V = PublicView>(box: { value: StateChanged | null }): V {
  return box.value?.view as V
}

describe.each(STORE_KINDS)('agenda and speakers on %s', (kind) => {
  let hall: Hall
  beforeEach(async () => {
    hall = await startHall(kind)
  })
  afterEach(async () => {
    await hall.close()
  })

  /** Desk, chair, display and three checked-in tablets, with a thematic-speeches item made current. */
  async function session() {
    const desk = await hall.connect(hall.secretariat.code)
    const chair = await hall.connect(hall.chair.code)
    const display = await hall.connect(hall.display.code)
    const tablets = []
    for (const d of hall.delegates.slice(0, 3)) {
      const t = await hall.connect(d.code)
      await must(t.socket, 'attendance:checkIn', {})
      tablets.push({ ...t, me: latest<OwnStatus>(t.socket, 'me:updated'), seen: latest<StateChanged>(t.socket, 'state:changed'), code: d })
    }
    const shown = latest<StateChanged>(display.socket, 'state:changed')
    const chairSeen = latest<StateChanged>(chair.socket, 'state:changed')
    const { itemId } = await must<{ itemId: string }>(desk.socket, 'agenda:add', {
      type: 'speeches',
      title: '专题发言',
      speechLimitMs: 8 * MIN,
      warnMs: MIN,
    })
    await must(chair.socket, 'agenda:setCurrent', { itemId })
    await vi.waitFor(() => expect(view(shown)?.agenda.currentItemId).toBe(itemId))
    return { desk, chair, display, tablets, shown, chairSeen, itemId }
  }

  it('the chair runs the agenda; hidden items stay off tablets and the display until revealed', async () => {
    const desk = await hall.connect(hall.secretariat.code)
    const chair = await hall.connect(hall.chair.code)
    const display = await hall.connect(hall.display.code)
    const tablet = await hall.connect(hall.delegates[0].code)
    const shown = latest<StateChanged>(display.socket, 'state:changed')
    const onTablet = latest<StateChanged>(tablet.socket, 'state:changed')
    const chairSeen = latest<StateChanged>(chair.socket, 'state:changed')
    expect((display.snapshot.view as PublicView).agenda).toEqual({ items: [], currentItemId: null, shownDocument: null, shownPage: 1 })

    const opening = await must(desk.socket, 'agenda:add', { type: 'opening', title: '大会开幕' })
    const report = await must(desk.socket, 'agenda:add', { type: 'report', title: '审议县委工作报告', presenter: '县委书记' })
    const secret = await must(desk.socket, 'agenda:add', { type: 'election', title: '补选县委委员', hidden: true })
    await vi.waitFor(() => expect(view(chairSeen)?.agenda.items).toHaveLength(3))
    await vi.waitFor(() => expect(view(shown)?.agenda.items.map((i) => i.title)).toEqual(['大会开幕', '审议县委工作报告']))
    expect(JSON.stringify(view(onTablet))).not.toContain('补选县委委员')

    await must(chair.socket, 'agenda:setCurrent', { itemId: opening.itemId })
    await must(chair.socket, 'agenda:setCurrent', { itemId: report.itemId })
    await vi.waitFor(() => {
      const v = view(onTablet)
      expect(v.agenda.currentItemId).toBe(report.itemId)
      expect(v.agenda.items.map((i) => i.status)).toEqual(['done', 'current'])
    })
    await must(chair.socket, 'agenda:setHidden', { itemId: secret.itemId, hidden: false })
    await vi.waitFor(() => expect(view(shown)?.agenda.items.map((i) => i.title)).toContain('补选县委委员'))

    // Wrong role, and the state does not move.
    const before = hall.server.app.engine.version
    expectRefusal(await send(desk.socket, 'agenda:setCurrent', { itemId: opening.itemId }), 'FORBIDDEN')
    expectRefusal(await send(tablet.socket, 'agenda:add', { type: 'other', title: 'x' }), 'FORBIDDEN')
    expectRefusal(await send(display.socket, 'speakers:request', { itemId: report.itemId, topic: 'x' }), 'FORBIDDEN')
    expectRefusal(await send(chair.socket, 'agenda:setCurrent', { itemId: 'it99999' }), 'ITEM_NOT_FOUND')
    expectRefusal(await send(chair.socket, 'agenda:add', { type: 'nonsense', title: '' }), 'INVALID_PAYLOAD')
    expect(hall.server.app.engine.version).toBe(before)
  })

  it('tablets ask to speak, the chair approves and reorders while someone speaks; places follow', async () => {
    const { chair, desk, tablets, shown, chairSeen, itemId } = await session()
    const ids: string[] = []
    for (const [i, t] of tablets.entries()) {
      const r = await must<{ speakerId: string; status: string }>(t.socket, 'speakers:request', { itemId, topic: `题目${i + 1}` })
      expect(r.status).toBe('requested')
      ids.push(r.speakerId)
    }
    await vi.waitFor(() => expect(view<ChairView>(chairSeen).speakerLists[0].requested.map((r) => r.topic)).toEqual(['题目1', '题目2', '题目3']))
    await vi.waitFor(() => expect(tablets[0].me.value?.queue).toMatchObject([{ status: 'requested', position: null }]))
    for (const id of ids) await must(chair.socket, 'speakers:approve', { speakerId: id })
    await vi.waitFor(() => expect(tablets[2].me.value?.queue[0]).toMatchObject({ status: 'waiting', position: 3, waitingCount: 3 }))

    // The first speaks; meanwhile the chair moves the third to the front.
    await must(chair.socket, 'speakers:next', { itemId })
    const started = await must<{ startedAt: number; limitMs: number }>(chair.socket, 'speakers:start', { itemId })
    await vi.waitFor(() => expect(view(shown).speech?.current?.timing?.startedAt).toBe(started.startedAt))
    await must(chair.socket, 'speakers:move', { speakerId: ids[2], position: 0 })
    await vi.waitFor(() => {
      expect(tablets[2].me.value?.queue[0]).toMatchObject({ position: 1, waitingCount: 2 })
      expect(tablets[1].me.value?.queue[0]).toMatchObject({ position: 2 })
    })
    const speech = view(shown).speech!
    await vi.waitFor(() => expect(view(shown).speech!.next.map((n) => n.id)).toEqual([ids[2], ids[1]]))
    // The speech itself is untouched by the reorder.
    expect(view(shown).speech!.current).toMatchObject({ id: ids[0], status: 'speaking', topic: '题目1', timing: speech.current!.timing })
    expect(tablets[0].me.value?.queue[0]).toMatchObject({ status: 'speaking' })

    // A withdrawal while waiting; the desk adds a delegation's speech.
    await must(tablets[1].socket, 'speakers:withdraw', { itemId })
    await vi.waitFor(() => expect(tablets[1].me.value?.queue).toEqual([]))
    const g = hall.codes.find((c) => c.personId === 'd0070')!
    const added = await must<{ speakerId: string }>(desk.socket, 'speakers:add', { itemId, personId: g.personId, delegationId: 'g02', topic: '代表团发言' })
    await vi.waitFor(() => expect(view(shown).speech!.next.map((n) => [n.kind, n.delegation])).toEqual([
      ['person', '县直机关代表团'],
      ['delegation', '芦溪镇代表团'],
    ]))

    // The next speaker: the running speech ends and is recorded.
    const next = await must(chair.socket, 'speakers:next', { itemId })
    expect(next).toMatchObject({ called: ids[2], ended: ids[0] })
    await vi.waitFor(() => expect(view<ChairView>(chairSeen).speakerLists[0].finished.map((r) => r.id)).toEqual([ids[0]]))
    expect(view<ChairView>(chairSeen).speakerLists[0].waiting.map((r) => r.id)).toEqual([added.speakerId])
    await vi.waitFor(() => expect(tablets[0].me.value?.queue).toEqual([]))
  })

  it('pause and resume: every screen computes the same remaining time from the facts', async () => {
    const { chair, tablets, shown, itemId } = await session()
    const { speakerId } = await must(tablets[0].socket, 'speakers:request', { itemId, topic: '题目' })
    await must(chair.socket, 'speakers:approve', { speakerId })
    await must(chair.socket, 'speakers:next', { itemId })
    const before = Date.now()
    const started = await must<{ startedAt: number }>(chair.socket, 'speakers:start', { itemId })
    // Absolute server time, not a relative duration.
    expect(started.startedAt).toBeGreaterThanOrEqual(before - 5)
    expect(started.startedAt).toBeLessThanOrEqual(Date.now())

    await must(chair.socket, 'speakers:pause', { itemId })
    let paused!: SpeechTiming
    await vi.waitFor(() => {
      paused = view(shown).speech!.current!.timing!
      expect(paused.pausedAt).not.toBeNull()
    })
    expect(paused.elapsedBeforePauseMs).toBe(paused.pausedAt! - started.startedAt)
    // Paused, the remaining time stands still, whenever anyone looks.
    expect(remainingMs(paused, Date.now())).toBe(remainingMs(paused, Date.now() + 10 * MIN))
    await vi.waitFor(() => expect(view(tablets[1].seen).speech!.current!.timing).toEqual(paused))

    await must(chair.socket, 'speakers:resume', { itemId })
    let resumed!: SpeechTiming
    await vi.waitFor(() => {
      resumed = view(shown).speech!.current!.timing!
      expect(resumed.pausedAt).toBeNull()
    })
    expect(resumed.resumedAt).toBeGreaterThanOrEqual(paused.pausedAt!)
    expect(resumed.startedAt).toBe(started.startedAt)
    // The server's own reckoning of the time left (the engine folded the same events).
    const serverSide = hall.server.app.engine.state.speakers.get(speakerId)!.timing!
    expect(Math.abs(remainingMs(resumed, Date.now()) - remainingMs(serverSide, Date.now()))).toBeLessThan(1000)

    const ended = await must<{ durationMs: number; overrunMs: number }>(chair.socket, 'speakers:end', { itemId })
    expect(ended.overrunMs).toBe(0)
    expect(ended.durationMs).toBeLessThan(Date.now() - started.startedAt + 1)
    await vi.waitFor(() => expect(view(shown).speech!.current).toBeNull())
  })

  it('a tablet whose clock is minutes off and one that reconnects mid-speech show the same time left', async () => {
    const { chair, tablets, itemId } = await session()
    const { speakerId } = await must(tablets[0].socket, 'speakers:request', { itemId, topic: '题目' })
    await must(chair.socket, 'speakers:approve', { speakerId })
    await must(chair.socket, 'speakers:next', { itemId })
    await must(chair.socket, 'speakers:start', { itemId })

    // A tablet 7 minutes fast: it measures its offset from the snapshot's serverTime, as the client does.
    const SKEW = 7 * MIN
    const localNow = () => Date.now() + SKEW
    const skewed = await hall.connect(hall.delegates[5].code)
    const receivedAt = localNow()
    const offset = skewed.snapshot.serverTime - receivedAt
    expect(Math.abs(offset + SKEW)).toBeLessThan(1000)
    const timing = (skewed.snapshot.view as PublicView).speech!.current!.timing!
    const onSkewed = remainingMs(timing, localNow() + offset)
    const truth = remainingMs(hall.server.app.engine.state.speakers.get(speakerId)!.timing!, Date.now())
    expect(Math.abs(onSkewed - truth)).toBeLessThan(1000)
    // Without the offset it would be 7 minutes wrong: the facts are absolute times, not a countdown.
    expect(Math.abs(remainingMs(timing, localNow()) - truth)).toBeGreaterThan(6 * MIN)

    // Reconnect mid-speech: the fresh snapshot carries the same facts.
    const t = tablets[1]
    const again = new Promise<Snapshot>((resolve) => t.socket.once('state:snapshot', resolve))
    t.socket.disconnect()
    await must(chair.socket, 'speakers:pause', { itemId })
    t.socket.connect()
    const snap = await again
    const after = (snap.view as PublicView).speech!.current!.timing!
    expect(after.pausedAt).not.toBeNull()
    expect(after).toEqual(hall.server.app.engine.state.speakers.get(speakerId)!.timing)
    const myOffset = snap.serverTime - Date.now()
    expect(Math.abs(remainingMs(after, Date.now() + myOffset) - remainingMs(after, Date.now()))).toBeLessThan(1000)
  })

  it('commands in the wrong state get clear errors and change nothing', async () => {
    const { chair, tablets, itemId } = await session()
    const before = hall.server.app.engine.version
    expectRefusal(await send(chair.socket, 'speakers:start', { itemId }), 'NO_CURRENT_SPEAKER')
    expectRefusal(await send(chair.socket, 'speakers:next', { itemId }), 'QUEUE_EMPTY')
    expectRefusal(await send(tablets[0].socket, 'speakers:withdraw', { itemId }), 'NOT_IN_QUEUE')
    expectRefusal(await send(tablets[0].socket, 'speakers:request', { itemId }), 'TOPIC_REQUIRED')
    expectRefusal(await send(tablets[0].socket, 'speakers:start', { itemId }), 'FORBIDDEN')
    expect(hall.server.app.engine.version).toBe(before)
    await must(tablets[0].socket, 'speakers:request', { itemId, topic: 'x' })
    const twice = expectRefusal(await send(tablets[0].socket, 'speakers:request', { itemId, topic: 'x' }), 'ALREADY_IN_QUEUE')
    expect(twice.message).toContain(hall.delegates[0].name)
  })

  it('documents: uploaded at the desk, served to those who may see the item, by signed link too, on any node', async () => {
    const desk = await hall.connect(hall.secretariat.code)
    const tablet = await hall.connect(hall.delegates[0].code)
    const chair = await hall.connect(hall.chair.code)
    const url = hall.server.url
    const { itemId } = await must(desk.socket, 'agenda:add', { type: 'report', title: '审议报告' })
    const { itemId: hidden } = await must(desk.socket, 'agenda:add', { type: 'election', title: '人事', hidden: true })
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')
    const up = async (item: string, name: string, body: Buffer, token = desk.login.token, type = 'application/octet-stream') =>
      fetch(`${url}/api/agenda/${item}/documents?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body: new Uint8Array(body),
      })
    const r1 = await up(itemId, '县委工作报告.pdf', pdf)
    expect(r1.status).toBe(200)
    const doc = ((await r1.json()) as Ok<{ id: string; sha256: string; mime: string; size: number }>).data
    expect(doc).toMatchObject({ mime: 'application/pdf', size: pdf.length })
    const md = Buffer.from('# 说明\n\n<script>alert(1)</script>\n')
    const r2 = await up(itemId, '说明.md', md)
    expect(r2.status).toBe(200)
    const mdDoc = ((await r2.json()) as Ok<{ id: string }>).data
    const r3 = await up(hidden, '名单.pdf', pdf)
    const hiddenDoc = ((await r3.json()) as Ok<{ id: string }>).data

    // Refusals: wrong type, a delegate uploading, no login, an unknown item.
    expectRefusal(await (await up(itemId, 'x.exe', Buffer.from('MZ....'))).json(), 'UNSUPPORTED_DOCUMENT')
    expectRefusal(await (await up(itemId, 'fake.pdf', Buffer.from('hello'))).json(), 'UNSUPPORTED_DOCUMENT')
    expect((await up(itemId, 'a.pdf', pdf, tablet.login.token)).status).toBe(403)
    expect((await up(itemId, 'a.pdf', pdf, 'nobody-nobody-nobody')).status).toBe(401)
    expect((await up('it99999', 'a.pdf', pdf)).status).toBe(404)

    // Stored by content hash; the log records the metadata only.
    const stored = await hall.server.app.documents.get(doc.sha256)
    expect(stored?.equals(pdf)).toBe(true)
    const log = JSON.stringify(await hall.server.app.store.log.read(0, 100_000))
    expect(log).toContain(doc.sha256)
    expect(log).not.toContain('trailer')

    // Read on the tablet, with the right content type.
    const get = (id: string, token: string) => fetch(`${url}/api/documents/${id}`, { headers: { authorization: `Bearer ${token}` } })
    const g1 = await get(doc.id, tablet.login.token)
    expect(g1.status).toBe(200)
    expect(g1.headers.get('content-type')).toBe('application/pdf')
    expect(Buffer.from(await g1.arrayBuffer()).equals(pdf)).toBe(true)
    const g2 = await get(mdDoc.id, tablet.login.token)
    expect(g2.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    expect(g2.headers.get('content-security-policy')).toContain('sandbox')
    expect(g2.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('说明.md')}`)
    // Hidden items' documents: the chair reads them, the hall does not.
    expect((await get(hiddenDoc.id, tablet.login.token)).status).toBe(404)
    expect((await get(hiddenDoc.id, chair.login.token)).status).toBe(200)
    expect((await fetch(`${url}/api/documents/${doc.id}`)).status).toBe(401)

    // A signed link for <iframe>: works without a header, fails when tampered with.
    const link = (await (await fetch(`${url}/api/documents/${doc.id}/link`, { headers: { authorization: `Bearer ${tablet.login.token}` } })).json()) as Ok<{
      url: string
      expiresAt: number
    }>
    expect(link.data.expiresAt).toBeGreaterThan(Date.now())
    expect((await fetch(url + link.data.url)).status).toBe(200)
    expect((await fetch(url + link.data.url.replace(/exp=\d+/, `exp=${link.data.expiresAt + 1}`))).status).toBe(401)
    expect((await fetch(`${url}/api/documents/${hiddenDoc.id}/link`, { headers: { authorization: `Bearer ${tablet.login.token}` } })).status).toBe(404)

    // Another node on the same store serves the same document and honours the same signed links.
    const { startServer, loginAt } = await import('../helpers/server')
    const node2 = await startServer(hall.handle)
    try {
      await vi.waitFor(() => expect(node2.app.engine.version).toBe(hall.server.app.engine.version))
      expect((await fetch(node2.url + link.data.url)).status).toBe(200)
      const other = await loginAt(node2.url, hall.delegates[1].code)
      const g3 = await fetch(`${node2.url}/api/documents/${mdDoc.id}`, { headers: { authorization: `Bearer ${other.token}` } })
      expect(await g3.text()).toBe(md.toString())
    } finally {
      await node2.close()
    }

    await must(desk.socket, 'agenda:removeDocument', { itemId, documentId: doc.id })
    expect((await get(doc.id, tablet.login.token)).status).toBe(404)
  })

  it('the chair and the desk find speakers to add by name or seat: active delegates and observers only', async () => {
    const chair = await hall.connect(hall.chair.code)
    const d = hall.delegates[5]
    const get = async (token: string, q: string) => {
      const res = await fetch(`${hall.server.url}/api/speakers/candidates?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${token}` } })
      return { status: res.status, body: (await res.json()) as { ok: boolean; data: Array<{ personId: string; name: string; delegation: string; seat: string }> } }
    }
    const byName = await get(chair.login.token, d.name)
    expect(byName.status).toBe(200)
    expect(byName.body.data.map((c) => c.personId)).toContain(d.personId)
    expect(byName.body.data.find((c) => c.personId === d.personId)).toMatchObject({ name: d.name, delegation: d.delegation, seat: d.seat })
    expect((await get(chair.login.token, d.personId)).body.data.map((c) => c.personId)).toEqual([d.personId])
    // Staff accounts are not speakers; an empty query finds nobody.
    expect((await get(chair.login.token, '秘书处')).body.data).toEqual([])
    expect((await get(chair.login.token, '')).body.data).toEqual([])
    // A suspended delegate is not offered.
    const desk = await hall.connect(hall.secretariat.code)
    const p = hall.server.app.engine.state.persons.get(d.personId)!
    await must(desk.socket, 'person:save', { ...p, status: 'suspended' })
    expect((await get(desk.login.token, d.personId)).body.data).toEqual([])
    // A tablet may not search the roster.
    const tablet = await hall.connect(hall.delegates[6].code)
    expect((await get(tablet.login.token, d.name)).status).toBe(403)
  })

  it('refuses a document over the size limit', async () => {
    await hall.close()
    hall = await startHall(kind, { maxDocumentBytes: 1024 })
    const desk = await hall.connect(hall.secretariat.code)
    const { itemId } = await must(desk.socket, 'agenda:add', { type: 'report', title: '报告' })
    const res = await fetch(`${hall.server.url}/api/agenda/${itemId}/documents?name=big.md`, {
      method: 'POST',
      headers: { authorization: `Bearer ${desk.login.token}`, 'content-type': 'text/markdown' },
      body: new Uint8Array(2048).fill(97),
    })
    expect(res.status).toBe(413)
    expectRefusal(await res.json(), 'PAYLOAD_TOO_LARGE')
  })

  it('the record of speeches exports as CSV for the chair and the desk only', async () => {
    const { chair, desk, tablets, itemId } = await session()
    await must(desk.socket, 'speakers:add', { itemId, personId: hall.delegates[0].personId, topic: '乡村振兴' })
    await must(chair.socket, 'speakers:next', { itemId })
    await must(chair.socket, 'speakers:start', { itemId })
    await must(chair.socket, 'speakers:end', { itemId })
    const res = await fetch(`${hall.server.url}/api/speeches/export.csv`, { headers: { authorization: `Bearer ${desk.login.token}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/csv')
    const bytes = Buffer.from(await res.arrayBuffer())
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = bytes.toString('utf8')
    expect(text).toContain(`${hall.delegates[0].name},县直机关代表团,个人发言,乡村振兴`)
    const stats = await fetch(`${hall.server.url}/api/speeches/delegations.csv`, { headers: { authorization: `Bearer ${chair.login.token}` } })
    expect((await stats.text()).split('\r\n')[1]).toMatch(/^县直机关代表团,1,0,/)
    const denied = await fetch(`${hall.server.url}/api/speeches/export.csv`, { headers: { authorization: `Bearer ${tablets[0].login.token}` } })
    expect(denied.status).toBe(403)
  })
})
