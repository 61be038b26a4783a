// "At risk" on the pages comes from each ticket's own escalation chain (domain/at-risk.ts): a
// ticket received under a policy whose first warning is at 10 % turns at risk at 10 %, one received
// under a chain with no warning is never at risk, only late. The console, the requester's page and
// the API agree, and the live script is handed the instant, not a fraction of its own.
import { expect } from 'chai';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient } from '../support/web-client';
import type { EscalationLevel } from '../../domain/escalation';

/** The attributes of one countdown (`name`) in the part of a page after `anchor`. */
function countdownOf(html: string, anchor: string, name: 'response' | 'resolution'): Record<string, string> {
  const from = html.indexOf(anchor);
  if (from < 0) throw new Error(`${anchor} is not on the page`);
  const m = new RegExp(`<span class="countdown[^"]*" data-countdown data-name="${name}"([^>]*)>`).exec(html.slice(from));
  if (!m) throw new Error(`no ${name} countdown after ${anchor}`);
  return Object.fromEntries([...m[1].matchAll(/([a-z-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
}

describe('at risk follows the policy\'s first warning (pages)', function () {
  let t: TestSystem;
  let tech: WebClient;
  before(async () => {
    t = await startTestSystem({ label: 'at_risk', policy: secondsPolicy() });
    tech = new WebClient(t.url, { 'accept-language': 'en' });
    await tech.submit('/sign-in', '/sign-in/token', { token: t.techToken });
  });
  after(async () => t?.stop());

  async function usePolicy(escalation: EscalationLevel[], response: string, resolution: string) {
    const base = secondsPolicy();
    const policy = { ...base, escalation, targets: { ...base.targets, advanced: { ...base.targets.advanced, B: { response, resolution } } } };
    const r = await t.admin('PUT', '/api/sla-policy', policy);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
  }

  it('colours a ticket at its own chain\'s first warning, and never one whose chain has none', async () => {
    const adv = await t.createCustomerFixture('advanced');
    await usePolicy([{ at: 0.1, notify: 'assignee_or_lead' }, { at: 1, notify: 'lead' }], 'PT60S', 'PT120S');
    const early = await t.createTicket(adv.id, { impact: 'B', subject: 'first warning at 10 %' });
    await usePolicy([{ at: 1, notify: 'lead' }], 'PT20S', 'PT40S');
    const none = await t.createTicket(adv.id, { impact: 'B', subject: 'no warning before the breach' });

    // The API names the level each ticket turns at risk at, copied from the policy it was received under.
    expect((await t.api('GET', `/api/tickets/${early.number}`)).body.targets).to.deep.include({ responseMs: 60_000, warningThreshold: 0.1 });
    expect((await t.api('GET', `/api/tickets/${none.number}`)).body.targets).to.deep.include({ responseMs: 20_000, warningThreshold: null });

    // The live script gets the instant: the due time less the 90 % of the target left at 10 %.
    const queue = (await tech.get('/console')).html;
    const riskFrom = (due: string, leftMs: number) => new Date(Date.parse(due) - leftMs).toISOString();
    expect(countdownOf(queue, `data-ticket="${early.number}"`, 'response')['data-risk-from']).to.equal(riskFrom(early.responseDueAt, 54_000));
    expect(countdownOf(queue, `data-ticket="${early.number}"`, 'resolution')['data-risk-from']).to.equal(riskFrom(early.resolutionDueAt, 108_000));
    expect(countdownOf(queue, `data-ticket="${none.number}"`, 'response')['data-risk-from']).to.equal('');
    // The requester's page says the same (one definition for both sides).
    const requester = new WebClient(t.url);
    await requester.submit('/sign-in', '/sign-in/token', { token: adv.requesterToken });
    const page = (await requester.get(`/tickets/${early.number}`)).html;
    expect(countdownOf(page, 'id="response-due"', 'response')['data-risk-from']).to.equal(riskFrom(early.responseDueAt, 54_000));

    // 10 % of 60 s: at risk from 6 s on, long before the 75 % a fixed rule would wait for.
    await eventually(async () => countdownOf((await tech.get('/console')).html, `data-ticket="${early.number}"`, 'response')['data-risk'] === 'at-risk', 20_000, 'the early ticket at risk');

    // No warning level: past 80 % of its 20 s (where 75 % would colour it) and before its due time, still ok.
    const received = Date.parse(none.receivedAt);
    await sleep(Math.max(0, received + 16_000 - Date.now()));
    let seen: string | undefined;
    while (!seen && Date.now() < received + 20_000) {
      const asked = Date.now();
      const risk = countdownOf((await tech.get('/console')).html, `data-ticket="${none.number}"`, 'response')['data-risk'];
      if (asked >= received + 16_000 && Date.now() < received + 20_000) seen = risk;
    }
    expect(seen, 'a page drawn between 80 % and 100 % of the target').to.equal('ok');
    await eventually(async () => countdownOf((await tech.get('/console')).html, `data-ticket="${none.number}"`, 'response')['data-risk'] === 'breached', 20_000, 'the breach');
  });
});
