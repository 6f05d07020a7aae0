import { describe, expect, it } from 'vitest'
import { CowMap, cloneState, emptyState } from '../../shared/domain/types'

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
