// Voting bodies (表决机构) at the desk: a body other than the congress that votes on its own, such as
// the full committee (县委全体委员) for an appointment vote (全委会票决). The list the page knows,
// the body form (`body:save`), choosing members from the roster (search, whole delegations), and
// the figures shown for a body: members, should attend (active members), present.
import type { RosterRow } from '../../../shared/domain/views'
import type { PollView } from '../../../shared/domain/poll-views'

export interface BodyInfo {
  id: string
  name: string
  /** null: this page does not know the members (a body it only saw named on a poll). */
  memberIds: string[] | null
}

const collator = new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' })

function isBodyRow(x: unknown): x is { id: string; name: string; memberIds: string[] } {
  if (!x || typeof x !== 'object') return false
  const o = x as Record<string, unknown>
  return typeof o.id === 'string' && typeof o.name === 'string' && Array.isArray(o.memberIds) && o.memberIds.every((m) => typeof m === 'string')
}

/** `view.bodies` (docs: ChairView and DeskView carry `bodies: [{ id, name, memberIds }]`), or null
 * when the view has no such list. */
export function bodiesOfView(view: unknown): BodyInfo[] | null {
  if (!view || typeof view !== 'object' || !('bodies' in view)) return null
  const list = (view as { bodies: unknown }).bodies
  if (!Array.isArray(list)) return null
  return list.filter(isBodyRow).map((b) => ({ id: b.id, name: b.name, memberIds: [...b.memberIds] }))
}

export interface KnownBodies {
  list: BodyInfo[]
  /** The list is the server's own (complete); false when pieced together on this page. */
  complete: boolean
}

/**
 * The bodies this page knows. The view's list when it has one. Without it: the bodies saved from
 * this page (with their members) and those named on polls (members unknown), less those removed
 * from this page. Sorted by name.
 */
export function knownBodies(
  fromView: BodyInfo[] | null,
  polls: ReadonlyArray<Pick<PollView, 'body'>>,
  saved: ReadonlyMap<string, { name: string; memberIds: string[] }>,
  removed: ReadonlySet<string>,
): KnownBodies {
  const sort = (l: BodyInfo[]) => l.sort((a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1))
  if (fromView) return { list: sort([...fromView]), complete: true }
  const out = new Map<string, BodyInfo>()
  for (const p of polls) if (p.body && !out.has(p.body.id)) out.set(p.body.id, { id: p.body.id, name: p.body.name, memberIds: null })
  for (const [id, b] of saved) out.set(id, { id, name: b.name, memberIds: [...b.memberIds] })
  for (const id of removed) if (!saved.has(id)) out.delete(id)
  return { list: sort([...out.values()]), complete: false }
}

/** A fresh id for a new body (ids are 1–64 characters; the server keeps the one given). */
export function newBodyId(existing: Iterable<string>, now = Date.now()): string {
  const taken = new Set(existing)
  const base = `body-${now.toString(36)}`
  let id = base
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`
  return id
}

export interface BodyDraft {
  /** null: a new body. */
  id: string | null
  name: string
  memberIds: string[]
}

export type BodyProblem = 'name' | 'nameTaken' | 'members'

/** What the form can see before the server does, as keys under `polls.bodies.problems`. */
export function bodyProblems(d: BodyDraft, others: ReadonlyArray<Pick<BodyInfo, 'id' | 'name'>>): BodyProblem[] {
  const out: BodyProblem[] = []
  const name = d.name.trim()
  if (!name) out.push('name')
  else if (others.some((b) => b.id !== d.id && b.name.trim() === name)) out.push('nameTaken')
  if (!d.memberIds.length) out.push('members')
  return out
}

/** The `body:save` payload: members once each, sorted (as the server stores them). */
export function bodyPayload(d: BodyDraft, id: string): { id: string; name: string; memberIds: string[] } {
  return { id, name: d.name.trim(), memberIds: [...new Set(d.memberIds)].sort() }
}

/** Who may sit on a body: delegates and observers (not staff, chair or displays). */
export function mayBeMember(r: Pick<RosterRow, 'role'>): boolean {
  return r.role === 'delegate' || r.role === 'observer'
}

/** Adds (on) or removes (off) the given ids from a selection; a new set. */
export function setMembers(selected: ReadonlySet<string>, ids: Iterable<string>, on: boolean): Set<string> {
  const next = new Set(selected)
  for (const id of ids) (on ? next.add(id) : next.delete(id))
  return next
}

/** How much of a delegation is selected. */
export function delegationState(selected: ReadonlySet<string>, rows: ReadonlyArray<Pick<RosterRow, 'id' | 'delegationId' | 'role'>>, delegationId: string): 'all' | 'some' | 'none' {
  let on = 0
  let n = 0
  for (const r of rows) {
    if (r.delegationId !== delegationId || !mayBeMember(r)) continue
    n++
    if (selected.has(r.id)) on++
  }
  if (!n || !on) return 'none'
  return on === n ? 'all' : 'some'
}

/** The ids of a delegation's possible members, for "select the whole delegation". */
export function delegationMembers(rows: ReadonlyArray<Pick<RosterRow, 'id' | 'delegationId' | 'role'>>, delegationId: string): string[] {
  return rows.filter((r) => r.delegationId === delegationId && mayBeMember(r)).map((r) => r.id)
}

export interface BodyFigures {
  /** Members on the list. */
  members: number
  /** 应到: active members (suspended or terminated members do not count). */
  shouldAttend: number
  /** 实到: active members checked in. */
  present: number
  /** Members no longer on the roster. */
  unknown: number
}

/** A body's figures from the roster, as the server counts them when a round opens (electorateOf). */
export function bodyFigures(memberIds: Iterable<string>, rows: ReadonlyMap<string, Pick<RosterRow, 'status' | 'presence'>>): BodyFigures {
  const f: BodyFigures = { members: 0, shouldAttend: 0, present: 0, unknown: 0 }
  for (const id of new Set(memberIds)) {
    f.members++
    const r = rows.get(id)
    if (!r) {
      f.unknown++
      continue
    }
    if (r.status !== 'active') continue
    f.shouldAttend++
    if (r.presence === 'present') f.present++
  }
  return f
}

/** Members per delegation, in the roster's delegation order (no delegation last). */
export function membersByDelegation(
  memberIds: Iterable<string>,
  rows: ReadonlyMap<string, Pick<RosterRow, 'delegationId'>>,
  delegations: ReadonlyArray<{ id: string; name: string }>,
): Array<{ id: string | null; name: string; count: number }> {
  const counts = new Map<string | null, number>()
  for (const id of new Set(memberIds)) {
    const d = rows.get(id)?.delegationId ?? null
    counts.set(d, (counts.get(d) ?? 0) + 1)
  }
  const out: Array<{ id: string | null; name: string; count: number }> = []
  for (const d of delegations) if (counts.has(d.id)) out.push({ id: d.id, name: d.name, count: counts.get(d.id)! })
  for (const [id, count] of counts) if (id !== null && !delegations.some((d) => d.id === id)) out.push({ id, name: id, count })
  if (counts.has(null)) out.push({ id: null, name: '', count: counts.get(null)! })
  return out
}

/**
 * Who may vote in a poll of this scope, as the server decides it (votesIn): the congress (no body)
 * is every active delegate with voting rights; a body is its active members. Members unknown: any
 * active delegate or observer (the server checks).
 */
export function voterFilter(body: { memberIds: string[] | null } | null): (r: Pick<RosterRow, 'id' | 'role' | 'status' | 'votingRight'>) => boolean {
  if (!body) return (r) => r.role === 'delegate' && r.votingRight && r.status === 'active'
  if (!body.memberIds) return (r) => mayBeMember(r) && r.status === 'active'
  const members = new Set(body.memberIds)
  return (r) => members.has(r.id) && r.status === 'active'
}
