// zod schemas for every command payload; the payload types are inferred from them, so the server's
// validation and the client's types cannot drift apart.
import { z } from 'zod'
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
} as const

export type CommandName = keyof typeof schemas
export type CommandPayload<C extends CommandName> = z.infer<(typeof schemas)[C]>

export const loginSchema = z.object({ code, lang: z.enum(['zh', 'en']).optional() }).strict()
export const handshakeSchema = z
  .object({ token: z.string().min(10).max(200), lang: z.enum(['zh', 'en']).optional() })
  .passthrough()

/** Turns zod issues into short "path: message" strings for the INVALID_PAYLOAD details. */
export function describeIssues(err: z.ZodError): string[] {
  return err.issues.slice(0, 10).map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`)
}
