// The shared ballot box in Redis. One Lua script casts atomically (round open, voter on the roll and
// not yet marked, mark, add), so two tablets on two nodes racing get one ballot. Ballots go into a
// sorted set under a random score and a random id: every read returns them in random-score order,
// unrelated to casting. The roll (who voted, with the idempotency key) is a separate hash.
//
// Redis's append-only file logs each script's writes as one transaction, so a script that cast one
// ballot would log "this voter, this ballot" side by side until the file is rewritten. Casts are
// therefore gathered for a few milliseconds per node and cast in one script, which logs one HSET
// of the batch's voters (sorted by id) and one ZADD of its ballots (shuffled): the file says only
// that these voters cast these ballots. Closing a round rewrites the AOF, which replaces even that
// with the unordered contents. README ("Secrecy") says what remains while a round is open.
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { randomOrder, type BallotBox, type CastOutcome } from './ballot-box'
import { StoreUnavailableError } from './types'

export function ballotKeys(prefix: string, roundKey: string) {
  const base = `${prefix}box:${roundKey}`
  return { state: `${base}:state`, roll: `${base}:roll`, voted: `${base}:voted`, ballots: `${base}:ballots` }
}

// KEYS: state, roll, voted, ballots. ARGV: n, then n × (voter, idem), then n × (score, member) in
// a shuffled order, and n positions mapping each shuffled ballot back to its cast.
const CAST_MANY = `
local n = tonumber(ARGV[1])
local out = {}
if redis.call('GET', KEYS[1]) ~= 'open' then
  for i = 1, n do out[i] = 'closed' end
  return out
end
local marked = {}
local roll = {}
for i = 1, n do
  local v = ARGV[2 * i]
  local idem = ARGV[2 * i + 1]
  if redis.call('SISMEMBER', KEYS[2], v) == 0 then
    out[i] = 'not-eligible'
  else
    local prev = marked[v] or redis.call('HGET', KEYS[3], v)
    if prev then
      if prev == idem then out[i] = 'repeat' else out[i] = 'already-voted' end
    else
      marked[v] = idem
      roll[#roll + 1] = v
      out[i] = 'accepted'
    end
  end
end
if #roll == 0 then return out end
table.sort(roll)
local hset = {}
for _, v in ipairs(roll) do
  hset[#hset + 1] = v
  hset[#hset + 1] = marked[v]
end
redis.call('HSET', KEYS[3], unpack(hset))
local zadd = {}
local base = 1 + 2 * n
for j = 1, n do
  local i = tonumber(ARGV[base + 2 * n + j])
  if out[i] == 'accepted' then
    zadd[#zadd + 1] = ARGV[base + 2 * j - 1]
    zadd[#zadd + 1] = ARGV[base + 2 * j]
  end
end
redis.call('ZADD', KEYS[4], unpack(zadd))
return out
`

/** How long a node gathers casts before sending them as one batch (ms). */
export const CAST_BATCH_MS = 15
/** Keeps one script's arguments well within Lua's limits, and has a hall that casts at once written
 * as it is read rather than in a few large scripts at the end. */
const MAX_BATCH = 256

interface PendingCast {
  voterId: string
  idem: string
  ballot: string
  resolve: (o: CastOutcome) => void
  reject: (e: Error) => void
}

// KEYS: state, roll, ballots. ARGV: voters...
const OPEN = `
local st = redis.call('GET', KEYS[1])
if st == 'closed' then return 0 end
if not (st == 'open' and redis.call('ZCARD', KEYS[3]) > 0) then redis.call('DEL', KEYS[2]) end
for i = 1, #ARGV, 500 do
  redis.call('SADD', KEYS[2], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.call('SET', KEYS[1], 'open')
return 1
`

const CLOSE = `
if redis.call('GET', KEYS[1]) then redis.call('SET', KEYS[1], 'closed') end
return redis.call('HLEN', KEYS[2])
`

type Scripted = Redis & {
  cmBoxCastMany(...a: string[]): Promise<string[]>
  cmBoxOpen(...a: string[]): Promise<number>
  cmBoxClose(...a: string[]): Promise<number>
}

/** Ballot contents are stored as "<random id>|<content>", so equal ballots stay distinct. */
function content(member: string): string {
  return member.slice(member.indexOf('|') + 1)
}

export function openRedisBallotBox(redis: Redis, prefix: string): BallotBox {
  const r = redis as Scripted
  r.defineCommand('cmBoxCastMany', { numberOfKeys: 4, lua: CAST_MANY })
  r.defineCommand('cmBoxOpen', { numberOfKeys: 3, lua: OPEN })
  r.defineCommand('cmBoxClose', { numberOfKeys: 2, lua: CLOSE })

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw new StoreUnavailableError(`ballot box: ${(err as Error).message}`, { cause: err })
    }
  }

  let aof: boolean | null = null
  async function aofEnabled(): Promise<boolean> {
    if (aof === null) aof = await r.config('GET', 'appendonly').then((v) => (v as string[])[1] === 'yes', () => false)
    return aof
  }

  // Redis refuses BGREWRITEAOF while a rewrite runs. That rewrite forked before this close, so the
  // casts made since (voter and ballot side by side) stay in the AOF's increment: wait for it to end
  // and ask again, in the background, so the close is not held up by someone else's rewrite.
  let rewriteRetry: Promise<void> | null = null
  const inProgress = (err: unknown) => /already in progress/i.test((err as Error)?.message ?? '')
  async function rewriteAof(): Promise<void> {
    if (!(await aofEnabled())) return
    const refused = await r.bgrewriteaof().then(
      () => false,
      (err) => inProgress(err),
    )
    if (!refused || rewriteRetry) return
    rewriteRetry = (async () => {
      for (let i = 0; i < 600; i++) {
        await new Promise((res) => setTimeout(res, 100).unref())
        const again = await r.bgrewriteaof().then(
          () => false,
          (err) => inProgress(err),
        )
        if (!again) return
      }
    })().finally(() => (rewriteRetry = null))
  }

  const queues = new Map<string, PendingCast[]>()

  async function flush(roundKey: string): Promise<void> {
    const batch = queues.get(roundKey)
    if (!batch || batch.length === 0) return
    queues.delete(roundKey)
    const k = ballotKeys(prefix, roundKey)
    const n = batch.length
    // One draw for the batch: 4 bytes per shuffle step, then 6 (score) and 16 (id) per ballot.
    const rnd = randomBytes(n * 26)
    const order = randomOrder(n, rnd)
    const args: string[] = [String(n)]
    for (const c of batch) args.push(c.voterId, c.idem)
    order.forEach((i, k) => {
      const at = n * 4 + k * 22
      args.push(String(rnd.readUIntBE(at, 6)), `${rnd.toString('hex', at + 6, at + 22)}|${batch[i].ballot}`)
    })
    for (const i of order) args.push(String(i + 1))
    try {
      const out = await call(() => r.cmBoxCastMany(k.state, k.roll, k.voted, k.ballots, ...args))
      batch.forEach((c, i) => c.resolve(out[i] as CastOutcome))
    } catch (err) {
      for (const c of batch) c.reject(err as Error)
    }
  }

  async function readBallots(roundKey: string): Promise<string[]> {
    const k = ballotKeys(prefix, roundKey)
    return (await call(() => r.zrange(k.ballots, 0, -1))).map(content)
  }

  return {
    async openRound(roundKey, electorate) {
      const k = ballotKeys(prefix, roundKey)
      await call(() => r.cmBoxOpen(k.state, k.roll, k.ballots, ...[...new Set(electorate)].sort()))
    },
    cast(roundKey, voterId, idempotencyKey, ballot) {
      return new Promise((resolve, reject) => {
        let q = queues.get(roundKey)
        if (!q) {
          queues.set(roundKey, (q = []))
          setTimeout(() => void flush(roundKey), CAST_BATCH_MS)
        }
        q.push({ voterId, idem: idempotencyKey, ballot, resolve, reject })
        if (q.length >= MAX_BATCH) void flush(roundKey)
      })
    },
    async closeRound(roundKey) {
      const k = ballotKeys(prefix, roundKey)
      const voters = await call(() => r.cmBoxClose(k.state, k.voted))
      const ballots = await readBallots(roundKey)
      // Replace the command history (which follows casting order) by the unordered contents.
      await rewriteAof().catch(() => {})
      return { ballots, voters }
    },
    async turnout(roundKey) {
      return call(() => r.hlen(ballotKeys(prefix, roundKey).voted))
    },
    async voted(roundKey, voterIds) {
      if (voterIds.length === 0) return new Set()
      const k = ballotKeys(prefix, roundKey)
      const res = await call(() => r.hmget(k.voted, ...voterIds))
      return new Set(voterIds.filter((_, i) => res[i] !== null))
    },
    async castKey(roundKey, voterId) {
      return call(() => r.hget(ballotKeys(prefix, roundKey).voted, voterId))
    },
    ballots: readBallots,
  }
}
