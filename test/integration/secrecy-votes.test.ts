// Secrecy and one ballot per voter for the secret polls other than elections (secrecy.test.ts covers
// those): a secret resolution vote (表决), a full-committee appointment vote (票决) and a democratic
// evaluation (测评), each a round of a few dozen ballots cast from real tablet sockets, on both
// stores. As DOMAIN.md ("Secrecy") puts it: nobody holding the data or the logs may learn how a named
// delegate voted, and while the round is open everyone sees turnout, never a partial result.
// Appointment and evaluation ballots are all different from one another, so any record that put a
// voter beside a ballot would tell that voter's choice; a resolution has three choices only.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { seedDemoIfEmpty } from '../../server/seed'
import { ballotKeys } from '../../server/store/ballot-box-redis'
import type { StoredEvent } from '../../shared/domain/events'
import type { PollView } from '../../shared/domain/poll-views'
import type { PollSpec } from '../../shared/domain/polls'
import type { AppointmentCount, EvaluationCount, ResolutionCount } from '../../shared/domain/votes'
import type { Ack } from '../../shared/errors'
import {
  canonical,
  distinctBallots,
  dumpRedisPrefix,
  idemKey,
  importRoster,
  MARK_WORDS_RE,
  orderCorrelation,
  readSqliteEverything,
  rosterCsv,
  rowText,
  shuffle,
  timeLike,
  VOTER_ID_RE,
  type RedisEntry,
  type SqliteTable,
} from '../helpers/ballots'
import { captureOutput, expectNoVoterBesideBallot, redisRows, walk } from '../helpers/secrecy'
import { checkInDirect, connectAt, send, startServer, storeHandle, STORE_KINDS, type Client, type StoreHandle, type TestServer } from '../helpers/server'

const ROSTER = 80
/** The full committee: the first 60 delegates of the roster. */
const COMMITTEE = 60
const VOTERS = 48
const HALF = 24
/** Casts sent together; waves follow one another, so casting order is real time order. */
const WAVE = 8
/** |rho| bound for storage order against casting order: with n = 48 an unrelated order has sd
 * 1/sqrt(47) = 0.146, so 0.6 is 4.1 sd. */
const RHO = 0.6
/** Voters who try a second ballot with another key, and voters who retry with the same key. */
const SECOND = 6
const RETRY = 6

const hasVoterId = (s: string) => new RegExp(VOTER_ID_RE.source).test(s)
/** Ballot content of any of these kinds, as sent or as stored (canonical JSON): the ballot's field. */
const hasBallot = (s: string) => /"(mark|marks|grades)"/.test(s)
/** Words of a choice, in either language, for the log search. */
const CHOICE_WORDS_RE = new RegExp(`${MARK_WORDS_RE.source}|\\b(agree|disagree|defer|grades?)\\b|同意|缓议|满意`)
/** Keys under which a view would carry a count, a tally or a ballot. */
const RESULT_KEYS = ['for', 'against', 'abstain', 'results', 'tally', 'live', 'count', 'counts', 'pct', 'agree', 'disagree', 'third', 'mark', 'marks', 'grades']

type Kind = 'resolution' | 'appointment' | 'evaluation'

interface KindDef {
  kind: Kind
  create: Record<string, unknown>
  /** Who votes: the congress (every delegate checked in) or the committee. */
  electorate: 'congress' | 'committee'
  /** Whether every ballot of the round differs from every other. */
  distinct: boolean
  ballots(spec: PollSpec, n: number): unknown[]
  /** A ballot with another choice than `b`. */
  other(spec: PollSpec, b: unknown): unknown
  /** The count of the ballots `cast`, as the close must report it. */
  expectCount(count: unknown, spec: PollSpec, cast: unknown[], issued: number): void
}

type ResolutionBallot = { mark: 'for' | 'against' | 'abstain' }
type AppointmentBallot = { marks: Record<string, 'agree' | 'disagree' | 'defer'> }
type EvaluationBallot = { grades: Record<string, number | null> }

const SCALE = ['满意', '比较满意', '基本满意', '不满意']

const KINDS: KindDef[] = [
  {
    kind: 'resolution',
    // A secret vote asking for live results gets none: live results are for named votes only.
    create: { title: '关于县委工作报告的决议（无记名）', spec: { kind: 'resolution', question: '通过县委工作报告的决议' }, secret: true, liveResults: true },
    electorate: 'congress',
    distinct: false,
    ballots: (_spec, n) => {
      const marks = Array.from({ length: n }, (_, i) => (i < 25 ? 'for' : i < 40 ? 'against' : 'abstain'))
      return shuffle(marks).map((mark) => ({ mark }))
    },
    other: (_spec, b) => ({ mark: (b as ResolutionBallot).mark === 'for' ? 'against' : 'for' }),
    expectCount: (count, _spec, cast, issued) => {
      const tally = { for: 0, against: 0, abstain: 0 }
      for (const b of cast as ResolutionBallot[]) tally[b.mark]++
      expect(tally.for * tally.against * tally.abstain).toBeGreaterThan(0)
      expect(count as ResolutionCount).toMatchObject({ returned: cast.length, issued, valid: cast.length, invalid: 0, ...tally })
    },
  },
  {
    kind: 'appointment',
    create: {
      title: '全委会票决',
      bodyId: 'committee',
      spec: {
        kind: 'appointment',
        nominees: [
          { name: '赵立新', position: '县发改局局长' },
          { name: '钱芳', position: '县财政局局长' },
          { name: '孙志强', position: '县教育局局长' },
          { name: '李晓燕', position: '县卫健局局长' },
          { name: '周卫东', position: '县政府办主任' },
        ],
      },
    },
    electorate: 'committee',
    distinct: true,
    // 3^5 = 243 mark patterns: distinctBallots' for / against / abstain stand for agree / disagree / defer.
    ballots: (spec, n) => {
      const ids = spec.kind === 'appointment' ? spec.nominees.map((x) => x.id) : []
      const as = { for: 'agree', against: 'disagree', abstain: 'defer' } as const
      return distinctBallots(n, ids).map((b) => ({ marks: Object.fromEntries(Object.entries(b.marks).map(([id, m]) => [id, as[m]])) }))
    },
    other: (_spec, b) => {
      const marks = { ...(b as AppointmentBallot).marks }
      const first = Object.keys(marks)[0]
      marks[first] = marks[first] === 'agree' ? 'disagree' : 'agree'
      return { marks }
    },
    expectCount: (count, spec, cast, issued) => {
      const c = count as AppointmentCount
      expect(c).toMatchObject({ returned: cast.length, issued, valid: cast.length, invalid: 0, base: COMMITTEE, thirdOption: 'defer' })
      const nominees = spec.kind === 'appointment' ? spec.nominees : []
      expect(c.results.map((r) => r.id)).toEqual(nominees.map((x) => x.id))
      for (const n of nominees) {
        const want = { agree: 0, disagree: 0, third: 0 }
        for (const b of cast as AppointmentBallot[]) {
          const m = b.marks[n.id]
          want[m === 'defer' ? 'third' : m]++
        }
        const row = c.results.find((r) => r.id === n.id)!
        expect({ id: n.id, agree: row.agree, disagree: row.disagree, third: row.third, unmarked: row.unmarked }).toEqual({ id: n.id, ...want, unmarked: 0 })
      }
    },
  },
  {
    kind: 'evaluation',
    create: {
      title: '民主测评',
      spec: { kind: 'evaluation', subjects: [{ name: '县委常委会' }, { name: '县纪委常委会' }, { name: '县政府党组' }, { name: '县人大常委会党组' }], scale: SCALE },
    },
    electorate: 'congress',
    distinct: true,
    // 5^4 = 625 patterns: each subject graded on the 4-step scale or left ungraded (null).
    ballots: (spec, n) => {
      const ids = spec.kind === 'evaluation' ? spec.subjects.map((x) => x.id) : []
      const codes = shuffle(Array.from({ length: 5 ** ids.length }, (_, i) => i)).slice(0, n)
      return codes.map((code) => {
        const grades: Record<string, number | null> = {}
        let c = code
        for (const id of ids) {
          grades[id] = c % 5 === 4 ? null : c % 5
          c = Math.floor(c / 5)
        }
        return { grades }
      })
    },
    other: (_spec, b) => {
      const grades = { ...(b as EvaluationBallot).grades }
      const first = Object.keys(grades)[0]
      grades[first] = grades[first] === 0 ? 3 : 0
      return { grades }
    },
    expectCount: (count, spec, cast, issued) => {
      const c = count as EvaluationCount
      expect(c).toMatchObject({ returned: cast.length, issued, valid: cast.length, invalid: 0, scale: SCALE })
      const subjects = spec.kind === 'evaluation' ? spec.subjects : []
      expect(c.results.map((r) => r.id).sort()).toEqual(subjects.map((x) => x.id).sort())
      for (const s of subjects) {
        const counts = SCALE.map(() => 0)
        let abstain = 0
        for (const b of cast as EvaluationBallot[]) {
          const g = b.grades[s.id]
          if (g === null) abstain++
          else counts[g]++
        }
        const row = c.results.find((r) => r.id === s.id)!
        expect({ id: s.id, counts: row.counts, abstain: row.abstain }).toEqual({ id: s.id, counts, abstain })
      }
    },
  },
]

interface Seen {
  event: string
  payload: unknown
  open: boolean
}

/** Everything a store holds, read as an administrator copying it would. */
type StoreCopy = { sqlite: { congress: SqliteTable[]; ballots: SqliteTable[]; congressBytes: Buffer } } | { redis: RedisEntry[] }

/** The turnout of a poll's open round that a pushed payload tells (whole views, snapshots, tablet
 * patches), if it tells one. */
function turnoutIn(payload: unknown, pollId: string): number | undefined {
  const x = payload as {
    view?: { polls?: PollView[] }
    set?: { polls?: PollView[] }
    polls?: PollView[]
    turnout?: Record<string, number>
  } | null
  if (typeof x?.turnout?.[pollId] === 'number') return x.turnout[pollId]
  const lists = [x?.view?.polls, x?.set?.polls, Array.isArray(x?.polls) ? x.polls : undefined]
  for (const list of lists) {
    const p = list?.find((q) => q.id === pollId)
    if (p?.round?.status === 'open') return p.round.turnout
  }
  return undefined
}

/** The entries for one poll that a payload carries (whole views, snapshots, patches). */
function pollsIn(payload: unknown, pollId: string): PollView[] {
  const x = payload as { view?: { polls?: PollView[] }; set?: { polls?: PollView[] }; polls?: unknown } | null
  const lists = [x?.view?.polls, x?.set?.polls, Array.isArray(x?.polls) ? (x.polls as PollView[]) : undefined]
  return lists.flatMap((l) => l?.filter((p) => p.id === pollId) ?? [])
}

describe.each(STORE_KINDS)('secret votes, appointment votes and evaluations on %s', (storeKind) => {
  let handle: StoreHandle
  let server: TestServer
  const sockets: Client[] = []
  const t0 = Date.now() - 60_000
  let chair: Client
  let chairToken = ''
  let observerToken = ''
  let ids: string[] = []
  const tablets = new Map<string, Client>()
  /** A delegate who never votes here (and is not on the committee): what any tablet sees. */
  let observerId = ''
  let open = false
  const display: Seen[] = []
  const observer: Seen[] = []
  const chairSaw: Seen[] = []

  async function copyStore(): Promise<StoreCopy> {
    if (storeKind === 'sqlite') {
      const dir = handle.config.dataDir!
      const congressFile = path.join(dir, 'congress.db')
      return {
        sqlite: {
          congress: readSqliteEverything(congressFile),
          ballots: readSqliteEverything(path.join(dir, 'ballots.db')),
          congressBytes: Buffer.concat([congressFile, `${congressFile}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f))),
        },
      }
    }
    return { redis: await dumpRedisPrefix(handle.config.redisUrl!, handle.config.redisPrefix!) }
  }

  beforeAll(async () => {
    handle = storeHandle(storeKind)
    server = await startServer(handle)
    const app = server.app
    const codes = (await seedDemoIfEmpty(app.engine))!
    const codeOf = (role: string) => codes.find((c) => c.role === role)!.code
    const desk = await connectAt(server.url, codeOf('secretariat'))
    const c = await connectAt(server.url, codeOf('chair'))
    const disp = await connectAt(server.url, codeOf('display'))
    chair = c.socket
    chairToken = c.login.token
    sockets.push(desk.socket, chair, disp.socket)
    display.push({ event: 'state:snapshot', payload: disp.snapshot, open })
    disp.socket.onAny((event: string, payload: unknown) => display.push({ event, payload, open }))
    chair.onAny((event: string, payload: unknown) => chairSaw.push({ event, payload, open }))

    const roster = rosterCsv(ROSTER)
    await importRoster(server.url, desk.login.token, roster.csv, 'replace')
    ids = roster.ids
    observerId = ids[ROSTER - 1]
    await checkInDirect(app, ids)
    const body = await send(desk.socket, 'body:save', { id: 'committee', name: '县委全体委员', memberIds: ids.slice(0, COMMITTEE) })
    expect(body.ok).toBe(true)

    // Every delegate on a tablet of their own.
    const issued = await send<{ issued: Array<{ personId: string; code: string }> }>(desk.socket, 'credential:issue', { personIds: ids })
    if (!issued.ok) throw new Error(JSON.stringify(issued))
    for (let i = 0; i < issued.data.issued.length; i += 20) {
      const batch = issued.data.issued.slice(i, i + 20)
      const connected = await Promise.all(batch.map((x) => connectAt(server.url, x.code)))
      connected.forEach((t, k) => {
        tablets.set(batch[k].personId, t.socket)
        if (batch[k].personId === observerId) observerToken = t.login.token
        sockets.push(t.socket)
      })
    }
    const obs = tablets.get(observerId)!
    obs.onAny((event: string, payload: unknown) => observer.push({ event, payload, open }))
  }, 60_000)

  afterAll(async () => {
    for (const s of sockets) s.disconnect()
    await server?.close().catch(() => {})
    await handle?.cleanup().catch(() => {})
  })

  describe.each(KINDS)('a secret $kind', (def) => {
    let pollId = ''
    let roundKey = ''
    let spec: PollSpec
    let issuedN = 0
    /** Voters in casting order, and the ballot each had accepted. */
    let voters: string[] = []
    let cast: unknown[] = []
    const keyOf = new Map<string, string>()
    const firstAck = new Map<string, Ack<unknown>>()
    let seconds: Ack<unknown>[] = []
    let retries: Array<{ first: Ack<unknown>; again: Ack<unknown> }> = []
    let changedRetries: Array<{ first: Ack<unknown>; again: Ack<unknown> }> = []
    let afterClose: { retry: Ack<unknown>; first: Ack<unknown>; other: Ack<unknown> } | null = null
    let exported: { json: { ballots: unknown[] }; jsonText: string; csv: string; named: { status: number; text: string }; early: { status: number; text: string } }
    let turnoutAfterRefusals = -1
    let lines: string[] = []
    let mid: StoreCopy
    let end: StoreCopy
    let events: StoredEvent[] = []
    let seenFrom = { display: 0, observer: 0, chair: 0 }

    const castCanonical = () => cast.map(canonical)
    const seenNow = (list: Seen[], from: number) => list.slice(from)
    const waitTurnout = (n: number) =>
      vi.waitFor(
        () => {
          for (const [list, from] of [
            [display, seenFrom.display],
            [observer, seenFrom.observer],
          ] as const) {
            const ts = seenNow(list, from)
              .map((d) => turnoutIn(d.payload, pollId))
              .filter((t) => t !== undefined)
            expect(ts.at(-1)).toBe(n)
          }
        },
        { timeout: 5000, interval: 20 },
      )

    beforeAll(async () => {
      const app = server.app
      seenFrom = { display: display.length, observer: observer.length, chair: chairSaw.length }
      const created = await send<{ pollId: string; spec: PollSpec }>(chair, 'poll:create', def.create)
      if (!created.ok) throw new Error(JSON.stringify(created))
      pollId = created.data.pollId
      spec = created.data.spec
      roundKey = `${pollId}:1`
      const electorate = def.electorate === 'committee' ? ids.slice(0, COMMITTEE) : ids
      voters = shuffle(electorate.filter((id) => id !== observerId)).slice(0, VOTERS)
      cast = def.ballots(spec, VOTERS)
      if (def.distinct) expect(new Set(castCanonical()).size).toBe(VOTERS)

      const capture = captureOutput()
      try {
        const opened = await send<{ issued: number }>(chair, 'poll:open', { pollId })
        expect(opened).toMatchObject({ ok: true, data: { round: 1 } })
        issuedN = (opened as { data: { issued: number } }).data.issued
        expect(issuedN).toBe(electorate.length)
        open = true

        for (let w = 0; w < VOTERS; w += WAVE) {
          const acks = await Promise.all(
            voters.slice(w, w + WAVE).map((v, k) => {
              const key = idemKey()
              keyOf.set(v, key)
              return send(tablets.get(v)!, 'ballot:cast', { pollId, round: 1, ballot: cast[w + k], idempotencyKey: key })
            }),
          )
          acks.forEach((a, k) => firstAck.set(voters[w + k], a))
          const bad = acks.find((a) => !a.ok)
          if (bad) throw new Error(`a ballot was refused: ${JSON.stringify(bad)}`)
          // Halfway, the hall display and a delegate's tablet show the turnout so far.
          if (w + WAVE === HALF) await waitTurnout(HALF)
        }

        // A second ballot with another key, and another choice, is refused; a retry with the same
        // key (a lost ack) gets the same ack again, even if it carries another choice.
        const second = voters.slice(0, SECOND)
        const again = voters.slice(SECOND, SECOND + RETRY)
        const changed = voters.slice(SECOND + RETRY, SECOND + RETRY + 2)
        const idx = (v: string) => voters.indexOf(v)
        const [s, r, ch] = await Promise.all([
          Promise.all(second.map((v) => send(tablets.get(v)!, 'ballot:cast', { pollId, round: 1, ballot: def.other(spec, cast[idx(v)]), idempotencyKey: idemKey() }))),
          Promise.all(again.map((v) => send(tablets.get(v)!, 'ballot:cast', { pollId, round: 1, ballot: cast[idx(v)], idempotencyKey: keyOf.get(v) }))),
          Promise.all(changed.map((v) => send(tablets.get(v)!, 'ballot:cast', { pollId, round: 1, ballot: def.other(spec, cast[idx(v)]), idempotencyKey: keyOf.get(v) }))),
        ])
        seconds = s
        retries = again.map((v, i) => ({ first: firstAck.get(v)!, again: r[i] }))
        changedRetries = changed.map((v, i) => ({ first: firstAck.get(v)!, again: ch[i] }))
        turnoutAfterRefusals = await app.store.ballots.turnout(roundKey)
        await waitTurnout(VOTERS)

        // What an administrator copying the data while the round is open would hold.
        mid = await copyStore()

        const closed = await send(chair, 'poll:close', { pollId })
        expect(closed.ok).toBe(true)
        open = false

        // A retry whose ack was lost just before the close still gets its ack; a new ballot does not.
        const late = voters[VOTERS - 1]
        afterClose = {
          first: firstAck.get(late)!,
          retry: await send(tablets.get(late)!, 'ballot:cast', { pollId, round: 1, ballot: cast[VOTERS - 1], idempotencyKey: keyOf.get(late) }),
          other: await send(tablets.get(voters[VOTERS - 2])!, 'ballot:cast', { pollId, round: 1, ballot: cast[VOTERS - 2], idempotencyKey: idemKey() }),
        }
        // The exports an insider may take of the closed (unpublished) round, and what is refused.
        const get = (file: string, token: string) =>
          fetch(`${server.url}/api/polls/${pollId}/rounds/1/${file}`, { headers: { authorization: `Bearer ${token}` } })
        const jsonText = await (await get('ballots.json', chairToken)).text()
        const named = await get('named.csv', chairToken)
        const early = await get('ballots.json', observerToken)
        exported = {
          json: JSON.parse(jsonText) as { ballots: unknown[] },
          jsonText,
          csv: await (await get('ballots.csv', chairToken)).text(),
          named: { status: named.status, text: await named.text() },
          early: { status: early.status, text: await early.text() },
        }
        // Let a last broadcast reach the display.
        await new Promise((res) => setTimeout(res, 300))
        // The capture records what the test itself prints too: the search below is not blind.
        console.info(`[secrecy-votes] capture check ${pollId}`)
      } finally {
        capture.stop()
        lines = capture.lines
      }
      end = await copyStore()
      events = await app.store.log.read(0, 1_000_000)
    }, 60_000)

    it('counts every ballot once, as cast, and logs only the count and the digest', () => {
      const closedEv = events.find((e) => e.event.type === 'poll.closed' && e.event.pollId === pollId)!.event as Extract<
        StoredEvent['event'],
        { type: 'poll.closed' }
      >
      expect(closedEv.returned).toBe(VOTERS)
      def.expectCount(closedEv.count, spec, cast, issuedN)
      const digest = createHash('sha256').update(castCanonical().sort().join('\n')).digest('hex')
      expect(closedEv.ballotsDigest).toBe(digest)
      expect(Object.keys(closedEv).sort()).toEqual(['ballotsDigest', 'count', 'n', 'nextRound', 'pollId', 'returned', 'type'])
      expect(hasVoterId(JSON.stringify(closedEv.count))).toBe(false)
    })

    it('one ballot per voter: another key is ALREADY_VOTED, the same key gets the same ack and changes nothing', () => {
      expect(seconds).toHaveLength(SECOND)
      for (const a of seconds) expect(a).toMatchObject({ ok: false, code: 'ALREADY_VOTED' })
      expect(retries).toHaveLength(RETRY)
      for (const { first, again } of retries) {
        expect(first).toEqual({ ok: true, data: { pollId, round: 1, received: true } })
        expect(again).toEqual(first)
      }
      // A "retry" carrying another choice is answered as the retry it claims to be, or refused;
      // either way the first choice stands (the count above is of the first ballots).
      for (const { first, again } of changedRetries) {
        if (again.ok) expect(again).toEqual(first)
        else expect(again).toMatchObject({ code: 'ALREADY_VOTED' })
      }
      expect(turnoutAfterRefusals).toBe(VOTERS)
      expect(afterClose!.retry).toEqual(afterClose!.first)
      expect(afterClose!.other).toMatchObject({ ok: false, code: 'POLL_NOT_OPEN' })
    })

    it('the exports hold the ballots and no voter: no named list, nothing for a delegate before publication', () => {
      // The anonymised ballots, sorted: neither casting order nor voters.
      expect(exported.json.ballots.map(canonical)).toEqual(castCanonical().sort())
      expect(hasVoterId(exported.jsonText)).toBe(false)
      const rows = exported.csv.trim().split('\r\n')
      expect(rows).toHaveLength(VOTERS + 1)
      expect(hasVoterId(exported.csv)).toBe(false)
      // A secret round has no named list, and a delegate sees no ballots before publication.
      expect(exported.named.status).toBe(403)
      expect(JSON.parse(exported.named.text)).toMatchObject({ ok: false, code: 'FORBIDDEN' })
      expect(exported.early.status).toBe(403)
      expect(hasBallot(exported.early.text) || hasVoterId(exported.early.text)).toBe(false)
    })

    it('the event log holds no ballot and no per-voter cast', () => {
      for (const e of events) {
        expect(hasBallot(JSON.stringify(e)), `event #${e.seq} ${e.event.type} carries ballot content`).toBe(false)
        expect(e.event.type.startsWith('ballot.'), `event #${e.seq} is a ${e.event.type}`).toBe(false)
      }
      const opened = events.findIndex((e) => e.event.type === 'poll.opened' && (e.event as { pollId: string }).pollId === pollId)
      expect(opened).toBeGreaterThan(-1)
      expect(events.slice(opened + 1).map((e) => e.event.type)).toEqual(['poll.closed'])
    })

    it('the server prints nothing that ties a voter to a choice, and no ballot content at all', () => {
      expect(lines.some((l) => l.includes(`[secrecy-votes] capture check ${pollId}`))).toBe(true)
      const leaks = lines.filter((l) => (hasVoterId(l) && CHOICE_WORDS_RE.test(l)) || hasBallot(l) || /"(for|against|abstain|agree|disagree|defer)"/.test(l))
      expect(leaks.slice(0, 5)).toEqual([])
    })

    it('the hall display and a delegate see turnout while the round is open, never a partial result', () => {
      for (const [who, list, from] of [
        ['the display', display, seenFrom.display],
        ['a delegate', observer, seenFrom.observer],
      ] as const) {
        const seen = seenNow(list, from)
        expect(seen.map((d) => d.event)).not.toContain('ballot:received')
        const turnouts: number[] = []
        for (const d of seen) {
          // Nothing unpublished reaches the public: not while open, not after the close either.
          walk(d.payload, (k, v, p) => {
            if (RESULT_KEYS.includes(k)) throw new Error(`${who} received ${p} = ${JSON.stringify(v)?.slice(0, 80)} (${d.event})`)
          })
          for (const p of pollsIn(d.payload, pollId)) {
            expect(p.result, `${who}: ${d.event} shows a result`).toBeNull()
            expect(p.liveResults).toBe(false)
            expect(p.byDelegation).toBeNull()
          }
          const t = d.open ? turnoutIn(d.payload, pollId) : undefined
          if (t !== undefined) turnouts.push(t)
        }
        expect(turnouts, who).toContain(HALF)
        expect(Math.max(...turnouts), who).toBe(VOTERS)
        expect(turnouts.every((t, i) => i === 0 || t >= turnouts[i - 1]), who).toBe(true)
      }
    })

    it('the chair sees no partial result while the round is open, and the count once it is closed', () => {
      let whileOpen = 0
      let counted = 0
      for (const d of seenNow(chairSaw, seenFrom.chair)) {
        for (const p of pollsIn(d.payload, pollId)) {
          if (p.round?.status === 'open') {
            whileOpen++
            expect(p.result, `the chair saw a result while the round was open (${d.event})`).toBeNull()
            expect(p.byDelegation).toBeNull()
            walk(p, (k, v, at) => {
              if (RESULT_KEYS.includes(k)) throw new Error(`the chair saw ${at} = ${JSON.stringify(v)?.slice(0, 80)} while the round was open`)
            })
          } else if (p.round?.status === 'closed' && p.result) counted++
        }
      }
      expect(whileOpen).toBeGreaterThan(0)
      // The search above would find a count: the chair does get one once the round is closed.
      expect(counted).toBeGreaterThan(0)
    })

    describe.runIf(storeKind === 'sqlite')('the SQLite files', () => {
      const copies = () =>
        [
          ['while open', (mid as Extract<StoreCopy, { sqlite: unknown }>).sqlite],
          ['after close', (end as Extract<StoreCopy, { sqlite: unknown }>).sqlite],
        ] as const

      it('no row of congress.db or ballots.db holds a voter id together with a ballot; congress.db holds no ballot at all', () => {
        expectNoVoterBesideBallot(copies(), hasVoterId, hasBallot)
      })

      it("the round's ballot rows are exactly the ballots cast, with no voter id and no time; its roll holds no ballot and no time", () => {
        for (const [when, s] of copies()) {
          const ballots = s.ballots.find((t) => t.name === 'ballots')!
          for (const c of ballots.columns) expect(c).not.toMatch(/voter|person|time|date|_at$|^at$|seq|order/i)
          const mine = ballots.rows.filter((r) => r.round_key === roundKey)
          expect(mine.map((r) => String(r.content)).sort(), when).toEqual(castCanonical().sort())
          // The search the other checks rely on finds a stored ballot where there is one.
          expect(hasBallot(rowText(mine[0]))).toBe(true)
          for (const row of mine)
            for (const v of Object.values(row)) {
              expect(hasVoterId(String(v)), `${when}: ballot row holds a voter id`).toBe(false)
              expect(timeLike(v, t0, Date.now() + 60_000), `${when}: ballot row holds a time-like ${String(v)}`).toBe(false)
            }
          const roll = s.ballots.find((t) => t.name === 'roll')!.rows.filter((r) => r.round_key === roundKey)
          expect(roll).toHaveLength(issuedN)
          expect(new Set(roll.filter((r) => r.voted === 1).map((r) => String(r.voter)))).toEqual(new Set(voters))
          for (const row of roll) {
            expect(hasBallot(rowText(row)), `${when}: roll row holds a ballot`).toBe(false)
            for (const v of Object.values(row)) expect(timeLike(v, t0, Date.now() + 60_000), `${when}: roll value ${String(v)}`).toBe(false)
          }
        }
      })

      it.runIf(def.distinct)('the ballots table, read in its natural order, is not in casting order', () => {
        for (const [when, s] of copies()) {
          const natural = s.ballots
            .find((t) => t.name === 'ballots')!
            .rows.filter((r) => r.round_key === roundKey)
            .map((r) => String(r.content))
          const { rho, found } = orderCorrelation(castCanonical(), natural)
          expect(found).toBe(VOTERS)
          expect(Math.abs(rho), `${when}: rho = ${rho}`).toBeLessThan(RHO)
        }
      })
    })

    describe.runIf(storeKind === 'redis')('the Redis keys', () => {
      const copies = () =>
        [
          ['while open', (mid as Extract<StoreCopy, { redis: unknown }>).redis],
          ['after close', (end as Extract<StoreCopy, { redis: unknown }>).redis],
        ] as const
      const keysOf = () => ballotKeys(handle.config.redisPrefix!, roundKey)

      it('no key holds a voter id together with a ballot; only the ballot boxes hold ballots', () => {
        for (const [when, keys] of copies()) {
          expect(keys.length).toBeGreaterThan(0)
          for (const e of keys) {
            for (const row of redisRows(e)) expect(hasVoterId(row) && hasBallot(row), `${when}: ${e.key} (${e.type}) pairs a voter with a ballot`).toBe(false)
            if (!e.key.endsWith(':ballots')) expect(redisRows(e).some(hasBallot), `${when}: ${e.key} holds a ballot`).toBe(false)
          }
        }
      })

      it("the round's box holds exactly the ballots cast, with no voter id and no time; who voted holds no ballot and no time", () => {
        const k = keysOf()
        for (const [when, keys] of copies()) {
          const rows = redisRows(keys.find((x) => x.key === k.ballots)!)
          const contents = rows.map((r) => r.split('\u0001')[0]).map((m) => m.slice(m.indexOf('|') + 1))
          expect(contents.sort(), when).toEqual(castCanonical().sort())
          expect(hasBallot(rows[0])).toBe(true)
          for (const row of rows) {
            const [member, score] = row.split('\u0001')
            expect(hasVoterId(member), `${when}: a ballot names a voter`).toBe(false)
            expect(timeLike(member, t0, Date.now() + 60_000) || timeLike(Number(score), t0, Date.now() + 60_000), `${when}: ${row}`).toBe(false)
          }
          const voted = keys.find((x) => x.key === k.voted)!
          expect(new Set(Object.keys(voted.value as Record<string, string>))).toEqual(new Set(voters))
          for (const key of [k.voted, k.roll]) {
            for (const row of redisRows(keys.find((x) => x.key === key)!)) {
              expect(hasBallot(row), `${when}: ${key} holds a ballot`).toBe(false)
              for (const part of row.split('\u0001')) expect(timeLike(part, t0, Date.now() + 60_000), `${when}: ${key} holds ${part}`).toBe(false)
            }
          }
        }
      })

      it.runIf(def.distinct)('ZRANGE returns the ballots in an order unrelated to casting', () => {
        for (const [when, keys] of copies()) {
          const members = redisRows(keys.find((x) => x.key === keysOf().ballots)!).map((r) => r.split('\u0001')[0])
          const { rho, found } = orderCorrelation(
            castCanonical(),
            members.map((m) => m.slice(m.indexOf('|') + 1)),
          )
          expect(found).toBe(VOTERS)
          expect(Math.abs(rho), `${when}: rho = ${rho}`).toBeLessThan(RHO)
        }
      })
    })
  })
})
