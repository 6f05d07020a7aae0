// Logins as the people in the hall live them, on both stores: one live tablet per delegate, a card
// revoked or reissued by the secretariat, and a tablet that drops off the network and comes back.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CODE_ALPHABET, formatCode } from '../../shared/credentials'
import type { AckError } from '../../shared/errors'
import type { LoginResult, PublicView, RosterPatch, SessionEnded, Snapshot } from '../../shared/protocol'
import { connectError, expectRefusal, http, nextEvent, rawClient } from '../helpers/edge'
import { latest, send, startHall, STORE_KINDS, type Client, type Hall } from '../helpers/server'

const REPLACED: SessionEnded = {
  code: 'SESSION_REPLACED',
  message: '该账号已在另一台设备上登录，本设备已退出',
  messages: {
    zh: '该账号已在另一台设备上登录，本设备已退出',
    en: 'This account has logged in on another device; this device has been signed out',
  },
}
const REVOKED: SessionEnded = {
  code: 'CREDENTIAL_REVOKED',
  message: '您的证件已被作废，本设备已退出，请联系大会秘书处',
  messages: {
    zh: '您的证件已被作废，本设备已退出，请联系大会秘书处',
    en: 'Your card has been revoked and this device signed out; please contact the secretariat',
  },
}

describe.each(STORE_KINDS)('sessions on %s', (kind) => {
  let hall: Hall
  const extra: Client[] = []
  beforeEach(async () => {
    hall = await startHall(kind)
  })
  afterEach(async () => {
    for (const c of extra.splice(0)) c.close()
    await hall.close()
  })

  /** Records every session:ended a socket receives, to show that bystanders get none. */
  function endedLog(socket: Client): SessionEnded[] {
    const log: SessionEnded[] = []
    socket.on('session:ended', (e) => log.push(e))
    return log
  }

  it('a second login ends the first: the old tablet is told why, disconnected, and its token is dead; the new one stays', async () => {
    const me = hall.delegates[0]
    const first = await hall.connect(me.code)
    const bystander = await hall.connect(hall.delegates[1].code)
    const bystanderEnded = endedLog(bystander.socket)
    const ended = nextEvent<SessionEnded>(first.socket, 'session:ended')
    const gone = nextEvent<string>(first.socket, 'disconnect')

    const second = await hall.connect(me.code)
    const secondEnded = endedLog(second.socket)
    expect(await ended).toEqual(REPLACED)
    // The server closed it, so the client does not try to come back on its own.
    expect(await gone).toBe('io server disconnect')

    // The old token can neither reconnect nor call the API.
    const err = await connectError(rawClient(hall.server.url, { auth: { token: first.login.token } }, extra))
    expect(err.message).toBe('SESSION_REPLACED')
    expect(expectRefusal(err.data, 'SESSION_REPLACED').message).toBe(REPLACED.message)
    const api = await http<AckError>(hall.server.url, '/api/roster/export.csv', { token: first.login.token })
    expect(api.status).toBe(401)
    expectRefusal(api.body, 'SESSION_REPLACED')

    // The new session is alive and served; nobody else was touched.
    expect(second.socket.connected).toBe(true)
    expect(await send(second.socket, 'attendance:checkIn', {})).toMatchObject({ ok: true, data: { personId: me.personId } })
    expect(second.socket.connected).toBe(true)
    expect(bystander.socket.connected).toBe(true)
    expect(bystanderEnded).toEqual([])
    expect(secondEnded).toEqual([])
  })

  it('the same holds for the desk: a second secretariat login elsewhere signs the first desk out', async () => {
    const first = await hall.connect(hall.secretariat.code)
    const ended = nextEvent<SessionEnded>(first.socket, 'session:ended')
    const other = hall.codes.find((c) => c.role === 'secretariat' && c.personId !== hall.secretariat.personId)!
    // A different secretariat account does not replace it…
    const colleague = await hall.connect(other.code)
    expect(await send(first.socket, 'state:sync', {})).toMatchObject({ ok: true })
    // …the same account does.
    await hall.connect(hall.secretariat.code)
    expect(await ended).toEqual(REPLACED)
    await vi.waitFor(() => expect(first.socket.connected).toBe(false))
    expect(colleague.socket.connected).toBe(true)
  })

  it('revoking a card signs its holder out, the old code no longer logs in, and the desk scans it as revoked', async () => {
    const victim = hall.delegates[2]
    const name = hall.server.app.engine.state.persons.get(victim.personId)!.name
    const tablet = await hall.connect(victim.code)
    const neighbour = await hall.connect(hall.delegates[3].code)
    const neighbourEnded = endedLog(neighbour.socket)
    const desk = await hall.connect(hall.secretariat.code)
    const patches = latest<RosterPatch>(desk.socket, 'roster:patched')
    const ended = nextEvent<SessionEnded>(tablet.socket, 'session:ended')
    const gone = nextEvent<string>(tablet.socket, 'disconnect')

    const r = await send(desk.socket, 'credential:revoke', { personId: victim.personId })
    expect(r).toMatchObject({ ok: true, data: { personId: victim.personId, name } })
    expect(await ended).toEqual(REVOKED)
    expect(await gone).toBe('io server disconnect')

    const login = await http<AckError>(hall.server.url, '/api/login', { json: { code: victim.code } })
    expect(login.status).toBe(401)
    expect(expectRefusal(login.body, 'INVALID_CODE').message).toBe('登录码无效或已作废')
    const again = await connectError(rawClient(hall.server.url, { auth: { token: tablet.login.token } }, extra))
    expect(again.data?.code).toBe('UNAUTHENTICATED')

    const scan = await send(desk.socket, 'attendance:checkIn', { code: formatCode(victim.code) })
    expect(expectRefusal(scan, 'CARD_REVOKED').message).toBe(`该证件已作废（${name}），请使用新证件`)
    // The desk's roster shows the person without a card.
    await vi.waitFor(() =>
      expect(patches.value?.rows.find((row) => row.id === victim.personId)).toMatchObject({ hasCredential: false }),
    )
    expect(neighbour.socket.connected).toBe(true)
    expect(neighbourEnded).toEqual([])
  })

  it('credential:issue hands out fresh codes that log in; the replaced codes do not', async () => {
    const [a, b] = hall.delegates.slice(4, 6)
    const desk = await hall.connect(hall.secretariat.code)
    // b's card was revoked earlier: issuing gives b a card again.
    expect(await send(desk.socket, 'credential:revoke', { personId: b.personId })).toMatchObject({ ok: true })
    const r = await send<{ issued: Array<{ personId: string; name: string; role: string; code: string }> }>(desk.socket, 'credential:issue', {
      personIds: [a.personId, b.personId],
    })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    const issued = r.data.issued
    expect(issued.map((i) => i.personId)).toEqual([a.personId, b.personId])
    for (const card of issued) {
      expect(card.role).toBe('delegate')
      expect(card.code).toHaveLength(16)
      expect([...card.code].every((ch) => CODE_ALPHABET.includes(ch))).toBe(true)
      expect([a.code, b.code]).not.toContain(card.code)
    }
    expect(issued[0].code).not.toBe(issued[1].code)

    for (const card of issued) {
      const login = await http<{ ok: true; data: LoginResult }>(hall.server.url, '/api/login', { json: { code: formatCode(card.code).toLowerCase() } })
      expect(login.status).toBe(200)
      expect(login.body.data).toMatchObject({ personId: card.personId, name: card.name, role: 'delegate' })
    }
    for (const old of [a.code, b.code]) {
      const login = await http<AckError>(hall.server.url, '/api/login', { json: { code: old } })
      expect(login.status).toBe(401)
      expectRefusal(login.body, 'INVALID_CODE')
    }
    const tablet = await hall.connect(issued[0].code)
    expect(tablet.snapshot.me).toMatchObject({ id: a.personId, presence: 'absent' })
    expect(await send(desk.socket, 'attendance:checkIn', { code: issued[1].code })).toMatchObject({ ok: true, data: { personId: b.personId } })
    expectRefusal(await send(desk.socket, 'attendance:checkIn', { code: a.code }), 'CARD_REVOKED')
  })

  it('reissuing a card signs out the tablet that logged in with the old one (a lost card found by someone else)', async () => {
    const owner = hall.delegates[6]
    const finder = await hall.connect(owner.code)
    const ended = nextEvent<SessionEnded>(finder.socket, 'session:ended')
    const desk = await hall.connect(hall.secretariat.code)
    const r = await send<{ issued: Array<{ code: string }> }>(desk.socket, 'credential:issue', { personIds: [owner.personId] })
    expect(r.ok).toBe(true)
    expect(await ended).toEqual(REVOKED)
    await vi.waitFor(() => expect(finder.socket.connected).toBe(false))
    const again = await connectError(rawClient(hall.server.url, { auth: { token: finder.login.token } }, extra))
    expect(again.data?.code).toBe('UNAUTHENTICATED')
    // The owner logs in with the new card.
    if (r.ok) expect((await hall.connect(r.data.issued[0].code)).snapshot.me).toMatchObject({ id: owner.personId })
  })

  it('a tablet that loses its connection reconnects on its own and gets a fresh snapshot with what happened meanwhile', async () => {
    const me = hall.delegates[7]
    const tablet = await hall.connect(me.code)
    const display = await hall.connect(hall.display.code)
    const desk = await hall.connect(hall.secretariat.code)
    expect(tablet.snapshot.me).toMatchObject({ presence: 'absent', canVote: false })
    expect((tablet.snapshot.view as PublicView).attendance.present).toBe(0)
    const v0 = tablet.snapshot.version

    const snapshots: Snapshot[] = []
    tablet.socket.on('state:snapshot', (s) => snapshots.push(s))
    const gone = nextEvent<string>(tablet.socket, 'disconnect')
    // The hall's Wi-Fi drops this tablet: its transport closes under it.
    tablet.socket.io.engine.close()
    expect(await gone).not.toBe('io server disconnect')

    // Meanwhile the desk checks the delegate in (and someone else too).
    expect(await send(desk.socket, 'attendance:checkIn', { personId: me.personId })).toMatchObject({ ok: true })
    expect(await send(desk.socket, 'attendance:checkIn', { personId: hall.delegates[8].personId })).toMatchObject({ ok: true })
    expect(tablet.socket.connected).toBe(false)
    const version = hall.server.app.engine.version
    expect(version).toBe(v0 + 2)

    await vi.waitFor(() => expect(snapshots).toHaveLength(1), { timeout: 5000 })
    const snap = snapshots[0]
    expect(snap.kind).toBe('public')
    expect(snap.version).toBe(version)
    expect((snap.view as PublicView).attendance.present).toBe(2)
    expect(snap.me).toMatchObject({ id: me.personId, presence: 'present', canVote: true })
    // The same session: the display was not disturbed, and the tablet is served again.
    expect(display.socket.connected).toBe(true)
    expect(await send<Snapshot>(tablet.socket, 'state:sync', {})).toMatchObject({ ok: true, data: { version } })
    expectRefusal(await send(tablet.socket, 'attendance:checkIn', {}), 'ALREADY_CHECKED_IN')
  })

  it('a delegate terminated during the session keeps the tablet but cannot check in on it', async () => {
    const me = hall.delegates[9]
    const tablet = await hall.connect(me.code)
    tablet.socket.io.reconnection(false)
    const desk = await hall.connect(hall.secretariat.code)
    // Terminated, the delegate is still on the roster: the session stays, the check-in is refused.
    const p = hall.server.app.engine.state.persons.get(me.personId)!
    expect(await send(desk.socket, 'person:save', { ...p, status: 'terminated' })).toMatchObject({ ok: true })
    expectRefusal(await send(tablet.socket, 'attendance:checkIn', {}), 'NOT_ACTIVE')
  })
})
