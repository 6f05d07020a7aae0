// Canonical form of a ballot box for publication and its digest: anyone holding the published list
// can recount it and check it against the digest recorded in the log when the poll closed.
// Pure: the hash function is injected, because shared/ also runs in the browser.

/**
 * Canonical JSON of one value: object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers as JSON.stringify writes them (this is RFC 8785 for the values ballots hold). Anything JSON
 * cannot say exactly (NaN, Infinity, undefined, functions, class instances, cycles) throws, because a
 * silent coercion would publish something other than what was counted.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set())
}

function write(v: unknown, stack: Set<object>): string {
  if (v === null) return 'null'
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v)
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`cannot publish the number ${v}`)
      return JSON.stringify(v)
    case 'object':
      break
    default:
      throw new TypeError(`cannot publish a value of type ${typeof v}`)
  }
  const o = v as object
  if (stack.has(o)) throw new TypeError('cannot publish a cyclic value')
  stack.add(o)
  let out: string
  if (Array.isArray(o)) {
    const items: string[] = []
    for (let i = 0; i < o.length; i++) {
      if (o[i] === undefined) throw new TypeError('cannot publish undefined')
      items.push(write(o[i], stack))
    }
    out = `[${items.join(',')}]`
  } else {
    const proto = Object.getPrototypeOf(o)
    if (proto !== Object.prototype && proto !== null) throw new TypeError('cannot publish a non-plain object')
    const rec = o as Record<string, unknown>
    const parts: string[] = []
    for (const k of Object.keys(rec).sort()) {
      if (rec[k] === undefined) continue
      parts.push(`${JSON.stringify(k)}:${write(rec[k], stack)}`)
    }
    out = `{${parts.join(',')}}`
  }
  stack.delete(o)
  return out
}

/**
 * The published ballot list: each ballot as canonical JSON, the list sorted (UTF-16 code unit
 * order), so that the order reveals nothing about who cast which ballot or when. Identical ballots
 * stay as many times as they were cast: the recount needs them.
 */
export function canonicalBallots(ballots: unknown[]): string[] {
  return ballots.map(canonicalJson).sort()
}

/**
 * SHA-256 (hex) of the canonical lines joined by '\n' with no trailing newline. Canonical JSON never
 * holds a raw newline (JSON escapes it), so the join is unambiguous. The lines are sorted again here
 * so the digest cannot depend on the order they were handed in.
 */
export function ballotsDigest(canonical: string[], sha256hex: (s: string) => string): string {
  return sha256hex([...canonical].sort().join('\n'))
}
