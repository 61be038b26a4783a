// The people's pages over plain HTTP (no JavaScript needed): sign-in by token and by one-time link,
// CSRF, Spanish and English, the requester's form offering only what the plan allows while the
// server refuses the rest, the console's queue, steps and phone calls, and an API that stays JSON.
import { expect } from 'chai';
import { eventually, secondsPolicy, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient, csrfOf, textOf } from '../support/web-client';

describe('web pages', function () {
  let t: TestSystem;

  before(async () => {
    t = await startTestSystem({ label: 'web', policy: secondsPolicy({ B: { response: 'PT60S', resolution: 'PT120S' } }) });
  });
  after(async () => t?.stop());

  async function signedIn(token: string, headers: Record<string, string> = {}) {
    const web = new WebClient(t.url, headers);
    const page = await web.submit('/sign-in', '/sign-in/token', { token });
    return { web, page };
  }

  it('speaks Spanish by default, English when asked (remembered), with a lang attribute and labelled fields', async () => {
    const web = new WebClient(t.url);
    const es = await web.get('/sign-in');
    expect(es.status).to.equal(200);
    expect(es.html).to.contain('<html lang="es">');
    expect(es.html).to.contain('Iniciar sesión');
    expect(es.html).to.match(/<label for="token">/);
    const en = await web.get('/sign-in?lang=en');
    expect(en.html).to.contain('<html lang="en">');
    expect(en.html).to.contain('Sign in with the token');
    expect((await web.get('/sign-in')).html).to.contain('<html lang="en">');
    const browser = await new WebClient(t.url, { 'accept-language': 'en-US,en;q=0.9' }).get('/');
    expect(browser.html).to.contain('<html lang="en">');
  });

  it('signs a requester in with their token; refuses a wrong token, and any form without its CSRF token', async () => {
    const c = await t.createCustomerFixture('standard');
    const { web, page } = await signedIn(c.requesterToken);
    expect(page.url).to.match(/\/tickets$/);
    expect(page.html).to.contain('Mis casos');

    const wrong = await new WebClient(t.url).submit('/sign-in', '/sign-in/token', { token: 'lcs_nope' });
    expect(wrong.status).to.equal(401);
    expect(textOf(wrong.html, 'sign-in-error')).to.contain('no es válido');

    const forged = await web.request('POST', '/tickets', { type: 'problem', impact: 'A', subject: 'x', description: 'y' });
    expect(forged.status).to.equal(403);
    expect(forged.html).to.contain('El formulario expiró');
    // A token from another browser does not pass either.
    const other = await new WebClient(t.url).get('/sign-in');
    const stolen = await web.request('POST', '/tickets', { _csrf: csrfOf(other.html), type: 'problem', impact: 'A', subject: 'x', description: 'y' });
    expect(stolen.status).to.equal(403);
  });

  it('signs in with a one-time link sent by e-mail, which works once', async () => {
    const c = await t.createCustomerFixture('standard');
    const web = new WebClient(t.url);
    const sent = await web.submit('/sign-in?lang=en', '/sign-in/link', { email: c.requesterEmail.toUpperCase() });
    expect(sent.html).to.contain(`If ${c.requesterEmail} belongs to an account`);
    const mail = await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.subject === 'Your sign-in link');
    const link = /http:\/\/\S+\/sign-in\/link\/\S+/.exec(mail.text)![0];
    const path = new URL(link).pathname;
    const confirm = await web.get(path);
    expect(confirm.html).to.contain('Finish signing in');
    const home = await web.submit(confirm, path, {});
    expect(home.url).to.match(/\/tickets$/);
    const again = await new WebClient(t.url).submit(path, path, {});
    expect(again.status).to.equal(401);

    // An unknown address gets the same answer and no e-mail.
    const before = t.inbox.messages.length;
    const unknown = await new WebClient(t.url).submit('/sign-in?lang=en', '/sign-in/link', { email: 'nobody@nowhere.test' });
    expect(unknown.html).to.contain('If nobody@nowhere.test belongs to an account');
    expect(t.inbox.messages.length).to.equal(before);
  });

  it('offers a Standard requester only the plan\'s ticket types, shows the quota, and the server refuses the rest next to the field', async () => {
    const c = await t.createCustomerFixture('standard');
    const { web } = await signedIn(c.requesterToken);
    const form = await web.get('/tickets/new?lang=en');
    expect(form.html).to.contain('<option value="problem"');
    expect(form.html).to.contain('<option value="query"');
    expect(form.html).to.not.contain('<option value="request"');
    expect(form.html).to.not.contain('name="endUserEmail"');
    expect(textOf(form.html, 'quota')).to.equal('Tickets left this month: 3 of 3.');

    // A hand-made request for what the form does not offer.
    const refused = await web.submit(form, '/tickets', { type: 'request', impact: 'B', subject: 'Install', description: 'Please install it' });
    expect(refused.status).to.equal(422);
    expect(textOf(refused.html, 'type-error')).to.equal('The Standard plan covers Problem, Query tickets; "Service request" needs the Advanced plan.');
    expect(refused.html).to.match(/id="type"[^>]*aria-invalid="true"/);
    // What was typed is kept.
    expect(refused.html).to.contain('value="Install"');

    const missing = await web.submit(form, '/tickets', { type: 'problem', impact: 'B', subject: '', description: 'x' });
    expect(missing.status).to.equal(422);
    expect(textOf(missing.html, 'subject-error')).to.equal('Fill this in.');

    const filed = await web.submit(form, '/tickets', { type: 'problem', impact: 'B', subject: '<script>alert(1)</script> down', description: 'Since 9:00' });
    expect(filed.status).to.equal(200);
    const number = /\/tickets\/(\d+)\?filed=1$/.exec(filed.url)![1];
    expect(textOf(filed.html, 'filed')).to.contain(`Ticket #${number} received`);
    expect(filed.html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt; down');
    expect(filed.html).to.not.contain('<script>alert(1)');
    const api = await t.api('GET', `/api/tickets/${number}`);
    expect(api.body.channel).to.equal('web');
    expect(filed.html).to.contain(`data-due="${api.body.responseDueAt}"`);
    expect(filed.html).to.contain(`data-due="${api.body.resolutionDueAt}"`);

    const list = await web.get('/tickets');
    expect(list.html).to.contain(`href="/tickets/${number}"`);
    expect(list.html).to.contain('data-quota-remaining="2"');
  });

  it('offers an Advanced requester service requests and an end user', async () => {
    const c = await t.createCustomerFixture('advanced');
    const { web } = await signedIn(c.requesterToken);
    const form = await web.get('/tickets/new');
    expect(form.html).to.contain('<option value="request"');
    expect(form.html).to.contain('name="endUserEmail"');
    const filed = await web.submit(form, '/tickets', { type: 'request', impact: 'C', subject: 'New mailbox', description: 'For Pedro', endUserName: 'Pedro', endUserEmail: 'pedro@customer.test' });
    const number = /\/tickets\/(\d+)\?filed=1$/.exec(filed.url)![1];
    const api = await t.api('GET', `/api/tickets/${number}`);
    expect(api.body.type).to.equal('request');
  });

  it('keeps the console to staff; a technician works a ticket from it and logs phone calls (refused for Standard)', async () => {
    const std = await t.createCustomerFixture('standard');
    const adv = await t.createCustomerFixture('advanced');
    const ticket = await t.createTicket(adv.id, { impact: 'B' });

    const requester = (await signedIn(std.requesterToken)).web;
    expect((await requester.get('/console')).status).to.equal(403);
    // Another customer's ticket is a page that does not exist, as in the API.
    const notHers = await requester.get(`/tickets/${ticket.number}`);
    expect(notHers.status).to.equal(404);
    expect(notHers.html).to.contain('Aquí no hay nada.');
    expect((await new WebClient(t.url).get('/console')).url).to.match(/\/sign-in\?next=%2Fconsole$/);

    const { web, page } = await signedIn(t.techToken, { 'accept-language': 'en' });
    expect(page.url).to.match(/\/console$/);
    expect(page.html).to.contain(`data-ticket="${ticket.number}"`);
    // Colour for the state of each clock: Advanced A answers within 2 s here, so it is soon breached.
    const late = await t.createTicket(adv.id, { impact: 'A' });
    await eventually(async () => {
      const html = (await web.get('/console')).html;
      const row = html.slice(html.indexOf(`data-ticket="${late.number}"`), html.indexOf('</tr>', html.indexOf(`data-ticket="${late.number}"`)));
      return /data-name="response"[^>]*data-risk="breached"/.test(row) && /class="countdown risk-breached"/.test(row);
    }, 10_000, 'breached colour');
    expect((await web.get('/console')).html).to.match(new RegExp(`data-ticket="${ticket.number}"[\\s\\S]*?data-name="response"[^>]*data-risk="ok"`));
    const unassigned = await web.get('/console?assignee=none&impact=B&plan=advanced');
    expect(unassigned.html).to.contain(`data-ticket="${ticket.number}"`);
    const mine = await web.get('/console?assignee=me');
    expect(mine.html).to.not.contain(`data-ticket="${ticket.number}"`);

    // The link in the e-mails (/tickets/<id>) takes the support team to the console's page.
    const viaMailLink = await web.get(`/tickets/${ticket.id}`);
    expect(viaMailLink.url).to.match(new RegExp(`/console/tickets/${ticket.id}$`));
    expect(viaMailLink.html).to.contain(`Ticket #${ticket.number}`);
    const tp = await web.get(`/console/tickets/${ticket.number}`);
    expect(tp.html).to.contain(`href="http://localhost:8233/namespaces/default/workflows/ticket-${ticket.number}"`);
    expect(tp.html).to.contain('id="step-respond"');
    expect(tp.html).to.contain('id="request-brand"');
    expect(tp.html).to.not.contain('id="step-reopen"');
    const assigned = await web.submit(tp, `/console/tickets/${ticket.number}/steps/assign`, { assigneeId: t.techId });
    expect(textOf(assigned.html, 'done')).to.equal('Done: assign.');
    expect((await web.get('/console?assignee=me')).html).to.contain(`data-ticket="${ticket.number}"`);
    const answered = await web.submit(assigned, `/console/tickets/${ticket.number}/steps/respond`, { via: 'phone', message: 'Called the customer' });
    expect(textOf(answered.html, 'status')).to.equal('In progress');
    expect(answered.html).to.match(/data-name="response" data-status="met"/);
    // A step the state no longer allows: the service's refusal, in words.
    const twice = await web.submit(answered, `/console/tickets/${ticket.number}/steps/respond`, { via: 'phone', message: 'Again' });
    expect(twice.status).to.equal(409);
    expect(textOf(twice.html, 'refused')).to.contain('Not possible in the ticket\'s current state (In progress)');

    // Advanced: a remote session, held by the technician who asks for it, from the ticket's page.
    const session = await web.submit(twice, `/console/tickets/${ticket.number}/sessions/request/remote`, { agenda: 'Look at the relay together' });
    expect(textOf(session.html, 'done')).to.equal('Done: session-remote.');
    // The session workflow records itself a moment later; the page lists it once it has.
    await eventually(async () => (await web.get(`/console/tickets/${ticket.number}`)).html.includes(`data-session="ticket-${ticket.number}-remote-1"`), 15_000, 'session listed');

    const phoneStd = await web.get(`/console/phone?requesterEmail=${encodeURIComponent(std.requesterEmail)}`);
    expect(phoneStd.html).to.contain('id="phone-not-in-plan"');
    const refused = await web.submit(phoneStd, '/console/phone', { requesterEmail: std.requesterEmail, type: 'problem', impact: 'A', subject: 'Called', description: 'By phone' });
    expect(refused.status).to.equal(422);
    expect(textOf(refused.html, 'form-error')).to.equal('The Standard plan takes tickets by e-mail, web form, API only, not by phone.');

    const phoneAdv = await web.get(`/console/phone?requesterEmail=${encodeURIComponent(adv.requesterEmail)}`);
    const logged = await web.submit(phoneAdv, '/console/phone', { requesterEmail: adv.requesterEmail, type: 'problem', impact: 'A', subject: 'Called about backups', description: 'By phone' });
    const number = /\/console\/tickets\/(\d+)\?done=phone$/.exec(logged.url)![1];
    const api = await t.api('GET', `/api/tickets/${number}`);
    expect(api.body.channel).to.equal('phone');
    expect(api.body.requester.email).to.equal(adv.requesterEmail);
  });

  it('leaves the API as it was: JSON only, its one error shape, bearer tokens only', async () => {
    const c = await t.createCustomerFixture('standard');
    const { web } = await signedIn(c.requesterToken);
    // A browser session is no API credential.
    const viaCookie = await web.get('/api/tickets');
    expect(viaCookie.status).to.equal(401);
    expect(JSON.parse(viaCookie.html).error.code).to.equal('UNAUTHENTICATED');
    const nope = await t.api('GET', '/nope');
    expect(nope.status).to.equal(404);
    expect(nope.body.error.code).to.equal('ROUTE_NOT_FOUND');
    const form = await fetch(`${t.url}/api/tickets`, { method: 'POST', headers: { authorization: `Bearer ${c.requesterToken}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'type=problem' });
    expect(form.status).to.equal(415);
  });
});
