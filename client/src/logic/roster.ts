// The desk's roster: rows kept by id and updated from patches, sorted once, then searched and
// filtered on every keystroke. 3000 rows must stay instant, so matching is plain string work.
import type { RosterRow } from '../../../shared/domain/views'
import type { Presence, Role } from '../../../shared/domain/types'

export interface DelegationInfo {
  name: string
  order: number
}

export interface RosterPatchLike {
  rows: RosterRow[]
  removed: string[]
}

export function rowsById(list: RosterRow[]): Map<string, RosterRow> {
  return new Map(list.map((r) => [r.id, r]))
}

/** A new map (so a shallowRef can be replaced): rows upserted by id, removed ids dropped. */
export function applyRosterPatch(rows: Map<string, RosterRow>, patch: RosterPatchLike): Map<string, RosterRow> {
  const next = new Map(rows)
  for (const id of patch.removed) next.delete(id)
  for (const r of patch.rows) next.set(r.id, r)
  return next
}

const collator = new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' })

/** Delegation order, then seat (numeric-aware: 2排10号 after 2排9号), then name; staff last. */
export function sortRoster(rows: Iterable<RosterRow>, delegations: Map<string, DelegationInfo>): RosterRow[] {
  const order = (r: RosterRow) =>
    r.delegationId ? (delegations.get(r.delegationId)?.order ?? Number.MAX_SAFE_INTEGER - 1) : Number.MAX_SAFE_INTEGER
  return [...rows].sort((a, b) => {
    const d = order(a) - order(b)
    if (d !== 0) return d
    const s = collator.compare(a.seat, b.seat)
    if (s !== 0) return s
    return collator.compare(a.name, b.name)
  })
}

export type PresenceFilter = '' | Presence
export type RoleFilter = '' | 'attendees' | Role

export interface RosterFilter {
  query: string
  delegationId: string
  presence: PresenceFilter
  role: RoleFilter
}

export function emptyFilter(): RosterFilter {
  return { query: '', delegationId: '', presence: '', role: '' }
}

function norm(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, '')
}

/** Name, seat or delegation containing the query; an exact id also matches. */
export function matchesQuery(r: RosterRow, q: string, delegationName: string): boolean {
  if (!q) return true
  return (
    norm(r.name).includes(q) ||
    norm(r.seat).includes(q) ||
    norm(delegationName).includes(q) ||
    r.id.toLowerCase() === q
  )
}

export function filterRoster(
  sorted: RosterRow[],
  f: RosterFilter,
  delegations: Map<string, DelegationInfo>,
): RosterRow[] {
  const q = norm(f.query)
  const out: RosterRow[] = []
  for (const r of sorted) {
    if (f.delegationId && r.delegationId !== f.delegationId) continue
    if (f.presence && r.presence !== f.presence) continue
    if (f.role === 'attendees' ? r.role !== 'delegate' && r.role !== 'observer' : f.role && r.role !== f.role) continue
    const dn = r.delegationId ? (delegations.get(r.delegationId)?.name ?? '') : ''
    if (!matchesQuery(r, q, dn)) continue
    out.push(r)
  }
  return out
}

/** The persons a card run covers. "all" means every delegate and observer: re-issuing the staff's
 * own cards by accident would lock the secretariat out in the middle of the session. */
export function personsForIssue(
  rows: Iterable<RosterRow>,
  scope: { kind: 'all' } | { kind: 'delegation'; delegationId: string } | { kind: 'selected'; ids: Iterable<string> },
): string[] {
  const list = [...rows]
  switch (scope.kind) {
    case 'all':
      return list.filter((r) => r.role === 'delegate' || r.role === 'observer').map((r) => r.id)
    case 'delegation':
      return list
        .filter((r) => r.delegationId === scope.delegationId && (r.role === 'delegate' || r.role === 'observer'))
        .map((r) => r.id)
    case 'selected': {
      const ids = new Set(scope.ids)
      return list.filter((r) => ids.has(r.id)).map((r) => r.id)
    }
  }
}

const ID_PREFIX: Record<Role, [string, number]> = {
  delegate: ['d', 4],
  observer: ['o', 2],
  staff: ['staff', 1],
  chair: ['chair', 1],
  secretariat: ['sec', 1],
  display: ['display', 1],
}

/** An id for a person added at the desk: the role's prefix and the first number not taken
 * (d0252 after d0251, display2 beside display1). */
export function suggestPersonId(role: Role, taken: ReadonlySet<string>): string {
  const [prefix, width] = ID_PREFIX[role]
  for (let n = 1; ; n++) {
    const id = `${prefix}${String(n).padStart(width, '0')}`
    if (!taken.has(id)) return id
  }
}
