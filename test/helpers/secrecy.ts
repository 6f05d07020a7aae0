// Helpers for the secrecy tests (secrecy.test.ts, secrecy-votes.test.ts): capturing what the server
// prints, walking pushed payloads for keys that would carry a result, and cutting a Redis value into
// the records it holds together, and the check that no SQLite row puts a voter beside a ballot.
import { format } from 'node:util'
import { expect, vi } from 'vitest'
import { rowText, type RedisEntry, type SqliteTable } from './ballots'

/** Where every key of a value sits in a JSON tree, for searching payloads. */
export function walk(v: unknown, fn: (key: string, value: unknown, path: string) => void, p = ''): void {
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, fn, `${p}[${i}]`))
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      fn(k, x, `${p}.${k}`)
      walk(x, fn, `${p}.${k}`)
    }
}

export interface Capture {
  lines: string[]
  stop(): void
}

/** Records everything this process prints, through console or straight to stdout/stderr. */
export function captureOutput(): Capture {
  const lines: string[] = []
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(...format(...args).split('\n'))
    }),
  )
  const streams = [process.stdout, process.stderr].map((s) => {
    const original = s.write.bind(s)
    return vi.spyOn(s, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      lines.push(...String(chunk).split('\n'))
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest)
    }) as never)
  })
  return {
    lines,
    stop: () => {
      for (const s of [...spies, ...streams]) s.mockRestore()
    },
  }
}

/** A Redis value cut into "rows": what one record of the key holds together. */
export function redisRows(e: RedisEntry): string[] {
  const v = e.value
  switch (e.type) {
    case 'string':
      return [String(v)]
    case 'hash':
      return Object.entries(v as Record<string, string>).map(([f, x]) => `${f}\u0001${x}`)
    case 'set':
    case 'list':
      return v as string[]
    case 'zset': {
      const a = v as string[]
      const out: string[] = []
      for (let i = 0; i < a.length; i += 2) out.push(`${a[i]}\u0001${a[i + 1]}`)
      return out
    }
    case 'stream':
      return (v as Array<[string, string[]]>).map(([id, fields]) => `${id}\u0001${fields.join('\u0001')}`)
    default:
      return [JSON.stringify(v)]
  }
}

/**
 * Over snapshots of the two SQLite files: no row of either pairs a voter id with a ballot, and the
 * meeting's database holds no ballot at all, not in a row and not in its raw bytes.
 */
export function expectNoVoterBesideBallot(
  snapshots: ReadonlyArray<readonly [string, { congress: SqliteTable[]; ballots: SqliteTable[]; congressBytes: Buffer }]>,
  hasVoterId: (s: string) => boolean,
  hasBallot: (s: string) => boolean,
): void {
  for (const [when, s] of snapshots) {
    for (const t of [...s.congress, ...s.ballots]) {
      for (const row of t.rows) {
        const text = rowText(row)
        expect(hasVoterId(text) && hasBallot(text), `${when}: a ${t.name} row pairs a voter with a ballot`).toBe(false)
      }
    }
    for (const t of s.congress) for (const row of t.rows) expect(hasBallot(rowText(row)), `${when}: congress.db ${t.name} holds a ballot`).toBe(false)
    expect(hasBallot(s.congressBytes.toString('latin1')), `${when}: congress.db bytes hold a ballot`).toBe(false)
  }
}
