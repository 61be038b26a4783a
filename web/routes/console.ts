// The technicians' console: the queue (soonest deadline first, live countdowns, filters), each
// ticket with its history, the customer's entitlement and a form for every step it allows now,
// its sessions, and logging a phone call. Steps go through the same services as the JSON API.
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { Op, col, fn, where } from 'sequelize';
import type { WebDeps } from '../web-deps';
import { requirePage } from '../require-page';
import { render, locals } from '../render';
import { translator } from '../../i18n';
import { compact, formErrors, formStatus, localInstant, type FormErrors } from '../forms';
import { createTicketBody, listTicketsQuery, sessionActionBodies, sessionRequestBodies, stepBodies } from '../../api/schemas';
import { DomainError, isKind } from '../../domain/errors';
import { findCustomer } from '../../services/customers';
import { entitlementView, loadEntitlement } from '../../services/entitlements';
import { may, type Permission } from '../../domain/roles';
import { productSupportState } from '../../domain/entitlements';
import { IMPACTS, PLANS, STEP_RESPONSE_VIAS } from '../../domain/plans';
import { SESSION_ACTIONS, SESSION_KINDS, SESSION_OUTCOMES, sessionAllowed, type SessionAction, type SessionKind } from '../../domain/sessions';
import { TICKET_STATUSES, type StepKind } from '../../domain/ticket-lifecycle';
import { Product, TicketAttachment, User } from '../../db/models';
import type { Principal } from '../../services/access';
import { sendAttachment } from '../attachments';
import { eventDetail } from '../view-models';
import { stuckRecords } from '../../services/stuck-records';

const OPEN_STATES = 'open,in_progress,waiting_on_customer';
const STEP_FIELDS: Record<StepKind, readonly string[]> = {
  assign: ['assigneeId'],
  respond: ['via', 'message'],
  reply: ['via', 'message'],
  'wait-for-customer': ['message'],
  'customer-replied': ['message'],
  resolve: ['resolution'],
  reopen: ['reason'],
  close: ['reason'],
};
const SESSION_PATHS: Record<SessionKind, keyof typeof sessionRequestBodies> = { specialist: 'specialist-session', remote: 'remote-session', brand: 'brand-meeting' };
const SESSION_FIELDS: Record<SessionKind, readonly string[]> = { specialist: ['technology', 'agenda', 'startsAt'], remote: ['agenda', 'startsAt'], brand: ['reason', 'agenda', 'startsAt'] };
const PHONE_FIELDS = ['requesterEmail', 'type', 'impact', 'productId', 'subject', 'description', 'endUserName', 'endUserEmail'] as const;

export function consoleRoutes(deps: WebDeps): Router {
  const r = Router();
  // The queue is for the support team: people who read tickets and are not a customer's requester.
  r.use(requirePage((p) => p.role !== 'requester' && may(p.role, 'readTickets')));
  const me = (res: Response) => locals(res).principal as Principal;
  const canWork = (res: Response) => may(me(res).role, 'workTickets');

  r.get('/', async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const filters = {
      status: q.status === undefined ? OPEN_STATES : q.status,
      plan: q.plan ?? '',
      impact: q.impact ?? '',
      assignee: q.assignee ?? '',
    };
    const query = listTicketsQuery.safeParse({ ...compact(filters, ['status', 'plan', 'impact', 'assignee']), limit: '200' });
    const list = query.success ? await deps.tickets.list(query.data, me(res)) : { total: 0, tickets: [] };
    // Whatever the filters, the tickets whose record is stuck are listed first: someone must retry them.
    const stuck = await stuckRecords(deps.sequelize);
    render(req, res, 'console-queue', { filters, list, stuck, statuses: TICKET_STATUSES, plans: PLANS, impacts: IMPACTS, openStates: OPEN_STATES });
  });

  async function ticketPage(req: Request, res: Response, errors: { target: string; errors: FormErrors } | null = null, status = 200) {
    const p = me(res);
    const ticket = await deps.tickets.get(String(req.params.number), p);
    const customer = await findCustomer(ticket.customerId);
    const full = await deps.tickets.findTicket(ticket.id, p);
    const [entitlement, technicians, product, attachments] = await Promise.all([
      entitlementView(customer),
      User.findAll({ where: { role: { [Op.in]: ['technician', 'lead'] }, enabled: true }, order: [['name', 'ASC']] }),
      full.productId ? Product.findByPk(full.productId) : null,
      TicketAttachment.findAll({ where: { ticketId: ticket.id }, attributes: ['id', 'filename', 'size', 'contentType'], order: [['createdAt', 'ASC']] }),
    ]);
    render(req, res, 'console-ticket', {
      ticket,
      customer,
      entitlement,
      product,
      endUser: full.endUser,
      technicians,
      attachments,
      canWork: canWork(res),
      canRetry: may(me(res).role, 'retryRecords'),
      vias: STEP_RESPONSE_VIAS,
      stepFields: STEP_FIELDS,
      sessionKinds: SESSION_KINDS.filter((k) => sessionAllowed(ticket.plan, k)),
      sessionActions: SESSION_ACTIONS,
      outcomes: SESSION_OUTCOMES,
      done: typeof req.query.done === 'string' ? req.query.done : null,
      errors,
      key: () => randomUUID(),
      events: ticket.events.map((e) => ({ ...e, detail: eventDetail(e) })).reverse(),
    }, status);
  }

  r.get('/tickets/:number', (req, res) => ticketPage(req, res));

  /** Run a step; a refusal re-renders the page with the reason next to the form that asked. */
  async function act(req: Request, res: Response, target: string, run: () => Promise<unknown>, permission: Permission = 'workTickets') {
    try {
      if (!may(me(res).role, permission)) throw new DomainError('forbidden', 'FORBIDDEN', `this role may not do this (${permission})`);
      await run();
      res.redirect(303, `/console/tickets/${String(req.params.number)}?done=${encodeURIComponent(target)}`);
    } catch (err) {
      const errors = formErrors(err, locals(res).lang);
      if (!errors) throw err;
      await ticketPage(req, res, { target, errors }, formStatus(err));
    }
  }

  r.post('/tickets/:number/steps/:step', async (req, res) => {
    const kind = String(req.params.step) as StepKind;
    if (!(kind in stepBodies)) return render(req, res, 'error', { message: 'error.notFound' }, 404);
    await act(req, res, kind, () => {
      const body = stepBodies[kind].parse(compact(req.body ?? {}, STEP_FIELDS[kind])) as Record<string, unknown>;
      return deps.tickets.step(String(req.params.number), kind, body, me(res), req.body?._key || undefined);
    });
  });

  // A lead's button on a ticket whose record is stuck: write what it owes, now that the cause is fixed.
  r.post('/tickets/:number/retry-record', async (req, res) => {
    await act(req, res, 'retry-record', () => deps.tickets.retryRecord(String(req.params.number), me(res)), 'retryRecords');
  });

  r.post('/tickets/:number/sessions/request/:kind', async (req, res) => {
    const kind = String(req.params.kind) as SessionKind;
    if (!SESSION_KINDS.includes(kind)) return render(req, res, 'error', { message: 'error.notFound' }, 404);
    await act(req, res, `session-${kind}`, () => {
      const values = compact(req.body ?? {}, SESSION_FIELDS[kind]);
      const body = sessionRequestBodies[SESSION_PATHS[kind]].parse({ ...values, ...(values.startsAt ? { startsAt: localInstant(values.startsAt) } : {}) });
      return deps.sessions.request(String(req.params.number), kind, body, me(res), req.body?._key || undefined);
    });
  });

  r.post('/tickets/:number/sessions/:sessionId/:action', async (req, res) => {
    const action = String(req.params.action) as SessionAction;
    if (!SESSION_ACTIONS.includes(action)) return render(req, res, 'error', { message: 'error.notFound' }, 404);
    const sessionId = String(req.params.sessionId);
    await act(req, res, `${sessionId}:${action}`, () => {
      const values = compact(req.body ?? {}, ['reason', 'outcome', 'notes', 'startsAt']);
      const body = sessionActionBodies[action].parse({ ...values, ...(values.startsAt ? { startsAt: localInstant(values.startsAt) } : {}) });
      return deps.sessions.act(String(req.params.number), sessionId, action, body, me(res), req.body?._key || undefined);
    });
  });

  r.get('/tickets/:number/attachments/:id', async (req, res) => {
    const ticket = await deps.tickets.findTicket(String(req.params.number), me(res));
    await sendAttachment(res, ticket.id, String(req.params.id));
  });

  // ---- Held mail: inbound messages whose sender is not authenticated (services/held-mail.ts).
  const held = deps.heldMail;
  if (held) {
    const heldPage = async (req: Request, res: Response, done: string | null, error: string | null, status = 200) => {
      // Technicians and leads only: the service refuses anyone else (403 page).
      const [waiting, decided] = await Promise.all([held.list(me(res), 'held'), held.list(me(res), 'decided')]);
      render(req, res, 'console-held-mail', { held: waiting, decided: { ...decided, messages: decided.messages.slice(0, 50) }, done, error }, status);
    };
    r.get('/held-mail', (req, res) => {
      const q = req.query as Record<string, string | undefined>;
      const t = translator(locals(res).lang);
      const done = q.done === 'accepted' ? t('held.doneAccepted') : q.done === 'rejected' ? t('held.doneRejected') : null;
      return heldPage(req, res, done, null);
    });
    r.post('/held-mail/:id/:action', async (req, res) => {
      const action = String(req.params.action);
      if (action !== 'accept' && action !== 'reject') return render(req, res, 'error', { message: 'error.notFound' }, 404);
      try {
        await (action === 'accept' ? held.accept : held.reject)(String(req.params.id), me(res));
        res.redirect(303, `/console/held-mail?done=${action === 'accept' ? 'accepted' : 'rejected'}`);
      } catch (err) {
        const errors = formErrors(err, locals(res).lang);
        if (!errors || isKind(err, 'not_found') || isKind(err, 'forbidden')) throw err;
        await heldPage(req, res, null, errors.form, formStatus(err));
      }
    });
  }

  // ---- A phone call: find the requester, then the ticket form for their customer's plan.
  async function phonePage(req: Request, res: Response, values: Record<string, string>, errors: FormErrors | null, status = 200) {
    const email = values.requesterEmail?.toLowerCase();
    const requester = email ? await User.findOne({ where: { [Op.and]: [where(fn('lower', col('email')), email), { role: 'requester' }] } }) : null;
    let context = null;
    if (requester) {
      const customer = await findCustomer(requester.customerId!);
      const now = Date.now();
      const e = (await loadEntitlement(customer.id, now))!;
      const entitlement = await entitlementView(customer, now, e);
      context = { requester, customer, entitlement, products: e.products.filter((x) => productSupportState(x, now) === 'in_force') };
    }
    const lookupError = Boolean(email && !requester);
    render(req, res, 'console-phone', { values, context, lookupError, impacts: IMPACTS, errors: errors ?? { fields: {}, form: null } }, status);
  }

  r.get('/phone', (req, res) => phonePage(req, res, compact(req.query as Record<string, unknown>, ['requesterEmail']), null));

  r.post('/phone', async (req, res) => {
    const values = compact(req.body ?? {}, PHONE_FIELDS);
    try {
      if (!canWork(res)) throw new DomainError('forbidden', 'FORBIDDEN', 'this role may not file tickets');
      const requester = await User.findOne({ where: { [Op.and]: [where(fn('lower', col('email')), (values.requesterEmail ?? '').toLowerCase()), { role: 'requester' }] } });
      if (!requester) throw new DomainError('unprocessable', 'UNKNOWN_REQUESTER', 'no such requester');
      const body = createTicketBody.parse({
        type: values.type,
        impact: values.impact,
        subject: values.subject,
        description: values.description,
        channel: 'phone',
        requesterId: requester.id,
        ...(values.productId ? { productId: values.productId } : {}),
        ...(values.endUserEmail || values.endUserName ? { endUser: { email: values.endUserEmail ?? '', ...(values.endUserName ? { name: values.endUserName } : {}) } } : {}),
      });
      const { ticket } = await deps.tickets.intake(body, me(res));
      res.redirect(303, `/console/tickets/${ticket.number}?done=phone`);
    } catch (err) {
      const errors = formErrors(err, locals(res).lang);
      if (!errors) throw err;
      await phonePage(req, res, values, errors, formStatus(err));
    }
  });
  return r;
}
