// The desk's part in paper rounds (纸质选票): each open paper round's count form as this teller types
// it, which entry (1 or 2) this desk made, and what the server said when it compared the two. Held
// in memory only, per round: never the other entry's numbers (the view tells only which entries are
// in), never in storage.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { PaperElectionTotals } from '@shared/domain/elections'
import { useMeetingStore } from './meeting'
import { emptyPaperForm, fitPaperForm, ownEntryAfterRefusal, type PaperForm } from '../logic/paperEntry'
import { roundKeyOf } from '../logic/polls'
import type { Result } from '../logic/errors'

export interface PaperAck {
  entry: 1 | 2
  /** null: the first entry (nothing to compare); [] the two agree; else the fields that differ. */
  differences: string[] | null
  /** Local time of the ack, to say when the comparison was made. */
  at: number
}

export const usePaperStore = defineStore('paper', () => {
  const meeting = useMeetingStore()
  const forms = ref<Record<string, PaperForm>>({})
  const mine = ref<Record<string, 1 | 2>>({})
  const acks = ref<Record<string, PaperAck>>({})

  /** The round's form, created blank (or fitted to the round's candidates) on first use. */
  function form(pollId: string, n: number, candidates: ReadonlyArray<{ id: string }>): PaperForm {
    const key = roundKeyOf(pollId, n)
    const f = forms.value[key]
    const ids = candidates.map((c) => c.id)
    if (!f) forms.value[key] = emptyPaperForm(candidates)
    else if (Object.keys(f.tallies).join() !== ids.join()) forms.value[key] = fitPaperForm(f, candidates)
    return forms.value[key]
  }

  function setForm(pollId: string, n: number, f: PaperForm): void {
    forms.value[roundKeyOf(pollId, n)] = f
  }

  function clear(pollId: string, n: number, candidates: ReadonlyArray<{ id: string }>): void {
    forms.value[roundKeyOf(pollId, n)] = emptyPaperForm(candidates)
  }

  async function enter(pollId: string, n: number, entry: 1 | 2, totals: PaperElectionTotals): Promise<Result<PaperAck>> {
    const key = roundKeyOf(pollId, n)
    const res = await meeting.send('poll:paperEntry', { pollId, entry, totals })
    if (!res.ok) {
      // The other entry is this person's own: remember it, so the form offers to correct that one.
      if (res.code === 'PAPER_SAME_PERSON') mine.value[key] = ownEntryAfterRefusal(entry)
      return res
    }
    mine.value[key] = res.data.entry
    const ack: PaperAck = { entry: res.data.entry, differences: res.data.differences, at: Date.now() }
    acks.value[key] = ack
    return { ok: true, data: ack }
  }

  return { forms, mine, acks, form, setForm, clear, enter }
})
