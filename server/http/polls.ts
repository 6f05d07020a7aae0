// Poll exports: the anonymised ballots of a closed round (JSON for recounts with `npm run verify`,
// CSV for spreadsheets), and for open (named) votes the named list. Secret ballots come from the
// ballot box in its own (random) order, then sorted canonically: never in casting order.
import type express from 'express'
import type { Request, Response } from 'express'
import { exportCsv, type BallotExport } from '../../shared/domain/ballot-export'
import { canonicalBallots, ballotsDigest } from '../../shared/domain/digest'
import { eligibleWriteIn, readStoredBallot } from '../../shared/domain/counting'
import { listedPersons, namedBallots, roundKey, type Poll, type Round } from '../../shared/domain/polls'
import type { Role } from '../../shared/domain/types'
import type { ErrorCode } from '../../shared/errors'
import { sha256, type Engine } from '../engine'
import type { Store } from '../store/types'

type Auth = (req: Request, res: Response, roles: readonly Role[]) => Promise<{ personId: string; role: Role } | null>
type Fail = (res: Response, req: Request, code: ErrorCode, params?: Record<string, string | number>) => void

const VOTE_ZH: Record<string, string> = { for: '赞成', against: '反对', abstain: '弃权' }

export function mountPollRoutes(app: express.Express, deps: { engine: Engine; store: Store; auth: Auth; fail: Fail }): void {
  const { engine, store, auth, fail } = deps

  /** The poll and round asked for, if this person may see its ballots now. */
  async function closedRound(req: Request, res: Response): Promise<{ poll: Poll; round: Round } | null> {
    const who = await auth(req, res, ['chair', 'secretariat', 'delegate', 'observer', 'display'])
    if (!who) return null
    const poll = engine.state.polls.get(String(req.params.pollId))
    const round = poll?.rounds.find((r) => r.n === Number(req.params.n))
    if (!poll || !round) {
      fail(res, req, 'NOT_FOUND')
      return null
    }
    if (round.status === 'open') {
      fail(res, req, 'POLL_NOT_CLOSED', { title: poll.title })
      return null
    }
    if (poll.mode === 'paper') {
      // Paper ballots stay in the sealed box; the count report carries the agreed totals.
      fail(res, req, 'POLL_IS_PAPER', { title: poll.title })
      return null
    }
    // Before publication only those who run or scrutinise the count may see the ballots.
    const insider = who.role === 'chair' || who.role === 'secretariat' || poll.scrutineers.includes(who.personId)
    if (round.status !== 'published' && !insider) {
      fail(res, req, 'FORBIDDEN')
      return null
    }
    return { poll, round }
  }

  async function buildExport(poll: Poll, round: Round): Promise<BallotExport> {
    const raw = poll.secret
      ? (await store.ballots.ballots(roundKey(poll.id, round.n))).map((b) => readStoredBallot(round.spec, b))
      : [...namedBallots(engine.state, poll.id, round.n).values()]
    const canonical = canonicalBallots(raw)
    const [closingEvent] = await store.log.read((round.closedSeq ?? 1) - 1, 1)
    const names: Record<string, string> = {}
    for (const b of raw) for (const id of ((b as { writeIns?: string[] }).writeIns ?? [])) names[id] = engine.state.persons.get(id)?.name ?? id
    return {
      format: 'congress-ballots/1',
      meeting: engine.state.meeting?.name ?? '',
      poll: { id: poll.id, title: poll.title, kind: poll.spec.kind, secret: poll.secret },
      round: round.n,
      spec: round.spec,
      issued: round.electorate.length,
      shouldAttend: round.shouldAttend,
      present: round.present,
      ballots: canonical.map((c) => JSON.parse(c) as unknown),
      digest: ballotsDigest(canonical, sha256),
      closingEvent,
      names,
    }
  }

  app.get('/api/polls/:pollId/rounds/:n/ballots.json', async (req, res) => {
    const found = await closedRound(req, res)
    if (!found) return
    const x = await buildExport(found.poll, found.round)
    res.setHeader('Content-Disposition', `attachment; filename="ballots-${found.poll.id}-${found.round.n}.json"`)
    res.json(x)
  })

  app.get('/api/polls/:pollId/rounds/:n/ballots.csv', async (req, res) => {
    const found = await closedRound(req, res)
    if (!found) return
    const x = await buildExport(found.poll, found.round)
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', `attachment; filename="ballots-${found.poll.id}-${found.round.n}.csv"`)
    res.send(exportCsv(x))
  })

  /** Who a voter may write in (另选他人) on an election ballot: active delegates not on the list. */
  app.get('/api/polls/:pollId/writein-candidates', async (req, res) => {
    if (!(await auth(req, res, ['delegate', 'chair', 'secretariat']))) return
    const s = engine.state
    const poll = s.polls.get(String(req.params.pollId))
    const spec = poll?.rounds[poll.rounds.length - 1]?.spec ?? poll?.spec
    if (!poll || !spec || spec.kind !== 'election') return fail(res, req, 'NOT_FOUND')
    const eligible = eligibleWriteIn(s, new Set(listedPersons(spec)))
    const out = []
    for (const p of s.persons.values()) {
      if (!eligible(p.id)) continue
      out.push({ personId: p.id, name: p.name, delegation: p.delegationId ? (s.delegations.get(p.delegationId)?.name ?? '') : '' })
    }
    res.json({ ok: true, data: out })
  })

  /** Named votes only: who voted how, by delegation and seat. */
  app.get('/api/polls/:pollId/rounds/:n/named.csv', async (req, res) => {
    const found = await closedRound(req, res)
    if (!found) return
    const { poll, round } = found
    if (poll.secret) return fail(res, req, 'FORBIDDEN')
    const s = engine.state
    const named = namedBallots(s, poll.id, round.n)
    const rows = round.electorate.map((id) => {
      const p = s.persons.get(id)
      const b = named.get(id) as { mark?: string } | undefined
      const delegation = p?.delegationId ? (s.delegations.get(p.delegationId)?.name ?? '') : ''
      return [id, p?.name ?? id, delegation, p?.seat ?? '', b?.mark ? (VOTE_ZH[b.mark] ?? b.mark) : '未投票']
    })
    const csv = [['编号', '姓名', '代表团', '座位', '表决'], ...rows].map((r) => r.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n')
    res.setHeader('Content-Type', 'text/csv; charset=utf-8')
    res.setHeader('Content-Disposition', `attachment; filename="named-${poll.id}-${round.n}.csv"`)
    res.send('\uFEFF' + csv + '\r\n')
  })
}
