// The shared ballot box in Redis. One Lua script casts atomically (round open, voter on the roll and
// not yet marked, mark, add), so two tablets on two nodes racing get one ballot. Ballots go into a
// sorted set under a random score and a random id: every read returns them in random-score order,
// unrelated to casting. The roll (who voted, with the idempotency key) is a separate hash. Redis's
// append-only file does record commands in order while a round is open; closing a round asks Redis
// to rewrite the AOF, which replaces that history with the unordered contents.
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { BallotBox, CastOutcome } from './ballot-box'
import { StoreUnavailableError } from './types'

export function ballotKeys(prefix: string, roundKey: string) {
  const base = `${prefix}box:${roundKey}`
  return { state: `${base}:state`, roll: `${base}:roll`, voted: `${base}:voted`, ballots: `${base}:ballots` }
}

// KEYS: state, roll, voted, ballots. ARGV: voter, idem, score, member
const CAST = `
if redis.call('GET', KEYS[1]) ~= 'open' then return 'closed' end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 'not-eligible' end
local prev = redis.call('HGET', KEYS[3], ARGV[1])
if prev then
  if prev == ARGV[2] then return 'repeat' end
  return 'already-voted'
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
return 'accepted'
`

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
  cmBoxCast(...a: string[]): Promise<string>
  cmBoxOpen(...a: string[]): Promise<number>
  cmBoxClose(...a: string[]): Promise<number>
}

/** Ballot contents are stored as "<random id>|<content>", so equal ballots stay distinct. */
function content(member: string): string {
  return member.slice(member.indexOf('|') + 1)
}

export function openRedisBallotBox(redis: Redis, prefix: string): BallotBox {
  const r = redis as Scripted
  r.defineCommand('cmBoxCast', { numberOfKeys: 4, lua: CAST })
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

  async function readBallots(roundKey: string): Promise<string[]> {
    const k = ballotKeys(prefix, roundKey)
    return (await call(() => r.zrange(k.ballots, 0, -1))).map(content)
  }

  return {
    async openRound(roundKey, electorate) {
      const k = ballotKeys(prefix, roundKey)
      await call(() => r.cmBoxOpen(k.state, k.roll, k.ballots, ...[...new Set(electorate)].sort()))
    },
    async cast(roundKey, voterId, idempotencyKey, ballot) {
      const k = ballotKeys(prefix, roundKey)
      const score = String(randomBytes(6).readUIntBE(0, 6))
      const member = `${randomBytes(16).toString('hex')}|${ballot}`
      return (await call(() => r.cmBoxCast(k.state, k.roll, k.voted, k.ballots, voterId, idempotencyKey, score, member))) as CastOutcome
    },
    async closeRound(roundKey) {
      const k = ballotKeys(prefix, roundKey)
      const voters = await call(() => r.cmBoxClose(k.state, k.voted))
      const ballots = await readBallots(roundKey)
      // Replace the command history (which follows casting order) by the unordered contents.
      if (await aofEnabled()) await r.bgrewriteaof().catch(() => {})
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
    ballots: readBallots,
  }
}
