// The agenda on the pure core: adding, editing, ordering and removing items, hiding and revealing
// them, the current item and done items, documents' metadata, what each audience sees, and the CSV
// record of speeches.
import { describe, expect, it } from 'vitest'
import { decideAttachDocument } from '../../shared/domain/agenda'
import { isRefusal } from '../../shared/domain/commands'
import { personsTouchedBySpeech } from '../../shared/domain/speakers'
import type { CommandName, CommandPayload } from '../../shared/schemas'
import { cloneState, type Actor, type MeetingState } from '../../shared/domain/types'
import { chairView, ownStatus, publicView } from '../../shared/domain/views'
import { schemas } from '../../shared/schemas'
import { exportSpeechesCsv, exportSpeechStatsCsv } from '../../server/speeches/csv'
import { CHAIR, DESK, delegate, demoState, fold, run } from '../helpers/domain'

const MIN = 60_000

function hall() {
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
  const add = (title: string, extra: Partial<CommandPayload<'agenda:add'>> = {}) =>
    must('agenda:add', { type: 'other', title, ...extra }, DESK).itemId as string
  return {
    get state(): MeetingState {
      return state
    },
    set state(s: MeetingState) {
      state = s
    },
    ctx,
    act,
    must,
    add,
    order: () => publicView(state).agenda.items.map((i) => i.title),
  }
}

describe('building the agenda', () => {
  it('adds items in order, or at a position, with the item’s speaking-time defaults', () => {
    const h = hall()
    h.add('开幕', { type: 'opening' })
    const report = h.add('审议县委工作报告', { type: 'report', presenter: '县委书记' })
    h.add('闭幕', { type: 'closing' })
    h.add('专题发言', { type: 'speeches', position: 2 })
    expect(h.order()).toEqual(['开幕', '审议县委工作报告', '专题发言', '闭幕'])
    const item = publicView(h.state).agenda.items[1]
    expect(item).toMatchObject({ id: report, presenter: '县委书记', status: 'pending', speechLimitMs: 8 * MIN, warnMs: MIN, documents: [] })
  })

  it('edits and reorders; no-op edits record nothing', () => {
    const h = hall()
    const a = h.add('一')
    h.add('二')
    const c = h.add('三')
    h.must('agenda:move', { itemId: c, position: 0 }, CHAIR)
    expect(h.order()).toEqual(['三', '一', '二'])
    const r = h.act('agenda:update', { itemId: a, title: '一（修改）', speechLimitMs: 5 * MIN }, DESK)
    expect(r.ok && r.events).toHaveLength(1)
    const same = h.act('agenda:update', { itemId: a, title: '一（修改）' }, DESK)
    expect(same.ok && same.events).toHaveLength(0)
    const moveSame = h.act('agenda:move', { itemId: c, position: 0 }, DESK)
    expect(moveSame.ok && moveSame.events).toHaveLength(0)
    expect(h.act('agenda:update', { itemId: 'nope', title: 'x' }, DESK)).toMatchObject({ ok: false, error: 'ITEM_NOT_FOUND' })
  })

  it('delegates and displays may not edit; the desk may not run the session', () => {
    const h = hall()
    const a = h.add('一')
    expect(h.act('agenda:add', { type: 'other', title: 'x' }, delegate('d0001'))).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(h.act('agenda:update', { itemId: a, title: 'x' }, { personId: 'display1', role: 'display' })).toMatchObject({
      ok: false,
      error: 'FORBIDDEN',
    })
    expect(h.act('agenda:setCurrent', { itemId: a }, DESK)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
  })

  it('removes a pending item without speakers, never the current one or one with speakers', () => {
    const h = hall()
    const a = h.add('一', { type: 'speeches' })
    const b = h.add('二')
    h.must('agenda:remove', { itemId: b }, DESK)
    expect(h.order()).toEqual(['一'])
    h.must('speakers:add', { itemId: a, personId: 'd0001' }, DESK)
    expect(h.act('agenda:remove', { itemId: a }, DESK)).toMatchObject({ ok: false, error: 'ITEM_HAS_SPEAKERS' })
    const c = h.add('三')
    h.must('agenda:setCurrent', { itemId: c }, CHAIR)
    expect(h.act('agenda:remove', { itemId: c }, DESK)).toMatchObject({ ok: false, error: 'ITEM_IS_CURRENT' })
  })
})

describe('hidden items', () => {
  it('are left out of the public view, with their speakers, and revealed by setting them current', () => {
    const h = hall()
    h.add('开幕')
    const secret = h.add('人事事项', { type: 'speeches', hidden: true })
    h.must('speakers:add', { itemId: secret, personId: 'd0001', topic: '秘密题目' }, DESK)
    expect(h.order()).toEqual(['开幕'])
    expect(JSON.stringify(publicView(h.state))).not.toContain('秘密题目')
    expect(JSON.stringify(publicView(h.state))).not.toContain('人事事项')
    expect(chairView(h.state).agenda.items.map((i) => [i.title, i.hidden])).toEqual([
      ['开幕', false],
      ['人事事项', true],
    ])
    // The delegate's own status does not mention it either.
    expect(ownStatus(h.state, 'd0001')!.queue).toEqual([])
    // A delegate asking about a hidden item learns nothing: the item "does not exist".
    h.must('attendance:checkIn', { personId: 'd0002' }, DESK)
    expect(h.act('speakers:request', { itemId: secret, topic: 'x' }, delegate('d0002'))).toMatchObject({ ok: false, error: 'ITEM_NOT_FOUND' })
    // The current item is never hidden: setting it current reveals it; hiding it is refused.
    h.must('agenda:setCurrent', { itemId: secret }, CHAIR)
    expect(h.order()).toEqual(['开幕', '人事事项'])
    expect(publicView(h.state).agenda.currentItemId).toBe(secret)
    expect(h.act('agenda:setHidden', { itemId: secret, hidden: true }, CHAIR)).toMatchObject({ ok: false, error: 'ITEM_IS_CURRENT' })
    expect(ownStatus(h.state, 'd0001')!.queue).toHaveLength(1)
  })
})

describe('the current item and done items', () => {
  it('moving on marks the previous item done; done items stay visible as done', () => {
    const h = hall()
    const a = h.add('开幕')
    const b = h.add('审议报告')
    h.must('agenda:setCurrent', { itemId: a }, CHAIR)
    expect(publicView(h.state).agenda.items.map((i) => i.status)).toEqual(['current', 'pending'])
    const r = h.must('agenda:setCurrent', { itemId: b }, CHAIR)
    expect(r).toEqual({ itemId: b, finished: a })
    expect(publicView(h.state).agenda.items.map((i) => i.status)).toEqual(['done', 'current'])
    // Going back reopens an item; finishPrevious false leaves the one left pending.
    h.must('agenda:setCurrent', { itemId: a, finishPrevious: false }, CHAIR)
    expect(publicView(h.state).agenda.items.map((i) => i.status)).toEqual(['current', 'pending'])
    h.must('agenda:setDone', { itemId: a, done: true }, CHAIR)
    expect(publicView(h.state).agenda).toMatchObject({ currentItemId: null })
    expect(publicView(h.state).agenda.items.map((i) => i.status)).toEqual(['done', 'pending'])
    h.must('agenda:setCurrent', { itemId: null }, CHAIR)
    expect(publicView(h.state).speech).toBeNull()
  })

  it('a speaker called but not started goes back to the head of the queue when the hall moves on', () => {
    const h = hall()
    const a = h.add('专题发言', { type: 'speeches' })
    const b = h.add('闭幕')
    h.must('agenda:setCurrent', { itemId: a }, CHAIR)
    const s1 = h.must('speakers:add', { itemId: a, personId: 'd0001' }, DESK).speakerId
    const s2 = h.must('speakers:add', { itemId: a, personId: 'd0002' }, DESK).speakerId
    h.must('speakers:next', { itemId: a }, CHAIR)
    h.must('agenda:setCurrent', { itemId: b }, CHAIR)
    expect(h.state.speakerLists.get(a)!.waiting).toEqual([s1, s2])
    expect(h.state.speakers.get(s1)!.status).toBe('waiting')
  })
})

describe('documents', () => {
  it('attaches metadata only; the id is fixed by the log; removal by the desk', () => {
    const h = hall()
    const a = h.add('审议报告', { type: 'report' })
    const meta = { name: '县委工作报告.pdf', mime: 'application/pdf' as const, size: 1234, sha256: 'a'.repeat(64) }
    const d = decideAttachDocument(h.state, a, meta, h.ctx.now)
    if (isRefusal(d)) throw new Error(d.error)
    h.state = fold(h.state, d.events, h.ctx.now)
    expect(publicView(h.state).agenda.items[0].documents).toEqual([{ id: d.result.id, name: meta.name, mime: meta.mime, size: 1234, sha256: meta.sha256 }])
    expect(decideAttachDocument(h.state, 'nope', meta, h.ctx.now)).toMatchObject({ error: 'ITEM_NOT_FOUND' })
    h.must('agenda:removeDocument', { itemId: a, documentId: d.result.id }, DESK)
    expect(publicView(h.state).agenda.items[0].documents).toEqual([])
    expect(h.act('agenda:removeDocument', { itemId: a, documentId: d.result.id }, DESK)).toMatchObject({ ok: false, error: 'DOCUMENT_NOT_FOUND' })
  })
})

describe('a document on the hall display', () => {
  it('the chair shows a visible item’s document; hiding or removing takes it off the hall’s view', () => {
    const h = hall()
    const a = h.add('审议报告', { type: 'report' })
    const secret = h.add('人事', { hidden: true })
    const attach = (itemId: string, name: string) => {
      const d = decideAttachDocument(h.state, itemId, { name, mime: 'text/markdown', size: 10, sha256: 'b'.repeat(64) }, h.ctx.now)
      if (isRefusal(d)) throw new Error(d.error)
      h.state = fold(h.state, d.events, h.ctx.now)
      return d.result.id
    }
    const doc = attach(a, '报告.md')
    const hiddenDoc = attach(secret, '名单.md')
    expect(h.act('agenda:showDocument', { documentId: doc }, DESK)).toMatchObject({ ok: false, error: 'FORBIDDEN' })
    expect(h.act('agenda:showDocument', { documentId: hiddenDoc }, CHAIR)).toMatchObject({ ok: false, error: 'ITEM_NOT_FOUND' })
    expect(h.act('agenda:showDocument', { documentId: 'doc0' }, CHAIR)).toMatchObject({ ok: false, error: 'DOCUMENT_NOT_FOUND' })
    h.must('agenda:showDocument', { documentId: doc }, CHAIR)
    expect(publicView(h.state).agenda.shownDocument).toMatchObject({ id: doc, name: '报告.md' })
    expect(publicView(h.state).agenda.shownPage).toBe(1)
    // The chair turns the pages; the same page again changes nothing.
    expect(h.must('agenda:showDocument', { documentId: doc, page: 3 }, CHAIR)).toEqual({ documentId: doc, page: 3 })
    expect(publicView(h.state).agenda.shownPage).toBe(3)
    const v = h.state.version
    h.must('agenda:showDocument', { documentId: doc, page: 3 }, CHAIR)
    expect(h.state.version).toBe(v)
    h.must('agenda:showDocument', { documentId: doc }, CHAIR)
    expect(publicView(h.state).agenda.shownPage).toBe(1)
    h.must('agenda:showDocument', { documentId: doc, page: 2 }, CHAIR)
    h.must('agenda:setHidden', { itemId: a, hidden: true }, DESK)
    expect(publicView(h.state).agenda.shownDocument).toBeNull()
    expect(chairView(h.state).agenda.shownDocument).toMatchObject({ id: doc })
    h.must('agenda:setHidden', { itemId: a, hidden: false }, DESK)
    h.must('agenda:removeDocument', { itemId: a, documentId: doc }, DESK)
    expect(chairView(h.state).agenda.shownDocument).toBeNull()
    expect(h.state.shownDocumentId).toBeNull()
    // Taken off with its document: the next one shown starts at its first page.
    expect(h.state.shownDocumentPage).toBe(1)
  })
})

describe('the state stays immutable per entry', () => {
  it('a clone taken before an event is not changed by folding it', () => {
    const h = hall()
    const a = h.add('专题发言', { type: 'speeches' })
    h.must('agenda:setCurrent', { itemId: a }, CHAIR)
    h.must('speakers:add', { itemId: a, personId: 'd0001' }, DESK)
    const before = cloneState(h.state)
    const snapshot = JSON.stringify([[...before.agenda], [...before.speakers], [...before.speakerLists], before.agendaOrder])
    h.must('speakers:next', { itemId: a }, CHAIR)
    h.must('speakers:start', { itemId: a }, CHAIR)
    h.must('agenda:update', { itemId: a, title: '改名' }, DESK)
    h.add('新议程')
    expect(JSON.stringify([[...before.agenda], [...before.speakers], [...before.speakerLists], before.agendaOrder])).toBe(snapshot)
  })
})

describe('who hears about a change', () => {
  it('a move touches the waiting speakers of that list only', () => {
    const h = hall()
    const a = h.add('专题发言', { type: 'speeches' })
    const other = h.add('别的')
    const ids = ['d0001', 'd0002', 'd0003'].map((p) => h.must('speakers:add', { itemId: a, personId: p }, DESK).speakerId as string)
    h.must('speakers:add', { itemId: other, personId: 'd0100' }, DESK)
    const r = h.act('speakers:move', { speakerId: ids[2], position: 0 }, CHAIR)
    if (!r.ok) throw new Error('refused')
    const into = new Set<string>()
    personsTouchedBySpeech(r.events.map((event, i) => ({ seq: i, at: 0, actor: null, event, prev: '', hash: '' })), h.state, into)
    expect([...into].sort()).toEqual(['d0001', 'd0002', 'd0003'])
  })
})

describe('payload validation', () => {
  it('refuses unknown keys, out-of-range times and empty titles', () => {
    expect(schemas['agenda:add'].safeParse({ type: 'speeches', title: '' }).success).toBe(false)
    expect(schemas['agenda:add'].safeParse({ type: 'party', title: 'x' }).success).toBe(false)
    expect(schemas['agenda:add'].safeParse({ type: 'other', title: 'x', speechLimitMs: 5 }).success).toBe(false)
    expect(schemas['speakers:request'].safeParse({ itemId: 'it1', topic: 'x', personId: 'd0002' }).success).toBe(false)
    expect(schemas['speakers:request'].safeParse({ itemId: 'it1', topic: 'x'.repeat(201) }).success).toBe(false)
  })
})

describe('the record of speeches as CSV', () => {
  it('one row per speech with start, duration and overrun; counts per delegation; formula cells defused', () => {
    const h = hall()
    const a = h.add('专题发言', { type: 'speeches', speechLimitMs: 2 * MIN })
    h.must('agenda:setCurrent', { itemId: a }, CHAIR)
    h.must('speakers:add', { itemId: a, personId: 'd0001', topic: '=HYPERLINK("x")' }, DESK)
    const g = h.state.persons.get('d0070')!
    h.must('speakers:add', { itemId: a, personId: g.id, delegationId: g.delegationId!, topic: '乡村振兴' }, DESK)
    for (const ms of [2 * MIN + 29_000, 59_000]) {
      h.must('speakers:next', { itemId: a }, CHAIR)
      h.must('speakers:start', { itemId: a }, CHAIR)
      h.ctx.tick(ms)
      h.must('speakers:end', { itemId: a }, CHAIR)
    }
    const csv = exportSpeechesCsv(h.state, { timeZone: 'Asia/Shanghai' })
    expect(csv.charCodeAt(0)).toBe(0xfeff)
    const lines = csv.slice(1).trim().split('\r\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain('发言题目')
    const p1 = h.state.persons.get('d0001')!
    expect(lines[1]).toContain(`1,专题发言,${p1.name},县直机关代表团,个人发言,"'=HYPERLINK(""x"")"`)
    expect(lines[1]).toMatch(/,2:30,2:00,0:30,150,30$/)
    expect(lines[2]).toContain('代表团发言,乡村振兴')
    expect(lines[2]).toMatch(/,1:00,2:00,,60,0$/)
    const stats = exportSpeechStatsCsv(h.state).slice(1).trim().split('\r\n')
    expect(stats).toHaveLength(12)
    expect(stats[1]).toBe('县直机关代表团,1,0,2:30,0:30,150,30')
  })
})
