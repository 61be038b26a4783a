// Request bodies the API accepts. zod turns anything else into a 400 VALIDATION_FAILED.
import { z } from 'zod';
import { CHANNELS, IMPACTS, PLANS, RESPONSE_VIAS, TICKET_TYPES } from '../domain/plans';
import { TICKET_STATUSES } from '../domain/ticket-lifecycle';

const text = (max: number) => z.string().trim().min(1).max(max);
const person = z.object({ name: text(200).optional(), email: z.string().trim().toLowerCase().email().max(320) }).strict();

export const createCustomerBody = z
  .object({ name: text(200), plan: z.enum(PLANS).default('standard'), timezone: text(64).optional() })
  .strict();

export const createTicketBody = z
  .object({
    customerId: z.string().uuid(),
    requester: person,
    type: z.enum(TICKET_TYPES),
    impact: z.enum(IMPACTS),
    subject: text(300),
    description: text(20_000),
    channel: z.enum(CHANNELS).default('api'),
  })
  .strict();

const actor = { by: z.string().trim().min(1).max(320).optional() };

export const stepBodies = {
  assign: z.object({ ...actor, assignee: person }).strict(),
  respond: z.object({ ...actor, via: z.enum(RESPONSE_VIAS), message: text(20_000) }).strict(),
  'wait-for-customer': z.object({ ...actor, message: text(20_000).optional() }).strict(),
  'customer-replied': z.object({ ...actor, message: text(20_000).optional() }).strict(),
  resolve: z.object({ ...actor, resolution: text(20_000) }).strict(),
  reopen: z.object({ ...actor, reason: text(2_000).optional() }).strict(),
  close: z.object({ ...actor, reason: text(2_000).optional() }).strict(),
} as const;

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)));

export const listTicketsQuery = z
  .object({
    status: csv(TICKET_STATUSES).optional(),
    plan: csv(PLANS).optional(),
    impact: csv(IMPACTS).optional(),
    customerId: z.string().uuid().optional(),
    breached: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();
