// Card runs: issue fresh codes, draw their QR codes in the browser, lay them on A4 sheets and print.
// The codes exist only here (the server keeps hashes), so the last run stays for reprinting.
import { defineStore } from 'pinia'
import { nextTick, ref, shallowRef, watch } from 'vue'
import QRCode from 'qrcode'
import { formatCode } from '@shared/credentials'
import type { Role } from '@shared/domain/types'
import type { PersonBrief } from '@shared/protocol'
import { useMeetingStore } from './meeting'
import { useSessionStore } from './session'
import type { Result } from '../logic/errors'
import { cardUrl } from '../logic/url'

export interface PrintCard extends PersonBrief {
  role: Role
  code: string
  formatted: string
  /** The QR code as SVG markup, drawn from the code alone. */
  qr: string
}

export const usePrintStore = defineStore('print', () => {
  const meeting = useMeetingStore()
  const cards = shallowRef<PrintCard[]>([])
  const meetingName = ref('')
  const busy = ref(false)
  const progress = ref(0)

  // Live login codes must not outlive the operator's session on a shared desk computer.
  watch(
    () => useSessionStore().token,
    (t) => {
      if (!t) cards.value = []
    },
  )

  async function draw(issued: Array<PersonBrief & { code: string; role: Role }>): Promise<void> {
    const out: PrintCard[] = []
    for (let i = 0; i < issued.length; i++) {
      const c = issued[i]
      const qr = await QRCode.toString(cardUrl(window.location.origin, c.role, c.code), { type: 'svg', margin: 0, errorCorrectionLevel: 'M' })
      out.push({ ...c, formatted: formatCode(c.code), qr })
      // Thousands of cards: let the progress paint now and then.
      if (i % 50 === 49) {
        progress.value = i + 1
        await new Promise((r) => setTimeout(r, 0))
      }
    }
    progress.value = issued.length
    cards.value = out
  }

  async function issueAndPrint(personIds: string[]): Promise<Result<number>> {
    if (busy.value) return { ok: true, data: 0 }
    busy.value = true
    progress.value = 0
    try {
      const res = await meeting.send('credential:issue', { personIds })
      if (!res.ok) return res
      meetingName.value = meeting.meeting?.name ?? ''
      await draw(res.data.issued)
      await nextTick()
      window.print()
      return { ok: true, data: res.data.issued.length }
    } finally {
      busy.value = false
    }
  }

  function printAgain(): void {
    if (cards.value.length) window.print()
  }

  return { cards, meetingName, busy, progress, issueAndPrint, printAgain }
})
