// The desk's scanning station: what the last scan did (the big feedback panel), the last scans, and
// undoing a check-in made by mistake. Kept in a store so switching tabs loses nothing.
import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { normalizeCode } from '@shared/credentials'
import type { PersonBrief } from '@shared/protocol'
import type { Presence } from '@shared/domain/types'
import { useMeetingStore } from './meeting'
import { useSessionStore } from './session'
import { cleanScan, markUndone, pushScan, type ScanEntry } from '../logic/scans'
import type { ClientError } from '../logic/errors'

export type Feedback =
  | { kind: 'ok'; seq: number; person: PersonBrief; previous: Presence }
  | { kind: 'undone'; seq: number; person: PersonBrief }
  | { kind: 'error'; seq: number; error: ClientError; person: PersonBrief | null }

function briefIn(details: unknown): PersonBrief | null {
  const d = details as Partial<PersonBrief> | undefined
  return d && typeof d.name === 'string' && typeof d.personId === 'string'
    ? { personId: d.personId, name: d.name, delegation: d.delegation ?? '', seat: d.seat ?? '' }
    : null
}

export const useCheckInStore = defineStore('checkIn', () => {
  const meeting = useMeetingStore()
  const feedback = ref<Feedback | null>(null)
  const scans = ref<ScanEntry[]>([])
  const inFlight = ref(0)
  let seq = 0

  // The next operator starts with a clean panel.
  watch(
    () => useSessionStore().token,
    (t) => {
      if (!t) {
        feedback.value = null
        scans.value = []
      }
    },
  )

  function show(f: Feedback): void {
    // Scans may answer out of order; the panel always shows the latest scan's outcome.
    if (!feedback.value || f.seq >= feedback.value.seq) feedback.value = f
  }

  async function scan(raw: string): Promise<void> {
    const typed = cleanScan(raw)
    if (!typed) return
    const mine = ++seq
    inFlight.value++
    try {
      const res = await meeting.send('attendance:checkIn', { code: normalizeCode(typed) ?? typed })
      const at = Date.now() + meeting.offset
      if (res.ok) {
        const { previous, ...person } = res.data
        show({ kind: 'ok', seq: mine, person, previous })
        scans.value = pushScan(scans.value, { seq: mine, at, ok: true, ...person })
      } else {
        const person = briefIn(res.details)
        show({ kind: 'error', seq: mine, error: res, person })
        scans.value = pushScan(scans.value, {
          seq: mine,
          at,
          ok: false,
          messages: res.messages,
          ...(person ?? {}),
        })
      }
    } finally {
      inFlight.value--
    }
  }

  async function undo(personId: string): Promise<void> {
    const mine = ++seq
    const res = await meeting.send('attendance:undoCheckIn', { personId })
    if (res.ok) {
      show({ kind: 'undone', seq: mine, person: res.data })
      scans.value = markUndone(scans.value, personId)
    } else {
      show({ kind: 'error', seq: mine, error: res, person: null })
    }
  }

  return { feedback, scans, inFlight, scan, undo }
})
