// The desk's recent scans: newest first, capped, and an undo marks the entry rather than removing
// it, so the operator still sees what happened.

export interface ScanEntry {
  seq: number
  /** Server time of the scan (ms). */
  at: number
  ok: boolean
  personId?: string
  name?: string
  delegation?: string
  seat?: string
  /** For a refused scan: the server's message in both languages. */
  messages?: { zh: string; en: string }
  undone?: boolean
}

export const SCAN_HISTORY = 10

export function pushScan(list: ScanEntry[], entry: ScanEntry, max = SCAN_HISTORY): ScanEntry[] {
  return [entry, ...list].slice(0, max)
}

export function markUndone(list: ScanEntry[], personId: string): ScanEntry[] {
  let done = false
  return list.map((e) => {
    if (!done && e.ok && !e.undone && e.personId === personId) {
      done = true
      return { ...e, undone: true }
    }
    return e
  })
}

/** What a scanner typed, ready to send: the scanner's Enter and stray whitespace trimmed. */
export function cleanScan(raw: string): string | null {
  const s = raw.replace(/[\r\n\t]/g, '').trim()
  return s.length ? s : null
}
