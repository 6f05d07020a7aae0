// The agenda (议程): items with a type, title, presenter and documents, in an order the desk and chair
// edit; the chair sets the current item and marks items done, and reveals hidden ones. Pure: the types,
// the events' effect on the state (evolveAgenda) and the rules (agendaCommands).
import type { CommandSpec, Decision, Refusal } from './commands'
import type { StoredEvent } from './events'
import type { Actor, MeetingState } from './types'
import type { CommandName, CommandPayload } from '../schemas'
import { emptyList, listOf, refuse, ok, speakerName, type Speaker } from './speakers'

/** 议程类型: 开幕 opening, 审议报告 report review, 专题发言 thematic speeches, 选举 election, 表决 vote,
 * 民主测评 evaluation, 提案 proposals, 闭幕 closing, 其他 other. */
export const AGENDA_ITEM_TYPES = [
  'opening',
  'report',
  'speeches',
  'election',
  'vote',
  'evaluation',
  'proposals',
  'closing',
  'other',
] as const
export type AgendaItemType = (typeof AGENDA_ITEM_TYPES)[number]

/** The kinds of file the desk may attach: read on tablets and the display. */
export const DOCUMENT_MIMES = ['application/pdf', 'text/markdown'] as const
export type DocumentMime = (typeof DOCUMENT_MIMES)[number]

/** 会议文件: the log keeps only this; the bytes live in the document store under their SHA-256. */
export interface DocumentMeta {
  id: string
  name: string
  mime: DocumentMime
  size: number
  sha256: string
  uploadedAt: number
}

/** Default speaking time per speaker (8 minutes) and the warning before the end (1 minute). */
export const DEFAULT_SPEECH_LIMIT_MS = 8 * 60_000
export const DEFAULT_WARN_MS = 60_000

/** 议程项. */
export interface AgendaItem {
  id: string
  type: AgendaItemType
  title: string
  /** 报告人 / 主持人, '' when none. */
  presenter: string
  /** Hidden items (and their speakers and documents) are seen by the chair and the desk only. */
  hidden: boolean
  /** Done items stay on the agenda, shown as done. */
  done: boolean
  documents: DocumentMeta[]
  /** Speaking time per speaker unless the speaker has an own limit. */
  speechLimitMs: number
  warnMs: number
  /** Time budget per delegation on this item (null: none), and per-delegation overrides. */
  budgetMs: number | null
  budgets: Record<string, number>
  createdAt: number
}

export type AgendaItemStatus = 'pending' | 'current' | 'done'

export type AgendaItemChanges = Partial<
  Pick<AgendaItem, 'type' | 'title' | 'presenter' | 'hidden' | 'speechLimitMs' | 'warnMs' | 'budgetMs' | 'budgets'>
>

export type AgendaEvent =
  | { type: 'agenda.itemAdded'; item: AgendaItem; position: number }
  | { type: 'agenda.itemUpdated'; itemId: string; changes: AgendaItemChanges }
  | { type: 'agenda.itemMoved'; itemId: string; position: number }
  | { type: 'agenda.itemRemoved'; itemId: string }
  /** The chair moved the hall to an item (or to none); `finished` is the previous item, now done. */
  | { type: 'agenda.currentSet'; itemId: string | null; finished: string | null }
  | { type: 'agenda.doneSet'; itemId: string; done: boolean }
  | { type: 'agenda.documentAttached'; itemId: string; document: DocumentMeta }
  | { type: 'agenda.documentRemoved'; itemId: string; documentId: string }
  /** The chair puts a document on the hall display (null: takes it off). */
  | { type: 'agenda.documentShown'; documentId: string | null; page?: number }

export function itemStatus(s: MeetingState, item: AgendaItem): AgendaItemStatus {
  if (s.currentItemId === item.id) return 'current'
  return item.done ? 'done' : 'pending'
}

/** Items in agenda order. */
export function agendaItems(s: MeetingState): AgendaItem[] {
  const out: AgendaItem[] = []
  for (const id of s.agendaOrder) {
    const it = s.agenda.get(id)
    if (it) out.push(it)
  }
  return out
}

/** Whether a person in this role may see the item: hidden ones are for the chair and the desk. */
export function canSeeItem(role: Actor['role'], item: AgendaItem): boolean {
  return !item.hidden || role === 'chair' || role === 'secretariat'
}

/** The item, or ITEM_NOT_FOUND (also for a hidden item asked about by someone who may not see it). */
export function findItem(s: MeetingState, itemId: string, actor?: Actor): AgendaItem | Refusal {
  const it = s.agenda.get(itemId)
  if (!it || (actor && !canSeeItem(actor.role, it))) return refuse('ITEM_NOT_FOUND', { itemId })
  return it
}

export function isItem(x: AgendaItem | Refusal): x is AgendaItem {
  return !('error' in x)
}

/** Which document the id names, with its item. */
export function findDocument(s: MeetingState, documentId: string): { item: AgendaItem; document: DocumentMeta } | null {
  for (const item of s.agenda.values()) {
    const document = item.documents.find((d) => d.id === documentId)
    if (document) return { item, document }
  }
  return null
}

function clampPosition(p: number | undefined, length: number): number {
  if (p === undefined) return length
  return Math.max(0, Math.min(length, Math.floor(p)))
}

function withInserted(order: readonly string[], id: string, position: number): string[] {
  const rest = order.filter((x) => x !== id)
  const at = Math.max(0, Math.min(rest.length, position))
  return [...rest.slice(0, at), id, ...rest.slice(at)]
}

/** Folds an agenda event into the draft (entries and the order array are replaced, never mutated). */
export function evolveAgenda(s: MeetingState, e: StoredEvent): void {
  const ev = e.event
  switch (ev.type) {
    case 'agenda.itemAdded':
      s.agenda.set(ev.item.id, ev.item)
      s.agendaOrder = withInserted(s.agendaOrder, ev.item.id, ev.position)
      if (!s.speakerLists.has(ev.item.id)) s.speakerLists.set(ev.item.id, emptyList(ev.item.id))
      break
    case 'agenda.itemUpdated': {
      const it = s.agenda.get(ev.itemId)
      if (it) s.agenda.set(it.id, { ...it, ...ev.changes })
      break
    }
    case 'agenda.itemMoved':
      if (s.agenda.has(ev.itemId)) s.agendaOrder = withInserted(s.agendaOrder, ev.itemId, ev.position)
      break
    case 'agenda.itemRemoved':
      if (s.shownDocumentId && s.agenda.get(ev.itemId)?.documents.some((d) => d.id === s.shownDocumentId)) {
        s.shownDocumentId = null
        s.shownDocumentPage = 1
      }
      s.agenda.delete(ev.itemId)
      s.agendaOrder = s.agendaOrder.filter((x) => x !== ev.itemId)
      s.speakerLists.delete(ev.itemId)
      if (s.currentItemId === ev.itemId) s.currentItemId = null
      break
    case 'agenda.currentSet': {
      if (ev.finished) {
        const prev = s.agenda.get(ev.finished)
        if (prev) s.agenda.set(prev.id, { ...prev, done: true })
      }
      const next = ev.itemId ? s.agenda.get(ev.itemId) : undefined
      // The current item is never hidden and never done.
      if (next && (next.done || next.hidden)) s.agenda.set(next.id, { ...next, done: false, hidden: false })
      s.currentItemId = next ? next.id : null
      break
    }
    case 'agenda.doneSet': {
      const it = s.agenda.get(ev.itemId)
      if (it) s.agenda.set(it.id, { ...it, done: ev.done })
      if (ev.done && s.currentItemId === ev.itemId) s.currentItemId = null
      break
    }
    case 'agenda.documentAttached': {
      const it = s.agenda.get(ev.itemId)
      if (it) s.agenda.set(it.id, { ...it, documents: [...it.documents.filter((d) => d.id !== ev.document.id), ev.document] })
      break
    }
    case 'agenda.documentRemoved': {
      const it = s.agenda.get(ev.itemId)
      if (it) s.agenda.set(it.id, { ...it, documents: it.documents.filter((d) => d.id !== ev.documentId) })
      if (s.shownDocumentId === ev.documentId) {
        s.shownDocumentId = null
        s.shownDocumentPage = 1
      }
      break
    }
    case 'agenda.documentShown':
      s.shownDocumentId = ev.documentId
      s.shownDocumentPage = ev.documentId ? (ev.page ?? 1) : 1
      break
  }
}

/** The speaker on the item's stage (called or speaking), if any. */
function onStage(s: MeetingState, itemId: string | null): Speaker | null {
  if (!itemId) return null
  const id = listOf(s, itemId).currentId
  return id ? (s.speakers.get(id) ?? null) : null
}

/** Leaving an item: a running speech blocks it; a called speaker who never started goes back to the
 * head of the queue, so nothing is lost. */
function leaveStage(s: MeetingState, itemId: string | null): Refusal | StoredEvent['event'][] {
  const sp = onStage(s, itemId)
  if (!sp) return []
  if (sp.status === 'speaking') return refuse('SPEECH_IN_PROGRESS', { name: speakerName(s, sp) })
  return [{ type: 'speakers.requeued', speakerId: sp.id }]
}

const EDITORS = ['chair', 'secretariat'] as const
const CHAIR = ['chair'] as const

type AgendaCommandName = Extract<CommandName, `agenda:${string}`>
type AgendaSpecs = { [C in AgendaCommandName]: CommandSpec<CommandPayload<C>> }

/** What the agenda commands ack with. */
export interface AgendaCommandResults {
  'agenda:add': { itemId: string }
  'agenda:update': { itemId: string }
  'agenda:move': { itemId: string; position: number }
  'agenda:remove': { itemId: string }
  'agenda:setHidden': { itemId: string; hidden: boolean }
  'agenda:setCurrent': { itemId: string | null; finished: string | null }
  'agenda:setDone': { itemId: string; done: boolean }
  'agenda:removeDocument': { itemId: string; documentId: string }
  'agenda:showDocument': { documentId: string | null; page: number }
}

function checkBudgets(s: MeetingState, budgets: Record<string, number> | undefined): Refusal | null {
  if (!budgets) return null
  for (const id of Object.keys(budgets)) if (!s.delegations.has(id)) return refuse('DELEGATION_NOT_FOUND', { delegationId: id })
  return null
}

export const agendaCommands: AgendaSpecs = {
  'agenda:add': {
    roles: EDITORS,
    decide(s, p, _actor, ctx) {
      if (!s.meeting) return refuse('NO_MEETING')
      const bad = checkBudgets(s, p.budgets)
      if (bad) return bad
      // The seq of the event that creates it: unique, and the same on every node that decides it.
      const id = `it${s.version + 1}`
      const position = clampPosition(p.position, s.agendaOrder.length)
      const item: AgendaItem = {
        id,
        type: p.type,
        title: p.title,
        presenter: p.presenter ?? '',
        hidden: p.hidden ?? false,
        done: false,
        documents: [],
        speechLimitMs: p.speechLimitMs ?? DEFAULT_SPEECH_LIMIT_MS,
        warnMs: p.warnMs ?? DEFAULT_WARN_MS,
        budgetMs: p.budgetMs ?? null,
        budgets: p.budgets ?? {},
        createdAt: ctx.now,
      }
      return ok([{ type: 'agenda.itemAdded', item, position }], { itemId: id })
    },
  },

  'agenda:update': {
    roles: EDITORS,
    decide(s, p) {
      const it = findItem(s, p.itemId)
      if (!isItem(it)) return it
      const bad = checkBudgets(s, p.budgets)
      if (bad) return bad
      const { itemId: _id, ...rest } = p
      const changes: AgendaItemChanges = {}
      for (const [k, v] of Object.entries(rest) as Array<[keyof AgendaItemChanges, unknown]>) {
        if (v === undefined) continue
        if (JSON.stringify(it[k]) === JSON.stringify(v)) continue
        ;(changes as Record<string, unknown>)[k] = v
      }
      if (Object.keys(changes).length === 0) return ok([], { itemId: it.id })
      return ok([{ type: 'agenda.itemUpdated', itemId: it.id, changes }], { itemId: it.id })
    },
  },

  'agenda:move': {
    roles: EDITORS,
    decide(s, p) {
      const it = findItem(s, p.itemId)
      if (!isItem(it)) return it
      const position = clampPosition(p.position, s.agendaOrder.length - 1)
      if (s.agendaOrder.indexOf(it.id) === position) return ok([], { itemId: it.id, position })
      return ok([{ type: 'agenda.itemMoved', itemId: it.id, position }], { itemId: it.id, position })
    },
  },

  'agenda:remove': {
    roles: EDITORS,
    decide(s, p) {
      const it = findItem(s, p.itemId)
      if (!isItem(it)) return it
      if (s.currentItemId === it.id) return refuse('ITEM_IS_CURRENT', { title: it.title })
      const l = listOf(s, it.id)
      if (l.requested.length || l.waiting.length || l.currentId || l.finished.length)
        return refuse('ITEM_HAS_SPEAKERS', { title: it.title })
      return ok([{ type: 'agenda.itemRemoved', itemId: it.id }], { itemId: it.id })
    },
  },

  'agenda:setHidden': {
    roles: EDITORS,
    decide(s, p) {
      const it = findItem(s, p.itemId)
      if (!isItem(it)) return it
      if (p.hidden && s.currentItemId === it.id) return refuse('ITEM_IS_CURRENT', { title: it.title })
      if (it.hidden === p.hidden) return ok([], { itemId: it.id, hidden: p.hidden })
      return ok([{ type: 'agenda.itemUpdated', itemId: it.id, changes: { hidden: p.hidden } }], { itemId: it.id, hidden: p.hidden })
    },
  },

  'agenda:setCurrent': {
    roles: CHAIR,
    decide(s, p): Decision<AgendaCommandResults['agenda:setCurrent']> {
      if (!s.meeting) return refuse('NO_MEETING')
      const prev = s.currentItemId
      if (p.itemId !== null) {
        const it = findItem(s, p.itemId)
        if (!isItem(it)) return it
      }
      if (prev === p.itemId) return ok([], { itemId: p.itemId, finished: null })
      const leaving = leaveStage(s, prev)
      if (!Array.isArray(leaving)) return leaving
      const finished = prev !== null && (p.finishPrevious ?? true) ? prev : null
      return ok([...leaving, { type: 'agenda.currentSet', itemId: p.itemId, finished }], { itemId: p.itemId, finished })
    },
  },

  'agenda:setDone': {
    roles: CHAIR,
    decide(s, p) {
      const it = findItem(s, p.itemId)
      if (!isItem(it)) return it
      // A current item is never done (so this is no no-op for it): marking it done leaves the hall
      // without a current item.
      if (it.done === p.done) return ok([], { itemId: it.id, done: p.done })
      const leaving = p.done && s.currentItemId === it.id ? leaveStage(s, it.id) : []
      if (!Array.isArray(leaving)) return leaving
      return ok([...leaving, { type: 'agenda.doneSet', itemId: it.id, done: p.done }], { itemId: it.id, done: p.done })
    },
  },

  'agenda:removeDocument': {
    roles: EDITORS,
    decide(s, p) {
      const it = findItem(s, p.itemId)
      if (!isItem(it)) return it
      if (!it.documents.some((d) => d.id === p.documentId)) return refuse('DOCUMENT_NOT_FOUND')
      return ok([{ type: 'agenda.documentRemoved', itemId: it.id, documentId: p.documentId }], {
        itemId: it.id,
        documentId: p.documentId,
      })
    },
  },

  'agenda:showDocument': {
    roles: CHAIR,
    decide(s, p) {
      if (p.documentId !== null) {
        const found = findDocument(s, p.documentId)
        if (!found) return refuse('DOCUMENT_NOT_FOUND')
        // The hall sees what is on the display: never a hidden item's document.
        if (found.item.hidden) return refuse('ITEM_NOT_FOUND', { itemId: found.item.id })
      }
      const page = p.documentId === null ? 1 : (p.page ?? 1)
      if (s.shownDocumentId === p.documentId && (s.shownDocumentPage ?? 1) === page) return ok([], { documentId: p.documentId, page })
      return ok([{ type: 'agenda.documentShown', documentId: p.documentId, ...(page > 1 ? { page } : {}) }], { documentId: p.documentId, page })
    },
  },
}

/** A document uploaded at the desk (POST /api/agenda/:itemId/documents), after its bytes are stored. */
export function decideAttachDocument(
  s: MeetingState,
  itemId: string,
  file: Omit<DocumentMeta, 'id' | 'uploadedAt'>,
  now: number,
): Decision<DocumentMeta> {
  const it = findItem(s, itemId)
  if (!isItem(it)) return it
  const document: DocumentMeta = { id: `doc${s.version + 1}`, ...file, uploadedAt: now }
  return ok([{ type: 'agenda.documentAttached', itemId: it.id, document }], document)
}

export type { Speaker }
