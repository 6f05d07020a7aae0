// zod schemas for every command payload; the payload types are inferred from them, so the server's
// validation and the client's types cannot drift apart.
import { z } from 'zod'
import { agendaSchemas } from './agendaSchemas'
import { LEAVE_REASONS, MEETING_TYPES, PERSON_STATUSES, ROLES } from './domain/types'

const id = z.string().trim().min(1).max(64)
/** A card code as typed or scanned: tolerant of dashes, spaces and case (see normalizeCode). */
const code = z.string().min(1).max(300)

export const quorumRuleSchema = z
  .object({
    num: z.number().int().min(1).max(99),
    den: z.number().int().min(2).max(100),
    op: z.enum(['gt', 'gte']),
  })
  .strict()
  .refine((r) => r.num < r.den, { message: 'num must be less than den' })

const personName = z.string().trim().min(1).max(50)

const pollSpecInput = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('election'),
      seats: z.number().int().min(1).max(500),
      candidates: z.array(z.object({ name: personName, personId: id.optional() }).strict()).min(1).max(600),
      electionKind: z.enum(['delegates', 'committee', 'alternates', 'discipline', 'other']),
      thresholdBase: z.enum(['shouldAttend', 'present']).optional(),
      minSurplusPct: z.number().min(0).max(100).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('resolution'),
      question: z.string().trim().min(1).max(500),
      passRule: z.enum(['shouldAttend', 'present', 'cast', 'twoThirdsShouldAttend']).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('appointment'),
      nominees: z
        .array(z.object({ name: personName, personId: id.optional(), position: z.string().trim().max(100).optional() }).strict())
        .min(1)
        .max(100),
      thirdOption: z.enum(['defer', 'abstain']).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('evaluation'),
      subjects: z.array(z.object({ name: z.string().trim().min(1).max(100) }).strict()).min(1).max(200),
      scale: z.array(z.string().trim().min(1).max(20)).min(2).max(7),
    })
    .strict(),
])

const pollFields = {
  title: z.string().trim().min(1).max(200),
  spec: pollSpecInput,
  secret: z.boolean().optional(),
  mode: z.enum(['electronic', 'paper']).optional(),
  agendaItemId: id.nullable().optional(),
  /** Who votes: null or absent for the congress, else a body's id (e.g. the full committee). */
  bodyId: id.nullable().optional(),
  timeLimitS: z.number().int().min(10).max(24 * 3600).nullable().optional(),
  scrutineers: z.array(id).max(50).optional(),
  tellers: z.array(id).max(50).optional(),
  liveResults: z.boolean().optional(),
}

const pollRef = z.object({ pollId: id }).strict()

export const schemas = {
  'state:sync': z.object({}).strict(),
  'meeting:configure': z
    .object({
      name: z.string().trim().min(1).max(200).optional(),
      type: z.enum(MEETING_TYPES).optional(),
      quorum: z
        .object({
          general: quorumRuleSchema,
          election: quorumRuleSchema,
          vote: quorumRuleSchema,
          appointment: quorumRuleSchema,
        })
        .strict()
        .optional(),
      selfCheckIn: z.boolean().optional(),
    })
    .strict(),
  'meeting:showAnnouncement': z.object({ shown: z.boolean() }).strict(),
  'attendance:checkIn': z
    .object({ personId: id.optional(), code: code.optional() })
    .strict()
    .refine((p) => !(p.personId && p.code), { message: 'give personId or code, not both' }),
  'attendance:undoCheckIn': z.object({ personId: id }).strict(),
  'attendance:checkOut': z.object({ personId: id.optional() }).strict(),
  'attendance:registerLeave': z.object({ personId: id, reason: z.enum(LEAVE_REASONS) }).strict(),
  'attendance:cancelLeave': z.object({ personId: id }).strict(),
  'person:save': z
    .object({
      id,
      name: z.string().trim().min(1).max(50),
      gender: z.enum(['M', 'F', '']),
      role: z.enum(ROLES),
      delegationId: id.nullable(),
      seat: z.string().trim().max(20),
      status: z.enum(PERSON_STATUSES),
      votingRight: z.boolean(),
    })
    .strict(),
  'credential:issue': z.object({ personIds: z.array(id).min(1).max(5000) }).strict(),
  'credential:revoke': z.object({ personId: id }).strict(),
  'poll:create': z.object(pollFields).strict(),
  'poll:update': z.object({ pollId: id, ...pollFields }).strict(),
  'poll:cancel': pollRef,
  'poll:open': pollRef,
  'poll:close': pollRef,
  'poll:admit': z.object({ pollId: id, personId: id }).strict(),
  'poll:confirm': pollRef,
  'poll:publish': pollRef,
  'poll:setNextRound': z
    .object({
      pollId: id,
      seats: z.number().int().min(1).max(1000),
      candidateIds: z.array(id).min(1).max(600).refine((a) => new Set(a).size === a.length, { message: 'candidate ids must be distinct' }),
    })
    .strict(),
  'poll:finish': pollRef,
  'poll:setLiveResults': z.object({ pollId: id, live: z.boolean() }).strict(),
  'poll:paperEntry': z
    .object({
      pollId: id,
      entry: z.union([z.literal(1), z.literal(2)]),
      totals: z
        .object({
          returned: z.number().int().min(0).max(100_000),
          invalid: z.number().int().min(0).max(100_000),
          tallies: z.record(
            z.string().max(64),
            z.object({ for: z.number().int().min(0), against: z.number().int().min(0), abstain: z.number().int().min(0) }).strict(),
          ),
          writeIns: z.array(z.object({ personId: id, for: z.number().int().min(0) }).strict()).max(200),
        })
        .strict(),
    })
    .strict(),
  'body:save': z
    .object({ id, name: z.string().trim().min(1).max(100), memberIds: z.array(id).max(5000) })
    .strict(),
  'body:remove': z.object({ bodyId: id }).strict(),
  'ballot:cast': z
    .object({
      pollId: id,
      round: z.number().int().min(1).max(100),
      /** Checked against the poll's kind by the counting rules (shape only; validity at count). */
      ballot: z.unknown(),
      /** Random per ballot on the device: a retry with the same key gets the same ack. */
      idempotencyKey: z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/),
    })
    .strict(),
  ...agendaSchemas,
} as const

export type CommandName = keyof typeof schemas
export type CommandPayload<C extends CommandName> = z.infer<(typeof schemas)[C]>

const IDEM_KEY = /^[A-Za-z0-9_-]+$/
const CAST_KEYS = new Set(['pollId', 'round', 'ballot', 'idempotencyKey'])

/**
 * Hand-written checks for the commands a whole hall sends at the same instant. Each accepts only
 * payloads its zod schema accepts and returns exactly what the schema's parse returns; anything else
 * (including every invalid payload) gives undefined, and the zod schema decides and words the error.
 * test/unit/schemas-fast.test.ts holds each one to its schema.
 */
export const fastParsers: Partial<{ [C in CommandName]: (raw: unknown) => CommandPayload<C> | undefined }> = {
  'ballot:cast': (raw) => {
    if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) return undefined
    const o = raw as Record<string, unknown>
    let n = 0
    for (const k in o) {
      if (!Object.hasOwn(o, k) || !CAST_KEYS.has(k)) return undefined
      n++
    }
    if (n !== 4) return undefined
    const { pollId, round, ballot, idempotencyKey } = o
    if (typeof pollId !== 'string' || pollId.length < 1 || pollId.length > 64 || pollId.trim() !== pollId) return undefined
    if (typeof round !== 'number' || !Number.isInteger(round) || round < 1 || round > 100) return undefined
    if (typeof idempotencyKey !== 'string' || idempotencyKey.length < 8 || idempotencyKey.length > 64 || !IDEM_KEY.test(idempotencyKey)) return undefined
    return { pollId, round, ballot, idempotencyKey }
  },
}

export const loginSchema = z.object({ code, lang: z.enum(['zh', 'en']).optional() }).strict()
export const handshakeSchema = z
  .object({ token: z.string().min(10).max(200), lang: z.enum(['zh', 'en']).optional() })
  .passthrough()

/** Longest issue text in a reply: zod lists every unknown key, and the ack's message is shown to
 * people, so a payload with thousands of junk keys must not come back as a page of text. */
const MAX_ISSUE_CHARS = 200

/** Turns zod issues into short "path: message" strings for the INVALID_PAYLOAD details. */
export function describeIssues(err: z.ZodError): string[] {
  return err.issues.slice(0, 10).map((i) => {
    const s = `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`
    return s.length > MAX_ISSUE_CHARS ? `${s.slice(0, MAX_ISSUE_CHARS - 1)}…` : s
  })
}
