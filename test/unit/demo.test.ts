// The demo hall must look like the reference county's: 251 delegates, 11 delegations, no two people
// with the same name, id or seat, and a roster the secretariat could export and import again.
import { describe, it, expect } from 'vitest'
import { demoRoster } from '../../server/demo'
import { exportRosterCsv, parseRoster } from '../../server/roster/csv'
import { shouldAttend } from '../../shared/domain/quorum'
import { emptyState } from '../../shared/domain/types'

describe('demoRoster', () => {
  const { delegations, persons } = demoRoster()
  const delegates = persons.filter((p) => p.role === 'delegate')
  const observers = persons.filter((p) => p.role === 'observer')

  it('has 251 active voting delegates in 11 delegations, and 8 observers without a vote', () => {
    expect(delegates).toHaveLength(251)
    expect(delegates.filter(shouldAttend)).toHaveLength(251)
    expect(delegations).toHaveLength(11)
    expect(delegations.map((d) => d.id)).toEqual(['g01', 'g02', 'g03', 'g04', 'g05', 'g06', 'g07', 'g08', 'g09', 'g10', 'g11'])
    expect(delegations.map((d) => d.order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(delegations.every((d) => d.name.endsWith('代表团'))).toBe(true)
    for (const d of delegations) expect(delegates.filter((p) => p.delegationId === d.id).length).toBeGreaterThan(5)
    expect(observers).toHaveLength(8)
    expect(observers.map((p) => p.id)).toEqual(['o01', 'o02', 'o03', 'o04', 'o05', 'o06', 'o07', 'o08'])
    expect(observers.every((p) => !p.votingRight && p.delegationId === null && p.status === 'active')).toBe(true)
    expect(persons.every((p) => p.role === 'delegate' || p.role === 'observer')).toBe(true)
  })

  it('numbers delegates d0001..d0251', () => {
    expect(delegates.map((p) => p.id)).toEqual(Array.from({ length: 251 }, (_, i) => `d${String(i + 1).padStart(4, '0')}`))
  })

  it('has no duplicate name, id or seat', () => {
    for (const key of ['name', 'id', 'seat'] as const) {
      expect(new Set(persons.map((p) => p[key])).size).toBe(persons.length)
    }
    expect(persons.every((p) => /^\d+排\d+座$/.test(p.seat))).toBe(true)
  })

  it('has plausible Chinese names and about 30% women', () => {
    expect(persons.every((p) => /^\p{Script=Han}{2,3}$/u.test(p.name))).toBe(true)
    const women = persons.filter((p) => p.gender === 'F').length / persons.length
    expect(women).toBeGreaterThan(0.2)
    expect(women).toBeLessThan(0.4)
    expect(persons.every((p) => p.gender === 'M' || p.gender === 'F')).toBe(true)
  })

  it('is the same every time', () => {
    expect(demoRoster()).toEqual(demoRoster())
  })

  it('exports and imports again unchanged', () => {
    const s = emptyState()
    for (const d of delegations) s.delegations.set(d.id, d)
    for (const p of persons) s.persons.set(p.id, p)
    const r = parseRoster(new TextEncoder().encode(exportRosterCsv(s)), delegations)
    expect(r.errors).toEqual([])
    expect(r.delegations).toEqual(delegations)
    expect(r.persons).toEqual(persons)
  })
})
