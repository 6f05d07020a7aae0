// Everything a careless or hostile client can send, on both stores: malformed payloads for every
// command, the wrong roles, unknown ids, replays, floods, oversized and garbled packets, foreign
// origins and missing tokens. Each refusal is the shared ack shape with a Chinese message, nothing is
// written, and the server keeps answering.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { AckError, ErrorCode } from '../../shared/errors'
import { summarize } from '../../shared/domain/quorum'
import type { PublicView, Snapshot, StateChanged } from '../../shared/protocol'
import { schemas, type CommandName } from '../../shared/schemas'
import { connectError, connected, expectRefusal, http, nextEvent, rawClient } from '../helpers/edge'
import { latest, send, startHall, STORE_KINDS, type Client, type Hall } from '../helpers/server'

const COMMANDS = Object.keys(schemas) as CommandName[]
/** What a delegate's tablet may send; everything else is for the desk or the chair. */
const DELEGATE_MAY = new Set<string>([
  'state:sync',
  'attendance:checkIn',
  'attendance:checkOut',
  'ballot:cast',
  // Scrutineers are delegates: they confirm the count on their own tablets.
  'poll:confirm',
  'speakers:request',
  'speakers:withdraw',
])
/** The attendance, roster and card commands: the secretariat's alone. */
const SECRETARIAT_ONLY = [
  'meeting:configure',
  'attendance:undoCheckIn',
  'attendance:registerLeave',
  'attendance:cancelLeave',
  'person:save',
  'credential:issue',
  'credential:revoke',
] as const

const election = { kind: 'election', seats: 1, candidates: [{ name: '张三' }, { name: '李四' }], electionKind: 'committee' }

/** A payload each command's schema accepts, aimed at `id` where it names a person (an untouched
 * delegate); ids of polls, agenda items and speakers need not exist, since roles are checked first. */
function validPayload(name: string, id: string, hall: Hall): unknown {
  const p = hall.server.app.engine.state.persons.get(id)!
  const table: Record<string, unknown> = {
    'state:sync': {},
    'meeting:configure': { selfCheckIn: false },
    'meeting:showAnnouncement': { shown: true },
    'attendance:checkIn': { personId: id },
    'attendance:undoCheckIn': { personId: id },
    'attendance:checkOut': { personId: id },
    'attendance:registerLeave': { personId: id, reason: 'illness' },
    'attendance:cancelLeave': { personId: id },
    'person:save': { ...p, status: 'terminated' },
    'credential:issue': { personIds: [id] },
    'credential:revoke': { personId: id },
    'poll:create': { title: '补选', spec: election },
    'poll:update': { pollId: 'p1', title: '补选', spec: election },
    'poll:cancel': { pollId: 'p1' },
    'poll:open': { pollId: 'p1' },
    'poll:close': { pollId: 'p1' },
    'poll:admit': { pollId: 'p1', personId: id },
    'poll:confirm': { pollId: 'p1' },
    'poll:publish': { pollId: 'p1' },
    'poll:setNextRound': { pollId: 'p1', seats: 1, candidateIds: ['c1', 'c2'] },
    'poll:finish': { pollId: 'p1' },
    'poll:setLiveResults': { pollId: 'p1', live: true },
    'poll:paperEntry': { pollId: 'p1', entry: 1, totals: { returned: 0, invalid: 0, tallies: {}, writeIns: [] } },
    'ballot:cast': { pollId: 'p1', round: 1, ballot: {}, idempotencyKey: 'abcdefgh12' },
    'body:save': { id: 'b1', name: '全委会', memberIds: [id] },
    'body:remove': { bodyId: 'b1' },
    'agenda:add': { type: 'report', title: '审议工作报告' },
    'agenda:update': { itemId: 'a1', title: '审议工作报告' },
    'agenda:move': { itemId: 'a1', position: 0 },
    'agenda:remove': { itemId: 'a1' },
    'agenda:setHidden': { itemId: 'a1', hidden: true },
    'agenda:setCurrent': { itemId: null },
    'agenda:setDone': { itemId: 'a1', done: true },
    'agenda:removeDocument': { itemId: 'a1', documentId: 'doc1' },
    'agenda:showDocument': { documentId: null },
    'speakers:request': { itemId: 'a1' },
    'speakers:withdraw': { itemId: 'a1' },
    'speakers:add': { itemId: 'a1', personId: id },
    'speakers:approve': { speakerId: 's1' },
    'speakers:decline': { speakerId: 's1' },
    'speakers:remove': { speakerId: 's1' },
    'speakers:move': { speakerId: 's1', position: 0 },
    'speakers:next': { itemId: 'a1' },
    'speakers:start': { itemId: 'a1' },
    'speakers:pause': { itemId: 'a1' },
    'speakers:resume': { itemId: 'a1' },
    'speakers:end': { itemId: 'a1' },
    'speakers:setLimit': { speakerId: 's1', limitMs: 300_000 },
    'speakers:setOpen': { itemId: 'a1', open: true },
  }
  return table[name]
}

const HUGE = 'x'.repeat(60 * 1024)
const manyKeys = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, 1]))
let deep: unknown = 'd0001'
for (let i = 0; i < 200; i++) deep = { personId: deep }

/** Wrong for every command: not an object, or an object with keys no command has. */
const GENERIC: Array<[string, unknown]> = [
  ['a string', 'd0001'],
  ['a number', 42],
  ['a boolean', true],
  ['an empty array', []],
  ['an array of the payload', [{ personId: 'd0001' }]],
  ['an unknown key', { bogus: 1 }],
  ['3000 unknown keys', manyKeys],
  ['a __proto__ key', JSON.parse('{"__proto__":{"role":"secretariat"}}')],
  ['a constructor key', { constructor: { prototype: { role: 'secretariat' } } }],
  ['binary', Buffer.from('d0001')],
  ['deep nesting', deep],
  ['a 60 KiB key', { [HUGE]: 1 }],
]

const person = {
  id: 'd0001',
  name: '测试',
  gender: 'M',
  role: 'delegate',
  delegationId: 'g01',
  seat: '1排1座',
  status: 'active',
  votingRight: true,
}
const rule = { num: 1, den: 2, op: 'gt' }
const rules = { general: rule, election: rule, vote: rule, appointment: rule }

/** Wrong in a field: [label, payload, the path the details must name]. */
const SPECIFIC: Record<string, Array<[string, unknown, string]>> = {
  'state:sync': [['any key', { since: 3 }, '(payload)']],
  'meeting:configure': [
    ['an empty name', { name: '  ' }, 'name'],
    ['a 60 KiB name', { name: HUGE }, 'name'],
    ['an unknown meeting type', { type: 'party' }, 'type'],
    ['selfCheckIn as a string', { selfCheckIn: 'yes' }, 'selfCheckIn'],
    ['selfCheckIn null', { selfCheckIn: null }, 'selfCheckIn'],
    ['a quorum above one', { quorum: { ...rules, general: { num: 3, den: 2, op: 'gt' } } }, 'quorum.general'],
    ['a fractional quorum', { quorum: { ...rules, vote: { num: 1.5, den: 2, op: 'gt' } } }, 'quorum.vote.num'],
    ['an unknown comparison', { quorum: { ...rules, election: { num: 1, den: 2, op: 'ge' } } }, 'quorum.election.op'],
    ['a quorum missing a purpose', { quorum: { general: rule, election: rule, vote: rule } }, 'quorum.appointment'],
    ['a quorum rule with an extra key', { quorum: { ...rules, general: { ...rule, min: 3 } } }, 'quorum.general'],
  ],
  'meeting:showAnnouncement': [
    ['no shown flag', {}, 'shown'],
    ['shown as a string', { shown: 'yes' }, 'shown'],
  ],
  'attendance:checkIn': [
    ['a numeric id', { personId: 123 }, 'personId'],
    ['a numeric code', { code: 1234567890123456 }, 'code'],
    ['an empty id', { personId: '' }, 'personId'],
    ['a blank id', { personId: '   ' }, 'personId'],
    ['a 65-character id', { personId: 'd'.repeat(65) }, 'personId'],
    ['a 60 KiB id', { personId: HUGE }, 'personId'],
    ['a 60 KiB code', { code: HUGE }, 'code'],
    ['an empty code', { code: '' }, 'code'],
    ['an id and a code', { personId: 'd0001', code: 'ABCDEFGHJKMNPQRS' }, '(payload)'],
    ['an operator object', { personId: { $ne: null } }, 'personId'],
    ['an id in an array', { personId: ['d0001'] }, 'personId'],
  ],
  'attendance:undoCheckIn': [
    ['no id', {}, 'personId'],
    ['a null id', { personId: null }, 'personId'],
    ['a numeric id', { personId: 1 }, 'personId'],
    ['a 60 KiB id', { personId: HUGE }, 'personId'],
  ],
  'attendance:checkOut': [
    ['a numeric id', { personId: 5 }, 'personId'],
    ['a null id', { personId: null }, 'personId'],
    ['a 60 KiB id', { personId: HUGE }, 'personId'],
  ],
  'attendance:registerLeave': [
    ['no reason', { personId: 'd0001' }, 'reason'],
    ['an unknown reason', { personId: 'd0001', reason: 'vacation' }, 'reason'],
    ['a reason in capitals', { personId: 'd0001', reason: 'ILLNESS' }, 'reason'],
    ['a 60 KiB reason', { personId: 'd0001', reason: HUGE }, 'reason'],
    ['no id', { reason: 'illness' }, 'personId'],
  ],
  'attendance:cancelLeave': [
    ['no id', {}, 'personId'],
    ['a boolean id', { personId: true }, 'personId'],
    ['a 60 KiB id', { personId: HUGE }, 'personId'],
  ],
  'person:save': [
    ['no fields', {}, 'id'],
    ['an unknown role', { ...person, role: 'admin' }, 'role'],
    ['an unknown status', { ...person, status: 'retired' }, 'status'],
    ['votingRight as a string', { ...person, votingRight: 'true' }, 'votingRight'],
    ['a 51-character name', { ...person, name: '王'.repeat(51) }, 'name'],
    ['a 60 KiB name', { ...person, name: HUGE }, 'name'],
    ['a 21-character seat', { ...person, seat: '座'.repeat(21) }, 'seat'],
    ['an unknown gender', { ...person, gender: 'X' }, 'gender'],
    ['an empty delegation id', { ...person, delegationId: '' }, 'delegationId'],
    ['a missing votingRight', { ...person, votingRight: undefined }, 'votingRight'],
    ['an extra key', { ...person, admin: true }, '(payload)'],
  ],
  'credential:issue': [
    ['no ids', { personIds: [] }, 'personIds'],
    ['a string instead of a list', { personIds: 'd0001' }, 'personIds'],
    ['numbers', { personIds: [1, 2] }, 'personIds.0'],
    ['an empty id', { personIds: ['d0001', ''] }, 'personIds.1'],
    ['5001 ids', { personIds: Array.from({ length: 5001 }, (_, i) => `d${i}`) }, 'personIds'],
  ],
  'credential:revoke': [
    ['no id', {}, 'personId'],
    ['a numeric id', { personId: 0 }, 'personId'],
    ['a 60 KiB id', { personId: HUGE }, 'personId'],
  ],
  'poll:create': [
    ['no title', { spec: election }, 'title'],
    ['a 60 KiB title', { title: HUGE, spec: election }, 'title'],
    ['no seats', { title: '补选', spec: { ...election, seats: 0 } }, 'spec.seats'],
    ['no candidates', { title: '补选', spec: { ...election, candidates: [] } }, 'spec.candidates'],
    ['an unknown poll kind', { title: '补选', spec: { ...election, kind: 'referendum' } }, 'spec.kind'],
    ['a 5-second time limit', { title: '补选', spec: election, timeLimitS: 5 }, 'timeLimitS'],
    ['secret as a string', { title: '补选', spec: election, secret: 'yes' }, 'secret'],
    ['51 scrutineers', { title: '补选', spec: election, scrutineers: Array.from({ length: 51 }, (_, i) => `d${i}`) }, 'scrutineers'],
  ],
  'poll:update': [
    ['no poll id', { title: '补选', spec: election }, 'pollId'],
    ['a resolution without a question', { pollId: 'p1', title: '决议', spec: { kind: 'resolution', question: ' ' } }, 'spec.question'],
  ],
  'poll:cancel': [['no poll id', {}, 'pollId']],
  'poll:open': [
    ['no poll id', {}, 'pollId'],
    ['a numeric poll id', { pollId: 1 }, 'pollId'],
  ],
  'poll:close': [['a 60 KiB poll id', { pollId: HUGE }, 'pollId']],
  'poll:admit': [['no person', { pollId: 'p1' }, 'personId']],
  'poll:confirm': [['an extra key', { pollId: 'p1', force: true }, '(payload)']],
  'poll:publish': [['a null poll id', { pollId: null }, 'pollId']],
  'poll:setNextRound': [
    ['no seats', { pollId: 'p1', candidateIds: ['c1'] }, 'seats'],
    ['half a seat', { pollId: 'p1', seats: 1.5, candidateIds: ['c1', 'c2'] }, 'seats'],
    ['no candidates', { pollId: 'p1', seats: 1, candidateIds: [] }, 'candidateIds'],
    ['a candidate twice', { pollId: 'p1', seats: 1, candidateIds: ['c1', 'c1'] }, 'candidateIds'],
  ],
  'poll:finish': [['an extra key', { pollId: 'p1', seats: 1 }, '(payload)']],
  'poll:setLiveResults': [['live as a string', { pollId: 'p1', live: 'yes' }, 'live']],
  'poll:paperEntry': [
    ['a third entry', { pollId: 'p1', entry: 3, totals: { returned: 0, invalid: 0, tallies: {}, writeIns: [] } }, 'entry'],
    ['negative ballots', { pollId: 'p1', entry: 1, totals: { returned: -1, invalid: 0, tallies: {}, writeIns: [] } }, 'totals.returned'],
    [
      'a tally with an extra mark',
      { pollId: 'p1', entry: 1, totals: { returned: 1, invalid: 0, tallies: { c1: { for: 1, against: 0, abstain: 0, spoiled: 1 } }, writeIns: [] } },
      'totals.tallies.c1',
    ],
  ],
  'body:save': [
    ['no name', { id: 'b1', memberIds: [] }, 'name'],
    ['members as a string', { id: 'b1', name: '全委会', memberIds: 'd0001' }, 'memberIds'],
    ['5001 members', { id: 'b1', name: '全委会', memberIds: Array.from({ length: 5001 }, (_, i) => `d${i}`) }, 'memberIds'],
  ],
  'body:remove': [['no body id', {}, 'bodyId']],
  'ballot:cast': [
    ['round zero', { pollId: 'p1', round: 0, ballot: {}, idempotencyKey: 'abcdefgh12' }, 'round'],
    ['a short idempotency key', { pollId: 'p1', round: 1, ballot: {}, idempotencyKey: 'short' }, 'idempotencyKey'],
    ['a key with a slash', { pollId: 'p1', round: 1, ballot: {}, idempotencyKey: '../../etc/passwd' }, 'idempotencyKey'],
    ['no poll id', { round: 1, ballot: {}, idempotencyKey: 'abcdefgh12' }, 'pollId'],
  ],
  'agenda:add': [
    ['an unknown item type', { type: 'party', title: '联欢' }, 'type'],
    ['an empty title', { type: 'report', title: '' }, 'title'],
    ['a 5-second speech limit', { type: 'report', title: '报告', speechLimitMs: 5000 }, 'speechLimitMs'],
    ['a 60 KiB presenter', { type: 'report', title: '报告', presenter: HUGE }, 'presenter'],
  ],
  'agenda:update': [['no item id', { title: '报告' }, 'itemId']],
  'agenda:move': [
    ['a negative position', { itemId: 'a1', position: -1 }, 'position'],
    ['a fractional position', { itemId: 'a1', position: 1.5 }, 'position'],
  ],
  'agenda:remove': [['no item id', {}, 'itemId']],
  'agenda:setHidden': [['hidden as a string', { itemId: 'a1', hidden: 'no' }, 'hidden']],
  'agenda:setCurrent': [
    ['no item id at all', {}, 'itemId'],
    ['finishPrevious as a number', { itemId: 'a1', finishPrevious: 1 }, 'finishPrevious'],
  ],
  'agenda:setDone': [['no done flag', { itemId: 'a1' }, 'done']],
  'agenda:removeDocument': [['no document id', { itemId: 'a1' }, 'documentId']],
  'agenda:showDocument': [['no document id', {}, 'documentId']],
  'speakers:request': [
    ['no item id', { topic: '乡村振兴' }, 'itemId'],
    ['a 201-character topic', { itemId: 'a1', topic: '题'.repeat(201) }, 'topic'],
  ],
  'speakers:withdraw': [['no item id', {}, 'itemId']],
  'speakers:add': [
    ['no person', { itemId: 'a1' }, 'personId'],
    ['a limit over four hours', { itemId: 'a1', personId: 'd0001', limitMs: 4 * 3600_000 + 1 }, 'limitMs'],
  ],
  'speakers:approve': [['no speaker id', {}, 'speakerId']],
  'speakers:decline': [['a numeric speaker id', { speakerId: 3 }, 'speakerId']],
  'speakers:remove': [['no speaker id', {}, 'speakerId']],
  'speakers:move': [['a position as a word', { speakerId: 's1', position: 'first' }, 'position']],
  'speakers:next': [['a numeric speaker id', { itemId: 'a1', speakerId: 5 }, 'speakerId']],
  'speakers:start': [['no item id', {}, 'itemId']],
  'speakers:pause': [['no item id', {}, 'itemId']],
  'speakers:resume': [['an extra key', { itemId: 'a1', at: 0 }, '(payload)']],
  'speakers:end': [['a 60 KiB item id', { itemId: HUGE }, 'itemId']],
  'speakers:setLimit': [['a 9.999-second limit', { speakerId: 's1', limitMs: 9999 }, 'limitMs']],
  'speakers:setOpen': [['no open flag', { itemId: 'a1' }, 'open']],
}

/** What the desk gets for no payload at all (and for null, which socket clients send for "none"):
 * INVALID_PAYLOAD, except for these. */
const EMPTY: Record<string, 'ok'> = {
  'state:sync': 'ok',
  // Nothing to change: acknowledged, nothing written.
  'meeting:configure': 'ok',
}

/** Emits without an ack, whatever the event and payload. */
function fire(socket: Client, event: string, ...args: unknown[]): void {
  ;(socket as unknown as { emit(e: string, ...a: unknown[]): void }).emit(event, ...args)
}

/** Emits with an ack but no payload at all. */
function sendBare(socket: Client, event: string): Promise<unknown> {
  return (socket.timeout(10_000) as unknown as { emitWithAck(e: string): Promise<unknown> }).emitWithAck(event)
}

describe.each(STORE_KINDS)('bad input on %s', (kind) => {
  let hall: Hall
  let desk: Client
  let tablet: Client
  let display: Client
  let chair: Client
  let observer: Client
  /** Tokens of the sockets above: logging these people in again would end those sockets' sessions. */
  const token = { desk: '', tablet: '', display: '', chair: '' }
  const extra: Client[] = []
  const version = () => hall.server.app.engine.version

  /** Another socket on an existing session: a fresh rate-limit bucket for a batch of commands. */
  async function fresh(t: string): Promise<Client> {
    const c = rawClient(hall.server.url, { auth: { token: t } }, extra)
    await connected(c)
    return c
  }
  const freshDesk = () => fresh(token.desk)

  /** Sends each [command, payload] on sockets of the session, a new socket every 30 commands. */
  async function sendAll(t: string, items: Array<[string, unknown]>): Promise<Array<[string, unknown]>> {
    const out: Array<[string, unknown]> = []
    let socket: Client | null = null
    for (let i = 0; i < items.length; i++) {
      if (i % 30 === 0) {
        socket?.close()
        socket = await fresh(t)
      }
      out.push([items[i][0], await send(socket!, items[i][0], items[i][1])])
    }
    socket?.close()
    return out
  }

  beforeAll(async () => {
    hall = await startHall(kind)
    const d = await hall.connect(hall.secretariat.code)
    const t = await hall.connect(hall.delegates[0].code)
    const s = await hall.connect(hall.display.code)
    const c = await hall.connect(hall.chair.code)
    ;[desk, tablet, display, chair] = [d.socket, t.socket, s.socket, c.socket]
    Object.assign(token, { desk: d.login.token, tablet: t.login.token, display: s.login.token, chair: c.login.token })
    observer = (await hall.connect(hall.codes.find((c) => c.role === 'observer')!.code)).socket
  })
  afterAll(async () => {
    for (const c of extra) c.close()
    await hall?.close()
  })

  describe('malformed payloads', () => {
    it('every command in shared/schemas.ts has field-level cases and a valid payload in this file (add new commands here)', () => {
      expect(COMMANDS.filter((n) => !SPECIFIC[n]?.length || validPayload(n, 'd0001', hall) === undefined)).toEqual([])
      for (const n of COMMANDS) expect(schemas[n].safeParse(validPayload(n, 'd0001', hall)).success, n).toBe(true)
    })

    it.each(COMMANDS)('%s: every malformed payload is refused as INVALID_PAYLOAD, naming the field', async (name) => {
      const desk = await freshDesk()
      const v = version()
      for (const [label, payload] of GENERIC) {
        const ack = await send(desk, name, payload)
        const e = expectRefusal(ack, 'INVALID_PAYLOAD')
        expect(e.message.length, `${label}: the message stays readable`).toBeLessThan(2500)
        expect(Array.isArray(e.details), label).toBe(true)
      }
      for (const [label, payload, path] of SPECIFIC[name] ?? []) {
        const e = expectRefusal(await send(desk, name, payload), 'INVALID_PAYLOAD')
        expect((e.details as string[]).join('\n'), label).toContain(`${path}:`)
        expect(e.message.startsWith('请求内容不正确：'), label).toBe(true)
      }
      expect(version()).toBe(v)
    })

    it.each(COMMANDS)('%s: no payload and null payload are read as {}', async (name) => {
      const desk = await freshDesk()
      const v = version()
      for (const ack of [await sendBare(desk, name), await send(desk, name, null)]) {
        if (EMPTY[name] === 'ok') expect(ack).toMatchObject({ ok: true })
        else expectRefusal(ack, 'INVALID_PAYLOAD')
      }
      // meeting:configure with nothing to change writes nothing either.
      expect(version()).toBe(v)
    })

    it('malformed payloads without an ack are dropped silently and change nothing', async () => {
      const v = version()
      for (const name of COMMANDS) {
        // One socket per command, so the rate limit does not drop the later ones unread.
        const desk = await freshDesk()
        for (const [, payload] of GENERIC) fire(desk, name, payload)
        for (const [, payload] of SPECIFIC[name] ?? []) fire(desk, name, payload)
        fire(desk, name)
        // The socket's messages are handled in order: once this answers, all of the above were.
        expect(await send(desk, 'state:sync', {}), name).toMatchObject({ ok: true })
        desk.close()
      }
      expect(version()).toBe(v)
    })

    it('a valid command without an ack is still carried out (keypads that do not wait)', async () => {
      const target = hall.delegates[60]
      fire(desk, 'attendance:checkIn', { personId: target.personId })
      await vi.waitFor(() => expect(hall.server.app.engine.state.attendance.get(target.personId)?.presence).toBe('present'))
    })

    it('system:ping ignores whatever payload comes with it and always answers', async () => {
      const v = version()
      for (const [, payload] of [...GENERIC, ['nothing', undefined], ['null', null]] as Array<[string, unknown]>) {
        const ack = await send<{ serverTime: number }>(tablet, 'system:ping', payload)
        expect(ack).toMatchObject({ ok: true })
        if (ack.ok) expect(Math.abs(ack.data.serverTime - Date.now())).toBeLessThan(5000)
      }
      expect(await sendBare(display, 'system:ping')).toMatchObject({ ok: true })
      fire(tablet, 'system:ping', {})
      expect(version()).toBe(v)
    })

    it('an unknown event is refused as UNKNOWN_COMMAND, naming it (cut short), and without an ack is ignored', async () => {
      const v = version()
      const e = expectRefusal(await send(tablet, 'vote:cast', { choice: 'yes' }), 'UNKNOWN_COMMAND')
      expect(e.message).toBe('不支持的操作：vote:cast')
      expect(e.messages.en).toBe('Unknown command: vote:cast')
      const long = expectRefusal(await send(desk, 'x'.repeat(10_000), {}), 'UNKNOWN_COMMAND')
      expect(long.message.length).toBeLessThan(100)
      expectRefusal(await sendBare(display, 'admin:flush'), 'UNKNOWN_COMMAND')
      fire(tablet, 'nope:nothing', {})
      fire(tablet, 'nope:nothing')
      expect(await send(tablet, 'system:ping', {})).toMatchObject({ ok: true })
      expect(version()).toBe(v)
    })
  })

  describe('wrong roles', () => {
    it('a delegate’s tablet cannot send any desk or chair command, nor check in or out someone else', async () => {
      const v = version()
      const target = hall.delegates[5].personId
      const forbidden = COMMANDS.filter((n) => !DELEGATE_MAY.has(n)).map((n): [string, unknown] => [n, validPayload(n, target, hall)])
      for (const [name, ack] of await sendAll(token.tablet, forbidden)) expect((ack as AckError).code, name).toBe('FORBIDDEN')
      expectRefusal(await send(tablet, 'attendance:checkIn', { personId: target }), 'FORBIDDEN')
      expectRefusal(await send(tablet, 'attendance:checkIn', { code: hall.code(target) }), 'FORBIDDEN')
      expectRefusal(await send(tablet, 'attendance:checkOut', { personId: target }), 'FORBIDDEN')
      const e = expectRefusal(await send(observer, 'credential:issue', { personIds: [target] }), 'FORBIDDEN')
      expect(e.message).toBe('您没有执行此操作的权限')
      expect(version()).toBe(v)
      // The target's card still works: nothing was revoked or reissued behind the refusals.
      expect((await hall.login(hall.code(target))).personId).toBe(target)
    })

    it('the display may only read: every command but state:sync is forbidden; the chair cannot touch attendance, roster or cards', async () => {
      const v = version()
      const target = hall.delegates[6].personId
      const all = COMMANDS.filter((n) => n !== 'state:sync').map((n): [string, unknown] => [n, validPayload(n, target, hall)])
      for (const [name, ack] of await sendAll(token.display, all)) {
        expect((ack as AckError).code, name).toBe('FORBIDDEN')
        expectRefusal(ack, 'FORBIDDEN')
      }
      const desk = [...SECRETARIAT_ONLY, 'attendance:checkIn', 'attendance:checkOut'].map((n): [string, unknown] => [n, validPayload(n, target, hall)])
      for (const [name, ack] of await sendAll(token.chair, desk)) expect((ack as AckError).code, name).toBe('FORBIDDEN')
      for (const socket of [display, chair]) expectRefusal(await send(socket, 'attendance:checkIn', {}), 'FORBIDDEN')
      const sync = await send<Snapshot>(display, 'state:sync', {})
      expect(sync).toMatchObject({ ok: true, data: { kind: 'public', version: v } })
      // The display's view has counts, never the roster.
      if (sync.ok) expect(sync.data.view).not.toHaveProperty('roster')
      expect(await send(chair, 'state:sync', {})).toMatchObject({ ok: true, data: { kind: 'chair' } })
      expect(version()).toBe(v)
    })

    it('validation comes before authorization, so a bad payload from the wrong role is still INVALID_PAYLOAD', async () => {
      expectRefusal(await send(display, 'credential:revoke', { personId: 7 }), 'INVALID_PAYLOAD')
      expectRefusal(await send(tablet, 'person:save', 'x'), 'INVALID_PAYLOAD')
    })
  })

  describe('unknown ids and replays', () => {
    it('unknown persons, delegations and cards are refused by name', async () => {
      const v = version()
      const cases: Array<[CommandName, unknown, ErrorCode, string]> = [
        ['attendance:checkIn', { personId: 'nobody' }, 'PERSON_NOT_FOUND', '找不到该人员：nobody'],
        ['attendance:checkIn', { code: 'ABCD-EFGH-JKMN-PQRS' }, 'UNKNOWN_CARD', '无法识别的证件，请核对'],
        ['attendance:checkIn', { code: '不是证件' }, 'UNKNOWN_CARD', '无法识别的证件，请核对'],
        ['attendance:undoCheckIn', { personId: 'nobody' }, 'PERSON_NOT_FOUND', '找不到该人员：nobody'],
        ['attendance:checkOut', { personId: 'nobody' }, 'PERSON_NOT_FOUND', '找不到该人员：nobody'],
        ['attendance:registerLeave', { personId: 'nobody', reason: 'business' }, 'PERSON_NOT_FOUND', '找不到该人员：nobody'],
        ['attendance:cancelLeave', { personId: 'nobody' }, 'PERSON_NOT_FOUND', '找不到该人员：nobody'],
        ['credential:issue', { personIds: [hall.delegates[7].personId, 'nobody'] }, 'PERSON_NOT_FOUND', '找不到该人员：nobody'],
        ['credential:revoke', { personId: 'nobody' }, 'PERSON_NOT_FOUND', '找不到该人员：nobody'],
        ['person:save', { ...person, delegationId: 'g99' }, 'DELEGATION_NOT_FOUND', '找不到该代表团：g99'],
      ]
      for (const [name, payload, code, message] of cases) {
        const e = expectRefusal(await send(desk, name, payload), code)
        expect(e.message, name).toBe(message)
      }
      expect(version()).toBe(v)
      // credential:issue with one unknown id issued nothing for the known one: the old card still works.
      expect((await hall.login(hall.delegates[7].code)).personId).toBe(hall.delegates[7].personId)
    })

    it('replays are refused and written once: check-in, undo, check-out, leave, cancel, revoke, save', async () => {
      const [a, b, c, d] = hall.delegates.slice(10, 14)
      const name = hall.server.app.engine.state.persons.get(a.personId)!.name
      const once = async (cmd: CommandName, payload: unknown, code: ErrorCode, message?: string) => {
        const v = version()
        expect(await send(desk, cmd, payload), cmd).toMatchObject({ ok: true })
        expect(version()).toBe(v + 1)
        const e = expectRefusal(await send(desk, cmd, payload), code)
        if (message) expect(e.message).toBe(message)
        expect(version()).toBe(v + 1)
      }
      await once('attendance:checkIn', { code: a.code }, 'ALREADY_CHECKED_IN', `${name}已经签到，请勿重复签到`)
      await once('attendance:undoCheckIn', { personId: a.personId }, 'NOTHING_TO_UNDO', `${name}没有可撤销的签到`)
      await once('attendance:registerLeave', { personId: b.personId, reason: 'business' }, 'ALREADY_ON_LEAVE')
      await once('attendance:cancelLeave', { personId: b.personId }, 'NOT_ON_LEAVE')
      await once('attendance:checkIn', { personId: c.personId }, 'ALREADY_CHECKED_IN')
      await once('attendance:checkOut', { personId: c.personId }, 'NOT_CHECKED_IN')
      await once('credential:revoke', { personId: d.personId }, 'NO_CREDENTIAL')
      // Saving the same person twice: the second save changes nothing and writes nothing.
      const p = { ...hall.server.app.engine.state.persons.get(b.personId)!, seat: '99排1座' }
      let v = version()
      expect(await send(desk, 'person:save', p)).toMatchObject({ ok: true })
      expect(version()).toBe(v + 1)
      expect(await send(desk, 'person:save', p)).toMatchObject({ ok: true })
      expect(version()).toBe(v + 1)
      // The tablet's own check-in, twice.
      const own = (await hall.connect(hall.delegates[14].code)).socket
      v = version()
      expect(await send(own, 'attendance:checkIn', {})).toMatchObject({ ok: true })
      expectRefusal(await send(own, 'attendance:checkIn', {}), 'ALREADY_CHECKED_IN')
      expect(version()).toBe(v + 1)
    })
  })

  describe('floods and broken packets', () => {
    it('a tablet flooding 100 commands at once gets RATE_LIMITED for most, one check-in is written, and it recovers', async () => {
      const me = hall.delegates[20]
      const flood = (await hall.connect(me.code)).socket
      const v = version()
      const acks = await Promise.all(Array.from({ length: 100 }, () => send(flood, 'attendance:checkIn', {})))
      const codes = acks.map((a) => (a.ok ? 'ok' : a.code))
      const limited = acks.filter((a) => !a.ok && a.code === 'RATE_LIMITED')
      expect(codes.filter((c) => c === 'ok')).toHaveLength(1)
      expect(limited.length).toBeGreaterThanOrEqual(50)
      expect(codes.filter((c) => c !== 'ok' && c !== 'RATE_LIMITED' && c !== 'ALREADY_CHECKED_IN')).toEqual([])
      expect(limited[0]).toMatchObject({ message: '操作过于频繁，请稍候再试' })
      expectRefusal(limited[0], 'RATE_LIMITED')
      expect(version()).toBe(v + 1)
      // Others are not throttled by one tablet's flood.
      expect(await send(desk, 'state:sync', {})).toMatchObject({ ok: true })
      // And the tablet itself is served again once its bucket refills.
      await vi.waitFor(async () => expect(await send(flood, 'state:sync', {})).toMatchObject({ ok: true }), { timeout: 5000, interval: 100 })
    })

    it('a message over 64 KiB closes that connection without an ack, the server carries on, and the tablet reconnects', async () => {
      const me = hall.delegates[21]
      const { socket } = await hall.connect(me.code)
      const v = version()
      const dropped = nextEvent<string>(socket, 'disconnect')
      const ack = send(socket, 'attendance:checkIn', { code: 'x'.repeat(70 * 1024) })
      await expect(ack).rejects.toThrow()
      expect(await dropped).toBe('transport close')
      expect(version()).toBe(v)
      expect(await send(desk, 'system:ping', {})).toMatchObject({ ok: true })
      // The helper's clients reconnect on their own, as the real ones do, and are served.
      await vi.waitFor(() => expect(socket.connected).toBe(true), { timeout: 5000 })
      expect(await send(socket, 'attendance:checkIn', {})).toMatchObject({ ok: true, data: { personId: me.personId } })
    })

    it('a garbled packet closes only that connection', async () => {
      const { socket } = await hall.connect(hall.delegates[22].code)
      socket.io.reconnection(false)
      const dropped = nextEvent<string>(socket, 'disconnect')
      ;(socket.io as unknown as { engine: { write(s: string): void } }).engine.write('42["attendance:checkIn",{')
      expect(await dropped).toBe('transport close')
      expect(desk.connected).toBe(true)
      expect(await send(desk, 'system:ping', {})).toMatchObject({ ok: true })
    })
  })

  describe('handshake', () => {
    const clients: Client[] = []
    afterAll(() => {
      for (const c of clients) c.close()
    })

    it('without a token: connect_error with code UNAUTHENTICATED and a Chinese message (English on request)', async () => {
      const err = await connectError(rawClient(hall.server.url, {}, clients))
      expect(err.message).toBe('UNAUTHENTICATED')
      expectRefusal(err.data, 'UNAUTHENTICATED')
      expect(err.data!.message).toBe('请先登录')
      const en = await connectError(rawClient(hall.server.url, { auth: { lang: 'en' } }, clients))
      expect(en.data).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Please log in first' })
    })

    it('with a made-up, a too short or a non-string token: UNAUTHENTICATED', async () => {
      for (const auth of [{ token: 'A'.repeat(32) }, { token: 'short' }, { token: 12345678901 }, { token: 'x'.repeat(201) }]) {
        const err = await connectError(rawClient(hall.server.url, { auth }, clients))
        expect(err.data?.code, JSON.stringify(auth).slice(0, 40)).toBe('UNAUTHENTICATED')
      }
    })

    it('from a foreign Origin is refused, over WebSocket and over long-polling', async () => {
      const login = await hall.login(hall.delegates[30].code)
      for (const transports of [['websocket'], ['polling']]) {
        const c = rawClient(hall.server.url, { auth: { token: login.token }, transports, extraHeaders: { origin: 'http://evil.example' } }, clients)
        const err = await connectError(c)
        expect(err, transports[0]).toBeInstanceOf(Error)
        expect(c.connected).toBe(false)
      }
      // The same token from the hall's own pages (no Origin, or the server's own) connects.
      const own = rawClient(hall.server.url, { auth: { token: login.token }, extraHeaders: { origin: hall.server.url } }, clients)
      await connected(own)
    })

    it('over long-polling (WebSocket blocked by a proxy) a client connects and is served', async () => {
      const login = await hall.login(hall.delegates[31].code)
      const c = rawClient(hall.server.url, { auth: { token: login.token }, transports: ['polling'] }, clients)
      const snap = nextEvent<Snapshot>(c, 'state:snapshot')
      await connected(c)
      expect((await snap).me).toMatchObject({ id: hall.delegates[31].personId })
      expect(await send(c, 'system:ping', {})).toMatchObject({ ok: true })
    })
  })

  describe('HTTP', () => {
    it('/api/login refuses bad JSON, a missing or malformed code, an oversized body, and a wrong code', async () => {
      const url = hall.server.url
      const badJson = await http<AckError>(url, '/api/login', { body: '{"code":', headers: { 'content-type': 'application/json' } })
      expect(badJson.status).toBe(400)
      expectRefusal(badJson.body, 'INVALID_PAYLOAD')
      for (const json of [{}, { code: 12345 }, { code: '' }, { code: hall.delegates[0].code, admin: true }, []]) {
        const r = await http<AckError>(url, '/api/login', { json })
        expect(r.status, JSON.stringify(json)).toBe(400)
        expectRefusal(r.body, 'INVALID_PAYLOAD')
      }
      const big = await http<AckError>(url, '/api/login', { json: { code: 'x'.repeat(5000) } })
      expect(big.status).toBe(413)
      expectRefusal(big.body, 'PAYLOAD_TOO_LARGE')
      for (const code of ['ABCD-EFGH-JKMN-PQRS', 'hello', hall.delegates[0].code.slice(0, 15)]) {
        const r = await http<AckError>(url, '/api/login', { json: { code } })
        expect(r.status, code).toBe(401)
        expect(expectRefusal(r.body, 'INVALID_CODE').message).toBe('登录码无效或已作废')
      }
      const en = await http<AckError>(url, '/api/login', { json: { code: 'hello', lang: 'en' } })
      expect(en.body.message).toBe('The login code is invalid or has been revoked')
    })

    it('roster routes need a secretariat token: 401 without or with a bad one, 403 for other roles', async () => {
      const url = hall.server.url
      const csv = '编号,姓名,代表团\r\nx1,新人,县直机关代表团\r\n'
      const routes: Array<[string, string, string | undefined]> = [
        ['POST', '/api/roster/preview', csv],
        ['POST', '/api/roster/import', csv],
        ['POST', '/api/roster/import?mode=replace', csv],
        ['GET', '/api/roster/export.csv', undefined],
      ]
      const delegateToken = (await hall.login(hall.delegates[40].code)).token
      const displayToken = token.display
      const v = version()
      for (const [method, path, body] of routes) {
        const none = await http(url, path, { method, body })
        expect(none.status, `${method} ${path}`).toBe(401)
        expectRefusal(none.body, 'UNAUTHENTICATED')
        const bogus = await http(url, path, { method, body, token: 'A'.repeat(32) })
        expect(bogus.status).toBe(401)
        const basic = await http(url, path, { method, body, headers: { authorization: 'Basic c2VjMTpzZWMx' } })
        expect(basic.status).toBe(401)
        for (const token of [delegateToken, displayToken]) {
          const r = await http(url, path, { method, body, token })
          expect(r.status, `${method} ${path}`).toBe(403)
          expectRefusal(r.body, 'FORBIDDEN')
        }
      }
      expect(version()).toBe(v)
      expect(hall.server.app.engine.state.persons.has('x1')).toBe(false)
      // The chair may read the export (but not import).
      const chairToken = token.chair
      expect((await http(url, '/api/roster/export.csv', { token: chairToken })).status).toBe(200)
      expect((await http(url, '/api/roster/import', { body: csv, token: chairToken })).status).toBe(403)
    })

    it('a POST from a foreign Origin is refused with 403 ORIGIN_NOT_ALLOWED before anything else happens', async () => {
      const url = hall.server.url
      const evil = { origin: 'http://evil.example' }
      const login = await http<AckError>(url, '/api/login', { json: { code: hall.delegates[41].code }, headers: evil })
      expect(login.status).toBe(403)
      expect(expectRefusal(login.body, 'ORIGIN_NOT_ALLOWED').message).toBe('不允许来自该地址的访问')
      const deskToken = token.desk
      const v = version()
      const imp = await http(url, '/api/roster/import', { body: '编号,姓名,代表团\r\nx2,新人,县直机关代表团\r\n', token: deskToken, headers: evil })
      expect(imp.status).toBe(403)
      expectRefusal(imp.body, 'ORIGIN_NOT_ALLOWED')
      expect(version()).toBe(v)
      // A malformed Origin is foreign too; the server's own origin is fine.
      expect((await http(url, '/api/login', { json: { code: 'x' }, headers: { origin: 'null' } })).status).toBe(403)
      const same = await http(url, '/api/login', { json: { code: hall.delegates[41].code }, headers: { origin: url } })
      expect(same.status).toBe(200)
    })

    it('unknown API paths answer 404 in the same shape', async () => {
      const r = await http(hall.server.url, '/api/nothing-here')
      expect(r.status).toBe(404)
      expectRefusal(r.body, 'NOT_FOUND')
    })
  })

  it('after all of the above the server still answers /healthz and carries out a valid command', async () => {
    const health = await http<{ ok: boolean; store: string; events: number }>(hall.server.url, '/healthz')
    expect(health.status).toBe(200)
    expect(health.body).toMatchObject({ ok: true, store: kind, events: version() })
    // The sockets connected at the start are all still there: none of the abuse reached them.
    for (const s of [desk, tablet, display, chair, observer]) expect(s.connected).toBe(true)
    const seen = latest<StateChanged>(display, 'state:changed')
    const before = summarize(hall.server.app.engine.state).total.present
    const target = hall.delegates[100]
    expect(await send(desk, 'attendance:checkIn', { code: target.code.toLowerCase() })).toMatchObject({
      ok: true,
      data: { personId: target.personId },
    })
    await vi.waitFor(() => expect((seen.value?.view as PublicView | undefined)?.attendance.present).toBe(before + 1))
  })
})
