// Ordering of server messages: each carries the log version it reflects; an older one arriving late
// (another node, a coalesced push) must not overwrite newer state.

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
