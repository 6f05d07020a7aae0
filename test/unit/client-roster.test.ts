// Desk roster logic: patches, ordering, search and filters, card-run selection.
import { describe, expect, it } from 'vitest'
import type { RosterRow } from '../../shared/domain/views'
import {
  applyRosterPatch,
  emptyFilter,
  filterRoster,
  matchesQuery,
  personsForIssue,
  rowsById,
  sortRoster,
  suggestPersonId,
  type DelegationInfo,
} from '../../client/src/logic/roster'

function row(id: string, over: Partial<RosterRow> = {}): RosterRow {
  return {
    id,
    name: `代表${id}`,
    gender: '',
    role: 'delegate',
    delegationId: 'd1',
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

const delegations = new Map<string, DelegationInfo>([
  ['d1', { name: '城关镇代表团', order: 0 }],
  ['d2', { name: '县直机关代表团', order: 1 }],
])

describe('applyRosterPatch', () => {
  it('upserts rows by id and drops removed ids, leaving the input untouched', () => {
    const before = rowsById([row('a'), row('b'), row('c')])
    const after = applyRosterPatch(before, { rows: [row('b', { presence: 'present' }), row('d')], removed: ['c'] })
    expect([...after.keys()].sort()).toEqual(['a', 'b', 'd'])
    expect(after.get('b')?.presence).toBe('present')
    expect(before.get('b')?.presence).toBe('absent')
    expect(before.has('c')).toBe(true)
  })
})

describe('sortRoster', () => {
  it('orders by delegation, then seat numerically, then name; staff without delegation last', () => {
    const rows = [
      row('staff', { delegationId: null, role: 'secretariat', seat: '' }),
      row('x', { delegationId: 'd2', seat: '1排1号' }),
      row('y', { delegationId: 'd1', seat: '2排10号' }),
      row('z', { delegationId: 'd1', seat: '2排9号' }),
    ]
    expect(sortRoster(rows, delegations).map((r) => r.id)).toEqual(['z', 'y', 'x', 'staff'])
  })
})

describe('search and filters', () => {
  const rows = sortRoster(
    [
      row('1', { name: '王建国', seat: '1排1号', delegationId: 'd1' }),
      row('2', { name: '李红', seat: '3排5号', delegationId: 'd2', presence: 'present' }),
      row('3', { name: '张伟', seat: '3排6号', delegationId: 'd2', presence: 'leave', leaveReason: 'illness' }),
      row('4', { name: '赵敏', role: 'observer', delegationId: 'd1' }),
      row('5', { name: '秘书处', role: 'secretariat', delegationId: null }),
    ],
    delegations,
  )

  it('matches name, seat or delegation name, ignoring spaces and case', () => {
    const wang = rows.find((r) => r.id === '1')!
    expect(matchesQuery(wang, '建国', '城关镇代表团')).toBe(true)
    expect(matchesQuery(wang, '1排1', '')).toBe(true)
    expect(matchesQuery(wang, '李', '城关镇代表团')).toBe(false)
    expect(filterRoster(rows, { ...emptyFilter(), query: ' 县直 ' }, delegations).map((r) => r.id)).toEqual(['2', '3'])
  })

  it('filters by delegation, presence and role together', () => {
    expect(filterRoster(rows, { ...emptyFilter(), delegationId: 'd2', presence: 'leave' }, delegations).map((r) => r.id)).toEqual(['3'])
    expect(filterRoster(rows, { ...emptyFilter(), role: 'attendees' }, delegations).map((r) => r.id)).toEqual(['4', '1', '2', '3'])
    expect(filterRoster(rows, { ...emptyFilter(), role: 'observer' }, delegations).map((r) => r.id)).toEqual(['4'])
  })

  it('stays fast on 3000 rows', () => {
    const many = sortRoster(
      Array.from({ length: 3000 }, (_, i) => row(String(i), { name: `代表${i}`, seat: `${i % 40}排${i % 30}号`, delegationId: i % 2 ? 'd1' : 'd2' })),
      delegations,
    )
    const t0 = performance.now()
    for (let i = 0; i < 20; i++) filterRoster(many, { ...emptyFilter(), query: `${i}排` }, delegations)
    expect((performance.now() - t0) / 20).toBeLessThan(50)
  })
})

describe('personsForIssue', () => {
  const rows = [
    row('a', { delegationId: 'd1' }),
    row('b', { delegationId: 'd2', role: 'observer' }),
    row('c', { delegationId: null, role: 'secretariat' }),
  ]
  it('"all" covers delegates and observers, never the staff accounts', () => {
    expect(personsForIssue(rows, { kind: 'all' })).toEqual(['a', 'b'])
  })
  it('by delegation and by selection', () => {
    expect(personsForIssue(rows, { kind: 'delegation', delegationId: 'd2' })).toEqual(['b'])
    expect(personsForIssue(rows, { kind: 'selected', ids: new Set(['c', 'gone']) })).toEqual(['c'])
  })
})

describe('suggestPersonId', () => {
  it('gives the role’s prefix and the first free number', () => {
    const taken = new Set(['d0001', 'd0002', 'd0004', 'display1', 'sec1', 'sec2', 'chair'])
    expect(suggestPersonId('delegate', taken)).toBe('d0003')
    expect(suggestPersonId('display', taken)).toBe('display2')
    expect(suggestPersonId('secretariat', taken)).toBe('sec3')
    expect(suggestPersonId('chair', taken)).toBe('chair1')
    expect(suggestPersonId('staff', new Set())).toBe('staff1')
    expect(suggestPersonId('observer', new Set(['o01']))).toBe('o02')
  })
})
