// The published ballots of a closed round, and the check anyone can run on them: the ballots hash to
// the digest that the closing event of the hash-chained log recorded, the closing event hashes to
// its recorded hash, and counting the ballots again gives the announced count.
import { countRound } from './counting'
import { ballotsDigest, canonicalBallots, canonicalJson } from './digest'
import type { StoredEvent } from './events'
import type { PollSpec } from './polls'

export interface BallotExport {
  format: 'congress-ballots/1'
  meeting: string
  poll: { id: string; title: string; kind: PollSpec['kind']; secret: boolean }
  round: number
  spec: PollSpec
  /** The electorate's size and the threshold bases, as fixed when the round opened. */
  issued: number
  shouldAttend: number
  present: number
  /** Sorted canonical ballots: the order says nothing about when each was cast. */
  ballots: unknown[]
  digest: string
  /** The event that closed the round, as stored in the log (its hash chains to the one before). */
  closingEvent: StoredEvent
  /** Display names of written-in people, for the recount's report. */
  names: Record<string, string>
}

/** The formula every event hash in the log follows. */
export function chainHash(sha256hex: (s: string) => string, e: Pick<StoredEvent, 'prev' | 'seq' | 'at' | 'actor' | 'event'>): string {
  return sha256hex(`${e.prev}\n${JSON.stringify([e.seq, e.at, e.actor, e.event])}`)
}

export interface VerifyResult {
  ok: boolean
  problems: string[]
  recount: unknown
}

export function verifyExport(x: BallotExport, sha256hex: (s: string) => string): VerifyResult {
  const problems: string[] = []
  const canonical = canonicalBallots(x.ballots)
  const digest = ballotsDigest(canonical, sha256hex)
  if (digest !== x.digest) problems.push(`ballots hash to ${digest}, the export says ${x.digest}`)
  const ev = x.closingEvent
  if (chainHash(sha256hex, ev) !== ev.hash) problems.push(`the closing event #${ev.seq} does not hash to its recorded hash`)
  if (ev.event.type !== 'poll.closed' || ev.event.pollId !== x.poll.id || ev.event.n !== x.round) {
    problems.push('the closing event is not the close of this round')
  } else {
    if (ev.event.ballotsDigest !== digest) problems.push(`the log recorded digest ${ev.event.ballotsDigest}, the ballots hash to ${digest}`)
    if (ev.event.returned !== x.ballots.length) problems.push(`the log recorded ${ev.event.returned} ballots, the export has ${x.ballots.length}`)
  }
  const electorate = Array.from({ length: x.issued }, (_, i) => String(i))
  const { count } = countRound({ spec: x.spec, electorate, shouldAttend: x.shouldAttend, present: x.present }, x.ballots, (id) => x.names[id] ?? id)
  if (ev.event.type === 'poll.closed' && canonicalJson(count) !== canonicalJson(ev.event.count)) {
    problems.push('counting the ballots again does not give the recorded count')
  }
  return { ok: problems.length === 0, problems, recount: count }
}

const ELECTION_MARK_ZH: Record<string, string> = { for: '赞成', against: '不赞成', abstain: '弃权' }
const VOTE_MARK_ZH: Record<string, string> = { for: '赞成', against: '反对', abstain: '弃权' }
const APPOINTMENT_MARK_ZH: Record<string, string> = { agree: '同意', disagree: '不同意', defer: '缓议', abstain: '弃权' }

function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** One row per ballot, in the export's order, a column per candidate, nominee or subject. */
export function exportCsv(x: BallotExport): string {
  const spec = x.spec
  let header: string[] = ['序号']
  let row: (b: Record<string, unknown>) => string[]
  switch (spec.kind) {
    case 'election':
      header = [...header, ...spec.candidates.map((c) => c.name), '另选他人']
      row = (b) => [
        ...spec.candidates.map((c) => ELECTION_MARK_ZH[String((b.marks as Record<string, string>)?.[c.id])] ?? ''),
        ((b.writeIns as string[]) ?? []).map((id) => x.names[id] ?? id).join('、'),
      ]
      break
    case 'resolution':
      header = [...header, spec.question]
      row = (b) => [VOTE_MARK_ZH[String(b.mark)] ?? '']
      break
    case 'appointment':
      header = [...header, ...spec.nominees.map((n) => n.name)]
      row = (b) => spec.nominees.map((n) => APPOINTMENT_MARK_ZH[String((b.marks as Record<string, string>)?.[n.id])] ?? '')
      break
    case 'evaluation':
      header = [...header, ...spec.subjects.map((s) => s.name)]
      row = (b) =>
        spec.subjects.map((s) => {
          const g = (b.grades as Record<string, number | null>)?.[s.id]
          return g === null || g === undefined ? '' : (spec.scale[g] ?? '')
        })
      break
  }
  const lines = [header, ...x.ballots.map((b, i) => [String(i + 1), ...row(b as Record<string, unknown>)])]
  return '\uFEFF' + lines.map((l) => l.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
