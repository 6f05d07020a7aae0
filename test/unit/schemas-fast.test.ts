// The hand-written fast checks for hot commands must agree with their zod schemas: whatever a fast
// check accepts, zod accepts with the same result; whatever zod refuses, the fast check leaves to zod
// (so the refusal and its wording stay zod's).
import { describe, expect, it } from 'vitest'
import { prng } from '../../shared/prng'
import { fastParsers, schemas, type CommandName } from '../../shared/schemas'

const validCast = () => ({
  pollId: 'poll-7',
  round: 1,
  ballot: { marks: { c1: 'for', c2: 'against' }, writeIns: [] },
  idempotencyKey: 'AbC_1234-xyz',
})

/** Values that sit on either side of each rule of the ballot:cast schema. */
const variants: Record<string, unknown[]> = {
  pollId: ['p', 'x'.repeat(64), 'x'.repeat(65), '', ' p', 'p ', '  ', '\tp', 'p\n', 7, null, ['p'], '投票-1'],
  round: [1, 100, 0, 101, 1.5, -1, '1', NaN, Infinity, null, 2 ** 53],
  ballot: [null, 'x', 0, [], { marks: {} }, undefined],
  idempotencyKey: ['abcdefgh', 'a'.repeat(64), 'a'.repeat(65), 'abcdefg', 'abcd efgh', 'abcd/efgh', 'abcdefgh\n', 'ÄÖÜabcdefgh', 12345678, null],
}

function agree(name: CommandName, raw: unknown) {
  const fast = fastParsers[name] as (r: unknown) => unknown
  const quick = fast(raw)
  const slow = schemas[name].safeParse(raw)
  if (quick !== undefined) {
    expect(slow.success, `zod refused what the fast check accepted: ${JSON.stringify(raw)}`).toBe(true)
    expect(quick).toStrictEqual(slow.data)
  }
  return { quick, slow }
}

describe('fast payload checks agree with the zod schemas', () => {
  it('ballot:cast: a well-formed cast takes the fast path and equals zod’s result', () => {
    const { quick, slow } = agree('ballot:cast', validCast())
    expect(quick).toBeDefined()
    expect(slow.success).toBe(true)
  })

  it('ballot:cast: every field at and beyond its limits', () => {
    let fastAccepted = 0
    let zodRefused = 0
    for (const [field, values] of Object.entries(variants)) {
      for (const v of values) {
        const raw: Record<string, unknown> = { ...validCast(), [field]: v }
        const { quick, slow } = agree('ballot:cast', raw)
        if (quick !== undefined) fastAccepted++
        if (!slow.success) {
          zodRefused++
          expect(quick).toBeUndefined()
        }
      }
    }
    // Both sides of the line were exercised.
    expect(fastAccepted).toBeGreaterThan(8)
    expect(zodRefused).toBeGreaterThan(20)
  })

  it('ballot:cast: wrong shapes (extra or missing keys, non-objects, odd prototypes) are left to zod', () => {
    const shapes: unknown[] = [
      undefined,
      null,
      'cast',
      42,
      [validCast()],
      { ...validCast(), extra: 1 },
      { ...validCast(), __proto__: { pollId: 'x' } },
      Object.assign(Object.create(null), validCast()),
      (() => {
        const o: Record<string, unknown> = validCast()
        delete o.ballot
        return o
      })(),
      (() => {
        const o: Record<string, unknown> = validCast()
        delete o.idempotencyKey
        return o
      })(),
      JSON.parse('{"pollId":"p","round":1,"ballot":{},"idempotencyKey":"abcdefgh","__proto__":{"x":1}}'),
    ]
    for (const raw of shapes) agree('ballot:cast', raw)
  })

  it('ballot:cast: random payloads never make the two disagree', () => {
    const rand = prng(4242)
    const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]
    for (let i = 0; i < 3000; i++) {
      const raw: Record<string, unknown> = {}
      for (const [field, values] of Object.entries(variants)) {
        const r = rand()
        if (r < 0.05) continue
        raw[field] = r < 0.5 ? (validCast() as Record<string, unknown>)[field] : pick(values)
      }
      if (rand() < 0.05) raw[pick(['x', 'constructor', 'toString', 'round2'])] = 1
      agree('ballot:cast', raw)
    }
  })
})
