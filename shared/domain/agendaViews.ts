// What each audience sees of the agenda and the speeches. The public (tablets, observers, the display)
// sees visible items and the current item's speech with its timing facts; the chair and the desk see
// every item, every list with its requests, budgets and records, and the counts per delegation.
import { agendaItems, canSeeItem, findDocument, itemStatus, type AgendaItem, type AgendaItemStatus, type DocumentMeta } from './agenda'
import { budgetFor, delegationName, limitOf, listOf, speakerName, type Speaker, type SpeakerStatus } from './speakers'
import type { SpeechTiming } from './speechTime'
import type { MeetingState, Role } from './types'

export type DocumentView = Pick<DocumentMeta, 'id' | 'name' | 'mime' | 'size' | 'sha256'>

export interface AgendaItemView {
  id: string
  type: AgendaItem['type']
  title: string
  presenter: string
  status: AgendaItemStatus
  /** Always false in the public view, which leaves hidden items out. */
  hidden: boolean
  documents: DocumentView[]
  speechLimitMs: number
  warnMs: number
  budgetMs: number | null
  budgets: Record<string, number>
  /** Whether tablets may ask to speak on it. */
  listOpen: boolean
  waitingCount: number
}

export interface AgendaView {
  items: AgendaItemView[]
  currentItemId: string | null
  /** The document on the hall display, if the chair put one there (and its item is visible). */
  shownDocument: DocumentView | null
  /** The page of it the display shows, from 1 (a PDF's page; a Markdown text's screenful). */
  shownPage: number
}

/** A speaker as the hall sees them. */
export interface SpeakerBrief {
  id: string
  kind: Speaker['kind']
  personId: string
  name: string
  delegationId: string | null
  delegation: string
  topic: string
  status: SpeakerStatus
}

/** The current item's speech: who is on the stage, with the timing facts (server times; a screen
 * computes the remaining time as limitMs − elapsed, see speechTime.ts), and who comes next. */
export interface SpeechView {
  itemId: string
  itemTitle: string
  listOpen: boolean
  current: (SpeakerBrief & { timing: SpeechTiming | null; limitMs: number }) | null
  /** The first few waiting speakers, in order. */
  next: SpeakerBrief[]
  waitingCount: number
}

/** A list entry as the chair and desk see it, with its record once done. */
export interface SpeakerRow extends SpeakerBrief {
  itemId: string
  /** The limit that applies: the own one, else the item's default (or, once started, the fixed one). */
  limitMs: number
  ownLimitMs: number | null
  addedBy: Speaker['addedBy']
  requestedAt: number
  overBudget: boolean
  timing: SpeechTiming | null
  endedAt: number | null
  durationMs: number | null
  overrunMs: number | null
}

export interface BudgetRow {
  delegationId: string
  name: string
  budgetMs: number
  /** Spoken in finished speeches (overrun included); a running speech is added by the screen. */
  spentMs: number
  /** The limits of the delegation's requested, waiting and called speakers. */
  reservedMs: number
  /** The timing of the delegation's speech on stage now, if any: the screen adds its elapsed time
   * to spentMs as it runs (a view changes with events, not with the clock). */
  running: SpeechTiming | null
}

export interface SpeakerListView {
  itemId: string
  open: boolean
  requested: SpeakerRow[]
  waiting: SpeakerRow[]
  current: SpeakerRow | null
  finished: SpeakerRow[]
  budgets: BudgetRow[]
}

/** 各代表团发言统计. */
export interface SpeechStatsRow {
  delegationId: string
  name: string
  /** Speeches by its members (as themselves) and by the delegation as a whole. */
  speeches: number
  delegationSpeeches: number
  totalMs: number
  overrunMs: number
}

/** One entry of the delegate's own place on the lists (OwnStatus.queue). */
export interface OwnQueueEntry {
  speakerId: string
  itemId: string
  itemTitle: string
  kind: Speaker['kind']
  topic: string
  status: SpeakerStatus
  /** 1-based place in the queue while waiting; null otherwise. */
  position: number | null
  waitingCount: number
}

const NEXT_PREVIEW = 5

function documentView(d: DocumentMeta): DocumentView {
  return { id: d.id, name: d.name, mime: d.mime, size: d.size, sha256: d.sha256 }
}

function itemView(s: MeetingState, it: AgendaItem): AgendaItemView {
  const l = listOf(s, it.id)
  return {
    id: it.id,
    type: it.type,
    title: it.title,
    presenter: it.presenter,
    status: itemStatus(s, it),
    hidden: it.hidden,
    documents: it.documents.map(documentView),
    speechLimitMs: it.speechLimitMs,
    warnMs: it.warnMs,
    budgetMs: it.budgetMs,
    budgets: it.budgets,
    listOpen: l.open,
    waitingCount: l.waiting.length,
  }
}

export function agendaView(s: MeetingState, role: Role | 'public'): AgendaView {
  const all = role === 'chair' || role === 'secretariat'
  const items = agendaItems(s)
    .filter((it) => all || !it.hidden)
    .map((it) => itemView(s, it))
  const cur = s.currentItemId ? s.agenda.get(s.currentItemId) : undefined
  const shown = s.shownDocumentId ? findDocument(s, s.shownDocumentId) : null
  return {
    items,
    currentItemId: cur && (all || !cur.hidden) ? cur.id : null,
    shownDocument: shown && (all || !shown.item.hidden) ? documentView(shown.document) : null,
    shownPage: s.shownDocumentPage ?? 1,
  }
}

export function speakerBrief(s: MeetingState, sp: Speaker): SpeakerBrief {
  return {
    id: sp.id,
    kind: sp.kind,
    personId: sp.personId,
    name: speakerName(s, sp),
    delegationId: sp.delegationId,
    delegation: delegationName(s, sp.delegationId),
    topic: sp.topic,
    status: sp.status,
  }
}

/** The current item's speech, or null when there is no current item (or it is hidden). */
export function speechView(s: MeetingState): SpeechView | null {
  const it = s.currentItemId ? s.agenda.get(s.currentItemId) : undefined
  if (!it || it.hidden) return null
  const l = listOf(s, it.id)
  const cur = l.currentId ? s.speakers.get(l.currentId) : undefined
  const next: SpeakerBrief[] = []
  for (const id of l.waiting.slice(0, NEXT_PREVIEW)) {
    const sp = s.speakers.get(id)
    if (sp) next.push(speakerBrief(s, sp))
  }
  return {
    itemId: it.id,
    itemTitle: it.title,
    listOpen: l.open,
    current: cur ? { ...speakerBrief(s, cur), timing: cur.timing, limitMs: cur.timing?.limitMs ?? limitOf(it, cur) } : null,
    next,
    waitingCount: l.waiting.length,
  }
}

export function speakerRow(s: MeetingState, it: AgendaItem, sp: Speaker): SpeakerRow {
  return {
    ...speakerBrief(s, sp),
    itemId: sp.itemId,
    limitMs: sp.timing?.limitMs ?? limitOf(it, sp),
    ownLimitMs: sp.limitMs,
    addedBy: sp.addedBy,
    requestedAt: sp.requestedAt,
    overBudget: sp.overBudget,
    timing: sp.timing,
    endedAt: sp.endedAt,
    durationMs: sp.durationMs,
    overrunMs: sp.durationMs !== null && sp.timing ? Math.max(0, sp.durationMs - sp.timing.limitMs) : null,
  }
}

function rows(s: MeetingState, it: AgendaItem, ids: readonly string[]): SpeakerRow[] {
  const out: SpeakerRow[] = []
  for (const id of ids) {
    const sp = s.speakers.get(id)
    if (sp) out.push(speakerRow(s, it, sp))
  }
  return out
}

function budgetRows(s: MeetingState, it: AgendaItem): BudgetRow[] {
  if (it.budgetMs === null && Object.keys(it.budgets).length === 0) return []
  const l = listOf(s, it.id)
  const out: BudgetRow[] = []
  for (const d of [...s.delegations.values()].sort((a, b) => a.order - b.order)) {
    const budgetMs = budgetFor(it, d.id)
    if (budgetMs === null) continue
    let spentMs = 0
    let reservedMs = 0
    let running: SpeechTiming | null = null
    for (const id of [...l.requested, ...l.waiting, ...(l.currentId ? [l.currentId] : []), ...l.finished]) {
      const sp = s.speakers.get(id)
      if (!sp || sp.delegationId !== d.id) continue
      if (sp.status === 'done') spentMs += sp.durationMs ?? 0
      else if (sp.status === 'speaking') running = sp.timing
      else reservedMs += limitOf(it, sp)
    }
    out.push({ delegationId: d.id, name: d.name, budgetMs, spentMs, reservedMs, running })
  }
  return out
}

export function speakerListViews(s: MeetingState): SpeakerListView[] {
  return agendaItems(s).map((it) => {
    const l = listOf(s, it.id)
    const cur = l.currentId ? s.speakers.get(l.currentId) : undefined
    return {
      itemId: it.id,
      open: l.open,
      requested: rows(s, it, l.requested),
      waiting: rows(s, it, l.waiting),
      current: cur ? speakerRow(s, it, cur) : null,
      finished: rows(s, it, l.finished),
      budgets: budgetRows(s, it),
    }
  })
}

/** Finished speeches in the order they were given, across the agenda (the record). */
export function speechRecords(s: MeetingState): Array<{ item: AgendaItem; row: SpeakerRow }> {
  const out: Array<{ item: AgendaItem; row: SpeakerRow }> = []
  for (const it of agendaItems(s)) {
    for (const row of rows(s, it, listOf(s, it.id).finished)) out.push({ item: it, row })
  }
  return out.sort((a, b) => (a.row.timing?.startedAt ?? 0) - (b.row.timing?.startedAt ?? 0))
}

export function speechStats(s: MeetingState): SpeechStatsRow[] {
  const byId = new Map<string, SpeechStatsRow>()
  for (const d of [...s.delegations.values()].sort((a, b) => a.order - b.order)) {
    byId.set(d.id, { delegationId: d.id, name: d.name, speeches: 0, delegationSpeeches: 0, totalMs: 0, overrunMs: 0 })
  }
  for (const { row } of speechRecords(s)) {
    const r = row.delegationId ? byId.get(row.delegationId) : undefined
    if (!r) continue
    if (row.kind === 'delegation') r.delegationSpeeches++
    else r.speeches++
    r.totalMs += row.durationMs ?? 0
    r.overrunMs += row.overrunMs ?? 0
  }
  return [...byId.values()]
}

/** The person's open entries on visible items, with their place in each queue. */
export function ownQueue(s: MeetingState, personId: string, role: Role): OwnQueueEntry[] {
  const out: OwnQueueEntry[] = []
  for (const l of s.speakerLists.values()) {
    const it = s.agenda.get(l.itemId)
    if (!it || !canSeeItem(role, it)) continue
    const ids = [...l.requested, ...l.waiting, ...(l.currentId ? [l.currentId] : [])]
    for (const id of ids) {
      const sp = s.speakers.get(id)
      if (!sp || sp.personId !== personId) continue
      const at = l.waiting.indexOf(id)
      out.push({
        speakerId: sp.id,
        itemId: it.id,
        itemTitle: it.title,
        kind: sp.kind,
        topic: sp.topic,
        status: sp.status,
        position: at >= 0 ? at + 1 : null,
        waitingCount: l.waiting.length,
      })
    }
  }
  return out
}
