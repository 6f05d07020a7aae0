// zod schemas of the agenda and speaker commands (spread into `schemas` in schemas.ts).
import { z } from 'zod'
import { AGENDA_ITEM_TYPES } from './domain/agenda'

const id = z.string().trim().min(1).max(64)
/** A speaking time: 10 seconds to 4 hours, in ms. */
const limitMs = z.number().int().min(10_000).max(4 * 3600_000)
const warnMs = z.number().int().min(0).max(3600_000)
const position = z.number().int().min(0).max(100_000)
const title = z.string().trim().min(1).max(200)
const presenter = z.string().trim().max(100)
const topic = z.string().trim().max(200)
const budgets = z.record(id, limitMs).refine((r) => Object.keys(r).length <= 500, { message: 'at most 500 delegations' })

export const agendaSchemas = {
  'agenda:add': z
    .object({
      type: z.enum(AGENDA_ITEM_TYPES),
      title,
      presenter: presenter.optional(),
      hidden: z.boolean().optional(),
      speechLimitMs: limitMs.optional(),
      warnMs: warnMs.optional(),
      budgetMs: limitMs.nullable().optional(),
      budgets: budgets.optional(),
      position: position.optional(),
    })
    .strict(),
  'agenda:update': z
    .object({
      itemId: id,
      type: z.enum(AGENDA_ITEM_TYPES).optional(),
      title: title.optional(),
      presenter: presenter.optional(),
      speechLimitMs: limitMs.optional(),
      warnMs: warnMs.optional(),
      budgetMs: limitMs.nullable().optional(),
      budgets: budgets.optional(),
    })
    .strict(),
  'agenda:move': z.object({ itemId: id, position }).strict(),
  'agenda:remove': z.object({ itemId: id }).strict(),
  'agenda:setHidden': z.object({ itemId: id, hidden: z.boolean() }).strict(),
  'agenda:setCurrent': z.object({ itemId: id.nullable(), finishPrevious: z.boolean().optional() }).strict(),
  'agenda:setDone': z.object({ itemId: id, done: z.boolean() }).strict(),
  'agenda:removeDocument': z.object({ itemId: id, documentId: id }).strict(),
  'agenda:showDocument': z.object({ documentId: id.nullable(), page: z.number().int().min(1).max(10_000).optional() }).strict(),

  'speakers:request': z.object({ itemId: id, topic: topic.optional() }).strict(),
  'speakers:withdraw': z.object({ itemId: id }).strict(),
  'speakers:add': z
    .object({
      itemId: id,
      personId: id,
      /** Set for a delegation speaking as a whole; personId is then its chosen speaker. */
      delegationId: id.optional(),
      topic: topic.optional(),
      limitMs: limitMs.optional(),
      position: position.optional(),
    })
    .strict(),
  'speakers:approve': z.object({ speakerId: id }).strict(),
  'speakers:decline': z.object({ speakerId: id }).strict(),
  'speakers:remove': z.object({ speakerId: id }).strict(),
  'speakers:move': z.object({ speakerId: id, position }).strict(),
  'speakers:next': z.object({ itemId: id, speakerId: id.optional() }).strict(),
  'speakers:start': z.object({ itemId: id }).strict(),
  'speakers:pause': z.object({ itemId: id }).strict(),
  'speakers:resume': z.object({ itemId: id }).strict(),
  'speakers:end': z.object({ itemId: id }).strict(),
  'speakers:setLimit': z.object({ speakerId: id, limitMs }).strict(),
  'speakers:setOpen': z.object({ itemId: id, open: z.boolean() }).strict(),
} as const
