// Voting bodies (表决机构) as this page knows them, and the desk's `body:save` / `body:remove`.
// The list is the view's `bodies` when the server sends it; otherwise it is pieced together from
// what this page saved (with members) and the bodies named on polls (members unknown), and
// `complete` says so.
import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { useMeetingStore } from './meeting'
import { usePollsStore } from './polls'
import { bodiesOfView, bodyPayload, knownBodies, type BodyDraft, type BodyInfo } from '../logic/bodies'
import type { Result } from '../logic/errors'

export const useBodiesStore = defineStore('bodies', () => {
  const meeting = useMeetingStore()
  const polls = usePollsStore()
  const saved = shallowRef(new Map<string, { name: string; memberIds: string[] }>())
  const removed = shallowRef(new Set<string>())

  const known = computed(() => knownBodies(bodiesOfView(meeting.view), polls.polls, saved.value, removed.value))
  const list = computed<BodyInfo[]>(() => known.value.list)
  const complete = computed(() => known.value.complete)
  const byId = computed(() => new Map(list.value.map((b) => [b.id, b])))

  function get(id: string | null | undefined): BodyInfo | undefined {
    return id ? byId.value.get(id) : undefined
  }

  async function save(d: BodyDraft, id: string): Promise<Result<{ bodyId: string; members: number }>> {
    const payload = bodyPayload(d, id)
    const res = await meeting.send('body:save', payload)
    if (res.ok) {
      saved.value = new Map(saved.value).set(payload.id, { name: payload.name, memberIds: payload.memberIds })
      if (removed.value.has(payload.id)) {
        const next = new Set(removed.value)
        next.delete(payload.id)
        removed.value = next
      }
    }
    return res
  }

  async function remove(bodyId: string): Promise<Result<{ bodyId: string }>> {
    const res = await meeting.send('body:remove', { bodyId })
    if (res.ok || res.code === 'BODY_NOT_FOUND') {
      const next = new Map(saved.value)
      next.delete(bodyId)
      saved.value = next
      removed.value = new Set(removed.value).add(bodyId)
    }
    return res
  }

  return { list, complete, byId, get, save, remove }
})
