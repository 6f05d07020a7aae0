// Surname-stroke order (姓氏笔画) for candidate lists and results: the stroke count of the first
// character, then of the following ones. Server side only, because the stroke data is ~1 MB.
//
// Data: the npm package `chinese-stroke` (MIT), Unihan's kTotalStrokes for 74,911 code points (CJK
// basic block, extensions A and B, compatibility ideographs), bundled as JSON and read from disk:
// nothing is fetched at run time. Only its JSON is used, not its code (which reads BMP characters only).
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
 * The sort key of a name: the stroke count of each character, surname first. Separators are
 * skipped. A compound surname (欧阳, 司马, 诸葛) needs no special case: its characters are compared one
 * after the other like any others, which is how stroke-ordered lists treat them.
 */
export function strokeKey(name: string): number[] {
  const key: number[] = []
  for (const ch of name.trim()) if (!SEPARATOR.test(ch)) key.push(strokesOf(ch))
  return key
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

/** Code point order (not UTF-16 units: a supplementary character must sort after every BMP one). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a]
  const y = [...b]
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

/**
 * A new array in 姓氏笔画 order: by strokes of the first character, then of the following ones, a
 * shorter name first when it is a prefix of a longer one. Names with the same strokes throughout are
 * ordered by code point, where printed lists would look at the first stroke's kind (横竖撇点折): not
 * the official tie-break, but a stable one, and the presidium may reorder by hand. Equal names keep
 * their given order.
 */
export function sortByStrokes<T>(items: T[], nameOf: (t: T) => string): T[] {
  const keyed = items.map((item) => {
    const name = nameOf(item)
    return { item, name, key: strokeKey(name) }
  })
  keyed.sort((a, b) => compareKeys(a.key, b.key) || compareCodePoints(a.name, b.name))
  return keyed.map((k) => k.item)
}
