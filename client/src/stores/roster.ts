// The desk's roster: rows by id from the desk snapshot and roster:patched, the search and filters,
// the selection for card runs, and the per-person desk actions.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef, watch } from 'vue'
import type { DeskView, RosterRow } from '@shared/protocol'
import type { LeaveReason } from '@shared/domain/types'
import { onSocket } from '../socket'
import { useMeetingStore } from './meeting'
import { acceptChange, acceptSnapshot, initialGate } from '../logic/versions'
import {
  applyRosterPatch,
  emptyFilter,
  filterRoster,
  rowsById,
  sortRoster,
  type DelegationInfo,
  type RosterFilter,
} from '../logic/roster'
import type { Result } from '../logic/errors'

/** Rows rendered at once: enough to scroll through a delegation, few enough to stay instant at 3000. */
export const ROSTER_PAGE = 200

export type RowAction = 'checkIn' | 'checkOut' | 'undo' | 'leaveBusiness' | 'leaveIllness' | 'cancelLeave' | 'revoke'

export const useRosterStore = defineStore('roster', () => {
  const meeting = useMeetingStore()
  const rows = shallowRef(new Map<string, RosterRow>())
  const filter = reactive<RosterFilter>({ ...emptyFilter(), role: 'attendees' })
  const limit = ref(ROSTER_PAGE)
  const selected = shallowRef(new Set<string>())
  const pending = ref<string | null>(null)
  let gate = initialGate()

  onSocket((s) => {
    s.on('disconnect', () => {
      gate.resync = true
    })
    s.on('state:snapshot', (snap) => {
      if (snap.kind !== 'desk' || !acceptSnapshot(gate, snap.version)) return
      gate = { version: snap.version, resync: false }
      rows.value = rowsById((snap.view as DeskView).roster ?? [])
    })
    s.on('roster:patched', (p) => {
      if (!acceptChange(gate, p.version)) return
      gate.version = p.version
      rows.value = applyRosterPatch(rows.value, p)
      if (p.removed.length) {
        const next = new Set(selected.value)
        for (const id of p.removed) next.delete(id)
        selected.value = next
      }
    })
    // Bound late (the snapshot already went by): ask for a fresh one rather than wait for a change.
    if (s.connected && gate.resync) meeting.resync()
  })

  const delegationInfo = computed(() => {
    const m = new Map<string, DelegationInfo>()
    meeting.delegations.forEach((d, i) => m.set(d.id, { name: d.name, order: i }))
    return m
  })
  const sorted = computed(() => sortRoster(rows.value.values(), delegationInfo.value))
  const filtered = computed(() => filterRoster(sorted.value, filter, delegationInfo.value))
  const visible = computed(() => filtered.value.slice(0, limit.value))
  const total = computed(() => rows.value.size)
  /** Every person's id (staff and displays included), for picking a free one. */
  const allIds = computed(() => [...rows.value.keys()])

  watch(filter, () => {
    limit.value = ROSTER_PAGE
  })

  function delegationName(id: string | null): string {
    return id ? (delegationInfo.value.get(id)?.name ?? '') : ''
  }

  function showMore(): void {
    limit.value += ROSTER_PAGE
  }

  function toggleSelected(id: string): void {
    const next = new Set(selected.value)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    selected.value = next
  }

  function selectMany(ids: string[], on: boolean): void {
    const next = new Set(selected.value)
    for (const id of ids) (on ? next.add(id) : next.delete(id))
    selected.value = next
  }

  function clearSelection(): void {
    selected.value = new Set()
  }

  /** One desk action on one person; the row itself updates from the patch that follows. */
  async function act(action: RowAction, personId: string): Promise<Result<unknown>> {
    pending.value = personId
    try {
      const leave = (reason: LeaveReason) => meeting.send('attendance:registerLeave', { personId, reason })
      const res: Result<unknown> = await (() => {
        switch (action) {
          case 'checkIn':
            return meeting.send('attendance:checkIn', { personId })
          case 'checkOut':
            return meeting.send('attendance:checkOut', { personId })
          case 'undo':
            return meeting.send('attendance:undoCheckIn', { personId })
          case 'leaveBusiness':
            return leave('business')
          case 'leaveIllness':
            return leave('illness')
          case 'cancelLeave':
            return meeting.send('attendance:cancelLeave', { personId })
          case 'revoke':
            return meeting.send('credential:revoke', { personId })
        }
      })()
      return res
    } finally {
      pending.value = null
    }
  }

  return {
    rows,
    filter,
    limit,
    selected,
    pending,
    delegationInfo,
    sorted,
    filtered,
    visible,
    total,
    allIds,
    delegationName,
    showMore,
    toggleSelected,
    selectMany,
    clearSelection,
    act,
  }
})
