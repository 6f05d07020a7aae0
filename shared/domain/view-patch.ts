// Count-only changes to tablets as a patch of the public view instead of the whole view. A check-in
// or a cast moves a few numbers (attendance, quorum, turnout), while the view also carries the
// agenda, the speech and every poll's candidates: on a 5000-tablet node the whole view is 15 MB per
// fan-out, the patch a tenth of that. The server builds the patch against the view it last sent the
// tablets; a tablet applies it only to that same version and otherwise asks for a snapshot.
import type { PollView } from './poll-views'
import type { PublicView } from './views'

/** `state:patched`: the public view at `version`, given the tablet holds the one at `baseVersion`. */
export interface StatePatched {
  kind: 'public'
  version: number
  baseVersion: number
  serverTime: number
  /** Top-level fields that replace the tablet's. Attendance, quorum and announcement always come;
   * `polls` only when the list itself changed (a poll added, removed or moved). */
  set: Partial<Omit<PublicView, 'version'>>
  /** Poll entries that replace the tablet's entries with the same id: those that changed other than
   * in their turnout. */
  polls: PollView[]
  /** The turnout of every poll with an open round, by poll id (it moves without a new version). */
  turnout: Record<string, number>
}

/** The parts of a public view as JSON, to compare with the next one without walking it twice. */
export interface ViewParts {
  version: number
  fields: Map<string, string>
  /** Each poll entry as JSON with its turnout left out. */
  polls: Map<string, string>
  pollIds: string
}

/** Fields sent in every patch: a few numbers, and what a missed patch must not leave behind. */
const ALWAYS = new Set(['attendance', 'quorum', 'announcement'])

function withoutTurnout(p: PollView): string {
  return JSON.stringify(p.round ? { ...p, round: { ...p.round, turnout: 0 } } : p)
}

export function viewParts(v: PublicView): ViewParts {
  const fields = new Map<string, string>()
  for (const [k, value] of Object.entries(v)) if (k !== 'version' && k !== 'polls' && !ALWAYS.has(k)) fields.set(k, JSON.stringify(value))
  const polls = new Map<string, string>()
  for (const p of v.polls) polls.set(p.id, withoutTurnout(p))
  return { version: v.version, fields, polls, pollIds: v.polls.map((p) => p.id).join('\n') }
}

/** The patch from the view `base` describes to `next` (whose parts are `nextParts`). */
export function publicPatch(base: ViewParts, next: PublicView, nextParts: ViewParts, serverTime: number): StatePatched {
  const set: Record<string, unknown> = {}
  for (const [k, value] of Object.entries(next)) {
    if (k === 'version' || k === 'polls') continue
    if (ALWAYS.has(k) || base.fields.get(k) !== nextParts.fields.get(k)) set[k] = value
  }
  const polls: PollView[] = []
  const turnout: Record<string, number> = {}
  if (base.pollIds !== nextParts.pollIds) set.polls = next.polls
  else {
    for (const p of next.polls) {
      if (base.polls.get(p.id) !== nextParts.polls.get(p.id)) polls.push(p)
      else if (p.round?.status === 'open') turnout[p.id] = p.round.turnout
    }
  }
  return { kind: 'public', version: next.version, baseVersion: base.version, serverTime, set: set as StatePatched['set'], polls, turnout }
}

/**
 * Whether a patch applies to a view at `held`: from its base to its own version. Between two patches
 * the log held counts alone (anything else makes the next send a whole view), and the patch carries
 * every count in full, so a view taken in between (a snapshot after a reconnect) is brought to the
 * patch's version as exactly as the base is. The same version applies too: turnout moves without one.
 */
export function patchApplies(held: number, p: Pick<StatePatched, 'baseVersion' | 'version'>): boolean {
  return held >= p.baseVersion && held <= p.version
}

/** The tablet's view with the patch applied, or null when the patch is not for the view it holds
 * (then it asks for a snapshot). */
export function applyPublicPatch(view: PublicView, p: StatePatched): PublicView | null {
  if (!patchApplies(view.version, p)) return null
  const out = { ...view, ...p.set, version: p.version } as PublicView
  if (!p.set.polls) {
    const byId = new Map(p.polls.map((x) => [x.id, x]))
    out.polls = view.polls.map((x) => {
      const replaced = byId.get(x.id)
      if (replaced) return replaced
      const t = p.turnout[x.id]
      return t !== undefined && x.round ? { ...x, round: { ...x.round, turnout: t } } : x
    })
  }
  return out
}
