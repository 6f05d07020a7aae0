import { describe, expect, it } from 'vitest'
import { CowMap, cloneState, emptyState, freezeState } from '../../shared/domain/types'
import { summarize } from '../../shared/domain/quorum'

describe('CowMap: a draft reads through the committed map and copies it on its first write', () => {
  it('writes to the draft never show in the committed map', () => {
    const committed = new Map([
      ['a', 1],
      ['b', 2],
    ])
    const draft = new CowMap(committed)
    expect(draft.get('a')).toBe(1)
    expect(draft.size).toBe(2)
    draft.set('c', 3)
    draft.delete('a')
    expect([...draft]).toEqual([
      ['b', 2],
      ['c', 3],
    ])
    expect([...committed]).toEqual([
      ['a', 1],
      ['b', 2],
    ])
  })

  it('a draft of a map that may still change (not committed) is its own copy from the start', () => {
    const stillWritten = new Map([['a', 1]])
    const draft = new CowMap(stillWritten)
    stillWritten.set('b', 2)
    expect([...draft.keys()]).toEqual(['a'])
    const draftOfDraft = new CowMap(draft)
    draft.set('c', 3)
    expect([...draftOfDraft.keys()]).toEqual(['a'])
  })

  it('iterates, tests and counts like a Map before and after the copy', () => {
    const committed = new Map([['x', 'X']])
    const draft = new CowMap(committed)
    const seen: string[] = []
    draft.forEach((v, k, m) => {
      seen.push(k + v)
      expect(m).toBe(draft)
    })
    expect(seen).toEqual(['xX'])
    expect([...draft.keys()]).toEqual(['x'])
    expect([...draft.values()]).toEqual(['X'])
    expect(draft.has('x')).toBe(true)
    expect(draft.delete('missing')).toBe(false)
    expect(draft instanceof Map).toBe(true)
    draft.clear()
    expect(draft.size).toBe(0)
    expect(committed.size).toBe(1)
  })

  it('a chain of drafts stays independent: each sees its own writes and its ancestors only', () => {
    const s0 = emptyState()
    s0.persons.set('p1', { id: 'p1' } as never)
    const s1 = cloneState(s0)
    const s2 = cloneState(s1) // s1 untouched: reads straight through to s0
    s2.persons.set('p2', { id: 'p2' } as never)
    const s3 = cloneState(s2)
    s3.persons.delete('p1')
    expect([...s0.persons.keys()]).toEqual(['p1'])
    expect([...s1.persons.keys()]).toEqual(['p1'])
    expect([...s2.persons.keys()]).toEqual(['p1', 'p2'])
    expect([...s3.persons.keys()]).toEqual(['p2'])
  })
})

describe('committed states: frozen maps and memoised figures', () => {
  it('a write to a committed state map throws, while its drafts stay writable', () => {
    const s0 = freezeState(cloneState(emptyState()))
    expect(() => s0.persons.set('p', {} as never)).toThrow(/committed/)
    const s1 = cloneState(s0)
    s1.persons.set('p', { id: 'p' } as never)
    expect(s1.persons.size).toBe(1)
    expect(s0.persons.size).toBe(0)
  })

  it('the attendance summary follows every check-in across versions, and is shared while nothing changed', () => {
    const person = (id: string) => ({ id, name: id, gender: 'male', role: 'delegate', delegationId: null, seat: '', status: 'active', votingRight: true }) as never
    const d0 = cloneState(emptyState())
    d0.persons.set('a', person('a'))
    d0.persons.set('b', person('b'))
    const s0 = freezeState(d0)
    const sum0 = summarize(s0)
    expect(sum0.total).toMatchObject({ shouldAttend: 2, present: 0 })
    // A later version that did not touch attendance or persons: the same summary object.
    const d1 = cloneState(s0)
    d1.version = 1
    const s1 = freezeState(d1)
    expect(summarize(s1)).toBe(sum0)
    // A check-in: counted at once.
    const d2 = cloneState(s1)
    d2.attendance.set('a', { presence: 'present', leaveReason: null, since: 1, via: 'tablet' })
    const s2 = freezeState(d2)
    expect(summarize(s2).total).toMatchObject({ shouldAttend: 2, present: 1 })
    // A draft still being written is never served from the memo.
    const d3 = cloneState(s2)
    d3.attendance.set('b', { presence: 'present', leaveReason: null, since: 2, via: 'tablet' })
    expect(summarize(d3).total.present).toBe(2)
    d3.attendance.delete('b')
    expect(summarize(d3).total.present).toBe(1)
  })
})
