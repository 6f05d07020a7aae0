// A by-election from the tablets to the published result, on both stores: the chair opens it only
// with a quorum, delegates vote once each, the count follows DOMAIN.md, the scrutineers confirm and
// only then can the chair publish.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ElectionCount } from '../../shared/domain/elections'
import type { PollView } from '../../shared/domain/poll-views'
import type { PublicView, StateChanged } from '../../shared/protocol'
import { io as ioc } from 'socket.io-client'
import { compareNamesByStrokes } from '../../server/strokes'
import { checkInDirect, idemKey, latest, send, startHall, STORE_KINDS, type Client, type Hall } from '../helpers/server'

describe.each(STORE_KINDS)('election on %s', (kind) => {
  let hall: Hall
  beforeEach(async () => {
    hall = await startHall(kind)
  })
  afterEach(async () => {
    await hall.close()
  })

  async function setUp(seats = 1) {
    const chair = await hall.connect(hall.chair.code)
    const [s1, s2] = hall.delegates.slice(240, 242)
    const created = await send<{ pollId: string; spec: { candidates: Array<{ id: string; name: string }> } }>(chair.socket, 'poll:create', {
      title: '补选县委委员',
      spec: {
        kind: 'election',
        seats,
        electionKind: 'committee',
        candidates: [{ name: '王建国', personId: hall.delegates[0].personId }, { name: '李红梅' }, { name: '丁一' }],
      },
      scrutineers: [s1.personId, s2.personId],
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    return { chair, pollId: created.data.pollId, candidates: created.data.spec.candidates, scrutineers: [s1, s2] }
  }

  /** setUp, 130 delegates checked in, and the round open. */
  async function openRound() {
    const poll = await setUp()
    const voters = hall.delegates.slice(0, 130)
    await checkInDirect(hall.server.app, voters.map((d) => d.personId))
    expect((await send(poll.chair.socket, 'poll:open', { pollId: poll.pollId })).ok).toBe(true)
    return { ...poll, voters }
  }

  it('runs a round from opening to publication', async () => {
    const { chair, pollId, candidates, scrutineers } = await setUp()
    // Listed by surname strokes: 丁 (2) before 王 (4) before 李 (7).
    expect(candidates.map((c) => c.name)).toEqual(['丁一', '王建国', '李红梅'])

    const noQuorum = await send(chair.socket, 'poll:open', { pollId })
    expect(noQuorum).toMatchObject({ ok: false, code: 'QUORUM_NOT_MET' })

    const voters = hall.delegates.slice(0, 130)
    await checkInDirect(hall.server.app, [...voters, ...scrutineers].map((d) => d.personId))
    const display = await hall.connect(hall.display.code)
    const seen = latest<StateChanged>(display.socket, 'state:changed')
    const opened = await send<{ issued: number; round: number }>(chair.socket, 'poll:open', { pollId })
    expect(opened).toMatchObject({ ok: true, data: { issued: 132, round: 1 } })

    const wang = candidates.find((c) => c.name === '王建国')!.id
    const tablets = await Promise.all(voters.slice(0, 12).map((d) => hall.connect(d.code)))
    const results = await Promise.all(
      tablets.map((t, i) => {
        const marks = Object.fromEntries(candidates.map((c) => [c.id, c.id === wang ? (i < 10 ? 'for' : 'against') : 'abstain']))
        return send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: idemKey() })
      }),
    )
    expect(results.every((r) => r.ok)).toBe(true)
    // During the round the display sees turnout only.
    await vi.waitFor(() => {
      const p = (seen.value?.view as PublicView).polls.find((x) => x.id === pollId)!
      expect(p.round).toMatchObject({ status: 'open', issued: 132, turnout: 12 })
      expect(p.result).toBeNull()
    })

    const again = await send(tablets[0].socket, 'ballot:cast', {
      pollId,
      round: 1,
      ballot: { marks: Object.fromEntries(candidates.map((c) => [c.id, 'for'])), writeIns: [] },
      idempotencyKey: idemKey(),
    })
    expect(again).toMatchObject({ ok: false, code: 'ALREADY_VOTED', message: '您已经投过票，选票提交后不能更改' })

    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    const publishEarly = await send(chair.socket, 'poll:publish', { pollId })
    expect(publishEarly).toMatchObject({ ok: false, code: 'NOT_CONFIRMED' })
    expect((display.snapshot.view as PublicView).polls.find((x) => x.id === pollId)?.result ?? null).toBeNull()

    for (const s of scrutineers) {
      const t = await hall.connect(s.code)
      const r = await send(t.socket, 'poll:confirm', { pollId })
      expect(r.ok).toBe(true)
    }
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    await vi.waitFor(() => {
      const p = (seen.value?.view as PublicView).polls.find((x) => x.id === pollId) as PollView
      expect(p.result?.published).toBe(true)
      const count = p.result!.count as ElectionCount
      expect(count).toMatchObject({ returned: 12, issued: 132, valid: 12, invalid: 0, base: 251, threshold: 126, outcome: 'shortfall' })
      expect(count.results.find((r) => r.id === wang)).toMatchObject({ for: 10, against: 2, elected: false })
    })
  })

  it('exports the anonymised ballots, which verify against the log and fail when altered', async () => {
    const { chair, pollId, candidates, voters } = await openRound()
    const writeIn = hall.delegates[200].personId
    const tablets = await Promise.all(voters.slice(0, 8).map((d) => hall.connect(d.code)))
    for (const [i, t] of tablets.entries()) {
      const marks = Object.fromEntries(candidates.map((c, j) => [c.id, (i + j) % 3 === 0 ? 'for' : i % 2 ? 'against' : 'abstain']))
      const ballot = { marks, writeIns: i === 1 ? [writeIn] : [] }
      expect((await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot, idempotencyKey: idemKey() })).ok).toBe(true)
    }
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    const res = await fetch(`${hall.server.url}/api/polls/${pollId}/rounds/1/ballots.json`, {
      headers: { authorization: `Bearer ${chair.login.token}` },
    })
    expect(res.status).toBe(200)
    const x = await res.json()
    expect(x.ballots).toHaveLength(8)
    expect(x.names[writeIn]).toBe(hall.delegates[200].name)
    // No voter id anywhere in the export.
    const text = JSON.stringify(x.ballots)
    for (const v of voters.slice(0, 8)) expect(text).not.toContain(v.personId)
    const { verifyExport } = await import('../../shared/domain/ballot-export')
    const { createHash } = await import('node:crypto')
    const sha = (s: string) => createHash('sha256').update(s).digest('hex')
    expect(verifyExport(x, sha)).toMatchObject({ ok: true, problems: [] })
    const tampered = structuredClone(x)
    tampered.ballots[0].marks[candidates[0].id] = tampered.ballots[0].marks[candidates[0].id] === 'for' ? 'against' : 'for'
    const bad = verifyExport(tampered, sha)
    expect(bad.ok).toBe(false)
    expect(bad.problems.join(' ')).toContain('hash')

    // Before publication a delegate who is not a scrutineer may not fetch them.
    const nosy = await hall.connect(hall.delegates[100].code)
    const denied = await fetch(`${hall.server.url}/api/polls/${pollId}/rounds/1/ballots.csv`, {
      headers: { authorization: `Bearer ${nosy.login.token}` },
    })
    expect(denied.status).toBe(403)
  })

  it('a paper round is counted from two independent entries that must agree', async () => {
    const chair = await hall.connect(hall.chair.code)
    const created = await send<{ pollId: string; spec: { candidates: Array<{ id: string; name: string }> } }>(chair.socket, 'poll:create', {
      title: '纸质补选',
      mode: 'paper',
      spec: { kind: 'election', seats: 1, electionKind: 'committee', candidates: [{ name: '王建国' }, { name: '李红梅' }] },
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    const { pollId } = created.data
    const [c1, c2] = created.data.spec.candidates
    await checkInDirect(hall.server.app, hall.delegates.slice(0, 200).map((d) => d.personId))
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const tablet = await hall.connect(hall.delegates[0].code)
    const cast = await send(tablet.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks: { [c1.id]: 'for', [c2.id]: 'for' }, writeIns: [] }, idempotencyKey: idemKey() })
    expect(cast).toMatchObject({ ok: false, code: 'POLL_IS_PAPER' })

    const [sec1, sec2] = hall.codes.filter((c) => c.role === 'secretariat')
    const t1 = await hall.connect(sec1.code)
    const t2 = await hall.connect(sec2.code)
    const totals = { returned: 198, invalid: 3, tallies: { [c1.id]: { for: 130, against: 40, abstain: 25 }, [c2.id]: { for: 60, against: 100, abstain: 35 } }, writeIns: [] }
    expect(await send(t1.socket, 'poll:paperEntry', { pollId, entry: 1, totals })).toMatchObject({ ok: true, data: { differences: null } })
    const same = await send(t1.socket, 'poll:paperEntry', { pollId, entry: 2, totals })
    expect(same).toMatchObject({ ok: false, code: 'PAPER_SAME_PERSON' })
    const wrong = structuredClone(totals)
    wrong.tallies[c2.id].for = 61
    wrong.tallies[c2.id].against = 99
    expect(await send(t2.socket, 'poll:paperEntry', { pollId, entry: 2, totals: wrong })).toMatchObject({ ok: true, data: { differences: ['李红梅'] } })
    const mismatch = await send(chair.socket, 'poll:close', { pollId })
    expect(mismatch).toMatchObject({ ok: false, code: 'PAPER_MISMATCH' })
    expect((mismatch as { message: string }).message).toContain('李红梅')
    const nonsense = await send(t2.socket, 'poll:paperEntry', { pollId, entry: 2, totals: { ...totals, invalid: 199 } })
    expect(nonsense).toMatchObject({ ok: false, code: 'PAPER_INVALID' })
    expect(await send(t2.socket, 'poll:paperEntry', { pollId, entry: 2, totals })).toMatchObject({ ok: true, data: { differences: [] } })
    const sync = (await send<{ view: PublicView }>(chair.socket, 'state:sync', {})) as { ok: true; data: { view: PublicView } }
    expect(sync.data.view.polls.find((x) => x.id === pollId)?.paper).toEqual({ entered: [1, 2], by: { 1: sec1.personId, 2: sec2.personId }, agree: true })
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    const count = hall.server.app.engine.state.polls.get(pollId)!.rounds[0].count as ElectionCount
    // 王建国 130 > 125.5 of 251 should attend: elected; 李红梅 60 is not.
    expect(count).toMatchObject({ returned: 198, issued: 200, valid: 195, invalid: 3, outcome: 'complete', elected: [c1.id] })
  })

  /** A paper election counted from two agreeing entries and published: quick rounds with any outcome. */
  async function paperRound(seats: number, names: string[], totalsOf: (ids: Record<string, string>) => object, checkIn = true) {
    const chair = await hall.connect(hall.chair.code)
    const created = await send<{ pollId: string; spec: { candidates: Array<{ id: string; name: string }> } }>(chair.socket, 'poll:create', {
      title: '补选委员',
      mode: 'paper',
      spec: { kind: 'election', seats, electionKind: 'committee', candidates: names.map((name) => ({ name })) },
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    const { pollId } = created.data
    const ids = Object.fromEntries(created.data.spec.candidates.map((c) => [c.name, c.id]))
    if (checkIn) await checkInDirect(hall.server.app, hall.delegates.slice(0, 200).map((d) => d.personId))
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const [sec1, sec2] = hall.codes.filter((c) => c.role === 'secretariat')
    const t1 = await hall.connect(sec1.code)
    const t2 = await hall.connect(sec2.code)
    const totals = totalsOf(ids)
    expect((await send(t1.socket, 'poll:paperEntry', { pollId, entry: 1, totals })).ok).toBe(true)
    expect((await send(t2.socket, 'poll:paperEntry', { pollId, entry: 2, totals })).ok).toBe(true)
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    return { chair, pollId, ids, desk: t1 }
  }

  it('a further round after a tie at the last seat lists the tied in surname-stroke order, a write-in among them', async () => {
    // Written in: a delegate whose name comes before 李红梅 in stroke order (the count puts
    // write-ins after the listed candidates).
    const writeIn = hall.delegates.slice(0, 200).find((d) => compareNamesByStrokes(d.name, '李红梅') < 0)!
    expect(writeIn).toBeDefined()
    // 周明 136 elected; 李红梅 and the write-in 130 each, both over 125.5 of 251: a tie for the last seat.
    const { pollId, ids } = await paperRound(2, ['周明', '李红梅'], (c) => ({
      returned: 198,
      invalid: 0,
      tallies: { [c['周明']]: { for: 136, against: 40, abstain: 22 }, [c['李红梅']]: { for: 130, against: 50, abstain: 18 } },
      writeIns: [{ personId: writeIn.personId, for: 130 }],
    }))
    const poll = hall.server.app.engine.state.polls.get(pollId)!
    expect((poll.spec as { candidates: Array<{ name: string }> }).candidates.map((c) => c.name)).toEqual(['李红梅', '周明'])
    const count = poll.rounds[0].count as ElectionCount
    expect(count).toMatchObject({ outcome: 'tie', elected: [ids['周明']] })
    // The count report keeps its order (listed candidates, then write-ins); the next ballot does not.
    expect(count.results.map((r) => r.name)).toEqual(['李红梅', '周明', writeIn.name])
    expect(poll.nextRound).toMatchObject({ kind: 'election', seats: 1 })
    const next = (poll.nextRound as { candidates: Array<{ name: string; personId: string | null }> }).candidates
    expect(next.map((c) => c.name)).toEqual([writeIn.name, '李红梅'])
    expect(next[0].personId).toBe(writeIn.personId)
  })

  it('after a shortfall the presidium sets the further round: fewer seats, a shorter list, a written-in person', async () => {
    const writeIn = hall.delegates[150]
    const { chair, pollId, ids, desk } = await paperRound(3, ['王建国', '李红梅', '丁一', '周明'], (c) => ({
      returned: 198,
      invalid: 0,
      tallies: {
        [c['王建国']]: { for: 150, against: 40, abstain: 8 },
        [c['李红梅']]: { for: 100, against: 90, abstain: 8 },
        [c['丁一']]: { for: 90, against: 100, abstain: 8 },
        [c['周明']]: { for: 60, against: 130, abstain: 8 },
      },
      writeIns: [{ personId: writeIn.personId, for: 20 }],
    }))
    const w = `w:${writeIn.personId}`
    // Counted, not yet announced: nothing to set.
    expect(await send(chair.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [ids['李红梅'], w] })).toMatchObject({ ok: false, code: 'NO_FURTHER_ROUND' })
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    const state = () => hall.server.app.engine.state.polls.get(pollId)!
    // 王建国 elected; the count proposes 2 seats among the three unelected listed candidates.
    expect(state().nextRound).toMatchObject({ seats: 2, candidates: [{ name: '丁一' }, { name: '李红梅' }, { name: '周明' }] })

    expect(await send(chair.socket, 'poll:setNextRound', { pollId, seats: 3, candidateIds: [ids['李红梅'], ids['丁一'], ids['周明']] })).toMatchObject({
      ok: false,
      code: 'SEATS_OUT_OF_RANGE',
      message: '另行选举的名额须在1到2名之间',
    })
    expect(await send(chair.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [ids['王建国'], ids['李红梅']] })).toMatchObject({
      ok: false,
      code: 'NOT_IN_POOL',
      message: '王建国不是上一轮未当选的候选人或被另选的人',
    })
    expect(await send(chair.socket, 'poll:setNextRound', { pollId, seats: 2, candidateIds: [ids['李红梅']] })).toMatchObject({ ok: false, code: 'TOO_FEW_CANDIDATES' })
    const tablet = await hall.connect(hall.delegates[0].code)
    expect(await send(tablet.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [ids['李红梅'], w] })).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    expect(state().nextRound).toMatchObject({ seats: 2 })

    // One seat, uncontested: allowed, with the surplus warning.
    const alone = await send<{ warnings: string[] }>(desk.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [ids['李红梅']] })
    expect(alone).toMatchObject({ ok: true, data: { warnings: ['SURPLUS_BELOW_MIN'] } })
    // One seat between 李红梅 and the written-in delegate, in stroke order.
    const set = await send<{ warnings: string[]; spec: { seats: number; candidates: Array<{ id: string; name: string; personId: string | null }> } }>(
      chair.socket,
      'poll:setNextRound',
      { pollId, seats: 1, candidateIds: [ids['李红梅'], w] },
    )
    expect(set.ok).toBe(true)
    if (!set.ok) return
    expect(set.data.warnings).toEqual([])
    expect(set.data.spec.seats).toBe(1)
    const expected = [{ id: ids['李红梅'], name: '李红梅', personId: null }, { id: w, name: writeIn.name, personId: writeIn.personId }].sort((a, b) =>
      compareNamesByStrokes(a.name, b.name),
    )
    expect(set.data.spec.candidates).toEqual(expected)
    expect(state().nextRound).toEqual(set.data.spec)

    // The second round is held on that list.
    expect(await send(chair.socket, 'poll:open', { pollId })).toMatchObject({ ok: true, data: { round: 2 } })
    expect(state().rounds[1].spec).toEqual(set.data.spec)
    // Nothing can be set while it is open.
    expect(await send(chair.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [ids['李红梅'], w] })).toMatchObject({ ok: false, code: 'NO_FURTHER_ROUND' })
  })

  it('someone an earlier round elected cannot be written in on a paper further round, nor stand in a later one', async () => {
    const winner = hall.delegates[10]
    const chair = await hall.connect(hall.chair.code)
    const created = await send<{ pollId: string; spec: { candidates: Array<{ id: string; name: string }> } }>(chair.socket, 'poll:create', {
      title: '补选委员',
      mode: 'paper',
      spec: { kind: 'election', seats: 2, electionKind: 'committee', candidates: [{ name: winner.name, personId: winner.personId }, { name: '李红梅' }, { name: '周明' }] },
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    const { pollId } = created.data
    const id = Object.fromEntries(created.data.spec.candidates.map((c) => [c.name, c.id]))
    await checkInDirect(hall.server.app, hall.delegates.slice(0, 200).map((d) => d.personId))
    const [sec1, sec2] = hall.codes.filter((c) => c.role === 'secretariat')
    const t1 = await hall.connect(sec1.code)
    const t2 = await hall.connect(sec2.code)
    const round = async (totals: object) => {
      expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
      expect((await send(t1.socket, 'poll:paperEntry', { pollId, entry: 1, totals })).ok).toBe(true)
      expect((await send(t2.socket, 'poll:paperEntry', { pollId, entry: 2, totals })).ok).toBe(true)
      expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
      expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    }
    // Round 1 elects the delegate; one seat is left for 李红梅 and 周明.
    await round({
      returned: 198,
      invalid: 0,
      tallies: { [id[winner.name]]: { for: 150, against: 40, abstain: 8 }, [id['李红梅']]: { for: 100, against: 90, abstain: 8 }, [id['周明']]: { for: 60, against: 130, abstain: 8 } },
      writeIns: [],
    })
    // Round 2: a teller's entry with the round-1 winner written in is refused (that part of those
    // ballots is void); the round is short again.
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const withWinner = {
      returned: 198,
      invalid: 0,
      tallies: { [id['李红梅']]: { for: 110, against: 80, abstain: 8 }, [id['周明']]: { for: 50, against: 140, abstain: 8 } },
      writeIns: [{ personId: winner.personId, for: 30 }],
    }
    const refusedEntry = await send(t1.socket, 'poll:paperEntry', { pollId, entry: 1, totals: withWinner })
    expect(refusedEntry).toMatchObject({ ok: false, code: 'PAPER_INVALID' })
    expect((refusedEntry as { message: string }).message).toContain('另选他人不能是前几轮已当选的人')
    const totals2 = { ...withWinner, writeIns: [] }
    expect((await send(t1.socket, 'poll:paperEntry', { pollId, entry: 1, totals: totals2 })).ok).toBe(true)
    expect((await send(t2.socket, 'poll:paperEntry', { pollId, entry: 2, totals: totals2 })).ok).toBe(true)
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    const refused = await send(chair.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [`w:${winner.personId}`, id['李红梅']] })
    expect(refused).toMatchObject({ ok: false, code: 'NOT_IN_POOL' })
    expect((await send(chair.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [id['李红梅'], id['周明']] })).ok).toBe(true)
  })

  it('on a further round nobody may write in a person an earlier round elected', async () => {
    const winner = hall.delegates[150]
    const chair = await hall.connect(hall.chair.code)
    const created = await send<{ pollId: string; spec: { candidates: Array<{ id: string; name: string }> } }>(chair.socket, 'poll:create', {
      title: '补选委员',
      spec: {
        kind: 'election',
        seats: 2,
        electionKind: 'committee',
        thresholdBase: 'present',
        candidates: [{ name: winner.name, personId: winner.personId }, { name: '李红梅' }, { name: '周明' }],
      },
    })
    if (!created.ok) throw new Error(JSON.stringify(created))
    const { pollId } = created.data
    const id = Object.fromEntries(created.data.spec.candidates.map((c) => [c.name, c.id]))
    // 130 present: more than 65 "for" elects.
    const voters = hall.delegates.slice(0, 130)
    await checkInDirect(hall.server.app, voters.map((d) => d.personId))
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const tablets = await Promise.all(voters.slice(0, 70).map((d) => hall.connect(d.code)))
    const marks1 = { [id[winner.name]]: 'for', [id['李红梅']]: 'abstain', [id['周明']]: 'abstain' }
    const acks = await Promise.all(tablets.map((t) => send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks: marks1, writeIns: [] }, idempotencyKey: idemKey() })))
    expect(acks.every((a) => a.ok)).toBe(true)
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    const poll = hall.server.app.engine.state.polls.get(pollId)!
    expect((poll.rounds[0].count as ElectionCount).elected).toEqual([id[winner.name]])
    expect(poll.nextRound).toMatchObject({ seats: 1, electedBefore: [winner.personId] })

    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const marks2 = { [id['李红梅']]: 'against', [id['周明']]: 'abstain' }
    const writeWinner = await send(tablets[0].socket, 'ballot:cast', { pollId, round: 2, ballot: { marks: marks2, writeIns: [winner.personId] }, idempotencyKey: idemKey() })
    expect(writeWinner).toMatchObject({ ok: false, code: 'INVALID_BALLOT' })
    // The tablet's list of people to write in leaves the winner out; anyone else may be written in.
    const list = await fetch(`${hall.server.url}/api/polls/${pollId}/writein-candidates`, { headers: { authorization: `Bearer ${tablets[0].login.token}` } })
    const people = ((await list.json()) as { data: Array<{ personId: string }> }).data.map((p) => p.personId)
    expect(people).not.toContain(winner.personId)
    expect(people).toContain(hall.delegates[151].personId)
    const other = await send(tablets[0].socket, 'ballot:cast', { pollId, round: 2, ballot: { marks: marks2, writeIns: [hall.delegates[151].personId] }, idempotencyKey: idemKey() })
    expect(other.ok).toBe(true)
  })

  it('the presidium may end an election without the further round; a void round must be held again', async () => {
    const { chair, pollId, ids } = await paperRound(2, ['王建国', '李红梅', '丁一'], (c) => ({
      returned: 198,
      invalid: 0,
      tallies: {
        [c['王建国']]: { for: 150, against: 40, abstain: 8 },
        [c['李红梅']]: { for: 100, against: 90, abstain: 8 },
        [c['丁一']]: { for: 90, against: 100, abstain: 8 },
      },
      writeIns: [],
    }))
    expect(await send(chair.socket, 'poll:finish', { pollId })).toMatchObject({ ok: false, code: 'NO_FURTHER_ROUND' })
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)
    expect(await send(chair.socket, 'poll:finish', { pollId })).toMatchObject({ ok: true, data: { pollId, elected: 1, seats: 2 } })
    const poll = hall.server.app.engine.state.polls.get(pollId)!
    expect(poll).toMatchObject({ status: 'done', nextRound: null })
    expect((poll.rounds[0].count as ElectionCount).elected).toEqual([ids['王建国']])
    expect(await send(chair.socket, 'poll:open', { pollId })).toMatchObject({ ok: false, code: 'POLL_FINISHED' })
    expect(await send(chair.socket, 'poll:finish', { pollId })).toMatchObject({ ok: false, code: 'NO_FURTHER_ROUND' })
    const sync = (await send<{ view: PublicView }>(chair.socket, 'state:sync', {})) as { ok: true; data: { view: PublicView } }
    expect(sync.data.view.polls.find((x) => x.id === pollId)).toMatchObject({ status: 'done', nextRound: null })

    // More ballots returned than issued (200): the round is void and is held again as it was.
    const v = await paperRound(1, ['周明', '李红梅'], (c) => ({
      returned: 205,
      invalid: 0,
      tallies: { [c['周明']]: { for: 150, against: 50, abstain: 5 }, [c['李红梅']]: { for: 50, against: 150, abstain: 5 } },
      writeIns: [],
    }), false)
    expect((await send(v.chair.socket, 'poll:publish', { pollId: v.pollId })).ok).toBe(true)
    expect(await send(v.chair.socket, 'poll:finish', { pollId: v.pollId })).toMatchObject({ ok: false, code: 'ROUND_VOID' })
    expect(await send(v.chair.socket, 'poll:setNextRound', { pollId: v.pollId, seats: 1, candidateIds: [v.ids['周明'], v.ids['李红梅']] })).toMatchObject({
      ok: false,
      code: 'ROUND_VOID',
    })
  })

  it('one delegate casting many times at once over two sockets yields one ballot', async () => {
    const { chair, pollId, candidates, voters } = await openRound()
    const me = voters[5]
    const a = await hall.connect(me.code)
    const marks = Object.fromEntries(candidates.map((c) => [c.id, 'for']))
    const acks = await Promise.all(
      Array.from({ length: 20 }, () => send(a.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: idemKey() })),
    )
    expect(acks.filter((x) => x.ok)).toHaveLength(1)
    expect(acks.filter((x) => !x.ok && x.code === 'ALREADY_VOTED')).toHaveLength(19)
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    const r = hall.server.app.engine.state.polls.get(pollId)!.rounds[0]
    expect(r.returned).toBe(1)
  })

  it('the voter’s other device on the same node hears the ballot was received; the casting one and others do not', async () => {
    const { pollId, candidates, voters } = await openRound()
    const me = voters[9]
    const first = await hall.connect(me.code)
    // A second device with the same session (a second tab), and somebody else's tablet.
    const second: Client = ioc(hall.server.url, { auth: { token: first.login.token }, transports: ['websocket'], forceNew: true })
    hall.clients.push(second)
    await new Promise((resolve) => second.once('state:snapshot', resolve))
    const neighbour = await hall.connect(voters[10].code)
    const heard = [first, { socket: second }, neighbour].map((t) => latest<{ pollId: string; round: number }>(t.socket, 'ballot:received'))
    const marks = Object.fromEntries(candidates.map((c) => [c.id, 'abstain']))
    expect((await send(first.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: idemKey() })).ok).toBe(true)
    await vi.waitFor(() => expect(heard[1].value).toEqual({ pollId, round: 1 }))
    await new Promise((r) => setTimeout(r, 200))
    expect(heard[0].value).toBeNull()
    expect(heard[2].value).toBeNull()
  })

  it('a written-in person nominated for the further round is voted for on the tablets like any candidate', async () => {
    const { chair, pollId, candidates, scrutineers } = await openRound()
    const x = hall.delegates[100]
    const wang = candidates.find((c) => c.name === '王建国')!.id
    const abstainAll = Object.fromEntries(candidates.map((c) => [c.id, 'abstain']))
    const voters = await Promise.all(hall.delegates.slice(1, 5).map((d) => hall.connect(d.code)))
    // Too few ballots to elect anyone: a shortfall. One voter wrote X in.
    const round1 = await Promise.all(
      voters.map((t, i) =>
        send(t.socket, 'ballot:cast', {
          pollId,
          round: 1,
          ballot: i === 0 ? { marks: { ...abstainAll, [wang]: 'against' }, writeIns: [x.personId] } : { marks: abstainAll, writeIns: [] },
          idempotencyKey: idemKey(),
        }),
      ),
    )
    expect(round1.every((r) => r.ok)).toBe(true)
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    for (const sc of scrutineers) expect((await send((await hall.connect(sc.code)).socket, 'poll:confirm', { pollId })).ok).toBe(true)
    expect((await send(chair.socket, 'poll:publish', { pollId })).ok).toBe(true)

    const w = `w:${x.personId}`
    const set = await send(chair.socket, 'poll:setNextRound', { pollId, seats: 1, candidateIds: [wang, w] })
    expect(set.ok).toBe(true)
    expect((await send(chair.socket, 'poll:open', { pollId })).ok).toBe(true)
    const marks2 = { [wang]: 'against', [w]: 'for' }
    const round2 = await Promise.all(voters.slice(0, 3).map((t) => send(t.socket, 'ballot:cast', { pollId, round: 2, ballot: { marks: marks2, writeIns: [] }, idempotencyKey: idemKey() })))
    expect(round2.every((r) => r.ok)).toBe(true)
    // X is on the list now: writing X in is refused, and the ballot must mark X.
    const writeX = await send(voters[3].socket, 'ballot:cast', {
      pollId,
      round: 2,
      ballot: { marks: { [wang]: 'against', [w]: 'abstain' }, writeIns: [x.personId] },
      idempotencyKey: idemKey(),
    })
    expect(writeX).toMatchObject({ ok: false, code: 'INVALID_BALLOT' })
    const unmarked = await send(voters[3].socket, 'ballot:cast', { pollId, round: 2, ballot: { marks: { [wang]: 'for' }, writeIns: [] }, idempotencyKey: idemKey() })
    expect(unmarked).toMatchObject({ ok: false, code: 'INVALID_BALLOT' })
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    const count = hall.server.app.engine.state.polls.get(pollId)!.rounds[1].count as ElectionCount
    expect(count).toMatchObject({ returned: 3, valid: 3, seats: 1 })
    expect(count.results.find((r) => r.id === w)).toMatchObject({ name: x.name, personId: x.personId, writeIn: false, for: 3, against: 0 })
    expect(count.results.find((r) => r.id === wang)).toMatchObject({ for: 0, against: 3 })
  })

  it('a retry with the same idempotency key gets the same ack, not a second ballot', async () => {
    const { chair, pollId, candidates } = await openRound()
    const t = await hall.connect(hall.delegates[3].code)
    const marks = Object.fromEntries(candidates.map((c) => [c.id, 'abstain']))
    const k = idemKey()
    const first = await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: k })
    const retry = await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: k })
    expect(first).toEqual(retry)
    expect(first.ok).toBe(true)
    expect((await send(chair.socket, 'poll:close', { pollId })).ok).toBe(true)
    expect(hall.server.app.engine.state.polls.get(pollId)!.rounds[0].returned).toBe(1)
    // The ack was lost just before the close: the retry still hears that its ballot is in...
    expect(await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: k })).toEqual(first)
    // ...while a ballot that never made it gets a plain refusal.
    const late = await send(t.socket, 'ballot:cast', { pollId, round: 1, ballot: { marks, writeIns: [] }, idempotencyKey: idemKey() })
    expect(late).toMatchObject({ ok: false, code: 'POLL_NOT_OPEN' })
  })
})
