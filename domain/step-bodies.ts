// What a technician step carries, as one set of zod schemas shared by the API (request bodies) and
// the ticket workflow (ops signals and updates sent from the Temporal UI or CLI), so a step is
// checked the same way whichever door it comes through. zod is pure JavaScript: it runs inside the
// workflow sandbox and decides the same on every replay.
import { z } from 'zod';
import { STEP_RESPONSE_VIAS, type ResponseVia } from './plans';
import { unstorableIssues } from './storable-text';
import { textRef } from './ticket-texts';
import type { Person, Step, StepKind } from './ticket-lifecycle';

const text = (max: number) => z.string().trim().min(1).max(max);
const email = z.string().trim().toLowerCase().email().max(320);

/** The assignee by id (the console, the API) or by e-mail (what ops see in the Temporal UI). */
const assignBody = z.union([z.object({ assigneeId: z.string().uuid() }).strict(), z.object({ assigneeEmail: email }).strict()]);

/** An answer to the customer: the first (respond) and every later one (reply) carry the same. */
const answerBody = z.object({ via: z.enum(STEP_RESPONSE_VIAS), message: text(20_000) }).strict();

export const stepBodies = {
  assign: assignBody,
  respond: answerBody,
  reply: answerBody,
  'wait-for-customer': z.object({ message: text(20_000).optional() }).strict(),
  'customer-replied': z.object({ message: text(20_000).optional() }).strict(),
  resolve: z.object({ resolution: text(20_000) }).strict(),
  reopen: z.object({ reason: text(2_000).optional() }).strict(),
  close: z.object({ reason: text(2_000).optional() }).strict(),
} as const;

export type StepBody<K extends StepKind> = z.infer<(typeof stepBodies)[K]>;

/** Who the assign step names, before the directory says whether they may work tickets. */
export type AssigneeRef = { assigneeId: string } | { assigneeEmail: string };

// ---- Ops: the same bodies plus who did it ---------------------------------------------------------

/** The staff member behind an ops signal or update (their e-mail); recorded as `ops:<email>`. */
const opsActor = { actor: email };

const withActor = <S extends z.ZodObject>(s: S) => s.extend(opsActor);

export const opsStepPayloads = {
  assign: z.union([withActor(assignBody.options[0]), withActor(assignBody.options[1])]),
  respond: withActor(stepBodies.respond),
  reply: withActor(stepBodies.reply),
  'wait-for-customer': withActor(stepBodies['wait-for-customer']),
  'customer-replied': withActor(stepBodies['customer-replied']),
  resolve: withActor(stepBodies.resolve),
  reopen: withActor(stepBodies.reopen),
  close: withActor(stepBodies.close),
} as const;

export const OPS_ACTOR_PREFIX = 'ops:';

/** An ops payload the schema refused: why, and who it names when that much can be stored. */
export type RefusedOpsPayload = { ok: false; actor: string; reason: string; issues: string[] };

export type ParsedOpsStep =
  /**
   * `email`: who it names, whom the directory must know before anything applies; `assignee` is set
   * for an assign step: the directory must confirm that person too.
   */
  | { ok: true; actor: string; email: string; step: Step; assignee?: AssigneeRef }
  | RefusedOpsPayload;

/** The actor a refusal is recorded under when the payload did not name a usable one. */
const UNKNOWN_OPS_ACTOR = `${OPS_ACTOR_PREFIX}unknown`;

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`);
}

/**
 * Check an ops payload for a step. An assign step comes back with a placeholder assignee (the
 * e-mail when given) and the reference the workflow resolves through the directory.
 */
/** A refused ops payload, under the actor it names when that one can be stored (the refusal is recorded). */
function refusedPayload(raw: unknown, unstorable: ReturnType<typeof unstorableIssues>, error: z.ZodError | undefined): RefusedOpsPayload {
  const actor = email.safeParse((raw as { actor?: unknown } | null)?.actor);
  const issues = unstorable ? unstorable.map((i) => `${i.path}: ${i.message}`) : describeIssues(error!);
  const named = actor.success && !unstorable?.some((i) => i.path === 'actor');
  return { ok: false, actor: named ? OPS_ACTOR_PREFIX + actor.data : UNKNOWN_OPS_ACTOR, reason: `invalid payload: ${issues.join('; ')}`, issues };
}

export function parseOpsStep(kind: StepKind, raw: unknown): ParsedOpsStep {
  const unstorable = unstorableIssues(raw);
  const parsed = opsStepPayloads[kind].safeParse(raw);
  if (unstorable || !parsed.success) return refusedPayload(raw, unstorable, parsed.error);
  const body = parsed.data as Record<string, unknown> & { actor: string };
  const who = { actor: OPS_ACTOR_PREFIX + body.actor, email: body.actor };
  switch (kind) {
    case 'assign': {
      const ref: AssigneeRef = 'assigneeId' in body ? { assigneeId: String(body.assigneeId) } : { assigneeEmail: String(body.assigneeEmail) };
      const placeholder: Person = { email: 'assigneeEmail' in ref ? ref.assigneeEmail : ref.assigneeId };
      return { ok: true, ...who, step: { kind, assignee: placeholder }, assignee: ref };
    }
    case 'respond':
    case 'reply':
      return { ok: true, ...who, step: { kind, via: body.via as ResponseVia, message: String(body.message) } };
    case 'wait-for-customer':
    case 'customer-replied':
      return { ok: true, ...who, step: { kind, message: body.message as string | undefined } };
    case 'resolve':
      return { ok: true, ...who, step: { kind, resolution: String(body.resolution) } };
    case 'reopen':
    case 'close':
      return { ok: true, ...who, step: { kind, reason: body.reason as string | undefined } };
  }
}

/** ops.retry-record carries only who asks for it. */
export const opsRetryRecordPayload = z.object(opsActor).strict();

export function parseOpsRetryRecord(raw: unknown): { ok: true; actor: string; email: string } | RefusedOpsPayload {
  const unstorable = unstorableIssues(raw);
  const parsed = opsRetryRecordPayload.safeParse(raw);
  if (unstorable || !parsed.success) return refusedPayload(raw, unstorable, parsed.error);
  return { ok: true, actor: OPS_ACTOR_PREFIX + parsed.data.actor, email: parsed.data.actor };
}

/** The retry Update the API sends names the lead its caller was authenticated as. */
export function retryRecordIssues(raw: unknown): string[] | null {
  const unstorable = unstorableIssues(raw);
  if (unstorable) return unstorable.map((i) => `${i.path}: ${i.message}`);
  const parsed = z.object(updateActor).strict().safeParse(raw);
  return parsed.success ? null : describeIssues(parsed.error);
}

// ---- The step Updates themselves (what the API sends, after it resolved the assignee) ------------

const updateActor = { actor: text(400) };
const person = z.object({ name: z.string().max(200).nullish(), email }).strict();
const answerUpdate = z.object({ ...updateActor, via: z.enum(STEP_RESPONSE_VIAS), message: textRef(20_000) }).strict();

/**
 * The argument of each step Update. The API sends exactly this; a caller going straight to the
 * workflow (the Temporal CLI or UI) is held to it by the Update's validator. Long texts travel as
 * references to what the API stored (domain/ticket-texts.ts), never in the workflow's history.
 */
export const stepUpdatePayloads = {
  assign: z.object({ ...updateActor, assignee: person }).strict(),
  respond: answerUpdate,
  reply: answerUpdate,
  'wait-for-customer': z.object({ ...updateActor, message: textRef(20_000).optional() }).strict(),
  'customer-replied': z.object({ ...updateActor, message: textRef(20_000).optional() }).strict(),
  resolve: z.object({ ...updateActor, resolution: textRef(20_000) }).strict(),
  reopen: stepBodies.reopen.extend(updateActor),
  close: stepBodies.close.extend(updateActor),
} as const;

/** The problems with an Update's argument, or null when it is acceptable. */
export function stepUpdateIssues(kind: StepKind, raw: unknown): string[] | null {
  const unstorable = unstorableIssues(raw);
  if (unstorable) return unstorable.map((i) => `${i.path}: ${i.message}`);
  const parsed = stepUpdatePayloads[kind].safeParse(raw);
  return parsed.success ? null : describeIssues(parsed.error);
}
