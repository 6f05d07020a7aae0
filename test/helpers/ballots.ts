// Helpers for the ballot tests (secrecy, crash, race): a generated roster of many delegates,
// distinguishable election ballots, rank correlation, and ways to read everything a store holds
// (every SQLite table and row, every Redis key under a prefix, Redis's append-only file on disk).
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import { canonicalJson } from '../../shared/domain/digest'

// ---------------------------------------------------------------------------------------------
// Roster

/** Voter ids are `vtr` + 4 digits: no id is a substring of another, and none occurs by accident
 * in hex, JSON or RESP, so a plain regex finds every voter id in any text. */
export const VOTER_ID_RE = /vtr\d{4}/g
export const voterId = (i: number) => `vtr${String(i).padStart(4, '0')}`

/** A roster file as the desk imports it: `n` voting delegates in 12 delegations. */
export function rosterCsv(n: number): { csv: string; ids: string[] } {
  const ids: string[] = []
  const lines = ['编号,姓名,性别,代表团,座位,身份,状态,表决权']
  for (let i = 1; i <= n; i++) {
    const id = voterId(i)
    ids.push(id)
    lines.push(`${id},代表${String(i).padStart(4, '0')},${i % 2 ? '男' : '女'},第${(i % 12) + 1}代表团,${Math.ceil(i / 30)}排${(i % 30) + 1}座,代表,正常,是`)
  }
  return { csv: lines.join('\r\n') + '\r\n', ids }
}

/** POST /api/roster/import as the secretariat. */
export async function importRoster(url: string, token: string, csv: string, mode: 'replace' | 'merge' = 'replace'): Promise<void> {
  const res = await fetch(`${url}/api/roster/import?mode=${mode}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  })
  const body = (await res.json()) as { ok: boolean }
  if (!res.ok || !body.ok) throw new Error(`roster import failed: ${res.status} ${JSON.stringify(body).slice(0, 500)}`)
}

// ---------------------------------------------------------------------------------------------
// Ballots

/** Seven name-only candidates: 3^7 = 2187 distinct mark patterns, so every ballot of a round of up
 * to 2187 can be told apart by its content alone, with no write-in (a write-in is a person id). */
export const CANDIDATE_NAMES = ['丁一', '王建国', '李红梅', '张伟', '刘洋', '陈静', '杨帆']
export const MARKS = ['for', 'against', 'abstain'] as const
export const MARK_WORDS_RE = /\b(for|against|abstain)\b|赞成|不赞成|弃权|反对/

export interface ElectionBallot {
  marks: Record<string, (typeof MARKS)[number]>
  writeIns: string[]
}

/** `count` distinct ballots in random order, over the given candidate ids. */
export function distinctBallots(count: number, candidateIds: string[]): ElectionBallot[] {
  const total = 3 ** candidateIds.length
  if (count > total) throw new Error(`only ${total} distinct ballots exist`)
  const codes = Array.from({ length: total }, (_, i) => i)
  shuffle(codes)
  return codes.slice(0, count).map((code) => {
    const marks: ElectionBallot['marks'] = {}
    let c = code
    for (const id of candidateIds) {
      marks[id] = MARKS[c % 3]
      c = Math.floor(c / 3)
    }
    return { marks, writeIns: [] }
  })
}

/** The bytes the server stores for a ballot (canonical JSON). */
export const canonical = (b: unknown) => canonicalJson(b)

/** Whether an election ballot is valid: it votes for no more people than there are seats. */
export function validBallot(b: ElectionBallot, seats: number): boolean {
  return Object.values(b.marks).filter((m) => m === 'for').length + b.writeIns.length <= seats
}

/** For / against / abstain per candidate over the valid ballots (the count report's figures). */
export function tally(ballots: ElectionBallot[], seats: number): Record<string, { for: number; against: number; abstain: number }> {
  const out: Record<string, { for: number; against: number; abstain: number }> = {}
  for (const b of ballots) {
    if (!validBallot(b, seats)) continue
    for (const [id, m] of Object.entries(b.marks)) {
      out[id] ??= { for: 0, against: 0, abstain: 0 }
      out[id][m]++
    }
  }
  return out
}

export function idemKey(): string {
  return randomBytes(12).toString('base64url')
}

export function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomBytes(4).readUInt32LE() % (i + 1)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

// ---------------------------------------------------------------------------------------------
// Statistics

function ranks(xs: number[]): number[] {
  const idx = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0])
  const r = new Array<number>(xs.length)
  for (let i = 0; i < idx.length; ) {
    let j = i
    while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++
    for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2
    i = j + 1
  }
  return r
}

/** Spearman's rank correlation (Pearson on ranks, ties averaged). */
export function spearman(xs: number[], ys: number[]): number {
  if (xs.length !== ys.length || xs.length < 3) throw new Error('spearman needs two equal series of 3 or more')
  const rx = ranks(xs)
  const ry = ranks(ys)
  const n = xs.length
  const mx = rx.reduce((a, b) => a + b, 0) / n
  const my = ry.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my)
    sxx += (rx[i] - mx) ** 2
    syy += (ry[i] - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

/** Rank correlation between the casting order and the order in which ballots appear in `stored`
 * (matched by canonical content). Ballots not found are left out; `found` says how many matched. */
export function orderCorrelation(castOrder: string[], stored: string[]): { rho: number; found: number } {
  const castIndex = new Map(castOrder.map((c, i) => [c, i]))
  const xs: number[] = []
  const ys: number[] = []
  stored.forEach((c, pos) => {
    const i = castIndex.get(c)
    if (i !== undefined) {
      xs.push(i)
      ys.push(pos)
    }
  })
  return { rho: xs.length >= 3 ? spearman(xs, ys) : NaN, found: xs.length }
}

// ---------------------------------------------------------------------------------------------
// Looking for times

/** Whether a value is, or holds, a number that reads as a time in [from, to] (ms or s since the
 * epoch), or an ISO-like date. Long digit runs are checked at every 10- and 13-digit window. */
export function timeLike(v: unknown, from: number, to: number): boolean {
  const inMs = (x: number) => x >= from && x <= to
  const inS = (x: number) => x * 1000 >= from - 1000 && x * 1000 <= to + 1000
  if (typeof v === 'number' || typeof v === 'bigint') {
    const x = Number(v)
    return inMs(x) || inS(x)
  }
  if (typeof v !== 'string') return false
  if (/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) return true
  for (const run of v.match(/\d{10,}/g) ?? []) {
    for (let i = 0; i + 10 <= run.length; i++) if (inS(Number(run.slice(i, i + 10)))) return true
    for (let i = 0; i + 13 <= run.length; i++) if (inMs(Number(run.slice(i, i + 13)))) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------------
// SQLite: every table, every row

export interface SqliteTable {
  name: string
  columns: string[]
  /** Rows in the table's natural order (SELECT without ORDER BY). */
  rows: Array<Record<string, unknown>>
}

/** Opens a file read-only and reads every table listed in sqlite_master, every row. */
export function readSqliteEverything(file: string): SqliteTable[] {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const names = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name)
    return names.map((name) => {
      const q = `"${name.replace(/"/g, '""')}"`
      const columns = db.prepare<[], { name: string }>(`PRAGMA table_info(${q})`).all().map((c) => c.name)
      const rows = db.prepare(`SELECT * FROM ${q}`).all() as Array<Record<string, unknown>>
      return { name, columns, rows }
    })
  } finally {
    db.close()
  }
}

export function rowText(row: Record<string, unknown>): string {
  return Object.values(row)
    .map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v)))
    .join('\u0001')
}

/** Every byte offset at which `needle` occurs in `hay`. */
export function offsetsOf(hay: Buffer, needle: string): number[] {
  const n = Buffer.from(needle)
  const out: number[] = []
  for (let i = hay.indexOf(n); i !== -1; i = hay.indexOf(n, i + 1)) out.push(i)
  return out
}

/** The data files SQLite keeps beside a database. */
export function sidecars(file: string): string[] {
  return ['-wal', '-shm', '-journal'].map((s) => file + s).filter((f) => fs.existsSync(f))
}

// ---------------------------------------------------------------------------------------------
// Redis: every key under a prefix

export interface RedisEntry {
  key: string
  type: string
  /** The value as Redis returns it for the type, in the order Redis returns it. */
  value: unknown
}

export async function dumpRedisPrefix(url: string, prefix: string): Promise<RedisEntry[]> {
  const r = new Redis(url)
  try {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
    const out: RedisEntry[] = []
    for (const key of [...new Set(keys)].sort()) {
      const type = await r.type(key)
      let value: unknown
      switch (type) {
        case 'string':
          value = await r.get(key)
          break
        case 'hash':
          value = await r.hgetall(key)
          break
        case 'set':
          value = await r.smembers(key)
          break
        case 'zset':
          value = await r.zrange(key, 0, -1, 'WITHSCORES')
          break
        case 'list':
          value = await r.lrange(key, 0, -1)
          break
        case 'stream':
          value = await r.xrange(key, '-', '+')
          break
        default:
          value = null
      }
      out.push({ key, type, value })
    }
    return out
  } finally {
    r.disconnect()
  }
}

/** Waits until Redis has no AOF rewrite running or scheduled. */
export async function aofRewriteDone(url: string, timeoutMs = 10_000): Promise<void> {
  const r = new Redis(url)
  try {
    const until = Date.now() + timeoutMs
    for (;;) {
      const info = await r.info('persistence')
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return
      if (Date.now() > until) throw new Error('the AOF rewrite did not finish')
      await new Promise((res) => setTimeout(res, 50))
    }
  } finally {
    r.disconnect()
  }
}

/** Waits until the AOF directory holds only the files its manifest names as live (base and
 * increments): after a rewrite Redis deletes the superseded ones in the background. */
export async function aofSettled(redisDir: string, timeoutMs = 3000): Promise<void> {
  const dir = path.join(redisDir, 'appendonlydir')
  const until = Date.now() + timeoutMs
  for (;;) {
    const manifest = fs.readdirSync(dir).find((n) => n.endsWith('.manifest'))
    const text = manifest ? fs.readFileSync(path.join(dir, manifest), 'utf8') : ''
    const live = new Set(
      text
        .split('\n')
        .filter((l) => / type [bi]\b/.test(l))
        .map((l) => /file (\S+)/.exec(l)?.[1]),
    )
    const extra = fs.readdirSync(dir).filter((n) => n !== manifest && !live.has(n))
    if (extra.length === 0 || Date.now() > until) return
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The files of Redis's append-only file (Redis 7 keeps a base and increments in appendonlydir). */
export function aofFiles(redisDir: string): Array<{ name: string; bytes: Buffer }> {
  const dir = path.join(redisDir, 'appendonlydir')
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : []
  const legacy = path.join(redisDir, 'appendonly.aof')
  const files = names.map((n) => ({ name: n, bytes: fs.readFileSync(path.join(dir, n)) }))
  if (fs.existsSync(legacy)) files.push({ name: 'appendonly.aof', bytes: fs.readFileSync(legacy) })
  return files
}

/** Commands of a RESP file (an .aof increment), grouped as Redis applies them: a MULTI…EXEC
 * block is one group, any other command a group of its own. */
export function respGroups(bytes: Buffer): string[][][] {
  const groups: string[][][] = []
  let block: string[][] | null = null
  let i = 0
  const line = () => {
    const end = bytes.indexOf('\r\n', i)
    if (end === -1) throw new Error('truncated RESP')
    const s = bytes.toString('latin1', i, end)
    i = end + 2
    return s
  }
  while (i < bytes.length) {
    const head = line()
    if (!head.startsWith('*')) continue
    const n = Number(head.slice(1))
    const args: string[] = []
    for (let k = 0; k < n; k++) {
      const len = Number(line().slice(1))
      args.push(bytes.toString('utf8', i, i + len))
      i += len + 2
    }
    const cmd = args[0]?.toUpperCase()
    if (cmd === 'MULTI') block = []
    else if (cmd === 'EXEC') {
      if (block) groups.push(block)
      block = null
    } else if (block) block.push(args)
    else groups.push([args])
  }
  return groups
}
