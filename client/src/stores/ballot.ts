// The tablet's ballots, one per open round: the marks while filling in (in memory only: never in
// localStorage, gone with the round, the page or the session), the review, and casting with one
// idempotency key per ballot that every retry reuses, so a lost ack never makes a second ballot.
// Whether this voter has voted comes from the cast's ack, the `ballot:received` push (the voter's
// other devices) and `Snapshot.votedIn` after a reconnect.
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { PollSpec } from '@shared/domain/polls'
import { onSocket } from '../socket'
import { getJson } from '../api'
import { useMeetingStore } from './meeting'
import { usePollsStore } from './polls'
import { useSessionStore } from './session'
import { castOutcome, emptyDraft, newIdempotencyKey, toBallot, type BallotDraft } from '../logic/ballot'
import { roundKeyOf } from '../logic/polls'
import type { ClientError } from '../logic/errors'

/**
 * edit → review → sending → received. From sending: `uncertain` (no reply: only the very same
 * ballot may be sent again), `failed` (certainly not stored: send again or change it), `refused`
 * (the server said no, with its reason), `voted` (the box already holds this voter's ballot).
 */
export type BallotPhase = 'edit' | 'review' | 'sending' | 'uncertain' | 'failed' | 'refused' | 'received' | 'voted'

export interface BallotEntry {
  draft: BallotDraft
  phase: BallotPhase
  /** The ballot as first sent and its key: what every retry sends again, unchanged. */
  pending: { key: string; ballot: unknown } | null
  /** A send went unanswered: the ballot may be in the box, so it can no longer be changed. */
  uncertain: boolean
  error: ClientError | null
  /** The voter confirmed casting a ballot that votes for more people than seats. */
  overConfirmed: boolean
}

export interface WriteInCandidate {
  personId: string
  name: string
  delegation: string
}

export type WriteInList = { status: 'loading' } | { status: 'ok'; list: WriteInCandidate[] } | { status: 'error'; error: ClientError }

export const useBallotStore = defineStore('ballot', () => {
  const meeting = useMeetingStore()
  const session = useSessionStore()
  const polls = usePollsStore()

  const entries = ref<Record<string, BallotEntry>>({})
  const votedIn = ref(new Set<string>())
  const writeIns = ref<Record<string, WriteInList>>({})

  function markVoted(keys: Iterable<string>): void {
    const next = new Set(votedIn.value)
    let changed = false
    for (const k of keys) {
      if (!next.has(k)) {
        next.add(k)
        changed = true
      }
      const e = entries.value[k]
      // The choices are no longer needed once the ballot is in the box: drop them.
      if (e && e.phase !== 'received' && e.phase !== 'voted') finish(k, e.pending || e.phase === 'sending' ? 'received' : 'voted')
    }
    if (changed) votedIn.value = next
  }

  function finish(key: string, phase: 'received' | 'voted'): void {
    const e = entries.value[key]
    if (!e) return
    entries.value[key] = { draft: blank(e.draft), phase, pending: null, uncertain: false, error: null, overConfirmed: false }
  }

  function blank(d: BallotDraft): BallotDraft {
    switch (d.kind) {
      case 'election':
        return { kind: 'election', marks: {}, writeIns: [] }
      case 'resolution':
        return { kind: 'resolution', mark: null }
      case 'appointment':
        return { kind: 'appointment', marks: {} }
      case 'evaluation':
        return { kind: 'evaluation', grades: {} }
    }
  }

  onSocket((s) => {
    s.on('state:snapshot', (snap) => {
      if (snap.votedIn?.length) markVoted(snap.votedIn)
    })
    s.on('ballot:received', (r) => markVoted([roundKeyOf(r.pollId, r.round)]))
    // Bound after the snapshot went by: ask for a fresh one, which carries votedIn.
    if (s.connected) meeting.resync()
  })

  // A round that is no longer open takes its unsent choices with it.
  const openKeys = computed(() => new Set(polls.openPolls.map((p) => roundKeyOf(p.id, p.round!.n))))
  watch(openKeys, (keys) => {
    for (const k of Object.keys(entries.value)) if (!keys.has(k)) delete entries.value[k]
  })
  // The next person on this tablet starts with nothing.
  watch(
    () => session.token,
    (t) => {
      if (!t) {
        entries.value = {}
        votedIn.value = new Set()
        writeIns.value = {}
      }
    },
  )

  function entry(key: string, spec: PollSpec): BallotEntry {
    let e = entries.value[key]
    if (!e || e.draft.kind !== spec.kind) {
      entries.value[key] = { draft: emptyDraft(spec), phase: votedIn.value.has(key) ? 'voted' : 'edit', pending: null, uncertain: false, error: null, overConfirmed: false }
      e = entries.value[key]
    }
    return e
  }

  function setDraft(key: string, draft: BallotDraft): void {
    const e = entries.value[key]
    if (!e || e.phase !== 'edit') return
    e.draft = draft
    e.overConfirmed = false
  }

  function review(key: string): void {
    const e = entries.value[key]
    if (e && e.phase === 'edit') e.phase = 'review'
  }

  /** Back to the marks: only while nothing may have reached the box. */
  function back(key: string): void {
    const e = entries.value[key]
    if (!e || e.uncertain || e.phase === 'sending' || e.phase === 'received' || e.phase === 'voted') return
    e.phase = 'edit'
    e.pending = null
    e.error = null
    e.overConfirmed = false
  }

  function confirmOver(key: string, on: boolean): void {
    const e = entries.value[key]
    if (e) e.overConfirmed = on
  }

  async function submit(pollId: string, n: number, spec: PollSpec): Promise<void> {
    const key = roundKeyOf(pollId, n)
    const e = entries.value[key]
    if (!e || e.phase === 'sending' || e.phase === 'received' || e.phase === 'voted' || e.phase === 'edit') return
    if (!e.pending) e.pending = { key: newIdempotencyKey(), ballot: toBallot(spec, e.draft) }
    const { key: idempotencyKey, ballot } = e.pending
    e.phase = 'sending'
    e.error = null
    const res = await meeting.send('ballot:cast', { pollId, round: n, ballot, idempotencyKey })
    const cur = entries.value[key]
    if (!cur) return
    switch (castOutcome(res)) {
      case 'received':
        markVoted([key])
        finish(key, 'received')
        return
      case 'voted':
        markVoted([key])
        finish(key, cur.uncertain ? 'received' : 'voted')
        return
      case 'uncertain':
        cur.uncertain = true
        cur.phase = 'uncertain'
        cur.error = res.ok ? null : res
        return
      case 'retry':
        cur.phase = cur.uncertain ? 'uncertain' : 'failed'
        cur.error = res.ok ? null : res
        return
      case 'refused':
        cur.phase = cur.uncertain ? 'uncertain' : 'refused'
        cur.error = res.ok ? null : res
    }
  }

  async function loadWriteIns(pollId: string, n: number): Promise<void> {
    const key = roundKeyOf(pollId, n)
    const cur = writeIns.value[key]
    if (cur && cur.status !== 'error') return
    writeIns.value[key] = { status: 'loading' }
    const res = await getJson<WriteInCandidate[]>(`/api/polls/${encodeURIComponent(pollId)}/writein-candidates`, session.token ?? '')
    writeIns.value[key] = res.ok ? { status: 'ok', list: Array.isArray(res.data) ? res.data : [] } : { status: 'error', error: res }
  }

  return { entries, votedIn, writeIns, entry, setDraft, review, back, confirmOver, submit, loadWriteIns }
})
