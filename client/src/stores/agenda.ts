// The agenda and the speeches as this page sees them (all from the meeting store's view: no socket
// listeners of its own), the commands the chair, desk and tablets send, and document access.
import { defineStore } from 'pinia'
import { computed } from 'vue'
import type { AgendaItemView, AgendaView, SpeakerListView, SpeechStatsRow, SpeechView } from '@shared/domain/agendaViews'
import type { CommandName, CommandPayload } from '@shared/schemas'
import type { CommandResults } from '@shared/protocol'
import * as api from '../api'
import { useMeetingStore } from './meeting'
import { useSessionStore } from './session'
import { type Result } from '../logic/errors'

const EMPTY: AgendaView = { items: [], currentItemId: null, shownDocument: null, shownPage: 1 }

export const useAgendaStore = defineStore('agenda', () => {
  const meeting = useMeetingStore()
  const session = useSessionStore()

  const agenda = computed<AgendaView>(() => (meeting.view && 'agenda' in meeting.view ? meeting.view.agenda : EMPTY))
  const items = computed<AgendaItemView[]>(() => agenda.value.items)
  const current = computed<AgendaItemView | null>(() => items.value.find((i) => i.id === agenda.value.currentItemId) ?? null)
  const speech = computed<SpeechView | null>(() => (meeting.view && 'speech' in meeting.view ? meeting.view.speech : null))
  const lists = computed<SpeakerListView[]>(() => (meeting.view && 'speakerLists' in meeting.view ? meeting.view.speakerLists : []))
  const stats = computed<SpeechStatsRow[]>(() => (meeting.view && 'speechStats' in meeting.view ? meeting.view.speechStats : []))
  const myQueue = computed(() => meeting.me?.queue ?? [])

  function listFor(itemId: string | null | undefined): SpeakerListView | null {
    return itemId ? (lists.value.find((l) => l.itemId === itemId) ?? null) : null
  }

  /** Sends a command; failures are shown in the page's notice bar unless the caller handles them. */
  async function act<C extends CommandName & keyof CommandResults>(
    name: C,
    payload: CommandPayload<C>,
    opts: { quiet?: boolean } = {},
  ): Promise<Result<CommandResults[C]>> {
    const res = await meeting.send(name, payload)
    if (!res.ok && !opts.quiet) meeting.notifyError(res)
    return res
  }

  /** A short-lived signed address for an <iframe> or a link (the token cannot ride along there). */
  async function documentLink(documentId: string): Promise<Result<string>> {
    const token = session.token
    if (!token) return { ok: false, code: 'UNAUTHENTICATED', message: '请先登录', messages: { zh: '请先登录', en: 'Please log in first' } }
    const res = await api.getJson<{ url: string; expiresAt: number }>(`/api/documents/${encodeURIComponent(documentId)}/link`, token)
    return res.ok ? { ok: true, data: res.data.url } : res
  }

  async function documentText(documentId: string): Promise<Result<string>> {
    return api.getText(`/api/documents/${encodeURIComponent(documentId)}`, session.token ?? '')
  }

  async function upload(itemId: string, file: File): Promise<Result<unknown>> {
    const bytes = await file.arrayBuffer()
    return api.postFile(`/api/agenda/${encodeURIComponent(itemId)}/documents?name=${encodeURIComponent(file.name)}`, bytes, session.token ?? '')
  }

  function exportSpeeches(): Promise<Result<null>> {
    return api.download('/api/speeches/export.csv', session.token ?? '', 'speeches.csv')
  }

  function exportStats(): Promise<Result<null>> {
    return api.download('/api/speeches/delegations.csv', session.token ?? '', 'speeches-by-delegation.csv')
  }

  return { agenda, items, current, speech, lists, stats, myQueue, listFor, act, documentLink, documentText, upload, exportSpeeches, exportStats }
})
