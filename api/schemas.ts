// Request bodies the API accepts. zod turns anything else into a 400 VALIDATION_FAILED.
import { z } from 'zod';
import { CHANNELS, IMPACTS, PLANS, TICKET_TYPES } from '../domain/plans';
import { isValidTimezone, TERMS } from '../domain/entitlements';
import { ROLES, STAFF_ROLES } from '../domain/roles';
import { TICKET_STATUSES } from '../domain/ticket-lifecycle';
import { SESSION_OUTCOMES } from '../domain/sessions';
import { REPORT_GROUPS } from '../domain/sla-report';

const text = (max: number) => z.string().trim().min(1).max(max);
const person = z.object({ name: text(200).optional(), email: z.string().trim().toLowerCase().email().max(320) }).strict();

/** An e-mail address as every edge takes one (also the pages' sign-in form): zod's check is linear in its length. */
export const email = z.string().trim().toLowerCase().email().max(320);
const timezone = text(64).refine(isValidTimezone, { message: 'not an IANA time zone (e.g. America/Santiago)' });
const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const createCustomerBody = z.object({ name: text(200), timezone: timezone.optional() }).strict();

const productFields = {
  brand: text(200),
  name: text(200),
  technology: text(100).transform((s) => s.toLowerCase()),
  purchaseConfirmedAt: instant,
  licensesDeliveredAt: instant.nullable().optional(),
  inForceUntil: instant.nullable().optional(),
};
export const createProductBody = z.object(productFields).strict();
export const updateProductBody = z
  .object({ ...productFields, purchaseConfirmedAt: instant.nullable() })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

export const subscribeBody = z.object({ plan: z.literal('advanced'), term: z.enum(TERMS), startsAt: instant.optional() }).strict();
export const renewBody = z.object({ term: z.enum(TERMS).optional() }).strict();
export const cancelBody = z.object({ immediately: z.boolean().default(false) }).strict();

export const createRequesterBody = z.object({ name: text(200), email, phone: text(40).optional() }).strict();
export const createStaffBody = z
  .object({
    name: text(200),
    email,
    role: z.enum(STAFF_ROLES),
    phone: text(40).optional(),
    technologies: z.array(text(100).transform((s) => s.toLowerCase())).max(50).optional(),
  })
  .strict();
export const listUsersQuery = z.object({ role: z.enum(ROLES).optional(), customerId: z.string().uuid().optional() }).strict();
export const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
    targetType: text(50).optional(),
    targetId: text(100).optional(),
  })
  .strict();

export const createTicketBody = z
  .object({
    type: z.enum(TICKET_TYPES),
    impact: z.enum(IMPACTS),
    subject: text(300),
    description: text(20_000),
    channel: z.enum(CHANNELS).default('api'),
    productId: z.string().uuid().optional(),
    endUser: person.optional(),
    /** Only for technicians and leads filing on a requester's behalf (e.g. a phone call). */
    requesterId: z.string().uuid().optional(),
  })
  .strict();

/** The Idempotency-Key header: optional; printable, at most 200 characters. */
export const idempotencyKey = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .optional();

// One set of step schemas for the API and for ops signals in the workflow (see domain/step-bodies).
export { stepBodies } from '../domain/step-bodies';

/** A retry of a stuck record carries nothing: who asks is the caller. */
export const retryRecordBody = z.object({}).strict();

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
    /** `me` (the caller), `none` (unassigned), or a technician's e-mail. */
    assignee: z.union([z.enum(['me', 'none']), email]).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

// ---- Sessions and brand meetings (Advanced) ---------------------------------------------------

const futureInstant = instant.refine((d) => d.getTime() > Date.now(), { message: 'must be in the future' });

export const sessionRequestBodies = {
  'specialist-session': z.object({ technology: text(100).transform((s) => s.toLowerCase()).optional(), startsAt: futureInstant.optional(), agenda: text(2_000).optional() }).strict(),
  'remote-session': z.object({ hostId: z.string().uuid().optional(), startsAt: futureInstant.optional(), agenda: text(2_000).optional() }).strict(),
  'brand-meeting': z.object({ reason: text(2_000), startsAt: futureInstant.optional(), agenda: text(2_000).optional() }).strict(),
} as const;

export const sessionActionBodies = {
  confirm: z.object({}).strict(),
  decline: z.object({ reason: text(2_000).optional() }).strict(),
  outcome: z.object({ outcome: z.enum(SESSION_OUTCOMES), notes: text(20_000).optional(), startsAt: futureInstant.optional() }).strict(),
} as const;

export const brandContactBody = z.object({ name: text(200), email, phone: text(40).optional() }).strict();
export const brandParam = text(100);

/** GET /api/reports/sla (and the report page): a period (month, or from/to), a slice, filters. */
export const reportQuery = z
  .object({
    month: z.string().regex(/^\d{4}-\d{2}$/, 'a month as YYYY-MM').optional(),
    from: text(40).optional(),
    to: text(40).optional(),
    groupBy: z.enum(REPORT_GROUPS).default('none'),
    timezone: timezone.optional(),
    customerId: z.uuid().optional(),
    plan: z.enum(PLANS).optional(),
    impact: z.enum(IMPACTS).optional(),
    type: z.enum(TICKET_TYPES).optional(),
    channel: z.enum(CHANNELS).optional(),
    technician: email.optional(),
    format: z.enum(['json', 'csv']).optional(),
    /** breaches: also list the tickets whose targets were missed. */
    include: z.enum(['breaches']).optional(),
  })
  .strict();
export type ReportQuery = z.infer<typeof reportQuery>;

/** GET /api/held-mail: the messages waiting (default), or the latest decided. */
export const heldMailQuery = z.object({ status: z.enum(['held', 'decided']).default('held') }).strict();
