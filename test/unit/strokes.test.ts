// Surname-stroke order (姓氏笔画) of candidate lists: stroke counts from the bundled Unihan data for
// common surnames, compound surnames and rarer given-name characters, and a deterministic sort.
import { describe, expect, it } from 'vitest'
import { UNKNOWN_STROKES, sortByStrokes, strokeKey, strokesOf } from '../../server/strokes'

describe('strokesOf', () => {
  it.each([
    ['王', 4],
    ['李', 7],
    ['张', 7],
    ['刘', 6],
    ['陈', 7],
    ['杨', 7],
    ['黄', 11],
    ['赵', 9],
    ['周', 8],
    ['吴', 7],
    ['丁', 2],
    ['马', 3],
    ['于', 3],
    ['欧', 8],
    ['诸', 10],
  ])('%s has %i strokes', (ch, n) => {
    expect(strokesOf(ch)).toBe(n)
  })

  it('knows rarer characters of given names', () => {
    // 颋 琤 沄 淏 瑢 are missing from smaller common-character tables; 皙 is 白 (5) + 析 (8).
    expect(['颋', '琤', '沄', '淏', '瑢', '皙', '堃', '喆', '淼', '鑫'].map(strokesOf)).toEqual([12, 10, 7, 11, 14, 13, 11, 12, 12, 24])
  })

  it('knows characters outside the basic block (extension B)', () => {
    expect(strokesOf('𠮷')).toBe(6)
  })

  it('gives unknown characters a high, fixed number', () => {
    expect(strokesOf('A')).toBe(UNKNOWN_STROKES)
    expect(strokesOf('〇')).toBe(UNKNOWN_STROKES)
    expect(strokesOf('')).toBe(UNKNOWN_STROKES)
    expect(UNKNOWN_STROKES).toBeGreaterThan(100)
  })
})

describe('strokeKey', () => {
  it('lists each character, surname first', () => {
    expect(strokeKey('王明')).toEqual([4, 8])
    expect(strokeKey('欧阳修')).toEqual([8, 6, 9])
    expect(strokeKey('诸葛亮')).toEqual([10, 12, 9])
  })

  it('skips spaces and the middle dot of transliterated names', () => {
    expect(strokeKey(' 王 明 ')).toEqual([4, 8])
    expect(strokeKey('阿依古丽·买买提')).toEqual(strokeKey('阿依古丽买买提'))
  })
})

describe('sortByStrokes', () => {
  const sort = (names: string[]) => sortByStrokes(names, (n) => n)

  it('orders by the surname stroke count', () => {
    expect(sort(['黄伟', '王芳', '李娜', '丁一', '赵军', '周杰', '刘强', '马林'])).toEqual([
      '丁一', // 2
      '马林', // 3
      '王芳', // 4
      '刘强', // 6
      '李娜', // 7
      '周杰', // 8
      '赵军', // 9
      '黄伟', // 11
    ])
  })

  it('then by the following characters, a shorter name first when it is a prefix', () => {
    // 王 4: 王五 [4,4] < 王小明 [4,3,8]? no: 小 (3) < 五 (4), so 王小明 first; 王 alone leads.
    expect(sort(['王五', '王小明', '王', '王二'])).toEqual(['王', '王二', '王小明', '王五'])
  })

  it('treats a compound surname character by character', () => {
    // 欧阳 [8,6] and 周 [8]: 周一 [8,1] before 欧阳修 [8,6,9] on the second character.
    expect(sort(['欧阳修', '周一', '司马光', '诸葛亮'])).toEqual(['司马光', '周一', '欧阳修', '诸葛亮'])
  })

  it('breaks equal stroke counts by code point, deterministically', () => {
    // 李 张 陈 杨 吴 all have 7 strokes, as do 红 and 军 after them? 红 6, 军 6: equal keys.
    const names = ['陈红', '李军', '张红', '吴军', '杨红']
    const expected = [...names].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!)
    expect(sort(names)).toEqual(expected)
    expect(sort([...names].reverse())).toEqual(expected)
  })

  it('puts names with unknown characters after known ones and keeps equal names stable', () => {
    const people = [
      { id: 1, name: 'Smith' },
      { id: 2, name: '王明' },
      { id: 3, name: '王明' },
      { id: 4, name: '龘' },
    ]
    expect(sortByStrokes(people, (p) => p.name).map((p) => p.id)).toEqual([2, 3, 4, 1])
  })

  it('does not change its input', () => {
    const names = ['黄伟', '丁一']
    sort(names)
    expect(names).toEqual(['黄伟', '丁一'])
  })
})
