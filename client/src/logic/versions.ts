// Ordering of server messages: each carries the log version it reflects; an older one arriving late
// (another node, a coalesced push) must not overwrite newer state.
import { patchApplies } from '../../../shared/domain/view-patch'

export interface VersionGate {
  version: number
  /** Set on (re)connect: the next snapshot replaces everything whatever its version, because the
   * server may have been restored or restarted with a shorter log. */
  resync: boolean
}

export function initialGate(): VersionGate {
  return { version: -1, resync: true }
}

export function acceptSnapshot(g: VersionGate, version: number): boolean {
  return g.resync || version >= g.version
}

export function acceptChange(g: VersionGate, version: number): boolean {
  return !g.resync && version >= g.version
}

/** What a tablet does with a count-only patch (`state:patched`): apply it to the view it holds, drop
 * it (older than what is shown, or a snapshot is on its way), or ask for a snapshot because the
 * patch is for a view it never got (a dropped frame). */
export function patchAction(g: VersionGate, held: number | null, p: { version: number; baseVersion: number }): 'apply' | 'ignore' | 'sync' {
  if (g.resync || held === null || p.version < g.version) return 'ignore'
  return patchApplies(held, p) ? 'apply' : 'sync'
}
