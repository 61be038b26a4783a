// A requester's pages: their tickets, the form to file one (offering only what the plan allows),
// and each ticket with its deadlines and history. The intake and every rule are services/tickets.ts'.
import { Router, type Request, type Response } from 'express';
import type { WebDeps } from '../web-deps';
import { requirePage } from '../require-page';
import { sendAttachment } from '../attachments';
import { render, locals } from '../render';
import { compact, formErrors, type FormErrors } from '../forms';
import { createTicketBody, listTicketsQuery } from '../../api/schemas';
import { findCustomer } from '../../services/customers';
import { entitlementView, loadEntitlement } from '../../services/entitlements';
import { currentPolicy } from '../../services/sla-policy';
import { productSupportState } from '../../domain/entitlements';
import { targetsFor } from '../../domain/sla-policy';
import { IMPACTS } from '../../domain/plans';
import { TicketAttachment } from '../../db/models';
import { eventDetail } from '../view-models';
import type { Principal } from '../../services/access';

const FORM_FIELDS = ['type', 'impact', 'productId', 'subject', 'description', 'endUserName', 'endUserEmail'] as const;

export function requesterRoutes(deps: WebDeps): Router {
  const r = Router();
  // E-mails link every reader to /tickets/<id>: the support team is sent on to the console's page.
  r.use((req, res, next) => {
    const p = locals(res).principal;
    if (!p || p.role === 'requester') return next();
    const m = /^\/([^/]+)$/.exec(req.path);
    res.redirect(303, m && m[1] !== 'new' ? `/console/tickets/${encodeURIComponent(m[1])}` : '/console');
  });
  r.use(requirePage((p) => p.role === 'requester'));
  const me = (res: Response) => locals(res).principal as Principal;

  r.get('/', async (req, res) => {
    const p = me(res);
    const customer = await findCustomer(p.customerId!);
    const [list, entitlement] = await Promise.all([deps.tickets.list(listTicketsQuery.parse({ limit: '200' }), p), entitlementView(customer)]);
    render(req, res, 'tickets', { tickets: list.tickets, entitlement, customer, timezone: customer.timezone });
  });

  async function newForm(req: Request, res: Response, values: Record<string, string>, errors: FormErrors | null, status = 200) {
    const p = me(res);
    const customer = await findCustomer(p.customerId!);
    const now = Date.now();
    const e = (await loadEntitlement(customer.id, now))!;
    const [entitlement, { policy }] = await Promise.all([entitlementView(customer, now, e), currentPolicy()]);
    const targets = Object.fromEntries(IMPACTS.map((i) => [i, targetsFor(policy, e.plan, i)]));
    render(req, res, 'ticket-new', {
      entitlement,
      timezone: customer.timezone,
      products: e.products.filter((x) => productSupportState(x, now) === 'in_force'),
      impacts: IMPACTS,
      targets,
      values,
      errors: errors ?? { fields: {}, form: null },
    }, status);
  }

  r.get('/new', (req, res) => newForm(req, res, { impact: 'B' }, null));

  r.post('/', async (req, res) => {
    const p = me(res);
    const values = compact(req.body ?? {}, FORM_FIELDS);
    const customer = await findCustomer(p.customerId!);
    try {
      const body = createTicketBody.parse({
        type: values.type,
        impact: values.impact,
        subject: values.subject,
        description: values.description,
        channel: 'web',
        ...(values.productId ? { productId: values.productId } : {}),
        ...(values.endUserEmail || values.endUserName ? { endUser: { email: values.endUserEmail ?? '', ...(values.endUserName ? { name: values.endUserName } : {}) } } : {}),
      });
      const { ticket } = await deps.tickets.intake(body, p);
      res.redirect(303, `/tickets/${ticket.number}?filed=1`);
    } catch (err) {
      const errors = formErrors(err, locals(res).lang, customer.timezone);
      if (!errors) throw err;
      await newForm(req, res, values, errors, 422);
    }
  });

  r.get('/:number', async (req, res) => {
    const p = me(res);
    const ticket = await deps.tickets.get(String(req.params.number), p);
    const customer = await findCustomer(p.customerId!);
    const attachments = await TicketAttachment.findAll({ where: { ticketId: ticket.id }, attributes: ['id', 'filename', 'size', 'contentType'], order: [['createdAt', 'ASC']] });
    render(req, res, 'ticket', {
      ticket,
      filed: req.query.filed === '1',
      timezone: customer.timezone,
      // Already the customer's view of the history (domain/visibility.ts), as the API gives it to them.
      events: ticket.events.map((e) => ({ ...e, detail: eventDetail(e) })),
      attachments,
    });
  });

  r.get('/:number/attachments/:id', async (req, res) => {
    const ticket = await deps.tickets.findTicket(String(req.params.number), me(res));
    await sendAttachment(res, ticket.id, String(req.params.id));
  });
  return r;
}
