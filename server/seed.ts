// The demo meeting, created on the first start of an empty store: 251 delegates in 11 delegations,
// observers, a chair, two secretariat accounts and a display, each with a fresh login code. The codes
// exist in plain text only in the file written here (and on the cards printed from it).
import fs from 'node:fs'
import path from 'node:path'
import type { DecideContext, Decision } from '../shared/domain/commands'
import type { DomainEvent } from '../shared/domain/events'
import { defaultQuorum } from '../shared/domain/quorum'
import type { MeetingState, MeetingType, Person } from '../shared/domain/types'
import { demoRoster } from './demo'
import type { Engine } from './engine'

export const DEMO_MEETING_NAME = '中共芦溪县第十五次代表大会第二次会议'

export const STAFF_ACCOUNTS: Person[] = [
  { id: 'chair', name: '执行主席', gender: '', role: 'chair', delegationId: null, seat: '主席台', status: 'active', votingRight: false },
  { id: 'sec1', name: '秘书处一', gender: '', role: 'secretariat', delegationId: null, seat: '签到台', status: 'active', votingRight: false },
  { id: 'sec2', name: '秘书处二', gender: '', role: 'secretariat', delegationId: null, seat: '签到台', status: 'active', votingRight: false },
  { id: 'display1', name: '会场大屏', gender: '', role: 'display', delegationId: null, seat: '', status: 'active', votingRight: false },
]

export interface IssuedCode {
  personId: string
  name: string
  role: Person['role']
  delegation: string
  seat: string
  code: string
}

/** Decides the whole demo meeting in one command, so two nodes starting at once seed it once. */
export function decideDemo(s: MeetingState, ctx: DecideContext): Decision<{ codes: IssuedCode[] }> {
  if (s.meeting) return { error: 'MEETING_EXISTS' }
  const { delegations, persons } = demoRoster()
  const events: DomainEvent[] = [
    {
      type: 'meeting.created',
      meeting: {
        id: 'm1',
        name: DEMO_MEETING_NAME,
        type: 'congress',
        quorum: defaultQuorum('congress'),
        selfCheckIn: true,
        createdAt: ctx.now,
      },
    },
    { type: 'roster.imported', mode: 'replace', delegations, persons },
    ...STAFF_ACCOUNTS.map((person): DomainEvent => ({ type: 'person.saved', person })),
  ]
  const delegationName = new Map(delegations.map((d) => [d.id, d.name]))
  const codes: IssuedCode[] = []
  for (const p of [...STAFF_ACCOUNTS, ...persons]) {
    const code = ctx.newCode()
    events.push({ type: 'credential.issued', personId: p.id, codeHash: ctx.hashCode(code) })
    codes.push({ personId: p.id, name: p.name, role: p.role, delegation: p.delegationId ? (delegationName.get(p.delegationId) ?? '') : '', seat: p.seat, code })
  }
  return { events, result: { codes } }
}

/**
 * A real meeting, for `npm run setup`: the meeting with its name and type (the type's default quorum
 * rules), and the staff accounts (the chair, two secretariat accounts, a display) with fresh codes.
 * The delegates come from the roster file the secretariat imports at the desk.
 */
export function decideNewMeeting(s: MeetingState, ctx: DecideContext, name: string, type: MeetingType): Decision<{ codes: IssuedCode[] }> {
  if (s.meeting) return { error: 'MEETING_EXISTS' }
  const events: DomainEvent[] = [
    { type: 'meeting.created', meeting: { id: 'm1', name, type, quorum: defaultQuorum(type), selfCheckIn: true, createdAt: ctx.now } },
    ...STAFF_ACCOUNTS.map((person): DomainEvent => ({ type: 'person.saved', person })),
  ]
  const codes: IssuedCode[] = []
  for (const p of STAFF_ACCOUNTS) {
    const code = ctx.newCode()
    events.push({ type: 'credential.issued', personId: p.id, codeHash: ctx.hashCode(code) })
    codes.push({ personId: p.id, name: p.name, role: p.role, delegation: '', seat: p.seat, code })
  }
  return { events, result: { codes } }
}

export function credentialsFile(dataDir: string): string {
  return path.join(dataDir, 'demo-credentials.json')
}

export function writeCredentialsFile(dataDir: string, codes: IssuedCode[], meeting = DEMO_MEETING_NAME): string {
  const file = credentialsFile(dataDir)
  fs.mkdirSync(dataDir, { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ meeting, issuedAt: new Date().toISOString(), codes }, null, 2), { mode: 0o600 })
  return file
}

/** Seeds the demo meeting if the log is empty; returns the codes when this node seeded it. */
export async function seedDemoIfEmpty(engine: Engine): Promise<IssuedCode[] | null> {
  if (engine.state.meeting) return null
  const r = await engine.submit(decideDemo, null)
  if (!r.ok) {
    if (r.error === 'MEETING_EXISTS') return null
    throw new Error(`seeding the demo meeting failed: ${r.error}`)
  }
  return (r.result as { codes: IssuedCode[] }).codes
}
