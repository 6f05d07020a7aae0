// Surname-stroke order (姓氏笔画) of candidate lists: stroke counts from the bundled Unihan data for
// common surnames, compound surnames and rarer given-name characters; at equal counts the strokes'
// shapes in writing order (横 竖 撇 点 折), as official name lists are ordered; a deterministic sort.
import { describe, expect, it } from 'vitest'
import { UNKNOWN_STROKES, compareNamesByStrokes, sortByStrokes, strokeKey, strokeShapesOf, strokesOf } from '../../server/strokes'

const sort = (names: string[]) => sortByStrokes(names, (n) => n)

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

describe('strokeShapesOf', () => {
  it('gives each stroke its class in writing order: 横 1 竖 2 撇 3 点 4 折 5', () => {
    expect(strokeShapesOf('王')).toBe('1121')
    expect(strokeShapesOf('毛')).toBe('3115')
    // 提 counts as 横, 竖钩 as 竖, 捺 as 点, 撇点 and 横折钩 as 折.
    expect(strokeShapesOf('孔')).toBe('5215')
    expect(strokeShapesOf('文')).toBe('4134')
    expect(strokeShapesOf('女')).toBe('531')
    expect(strokeShapesOf('刘')).toBe('413422')
  })

  it('has no shapes for characters its data does not know', () => {
    expect(strokeShapesOf('A')).toBe('')
    expect(strokeShapesOf('')).toBe('')
  })

  it('sorts a known character before an unknown one of the same count', () => {
    // 颋 has 12 strokes and no stroke-order data; 曾 has 12 and has.
    expect(strokesOf('颋')).toBe(12)
    expect(strokeShapesOf('颋')).toBe('')
    expect(strokesOf('曾')).toBe(12)
    expect(sort(['颋', '曾'])).toEqual(['曾', '颋'])
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
    // 欧 and 周 both have 8 strokes; 欧 starts with 横, 周 with 撇, so 欧阳修 comes first.
    expect(sort(['周一', '欧阳修', '司马光', '诸葛亮'])).toEqual(['司马光', '欧阳修', '周一', '诸葛亮'])
  })

  it('orders surnames of equal stroke count by their first strokes, 横 竖 撇 点 折', () => {
    // 4 strokes: 王 starts with 横, 毛 with 撇, 文 and 方 with 点 (文 点横撇 before 方 点横折), 尹 and
    // 孔 with 折 (尹 then 横, 孔 then 竖钩, which counts as 竖).
    expect(sort(['孔', '尹', '方', '文', '毛', '王'])).toEqual(['王', '毛', '文', '方', '尹', '孔'])
    // 7 strokes, in the order of the Central Committee's published lists: 杜 李 杨 (横), 吴 (竖),
    // 何 余 谷 (撇), 汪 沈 宋 (点), 张 陆 陈 (折).
    const seven = ['杜', '李', '杨', '吴', '何', '余', '谷', '汪', '沈', '宋', '张', '陆', '陈']
    expect(sort([...seven].reverse())).toEqual(seven)
    expect(sort(['孟', '郑', '周', '金', '岳', '罗', '尚', '欧阳', '林'])).toEqual(['林', '欧阳', '尚', '罗', '岳', '金', '周', '郑', '孟'])
  })

  it('keeps the people of one surname together', () => {
    // 王 and 方 have 4 strokes each: every 王 comes before every 方, whatever their given names.
    expect(sort(['方一', '王五', '方二', '王一'])).toEqual(['王一', '王五', '方一', '方二'])
    expect(compareNamesByStrokes('王五', '方一')).toBeLessThan(0)
  })

  it('breaks a tie of count and shapes by code point, deterministically', () => {
    // 己 已 巳: 3 strokes each, 横折 横 竖弯钩 each.
    expect(['己', '已', '巳'].map(strokeShapesOf)).toEqual(['515', '515', '515'])
    expect(sort(['巳', '己', '已'])).toEqual(['己', '已', '巳'])
    expect(sort(['已', '巳', '己'])).toEqual(['己', '已', '巳'])
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
