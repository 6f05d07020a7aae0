// The published ballot list and its digest: canonical per ballot, sorted, and so independent of the
// order in which ballots were cast or stored.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ballotsDigest, canonicalBallots, canonicalJson } from '../../shared/domain/digest'

const sha256hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]))
  return v
}

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ writeIns: ['p9'], marks: { c: 'for', a: 'against', b: 'abstain' } })).toBe(
      '{"marks":{"a":"against","b":"abstain","c":"for"},"writeIns":["p9"]}',
    )
  })

  it('keeps array order, and writes strings and numbers as JSON does', () => {
    expect(canonicalJson({ grades: { s1: null, s2: 3, s3: -0 }, n: 1.5, t: true, s: '王明\n"' })).toBe(
      '{"grades":{"s1":null,"s2":3,"s3":0},"n":1.5,"s":"王明\\n\\"","t":true}',
    )
    expect(canonicalJson([2, 1])).toBe('[2,1]')
  })

  it('drops undefined fields but refuses what JSON cannot say exactly', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}')
    expect(() => canonicalJson({ a: NaN })).toThrow(TypeError)
    expect(() => canonicalJson({ a: Infinity })).toThrow(TypeError)
    expect(() => canonicalJson([undefined])).toThrow(TypeError)
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(TypeError)
    expect(() => canonicalJson({ a: new Map() })).toThrow(TypeError)
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => canonicalJson(cyclic)).toThrow(TypeError)
  })

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { a: 1 }
    expect(canonicalJson([shared, shared])).toBe('[{"a":1},{"a":1}]')
  })
})

describe('canonicalBallots and ballotsDigest', () => {
  const ballots = [
    { marks: { a: 'for', b: 'against' }, writeIns: ['p9'] },
    { mark: 'for' },
    { marks: { b: 'for', a: 'abstain' }, writeIns: [] },
    { mark: 'for' },
    { grades: { s1: 0, s2: null } },
  ]

  it('publishes one canonical line per ballot, sorted, duplicates kept', () => {
    expect(canonicalBallots(ballots)).toEqual([
      '{"grades":{"s1":0,"s2":null}}',
      '{"mark":"for"}',
      '{"mark":"for"}',
      '{"marks":{"a":"abstain","b":"for"},"writeIns":[]}',
      '{"marks":{"a":"for","b":"against"},"writeIns":["p9"]}',
    ])
  })

  it('does not depend on casting order or key order', () => {
    const shuffled = [ballots[3], ballots[4], ballots[0], ballots[2], ballots[1]].map(reverseKeys) as unknown[]
    expect(JSON.stringify(shuffled[2])).toBe('{"writeIns":["p9"],"marks":{"b":"against","a":"for"}}')
    expect(canonicalBallots(shuffled)).toEqual(canonicalBallots(ballots))
    const d1 = ballotsDigest(canonicalBallots(ballots), sha256hex)
    const d2 = ballotsDigest(canonicalBallots([...ballots].reverse()), sha256hex)
    expect(d1).toBe(d2)
    expect(d1).toMatch(/^[0-9a-f]{64}$/)
  })

  it('hashes the sorted lines joined by newlines, whatever order they are handed in', () => {
    const lines = canonicalBallots(ballots)
    expect(ballotsDigest(lines, sha256hex)).toBe(sha256hex(lines.join('\n')))
    expect(ballotsDigest([...lines].reverse(), sha256hex)).toBe(sha256hex(lines.join('\n')))
  })

  it('changes when any ballot changes, is added or removed', () => {
    const base = ballotsDigest(canonicalBallots(ballots), sha256hex)
    const changed = structuredClone(ballots)
    ;(changed[1] as { mark: string }).mark = 'against'
    expect(ballotsDigest(canonicalBallots(changed), sha256hex)).not.toBe(base)
    expect(ballotsDigest(canonicalBallots(ballots.slice(1)), sha256hex)).not.toBe(base)
    expect(ballotsDigest(canonicalBallots([...ballots, { mark: 'for' }]), sha256hex)).not.toBe(base)
  })

  it('has a fixed digest for the empty box', () => {
    expect(canonicalBallots([])).toEqual([])
    expect(ballotsDigest([], sha256hex)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })
})
