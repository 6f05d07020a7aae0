// Test helpers for the pure core: a deterministic decide context, folding events into a state the
// way the engine does, and running one command against a state without any server.
import { commands, isRefusal, type DecideContext, type Decision, type Refusal } from '../../shared/domain/commands'
import { evolve, type DomainEvent } from '../../shared/domain/events'
import { cloneState, emptyState, type Actor, type MeetingState, type Person } from '../../shared/domain/types'
import type { CommandName, CommandPayload } from '../../shared/schemas'
import { decideContext, eventHash } from '../../server/engine'
import { decideDemo, type IssuedCode } from '../../server/seed'

/** A context whose codes are predictable (ABCDEFGH00000001, …) and whose clock moves only on request. */
export function testContext(start = 1_700_000_000_000): DecideContext & { tick(ms?: number): number; issued: string[] } {
  let n = 0
  const issued: string[] = []
  // The engine's own context (hashing, stroke order, …) with the codes and the clock pinned.
  const ctx = {
    ...decideContext(start),
    now: start,
    newCode() {
      const code = `ABCDEFGH${String(++n).padStart(8, '0')}`
      issued.push(code)
      return code
    },
    tick(ms = 1000) {
      ctx.now += ms
      return ctx.now
    },
    issued,
  }
  return ctx
}

/** Folds events into a copy of the state, numbering and chaining them as the engine does. */
export function fold(state: MeetingState, events: DomainEvent[], at: number, actor: string | null = null): MeetingState {
  const draft = cloneState(state)
  for (const event of events) {
    const seq = draft.version + 1
    const hash = eventHash(draft.head, seq, at, actor, event)
    evolve(draft, { seq, at, actor, event, prev: draft.head, hash })
  }
  return draft
}

export interface Demo {
  state: MeetingState
  ctx: ReturnType<typeof testContext>
  codes: IssuedCode[]
  code(personId: string): string
}

/** The demo hall (251 delegates, 8 observers, staff), seeded through decideDemo with known codes. */
export function demoState(): Demo {
  const ctx = testContext()
  const d = decideDemo(emptyState(), ctx)
  if (isRefusal(d)) throw new Error(`decideDemo refused: ${d.error}`)
  const state = fold(emptyState(), d.events, ctx.now)
  const byId = new Map(d.result.codes.map((c) => [c.personId, c.code]))
  return { state, ctx, codes: d.result.codes, code: (id) => byId.get(id)! }
}

export type Run<C extends CommandName> =
  | { ok: true; state: MeetingState; events: DomainEvent[]; result: unknown }
  | (Refusal & { ok: false; state: MeetingState })

/** Runs one command as the gateway would after validation: role check, decide, fold. The returned
 * state is the old one when the command was refused. */
export function run<C extends CommandName>(
  state: MeetingState,
  name: C,
  payload: CommandPayload<C>,
  actor: Actor,
  ctx: DecideContext & { tick?(ms?: number): number },
): Run<C> {
  const spec = (commands as unknown as Record<string, { roles: readonly string[]; decide(s: MeetingState, p: unknown, a: Actor, c: DecideContext): Decision }>)[name]
  if (!spec) throw new Error(`${name} is not decided by the pure core`)
  if (!spec.roles.includes(actor.role)) return { ok: false, error: 'FORBIDDEN', state }
  ctx.tick?.()
  const d = spec.decide(state, payload, actor, ctx)
  if (isRefusal(d)) return { ok: false, ...d, state }
  return { ok: true, state: fold(state, d.events, ctx.now, actor.personId), events: d.events, result: d.result }
}

export const DESK: Actor = { personId: 'sec1', role: 'secretariat' }
export const CHAIR: Actor = { personId: 'chair', role: 'chair' }
export const DISPLAY: Actor = { personId: 'display1', role: 'display' }
export const delegate = (personId: string): Actor => ({ personId, role: 'delegate' })

/** A delegate record for hand-built rosters. */
export function person(id: string, overrides: Partial<Person> = {}): Person {
  return {
    id,
    name: `代表${id}`,
    gender: '',
    role: 'delegate',
    delegationId: null,
    seat: '',
    status: 'active',
    votingRight: true,
    ...overrides,
  }
}
