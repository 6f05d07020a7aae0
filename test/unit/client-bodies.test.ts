// Client logic of voting bodies (表决机构) and of the poll form's "who votes" and ballot form: the
// list the page knows, the body form, picking members by delegation, the figures the server will
// count, who may be a scrutineer in a body's poll, and the paper mode in the payload.
import { describe, expect, it } from 'vitest'
import type { RosterRow } from '../../shared/domain/views'
import { schemas } from '../../shared/schemas'
import { electorateOf } from '../../shared/domain/polls'
import { emptyState, type Person } from '../../shared/domain/types'
import {
  bodiesOfView,
  bodyFigures,
  bodyPayload,
  bodyProblems,
  delegationMembers,
  delegationState,
  knownBodies,
  mayBeMember,
  membersByDelegation,
  newBodyId,
  setMembers,
  voterFilter,
} from '../../client/src/logic/bodies'
import { draftProblems, effectiveMode, emptyPollDraft, payloadFromDraft } from '../../client/src/logic/pollEditor'

function row(id: string, over: Partial<RosterRow> = {}): RosterRow {
  return {
    id,
    name: `人${id}`,
    gender: '',
    role: 'delegate',
    delegationId: 'dA',
    seat: '',
    status: 'active',
    votingRight: true,
    presence: 'absent',
    leaveReason: null,
    since: null,
    via: null,
    hasCredential: true,
    undoable: false,
    ...over,
  }
}

const rows = [
  row('p1', { presence: 'present' }),
  row('p2'),
  row('p3', { delegationId: 'dB', presence: 'present' }),
  row('p4', { delegationId: 'dB', status: 'suspended', presence: 'present' }),
  row('o1', { role: 'observer', delegationId: 'dB', votingRight: false }),
  row('sec1', { role: 'secretariat', delegationId: null, votingRight: false }),
]
const byId = new Map(rows.map((r) => [r.id, r]))

describe('the bodies a page knows', () => {
  it('takes the view’s list when it has one', () => {
    expect(bodiesOfView({ bodies: [{ id: 'b1', name: '县委全体委员', memberIds: ['p2', 'p1'] }, { id: 'bad' }] })).toEqual([
      { id: 'b1', name: '县委全体委员', memberIds: ['p2', 'p1'] },
    ])
    expect(bodiesOfView({ polls: [] })).toBeNull()
    expect(bodiesOfView(null)).toBeNull()
    const k = knownBodies([{ id: 'b', name: '乙', memberIds: [] }, { id: 'a', name: '甲', memberIds: ['p1'] }], [], new Map([['x', { name: 'x', memberIds: [] }]]), new Set())
    expect(k.complete).toBe(true)
    expect(k.list.map((b) => b.id)).toEqual(['a', 'b'])
  })

  it('without it, pieces the list together from polls and this page’s saves and removals', () => {
    const polls = [{ body: { id: 'b1', name: '县委全体委员' } }, { body: null }, { body: { id: 'b2', name: '审查委员会' } }]
    const saved = new Map([['b3', { name: '纪委全体委员', memberIds: ['p1'] }], ['b2', { name: '审查委员会', memberIds: ['p2', 'p3'] }]])
    const k = knownBodies(null, polls, saved, new Set(['b1']))
    expect(k.complete).toBe(false)
    // By name in the zh-CN collation (pinyin): 纪 (ji) before 审 (shen).
    expect(k.list).toEqual([
      { id: 'b3', name: '纪委全体委员', memberIds: ['p1'] },
      { id: 'b2', name: '审查委员会', memberIds: ['p2', 'p3'] },
    ])
    // A body named on a poll keeps "members unknown" (null), never an empty list.
    expect(knownBodies(null, polls, new Map(), new Set()).list.find((b) => b.id === 'b1')?.memberIds).toBeNull()
  })
})

describe('the body form', () => {
  it('finds what the server would refuse or what makes no sense', () => {
    const others = [{ id: 'b1', name: '县委全体委员' }]
    expect(bodyProblems({ id: null, name: ' ', memberIds: [] }, others)).toEqual(['name', 'members'])
    expect(bodyProblems({ id: null, name: '县委全体委员 ', memberIds: ['p1'] }, others)).toEqual(['nameTaken'])
    expect(bodyProblems({ id: 'b1', name: '县委全体委员', memberIds: ['p1'] }, others)).toEqual([])
  })

  it('builds a payload the server schema accepts, members once each', () => {
    const p = bodyPayload({ id: null, name: ' 县委全体委员 ', memberIds: ['p3', 'p1', 'p3'] }, newBodyId([], 1_700_000_000_000))
    expect(p).toEqual({ id: expect.stringMatching(/^body-/), name: '县委全体委员', memberIds: ['p1', 'p3'] })
    expect(schemas['body:save'].safeParse(p).success).toBe(true)
  })

  it('gives each new body a fresh id', () => {
    const a = newBodyId([], 1000)
    expect(newBodyId([a], 1000)).not.toBe(a)
    expect(newBodyId([a, `${a}-2`], 1000)).toBe(`${a}-3`)
    expect(a.length).toBeLessThanOrEqual(64)
  })

  it('selects and unselects whole delegations of delegates and observers, never staff', () => {
    expect(rows.filter(mayBeMember).map((r) => r.id)).toEqual(['p1', 'p2', 'p3', 'p4', 'o1'])
    expect(delegationMembers(rows, 'dB')).toEqual(['p3', 'p4', 'o1'])
    let sel = setMembers(new Set(), delegationMembers(rows, 'dB'), true)
    expect(delegationState(sel, rows, 'dB')).toBe('all')
    expect(delegationState(sel, rows, 'dA')).toBe('none')
    sel = setMembers(sel, ['p1'], true)
    expect(delegationState(sel, rows, 'dA')).toBe('some')
    sel = setMembers(sel, delegationMembers(rows, 'dB'), false)
    expect([...sel]).toEqual(['p1'])
    expect(delegationState(new Set(), rows, 'nobody')).toBe('none')
  })

  it('counts members, should attend and present as the server does when a round opens', () => {
    const members = ['p1', 'p2', 'p3', 'p4', 'gone']
    expect(bodyFigures(members, byId)).toEqual({ members: 5, shouldAttend: 3, present: 2, unknown: 1 })
    // The same as the server's electorateOf for a body.
    const s = emptyState()
    for (const r of rows) {
      const p: Person = { id: r.id, name: r.name, gender: '', role: r.role, delegationId: r.delegationId, seat: '', status: r.status, votingRight: r.votingRight }
      s.persons.set(p.id, p)
      if (r.presence === 'present') s.attendance.set(p.id, { presence: 'present', leaveReason: null, since: 1, via: 'desk' })
    }
    s.bodies.set('b', { id: 'b', name: 'b', memberIds: ['p1', 'p2', 'p3', 'p4'] })
    const e = electorateOf(s, 'b')!
    const f = bodyFigures(['p1', 'p2', 'p3', 'p4'], byId)
    expect([f.shouldAttend, f.present]).toEqual([e.shouldAttend, e.present])
  })

  it('groups members by delegation in the delegations’ order', () => {
    const ds = [
      { id: 'dA', name: '第一代表团' },
      { id: 'dB', name: '第二代表团' },
    ]
    expect(membersByDelegation(['p3', 'p1', 'o1', 'sec1'], byId, ds)).toEqual([
      { id: 'dA', name: '第一代表团', count: 1 },
      { id: 'dB', name: '第二代表团', count: 2 },
      { id: null, name: '', count: 1 },
    ])
  })
})

describe('who votes in a poll', () => {
  it('the congress: active delegates with a vote; a body: its active members; unknown members: anyone who may sit on one', () => {
    const congress = voterFilter(null)
    expect(rows.filter(congress).map((r) => r.id)).toEqual(['p1', 'p2', 'p3'])
    const body = voterFilter({ memberIds: ['o1', 'p4', 'p2'] })
    expect(rows.filter(body).map((r) => r.id)).toEqual(['p2', 'o1'])
    const unknown = voterFilter({ memberIds: null })
    expect(rows.filter(unknown).map((r) => r.id)).toEqual(['p1', 'p2', 'p3', 'o1'])
  })

  it('the form refuses a scrutineer who does not vote in the chosen body', () => {
    const d = emptyPollDraft('appointment')
    d.title = '全委会票决'
    d.nominees = [{ name: '甲', position: '局长' }]
    d.bodyId = 'b1'
    d.scrutineers = ['p1', 'p3']
    const inBody = voterFilter({ memberIds: ['p3'] })
    const isVoter = (id: string) => inBody(byId.get(id)!)
    expect(draftProblems(d, { isVoter })).toEqual(['scrutineerNotVoter'])
    d.scrutineers = ['p3']
    expect(draftProblems(d, { isVoter })).toEqual([])
    // Without the context the form cannot tell: the server decides.
    d.scrutineers = ['p1']
    expect(draftProblems(d)).toEqual([])
  })

  it('sends the body, and paper only for an election, without a time limit', () => {
    const a = emptyPollDraft('appointment')
    a.title = '全委会票决'
    a.nominees = [{ name: '甲', position: '' }]
    a.bodyId = 'b1'
    a.mode = 'paper'
    const pa = payloadFromDraft(a)
    expect(pa).toMatchObject({ bodyId: 'b1', mode: 'electronic' })
    expect(schemas['poll:create'].safeParse(pa).success).toBe(true)

    const e = emptyPollDraft('election')
    e.title = '纸质补选'
    e.candidates = [{ name: '王建国' }, { name: '李红梅' }]
    e.mode = 'paper'
    e.timeLimitMin = 0.05 // nonsense for electronic, ignored on paper
    expect(effectiveMode(e)).toBe('paper')
    expect(draftProblems(e)).toEqual([])
    const pe = payloadFromDraft(e)
    expect(pe).toMatchObject({ mode: 'paper', timeLimitS: null, bodyId: null })
    expect(schemas['poll:create'].safeParse(pe).success).toBe(true)
    e.mode = 'electronic'
    expect(draftProblems(e)).toContain('timeLimit')
  })
})
