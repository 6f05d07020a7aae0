// Resolution votes (open and secret), a full-committee appointment vote and a democratic evaluation,
// through real sockets on both stores: who may vote, when results show, and what they say.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { PollView } from '../../shared/domain/poll-views'
import type { AppointmentCount, EvaluationCount, ResolutionCount } from '../../shared/domain/votes'
import type { ChairView, PublicView, StateChanged } from '../../shared/protocol'
import { checkInDirect, idemKey, latest, send, startHall, STORE_KINDS, type Client, type Hall } from '../helpers/server'

describe.each(STORE_KINDS)('votes on %s', (kind) => {
  let hall: Hall
  beforeEach(async () => {
    hall = await startHall(kind)
  })
  afterEach(async () => {
    await hall.close()
  })

  async function create(chair: Client, payload: Record<string, unknown>): Promise<string> {
    const r = await send<{ pollId: string }>(chair, 'poll:create', payload)
    if (!r.ok) throw new Error(JSON.stringify(r))
    return r.data.pollId
  }

  it('the chair shows or hides a named vote\'s running tally in the hall; never a secret one\'s', async () => {
    const chair = await hall.connect(hall.chair.code)
    const pollId = await create(chair.socket, { title: '关于议程的表决', spec: { kind: 'resolution', question: '同意本次会议议程' }, secret: false })
    const voters = hall.delegates.slice(0, 140)
    await checkInDirect(hall.server.app, voters.map((d) => d.personId))
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const display = await hall.connect(hall.display.code)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    const tablets = await Promise.all(voters.slice(0, 5).map((d) => hall.connect(d.code)))
    for (const t of tablets) expect((await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { mark: 'for' }, idempotencyKey: idemKey() })).ok).toBe(true)
    const shown = () => ((seen.value?.view ?? display.snapshot.view) as PublicView).polls.find((x) => x.id === pollId) as PollView
    await vi.waitFor(() => expect(shown().round).toMatchObject({ turnout: 5 }))
    expect(shown().result).toBeNull()
    // A delegate may not switch it on.
    expect(await send(tablets[0].socket, 'poll:setLiveResults', { pollId, live: true })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(await send(chair.socket, 'poll:setLiveResults', { pollId, live: true })).toEqual({ ok: true, data: { pollId, live: true } })
    await vi.waitFor(() => expect(shown().result?.count).toEqual({ live: { for: 5 } }))
    expect(shown().liveResults).toBe(true)
    expect(await send(chair.socket, 'poll:setLiveResults', { pollId, live: false })).toEqual({ ok: true, data: { pollId, live: false } })
    await vi.waitFor(() => expect(shown().result).toBeNull())

    const secret = await create(chair.socket, { title: '无记名表决', spec: { kind: 'resolution', question: '同意' }, secret: true })
    const refused = await send(chair.socket, 'poll:setLiveResults', { pollId: secret, live: true })
    expect(refused).toMatchObject({ ok: false, code: 'POLL_IS_SECRET', message: '“无记名表决”是无记名投票，投票期间只显示投票人数' })
    expect(hall.server.app.engine.state.polls.get(secret)!.liveResults).toBe(false)
  })

  it('an open resolution vote shows a live tally, per delegation for the chair, and passes on more than half of 251', async () => {
    const chair = await hall.connect(hall.chair.code)
    const pollId = await create(chair.socket, {
      title: '关于县委工作报告的决议',
      spec: { kind: 'resolution', question: '通过县委工作报告的决议' },
      secret: false,
      liveResults: true,
    })
    const voters = hall.delegates.slice(0, 140)
    await checkInDirect(hall.server.app, voters.map((d) => d.personId))
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const display = await hall.connect(hall.display.code)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    const chairSeen = latest<StateChanged>(chair.socket, 'state:changed')
    const tablets = await Promise.all(voters.slice(0, 130).map((d) => hall.connect(d.code)))
    const acks = await Promise.all(
      tablets.map((t, i) => send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { mark: i < 126 ? 'for' : 'against' }, idempotencyKey: idemKey() })),
    )
    expect(acks.every((a) => a.ok)).toBe(true)
    // The same ack as a secret ballot's (PROTOCOL: ballot:cast), so a keypad handles both alike.
    expect(acks[0]).toEqual({ ok: true, data: { pollId, round: 1, received: true } })
    await vi.waitFor(() => {
      const p = (seen.value?.view as PublicView).polls.find((x) => x.id === pollId) as PollView
      expect(p.result?.count).toEqual({ live: { for: 126, against: 4 } })
    })
    await vi.waitFor(() => {
      const p = (chairSeen.value?.view as ChairView).polls.find((x) => x.id === pollId) as PollView
      const rows = p.byDelegation!
      expect(rows.reduce((n, r) => n + (r.tally.for ?? 0) + (r.tally.against ?? 0), 0)).toBe(130)
      expect(rows.reduce((n, r) => n + r.notVoted, 0)).toBe(10)
    })
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    await vi.waitFor(() => {
      const p = (seen.value?.view as PublicView).polls.find((x) => x.id === pollId) as PollView
      expect(p.result?.published).toBe(true)
      expect(p.result?.count as ResolutionCount).toMatchObject({ for: 126, against: 4, passed: true })
    })
    // The named list is exportable afterwards.
    const named = await fetch(`${hall.server.url}/api/polls/${pollId}/rounds/1/named.csv`, { headers: { authorization: `Bearer ${chair.login.token}` } })
    const csv = await named.text()
    expect(csv).toContain(voters[0].name)
    expect(csv).toContain('赞成')
    expect(csv).toContain('未投票')
  })

  it('a full-committee appointment vote: the electorate is the committee, quorum two thirds, a deferred nominee fails', async () => {
    const desk = await hall.connect(hall.secretariat.code)
    const members = hall.delegates.slice(0, 30)
    expect((await send(desk.socket, 'body:save', { id: 'committee', name: '县委全体委员', memberIds: members.map((m) => m.personId) })).ok).toBe(true)
    const chair = await hall.connect(hall.chair.code)
    const pollId = await create(chair.socket, {
      title: '全委会票决',
      bodyId: 'committee',
      spec: {
        kind: 'appointment',
        nominees: [
          { name: members[0].name, personId: members[0].personId, position: '县某局局长' },
          { name: '外部人选', position: '县某办主任' },
        ],
      },
    })
    // 19 of 30 present: below two thirds.
    await checkInDirect(hall.server.app, members.slice(0, 19).map((m) => m.personId))
    expect(await send(chair.socket, 'poll:open', { pollId })).toMatchObject({ ok: false, code: 'QUORUM_NOT_MET' })
    await checkInDirect(hall.server.app, [members[19].personId, hall.delegates[100].personId])
    const opened = await send<{ issued: number }>(chair.socket, 'poll:open', { pollId })
    expect(opened).toMatchObject({ ok: true, data: { issued: 20 } })

    // A delegate who is not on the committee may not vote.
    const outsider = await hall.connect(hall.delegates[100].code)
    const p0 = hall.server.app.engine.state.polls.get(pollId)!
    const [n1, n2] = p0.spec.kind === 'appointment' ? p0.spec.nominees.map((n) => n.id) : []
    expect(await send(outsider.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks: { [n1]: 'agree', [n2]: 'agree' } }, idempotencyKey: idemKey() })).toMatchObject({
      ok: false,
      code: 'NOT_ELIGIBLE',
    })
    const tablets = await Promise.all(members.slice(0, 20).map((m) => hall.connect(m.code)))
    // The nominee votes too. 16 agree with n1 (16 > 15): passes; n2 gets 15 agree (not more than half), 5 defer.
    const acks = await Promise.all(
      tablets.map((t, i) =>
        send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks: { [n1]: i < 16 ? 'agree' : 'disagree', [n2]: i < 15 ? 'agree' : 'defer' } }, idempotencyKey: idemKey() }),
      ),
    )
    expect(acks.every((a) => a.ok)).toBe(true)
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    const view = (await send<{ view: ChairView }>(chair.socket, 'state:sync', {})) as { ok: true; data: { view: ChairView } }
    const pv = view.data.view.polls.find((x) => x.id === pollId)!
    expect(pv.recused).toEqual([n1])
    const count = pv.result!.count as AppointmentCount
    expect(count).toMatchObject({ issued: 20, returned: 20, base: 30 })
    expect(count.results.find((r) => r.id === n1)).toMatchObject({ agree: 16, disagree: 4, passed: true })
    expect(count.results.find((r) => r.id === n2)).toMatchObject({ agree: 15, third: 5, passed: false })
  })

  it('a democratic evaluation reports counts and percentages of ballots returned, ranked, only after publication', async () => {
    const chair = await hall.connect(hall.chair.code)
    const pollId = await create(chair.socket, {
      title: '民主测评',
      spec: { kind: 'evaluation', subjects: [{ name: '县委常委会' }, { name: '县纪委常委会' }], scale: ['满意', '比较满意', '基本满意', '不满意'] },
    })
    await checkInDirect(hall.server.app, hall.delegates.slice(0, 130).map((d) => d.personId))
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const display = await hall.connect(hall.display.code)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    const tablets = await Promise.all(hall.delegates.slice(0, 10).map((d) => hall.connect(d.code)))
    const p = hall.server.app.engine.state.polls.get(pollId)!
    const [s1, s2] = p.spec.kind === 'evaluation' ? p.spec.subjects.map((x) => x.id) : []
    for (const [i, t] of tablets.entries()) {
      const ballot = { grades: { [s1]: i < 8 ? 0 : 1, [s2]: i < 5 ? 0 : i < 9 ? 3 : null } }
      expect((await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot, idempotencyKey: idemKey() })).ok).toBe(true)
    }
    await vi.waitFor(() => {
      const pv = (seen.value?.view as PublicView).polls.find((x) => x.id === pollId)!
      expect(pv.round?.turnout).toBe(10)
      expect(pv.result).toBeNull()
    })
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    await vi.waitFor(() => {
      const pv = (seen.value?.view as PublicView).polls.find((x) => x.id === pollId)!
      const c = pv.result?.count as EvaluationCount
      expect(c.returned).toBe(10)
      expect(c.results[0]).toMatchObject({ id: s1, rank: 1, counts: [8, 2, 0, 0], pct: [80, 20, 0, 0] })
      expect(c.results[1]).toMatchObject({ id: s2, rank: 2, counts: [5, 0, 0, 4], abstain: 1 })
    })
  })
})
