// Client logic of paper election rounds (纸质选票) at the desk: reading the tellers' form into the
// `poll:paperEntry` totals, the live checks (the server's own paperTotalsProblems), which entry a
// desk makes, and what the server's comparison of the two entries points the tellers to.
import { describe, expect, it } from 'vitest'
import type { Candidate } from '../../shared/domain/elections'
import { paperTotalsProblems } from '../../shared/domain/elections'
import { paperDifferences } from '../../shared/domain/poll-commands'
import { schemas } from '../../shared/schemas'
import {
  addWriteInRow,
  checkPaperForm,
  differingKeys,
  emptyPaperForm,
  entryOutcome,
  fitPaperForm,
  ownEntryAfterRefusal,
  paperStage,
  parseCount,
  readyToSend,
  removeWriteInRow,
  rowKey,
  suggestEntry,
  tallyKey,
  writeInKey,
  type PaperForm,
} from '../../client/src/logic/paperEntry'

const candidates: Candidate[] = [
  { id: 'c1', name: '王建国', personId: 'd001' },
  { id: 'c2', name: '李红梅', personId: null },
]
const spec = { seats: 1, candidates }

function filled(): PaperForm {
  const f = emptyPaperForm(candidates)
  f.returned = '198'
  f.invalid = '3'
  f.tallies.c1 = { for: '130', against: '40', abstain: '25' }
  f.tallies.c2 = { for: '60', against: '100', abstain: '35' }
  return f
}

describe('reading counts as tellers type them', () => {
  it('takes whole numbers, full-width digits and spaces; blank is blank, anything else is wrong', () => {
    expect(parseCount('')).toBeNull()
    expect(parseCount('  ')).toBeNull()
    expect(parseCount('０')).toBe(0)
    expect(parseCount('１２３')).toBe(123)
    expect(parseCount(' 1 980 ')).toBe(1980)
    expect(parseCount('1,980')).toBe(1980)
    expect(parseCount('-1')).toBeNaN()
    expect(parseCount('1.5')).toBeNaN()
    expect(parseCount('十')).toBeNaN()
    expect(parseCount('1234567')).toBeNaN()
  })
})

describe('the paper count form', () => {
  it('sends nothing until every field is filled, and says which are blank', () => {
    const f = emptyPaperForm(candidates)
    f.returned = '198'
    const c = checkPaperForm(f, spec, 200)
    expect(c.totals).toBeNull()
    expect(c.missing).toEqual(['invalid', tallyKey('c1', 'for'), tallyKey('c1', 'against'), tallyKey('c1', 'abstain'), tallyKey('c2', 'for'), tallyKey('c2', 'against'), tallyKey('c2', 'abstain')])
    expect(c.valid).toBeNull()
    expect(readyToSend(c)).toBe(false)
  })

  it('reads a complete form into totals the server schema accepts, with the figures the desk shows', () => {
    const c = checkPaperForm(filled(), spec, 200)
    expect(c.totals).toEqual({
      returned: 198,
      invalid: 3,
      tallies: { c1: { for: 130, against: 40, abstain: 25 }, c2: { for: 60, against: 100, abstain: 35 } },
      writeIns: [],
    })
    expect(c.problems).toEqual([])
    expect(c.valid).toBe(195)
    expect(c.rows.c1).toEqual({ sum: 195, rest: 0, over: false })
    expect([c.forTotal, c.forLimit]).toEqual([190, 195])
    expect(readyToSend(c)).toBe(true)
    expect(schemas['poll:paperEntry'].safeParse({ pollId: 'poll1', entry: 1, totals: c.totals }).success).toBe(true)
  })

  it('finds what the server would refuse, in the server’s own words', () => {
    const f = filled()
    f.invalid = '199'
    const c = checkPaperForm(f, spec, 200)
    expect(c.problems).toEqual(paperTotalsProblems(1, candidates, c.totals!))
    expect(c.problems).toContain('无效票多于收回票')
    expect(readyToSend(c)).toBe(false)

    const g = filled()
    g.tallies.c2.for = '70' // 70 + 100 + 35 > 195 valid; and 200 "for" > 195 × 1 seat
    const d = checkPaperForm(g, spec, 200)
    expect(d.rows.c2.over).toBe(true)
    expect(d.problems).toEqual(['李红梅的赞成、不赞成、弃权之和超过有效票数', '赞成票总数超过有效票数乘以应选人数'])
  })

  it('marks fields that are not whole numbers and sends nothing', () => {
    const f = filled()
    f.tallies.c1.for = '13O'
    const c = checkPaperForm(f, spec, 200)
    expect(c.malformed).toEqual([tallyKey('c1', 'for')])
    expect(c.totals).toBeNull()
    expect(readyToSend(c)).toBe(false)
  })

  it('warns that more returned than issued voids the round (the server counts it void)', () => {
    const f = filled()
    f.returned = '201'
    expect(checkPaperForm(f, spec, 200).returnedOverIssued).toBe(true)
    expect(checkPaperForm(filled(), spec, 200).returnedOverIssued).toBe(false)
  })

  it('adds write-ins once, never a listed candidate, and leaves out those with no votes', () => {
    let f = filled()
    f = addWriteInRow(f, { personId: 'd050', name: '张三' }, new Set(['d001']))
    f = addWriteInRow(f, { personId: 'd050', name: '张三' }, new Set(['d001']))
    f = addWriteInRow(f, { personId: 'd001', name: '王建国' }, new Set(['d001']))
    f = addWriteInRow(f, { personId: 'd051', name: '李四' }, new Set(['d001']))
    expect(f.writeIns.map((w) => w.personId)).toEqual(['d050', 'd051'])
    expect(checkPaperForm(f, spec, 200).missing).toEqual([writeInKey('d050'), writeInKey('d051')])
    f.writeIns[0].for = '4'
    f.writeIns[1].for = '0'
    const c = checkPaperForm(f, spec, 200)
    // A written-in person with no votes is not sent: another entry that omits them still agrees.
    expect(c.totals?.writeIns).toEqual([{ personId: 'd050', for: 4 }])
    expect(c.forTotal).toBe(194)
    f = removeWriteInRow(f, 'd050')
    expect(f.writeIns.map((w) => w.personId)).toEqual(['d051'])
  })

  it('keeps what was typed when the round’s candidates change (a further round among some of them)', () => {
    const f = fitPaperForm(filled(), [{ id: 'c2' }])
    expect(Object.keys(f.tallies)).toEqual(['c2'])
    expect(f.tallies.c2.for).toBe('60')
    expect(f.returned).toBe('198')
  })
})

describe('the two entries', () => {
  it('a desk makes the entry it made before, else the first one missing; with both in and neither its own, it asks', () => {
    expect(suggestEntry([], null)).toBe(1)
    expect(suggestEntry([1], null)).toBe(2)
    expect(suggestEntry([2], null)).toBe(1)
    expect(suggestEntry([1, 2], null)).toBeNull()
    expect(suggestEntry([1, 2], 2)).toBe(2)
    expect(suggestEntry([1], 1)).toBe(1)
    // Refused as the same person on entry 2: entry 1 was this person's own.
    expect(ownEntryAfterRefusal(2)).toBe(1)
    expect(ownEntryAfterRefusal(1)).toBe(2)
  })

  it('reads the ack and the view', () => {
    expect(entryOutcome(null)).toBe('first')
    expect(entryOutcome([])).toBe('agree')
    expect(entryOutcome(['李红梅'])).toBe('differ')
    expect(paperStage(null)).toBe('none')
    expect(paperStage({ entered: [] })).toBe('none')
    expect(paperStage({ entered: [2] })).toBe('one')
    expect(paperStage({ entered: [1, 2] })).toBe('both')
  })

  it('points the recount at the fields the server found different', () => {
    const a = checkPaperForm(filled(), spec, 200).totals!
    const other = filled()
    other.returned = '197'
    other.tallies.c2 = { for: '61', against: '99', abstain: '35' }
    const wi = addWriteInRow(other, { personId: 'd050', name: '张三' }, new Set())
    wi.writeIns[0].for = '1'
    const b = checkPaperForm(wi, spec, 200).totals!
    const names = new Map([['c1', '王建国'], ['c2', '李红梅'], ['d050', '张三']])
    const diffs = paperDifferences(a, b, names)
    expect(diffs).toEqual(['收回票数', '李红梅', '另选他人 张三'])
    expect([...differingKeys(diffs, candidates, [{ personId: 'd050', name: '张三' }])]).toEqual(['returned', rowKey('c2'), writeInKey('d050')])
    expect(differingKeys(['无效票数'], candidates, []).has('invalid')).toBe(true)
  })
})
