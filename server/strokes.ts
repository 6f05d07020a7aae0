// Surname-stroke order (姓氏笔画) for candidate lists and results, as official name lists are
// ordered: by the stroke count of the surname's character; at equal counts by its strokes' shapes
// in writing order, 横 竖 撇 点 折 (起笔 first, then the second stroke, and so on); a different
// character decides there, so people of one surname stay together; the same character moves on to
// the next character of the name. Server side only, because the character data is ~1.3 MB.
//
// Data, both read from disk (nothing is fetched at run time):
// - stroke counts: the npm package `chinese-stroke` (MIT), Unihan's kTotalStrokes for 74,911 code
//   points (CJK basic block, extensions A and B, compatibility ideographs). Only its JSON is used,
//   not its code (which reads BMP characters only).
// - stroke order: the npm package `cnchar-order` (MIT, with `cnchar`), each stroke's name in writing
//   order for 6,939 characters (every character of GB 2312 and more; every surname in common use).
//   Characters it does not know sort after those it knows with the same count, then by code point.
import { createRequire } from 'node:module'

/** Stroke count given to a character the data does not know (Latin letters, very new ideographs),
 * so that such names sort after every known one, deterministically. */
export const UNKNOWN_STROKES = 999

/** Separators inside a name that are not characters of it: whitespace and the middle dots of
 * transliterated names (e.g. 阿依古丽·买买提). */
const SEPARATOR = /[\s\u00B7\u2022\u2027\u30FB\uFF0E.]/u

let data: Record<string, number> | null = null

function table(): Record<string, number> {
  if (!data) {
    const require = createRequire(import.meta.url)
    data = require('chinese-stroke/lib/stroke_data.json') as Record<string, number>
  }
  return data
}

/** Stroke count of one character (one code point), or UNKNOWN_STROKES. */
export function strokesOf(char: string): number {
  const cp = char.codePointAt(0)
  if (cp === undefined) return UNKNOWN_STROKES
  const n = table()[cp.toString(16).toUpperCase()]
  return typeof n === 'number' && n > 0 ? n : UNKNOWN_STROKES
}

/**
 * The five basic strokes in their order, 横 1, 竖 2, 撇 3, 点 4, 折 5, with the grouping of the
 * national stroke-order standard (GB 13000.1 字符集汉字笔顺规范): 提 counts as 横, 竖钩 as 竖, 捺 as
 * 点, every other turning or hooked stroke (横折, 竖弯钩, 撇点, 斜钩 …) as 折.
 */
const STROKE_CLASS: Readonly<Record<string, string>> = { 横: '1', 提: '1', 竖: '2', 竖钩: '2', 撇: '3', 点: '4', 点2: '4', 捺: '4' }
const TURNING = '5'

interface Cnchar {
  use(...plugins: unknown[]): void
  stroke(text: string, ...args: string[]): unknown
}

let cnchar: Cnchar | null = null
const shapesCache = new Map<string, string>()

/**
 * The shapes of one character's strokes in writing order, one digit each (横 1 竖 2 撇 3 点 4 折 5):
 * '1121' for 王 (横 横 竖 横), '3115' for 毛. Empty when the data does not know the character.
 */
export function strokeShapesOf(char: string): string {
  const cp = char.codePointAt(0)
  if (cp === undefined) return ''
  const ch = String.fromCodePoint(cp)
  let out = shapesCache.get(ch)
  if (out !== undefined) return out
  if (!cnchar) {
    const require = createRequire(import.meta.url)
    cnchar = require('cnchar') as Cnchar
    cnchar.use(require('cnchar-order'))
  }
  // One entry per character given; each a list of stroke names ('横', '横折钩', '横撇|横钩': both
  // readings of an ambiguous stroke are turning ones) or null when unknown.
  const names = (cnchar.stroke(ch, 'order', 'name') as Array<string[] | null>)[0]
  out = Array.isArray(names) ? names.map((n) => STROKE_CLASS[n.split('|')[0]] ?? TURNING).join('') : ''
  shapesCache.set(ch, out)
  return out
}

/** Two characters in 姓氏笔画 order: stroke count, then stroke shapes (known before unknown), then code point. */
export function compareCharsByStrokes(a: string, b: string): number {
  const x = a.codePointAt(0) ?? 0
  const y = b.codePointAt(0) ?? 0
  if (x === y) return 0
  const d = strokesOf(a) - strokesOf(b)
  if (d !== 0) return d
  const sa = strokeShapesOf(a)
  const sb = strokeShapesOf(b)
  if (sa !== sb) {
    if (!sa) return 1
    if (!sb) return -1
    return sa < sb ? -1 : 1
  }
  return x - y
}

/** The characters of a name that take part in the order: separators and spaces dropped. */
function charsOf(name: string): string[] {
  const out: string[] = []
  for (const ch of name.trim()) if (!SEPARATOR.test(ch)) out.push(ch)
  return out
}

/** Two names in 姓氏笔画 order, character by character; a name that is the start of another first. */
export function compareNamesByStrokes(a: string, b: string): number {
  const x = charsOf(a)
  const y = charsOf(b)
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const d = compareCharsByStrokes(x[i], y[i])
    if (d !== 0) return d
  }
  return x.length - y.length
}

/**
 * The stroke counts of a name's characters, surname first (separators skipped): what a printed list
 * shows next to a name. A compound surname (欧阳, 司马, 诸葛) needs no special case: its characters
 * are compared one after the other like any others, which is how stroke-ordered lists treat them.
 */
export function strokeKey(name: string): number[] {
  return charsOf(name).map(strokesOf)
}

/**
 * A new array in 姓氏笔画 order (see `compareNamesByStrokes`). Where official lists would still have
 * a tie (two characters with the same count and the same shapes throughout, such as 己 and 已), code
 * point order decides: stable, and the presidium may reorder by hand. Equal names keep their given
 * order.
 */
export function sortByStrokes<T>(items: T[], nameOf: (t: T) => string): T[] {
  const keyed = items.map((item, index) => ({ item, index, name: nameOf(item) }))
  keyed.sort((a, b) => compareNamesByStrokes(a.name, b.name) || a.index - b.index)
  return keyed.map((k) => k.item)
}
