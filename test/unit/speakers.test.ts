// The rules of the list of speakers on the pure core: requests from tablets, approval, the queue's
// order, calling, timing and ending speeches, budgets per delegation, and refusals that change nothing.
import { describe, expect, it } from 'vitest'
import type { CommandName, CommandPayload } from '../../shared/schemas'
import type { Actor, MeetingState } from '../../shared/domain/types'
import { ownStatus, publicView, chairView } from '../../shared/domain/views'
import { speechView } from '../../shared/domain/agendaViews'
import { remainingMs } from '../../shared/domain/speechTime'
import { CHAIR, DESK, DISPLAY, delegate, demoState, run } from '../helpers/domain'

const MIN = 60_000

/** The demo hall with a thematic-speeches item, a few delegates checked in, and a way to act. */
function hall(opts: { current?: boolean; budgetMs?: number } = {}) {
  const demo = demoState()
  let state = demo.state
  const ctx = demo.ctx
  function act<C extends CommandName>(name: C, payload: CommandPayload<C>, actor: Actor) {
    const r = run(state, name, payload, actor, ctx)
    if (r.ok) state = r.state
    return r
  }
  function must<C extends CommandName>(name: C, payload: CommandPayload<C>, actor: Actor): any {
    const r = act(name, payload, actor)
    if (!r.ok) throw new Error(`${name} refused: ${r.error}`)
    return r.result
  }
  const ds = [...demo.state.persons.values()].filter((p) => p.role === 'delegate')
  for (const d of ds.slice(0, 12)) must('attendance:checkIn', { personId: d.id }, DESK)
  const { itemId } = must(
    'agenda:add',
    { type: 'speeches', title: '专题发言', speechLimitMs: 8 * MIN, warnMs: MIN, ...(opts.budgetMs ? { budgetMs: opts.budgetMs } : {}) },
    DESK,
  )
  if (opts.current !== false) must('agenda:setCurrent', { itemId }, CHAIR)
  return {
    get state(): MeetingState {
      return state
    },
    ctx,
    itemId,
    ds,
    act,
    must,
    /** A delegate asks, the chair approves: returns the speaker id. */
    queue(i: number, topic = `题目${i}`): string {
      const { speakerId } = must('speakers:request', { itemId, topic }, delegate(ds[i].id))
      must('speakers:approve', { speakerId }, CHAIR)
      return speakerId
    },
    waiting(): string[] {
      return state.speakerLists.get(itemId)!.waiting
    },
  }
}

describe('asking to speak from the tablet', () => {
  it('a checked-in delegate asks with a topic; the chair approves; the tablet sees its place', () => {
    const h = hall()
    const me = h.ds[0]
    const r = h.must('speakers:request', { itemId: h.itemId, topic: '关于发展县域经济的几点建议' }, delegate(me.id))
    expect(r.status).toBe('requested')
    expect(ownStatus(h.state, me.id)!.queue).toMatchObject([{ itemId: h.itemId, status: 'requested', position: null }])
    // Requests are not public until approved.
    expect(speechView(h.state)!.next).toHaveLength(0)
    h.must('speakers:approve', { speakerId: r.speakerId }, CHAIR)
    expect(ownStatus(h.state, me.id)!.queue).toMatchObject([{ status: 'waiting', position: 1, waitingCount: 1, topic: '关于发展县域经济的几点建议' }])
    expect(speechView(h.state)!.next[0]).toMatchObject({ name: me.name, topic: '关于发展县域经济的几点建议', delegation: '县直机关代表团' })
  })

  it('refuses: twice, without a topic on thematic speeches, not checked in, a closed list, a done item', () => {
    const h = hall()
    h.must('speakers:request', { itemId: h.itemId, topic: 'A' }, delegate(h.ds[0].id))
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'B' }, delegate(h.ds[0].id))).toMatchObject({ ok: false, error: 'ALREADY_IN_QUEUE' })
    expect(h.act('speakers:request', { itemId: h.itemId }, delegate(h.ds[1].id))).toMatchObject({ ok: false, error: 'TOPIC_REQUIRED' })
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'C' }, delegate(h.ds[100].id))).toMatchObject({ ok: false, error: 'NOT_CHECKED_IN' })
    h.must('speakers:setOpen', { itemId: h.itemId, open: false }, CHAIR)
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'D' }, delegate(h.ds[2].id))).toMatchObject({ ok: false, error: 'LIST_CLOSED' })
    // The chair and desk may still add to a closed list.
    expect(h.act('speakers:add', { itemId: h.itemId, personId: h.ds[2].id }, DESK).ok).toBe(true)
    h.must('speakers:setOpen', { itemId: h.itemId, open: true }, CHAIR)
    h.must('agenda:setDone', { itemId: h.itemId, done: true }, CHAIR)
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'E' }, delegate(h.ds[3].id))).toMatchObject({ ok: false, error: 'ITEM_DONE' })
  })

  it('wrong roles are refused and change nothing', () => {
    const h = hall()
    const before = h.state
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'x' }, DISPLAY)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'x' }, { personId: 'o01', role: 'observer' })).toMatchObject({
      ok: false,
      error: 'FORBIDDEN',
    })
    expect(h.act('speakers:add', { itemId: h.itemId, personId: h.ds[0].id }, delegate(h.ds[0].id))).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(h.act('speakers:move', { speakerId: 'sp1', position: 0 }, DESK)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(h.act('speakers:start', { itemId: h.itemId }, DESK)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(h.state).toBe(before)
  })

  it('a delegate withdraws while waiting, but not once called to the stage', () => {
    const h = hall()
    const a = h.queue(0)
    const b = h.queue(1)
    h.must('speakers:withdraw', { itemId: h.itemId }, delegate(h.ds[1].id))
    expect(h.state.speakers.get(b)!.status).toBe('withdrawn')
    expect(h.waiting()).toEqual([a])
    expect(h.act('speakers:withdraw', { itemId: h.itemId }, delegate(h.ds[1].id))).toMatchObject({ ok: false, error: 'NOT_IN_QUEUE' })
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    expect(h.act('speakers:withdraw', { itemId: h.itemId }, delegate(h.ds[0].id))).toMatchObject({ ok: false, error: 'SPEAKER_WRONG_STATE' })
    // Withdrawn, the delegate may ask again.
    expect(h.act('speakers:request', { itemId: h.itemId, topic: '再次报名' }, delegate(h.ds[1].id)).ok).toBe(true)
  })

  it('declined requests leave the list; approving twice is refused', () => {
    const h = hall()
    const { speakerId } = h.must('speakers:request', { itemId: h.itemId, topic: 'x' }, delegate(h.ds[0].id))
    h.must('speakers:decline', { speakerId }, CHAIR)
    expect(h.state.speakers.get(speakerId)!.status).toBe('declined')
    expect(h.act('speakers:approve', { speakerId }, CHAIR)).toMatchObject({ ok: false, error: 'SPEAKER_WRONG_STATE' })
    expect(ownStatus(h.state, h.ds[0].id)!.queue).toEqual([])
  })
})

describe('the desk and the chair add speakers', () => {
  it('adds a delegate and a delegation speaking as a whole through its chosen speaker', () => {
    const h = hall()
    const d = h.ds[70] // 芦溪镇代表团
    const { speakerId } = h.must('speakers:add', { itemId: h.itemId, personId: d.id, delegationId: d.delegationId!, topic: '芦溪镇代表团发言' }, DESK)
    expect(h.state.speakers.get(speakerId)).toMatchObject({ kind: 'delegation', delegationId: d.delegationId, status: 'waiting', addedBy: 'secretariat' })
    // The same person may still speak for themself; the delegation only once at a time.
    expect(h.act('speakers:add', { itemId: h.itemId, personId: d.id }, CHAIR).ok).toBe(true)
    expect(h.act('speakers:add', { itemId: h.itemId, personId: h.ds[71].id, delegationId: d.delegationId! }, CHAIR)).toMatchObject({
      ok: false,
      error: 'ALREADY_IN_QUEUE',
    })
    // A delegation's speaker must be one of its members.
    expect(h.act('speakers:add', { itemId: h.itemId, personId: h.ds[0].id, delegationId: 'g05' }, CHAIR)).toMatchObject({
      ok: false,
      error: 'NOT_IN_DELEGATION',
    })
    expect(h.act('speakers:add', { itemId: h.itemId, personId: 'chair' }, CHAIR)).toMatchObject({ ok: false, error: 'NOT_ATTENDEE' })
    // An observer may be invited to speak.
    expect(h.act('speakers:add', { itemId: h.itemId, personId: 'o01' }, CHAIR).ok).toBe(true)
    const v = speechView(h.state)!
    expect(v.next.map((n) => n.kind)).toEqual(['delegation', 'person', 'person'])
  })

  it('adds at a chosen place in the queue', () => {
    const h = hall()
    const a = h.queue(0)
    const b = h.queue(1)
    const { speakerId: c } = h.must('speakers:add', { itemId: h.itemId, personId: h.ds[2].id, position: 0 }, CHAIR)
    expect(h.waiting()).toEqual([c, a, b])
  })
})

describe('ordering the queue', () => {
  it('moves one speaker, and everyone else keeps their relative order; places follow', () => {
    const h = hall()
    const ids = [0, 1, 2, 3].map((i) => h.queue(i))
    h.must('speakers:move', { speakerId: ids[3], position: 0 }, CHAIR)
    expect(h.waiting()).toEqual([ids[3], ids[0], ids[1], ids[2]])
    expect(ownStatus(h.state, h.ds[3].id)!.queue[0].position).toBe(1)
    expect(ownStatus(h.state, h.ds[2].id)!.queue[0].position).toBe(4)
    h.must('speakers:move', { speakerId: ids[3], position: 99 }, CHAIR)
    expect(h.waiting()).toEqual([ids[0], ids[1], ids[2], ids[3]])
    // A no-op move records nothing.
    const r = h.must('speakers:move', { speakerId: ids[0], position: 0 }, CHAIR)
    expect(r.position).toBe(0)
  })

  it('reordering while someone speaks leaves the speech alone', () => {
    const h = hall()
    const ids = [0, 1, 2].map((i) => h.queue(i))
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    h.ctx.tick(30_000)
    h.must('speakers:move', { speakerId: ids[2], position: 0 }, CHAIR)
    expect(h.waiting()).toEqual([ids[2], ids[1]])
    const cur = speechView(h.state)!.current!
    expect(cur.id).toBe(ids[0])
    expect(cur.status).toBe('speaking')
    // A speaker on the stage is not in the queue and cannot be moved into it.
    expect(h.act('speakers:move', { speakerId: ids[0], position: 0 }, CHAIR)).toMatchObject({ ok: false, error: 'SPEAKER_WRONG_STATE' })
  })
})

describe('calling, timing and ending speeches', () => {
  it('next, start, pause, resume, end: the record keeps start, duration and overrun', () => {
    const h = hall()
    const a = h.queue(0)
    h.queue(1)
    const called = h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    expect(called).toEqual({ called: a, ended: null, requeued: null })
    expect(speechView(h.state)!.current).toMatchObject({ id: a, status: 'called', timing: null, limitMs: 8 * MIN })
    const started = h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    const t0 = started.startedAt
    expect(speechView(h.state)!.current!.timing).toMatchObject({ startedAt: t0, resumedAt: t0, pausedAt: null, elapsedBeforePauseMs: 0, limitMs: 8 * MIN, warnMs: MIN })
    h.ctx.tick(3 * MIN)
    h.must('speakers:pause', { itemId: h.itemId }, CHAIR)
    expect(h.act('speakers:pause', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'SPEECH_PAUSED' })
    h.ctx.tick(5 * MIN)
    const timing = speechView(h.state)!.current!.timing!
    expect(remainingMs(timing, h.ctx.now + 1)).toBe(5 * MIN - 1000)
    h.must('speakers:resume', { itemId: h.itemId }, CHAIR)
    expect(h.act('speakers:resume', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'SPEECH_NOT_PAUSED' })
    h.ctx.tick(6 * MIN)
    const ended = h.must('speakers:end', { itemId: h.itemId }, CHAIR)
    // run() ticks one second per command, refused ones too: 3 min + 1 s before the pause, then from the
    // resume: the refused resume, 6 min, the end.
    expect(ended.durationMs).toBe(3 * MIN + 1000 + 6 * MIN + 2000)
    expect(ended.overrunMs).toBe(ended.durationMs - 8 * MIN)
    const rows = chairView(h.state).speakerLists.find((l) => l.itemId === h.itemId)!
    expect(rows.finished[0]).toMatchObject({ id: a, status: 'done', durationMs: ended.durationMs, overrunMs: ended.overrunMs })
    expect(rows.finished[0].timing!.startedAt).toBe(t0)
    expect(speechView(h.state)!.current).toBeNull()
    expect(chairView(h.state).speechStats.find((r) => r.delegationId === 'g01')).toMatchObject({ speeches: 1, totalMs: ended.durationMs })
  })

  it('next ends the running speech and calls the following one; an empty queue is a clear refusal', () => {
    const h = hall()
    const a = h.queue(0)
    const b = h.queue(1)
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    expect(h.must('speakers:next', { itemId: h.itemId }, CHAIR)).toEqual({ called: b, ended: a, requeued: null })
    expect(h.state.speakers.get(a)!.status).toBe('done')
    // b was called but never began: next puts b back first in line and calls nobody else.
    h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    expect(h.must('speakers:next', { itemId: h.itemId }, CHAIR)).toEqual({ called: null, ended: b, requeued: null })
    expect(h.act('speakers:next', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'QUEUE_EMPTY' })
  })

  it('calling someone else while a speaker waits on the stage puts them back first in line', () => {
    const h = hall()
    const a = h.queue(0)
    const b = h.queue(1)
    const c = h.queue(2)
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    expect(h.must('speakers:next', { itemId: h.itemId, speakerId: c }, CHAIR)).toEqual({ called: c, ended: null, requeued: a })
    expect(h.waiting()).toEqual([a, b])
  })

  it('refuses stage commands in the wrong state, and off the current item', () => {
    const h = hall()
    expect(h.act('speakers:start', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'NO_CURRENT_SPEAKER' })
    expect(h.act('speakers:end', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'NO_CURRENT_SPEAKER' })
    h.queue(0)
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    expect(h.act('speakers:pause', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'SPEECH_NOT_STARTED' })
    expect(h.act('speakers:end', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'SPEECH_NOT_STARTED' })
    h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    expect(h.act('speakers:start', { itemId: h.itemId }, CHAIR)).toMatchObject({ ok: false, error: 'SPEECH_ALREADY_STARTED' })
    const other = h.must('agenda:add', { type: 'report', title: '审议报告' }, DESK).itemId
    expect(h.act('speakers:next', { itemId: other }, CHAIR)).toMatchObject({ ok: false, error: 'ITEM_NOT_CURRENT' })
    // Moving the hall on while someone speaks is refused.
    expect(h.act('agenda:setCurrent', { itemId: other }, CHAIR)).toMatchObject({ ok: false, error: 'SPEECH_IN_PROGRESS' })
    const err = h.act('agenda:setCurrent', { itemId: other }, CHAIR)
    expect(err.ok).toBe(false)
  })

  it('the chair changes a speaker’s time, before and during the speech', () => {
    const h = hall()
    const a = h.queue(0)
    h.must('speakers:setLimit', { speakerId: a, limitMs: 5 * MIN }, DESK)
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    expect(speechView(h.state)!.current!.timing!.limitMs).toBe(5 * MIN)
    h.must('speakers:setLimit', { speakerId: a, limitMs: 6 * MIN }, CHAIR)
    expect(speechView(h.state)!.current!.timing!.limitMs).toBe(6 * MIN)
  })
})

describe('time budgets per delegation', () => {
  it('refuses a request once the delegation’s time is spoken or promised; the chair may add past it, flagged', () => {
    const h = hall({ budgetMs: 10 * MIN })
    // ds[0..11] are all 县直机关代表团 (g01). One waiting speaker promises 8 of the 10 minutes.
    const a = h.queue(0)
    const b = h.must('speakers:request', { itemId: h.itemId, topic: 'b' }, delegate(h.ds[1].id)).speakerId
    // 16 of 10 promised: the next request is refused.
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'c' }, delegate(h.ds[2].id))).toMatchObject({
      ok: false,
      error: 'BUDGET_EXHAUSTED',
      params: { delegation: '县直机关代表团' },
    })
    const approved = h.must('speakers:approve', { speakerId: b }, CHAIR)
    expect(approved.overBudget).toBe(false)
    const added = h.must('speakers:add', { itemId: h.itemId, personId: h.ds[2].id }, CHAIR)
    expect(added.overBudget).toBe(true)
    const list = chairView(h.state).speakerLists.find((l) => l.itemId === h.itemId)!
    expect(list.budgets.find((r) => r.delegationId === 'g01')).toMatchObject({ budgetMs: 10 * MIN, spentMs: 0, reservedMs: 24 * MIN, running: null })
    // The first speaker overruns by a minute: 9 minutes spoken.
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    // On stage, the speech is no longer promised: the chair's table counts it as it runs.
    const onStage = chairView(h.state).speakerLists.find((l) => l.itemId === h.itemId)!.budgets.find((r) => r.delegationId === 'g01')!
    expect(onStage).toMatchObject({ spentMs: 0, reservedMs: 16 * MIN })
    expect(onStage.running).toEqual(h.state.speakers.get(a)!.timing)
    expect(onStage.running).not.toBeNull()
    h.ctx.tick(9 * MIN - 1000)
    h.must('speakers:end', { itemId: h.itemId }, CHAIR)
    expect(h.state.speakers.get(a)!.durationMs).toBe(9 * MIN)
    // The second gets what is left of the budget (1 minute), not the full 8.
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    const s2 = h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    expect(s2.limitMs).toBe(MIN)
    h.ctx.tick(2 * MIN - 1000)
    h.must('speakers:end', { itemId: h.itemId }, CHAIR)
    // Spent 11 of 10: the third (let in by the chair) keeps the own 8 minutes.
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    expect(h.must('speakers:start', { itemId: h.itemId }, CHAIR).limitMs).toBe(8 * MIN)
    // Another delegation is untouched.
    const other = h.ds.find((d) => d.delegationId === 'g02')!
    h.must('attendance:checkIn', { personId: other.id }, DESK)
    expect(h.act('speakers:request', { itemId: h.itemId, topic: 'x' }, delegate(other.id)).ok).toBe(true)
  })

  it('per-delegation overrides replace the item’s budget', () => {
    const h = hall({ budgetMs: 5 * MIN })
    h.must('agenda:update', { itemId: h.itemId, budgets: { g01: 30 * MIN } }, DESK)
    for (const i of [0, 1, 2]) expect(h.act('speakers:request', { itemId: h.itemId, topic: 't' }, delegate(h.ds[i].id)).ok).toBe(true)
    expect(h.act('agenda:update', { itemId: h.itemId, budgets: { nope: MIN } }, DESK)).toMatchObject({ ok: false, error: 'DELEGATION_NOT_FOUND' })
  })
})

describe('what the hall sees', () => {
  it('the public view carries the timing facts and up to five next speakers', () => {
    const h = hall()
    for (let i = 0; i < 8; i++) h.queue(i)
    h.must('speakers:next', { itemId: h.itemId }, CHAIR)
    h.must('speakers:start', { itemId: h.itemId }, CHAIR)
    const v = publicView(h.state)
    expect(v.speech!.next).toHaveLength(5)
    expect(v.speech!.waitingCount).toBe(7)
    expect(v.speech!.current!.timing!.startedAt).toBe(h.ctx.now)
    expect(v.agenda.currentItemId).toBe(h.itemId)
  })
})
