// `npm run setup`: a real meeting in an empty store, with the staff accounts and their codes; the
// server then starts on it without the demo, the secretariat logs in with its code and imports the
// roster. A store that holds a meeting is refused and left as it was.
import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { setupMeeting } from '../../server/cli/setup'
import { defaultConfig } from '../../server/config'
import { credentialsFile } from '../../server/seed'
import type { DeskView } from '../../shared/domain/views'
import { importRoster, rosterCsv } from '../helpers/ballots'
import { connectAt, loginAt, startServer, storeHandle, STORE_KINDS, type StoreHandle, type TestServer } from '../helpers/server'

describe.each(STORE_KINDS)('npm run setup on %s', (kind) => {
  let handle: StoreHandle
  let server: TestServer | null = null
  afterEach(async () => {
    await server?.close()
    server = null
    await handle.cleanup()
  })

  it('creates the meeting and the staff accounts; the desk logs in and imports the roster; a second setup changes nothing', async () => {
    handle = storeHandle(kind)
    const config = defaultConfig(handle.config)
    const name = '中共某县第一次代表大会第一次会议'
    const r = await setupMeeting(config, name, 'plenary')
    expect(r.codes.map((c) => c.personId)).toEqual(['chair', 'sec1', 'sec2', 'display1'])
    const file = JSON.parse(fs.readFileSync(credentialsFile(config.dataDir), 'utf8')) as { meeting: string; codes: Array<{ code: string }> }
    expect(file.meeting).toBe(name)
    expect(file.codes.map((c) => c.code)).toEqual(r.codes.map((c) => c.code))
    expect(fs.statSync(credentialsFile(config.dataDir)).mode & 0o077).toBe(0)

    await expect(setupMeeting(config, '另一个会议', 'congress')).rejects.toThrow(/already holds a meeting \(中共某县第一次代表大会第一次会议\)/)
    await expect(setupMeeting(config, '  ', 'congress')).rejects.toThrow(/--name/)

    server = await startServer(handle)
    const engine = server.app.engine
    expect(engine.state.meeting).toMatchObject({ name, type: 'plenary', quorum: { election: { num: 2, den: 3, op: 'gt' } } })
    expect([...engine.state.persons.keys()].sort()).toEqual(['chair', 'display1', 'sec1', 'sec2'])

    const sec1 = r.codes.find((c) => c.personId === 'sec1')!
    const login = await loginAt(server.url, sec1.code)
    expect(login).toMatchObject({ personId: 'sec1', role: 'secretariat' })
    const { csv } = rosterCsv(30)
    await importRoster(server.url, login.token, csv)
    const desk = await connectAt(server.url, sec1.code)
    try {
      const view = desk.snapshot.view as DeskView
      expect(view.meeting?.name).toBe(name)
      expect(view.attendance.shouldAttend).toBe(30)
      expect(view.roster.filter((p) => p.role === 'delegate')).toHaveLength(30)
    } finally {
      desk.socket.disconnect()
    }
    // The chair's code works too; the demo was never seeded.
    expect(await loginAt(server.url, r.codes.find((c) => c.personId === 'chair')!.code)).toMatchObject({ role: 'chair' })
    expect(engine.state.persons.has('d0001')).toBe(false)
  })
})
