// The scheduled work on the real server: each Advanced customer's monthly report (month edges in
// its time zone), the Advanced term keeper on a one-second Schedule (a reminder, then the fall back
// to Standard on time with nobody calling the API), and the lead's daily digest.
import { expect } from 'chai';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import { randomBytes } from 'node:crypto';
import { LEAD, eventually, secondsPolicy, startTestSystem, type TestSystem } from '../support/harness';
import { octoberTickets, seedTickets } from '../support/report-seed';
import { ensureSchedules, SCHEDULE_IDS } from '../../temporal/schedules';

describe('scheduled work on Temporal Schedules', function () {
  let t: TestSystem;
  let acme: { id: string; primary: string; second: string };
  const suffix = randomBytes(3).toString('hex');

  /** A customer on Advanced since `startsAt`, with a primary and a second requester. */
  async function advancedCustomer(name: string, startsAt: string, term: 'annual' | 'monthly') {
    const c = await t.admin('POST', '/api/customers', { name });
    expect(c.status).to.equal(201);
    const since = '2026-01-01T00:00:00Z';
    expect((await t.admin('POST', `/api/customers/${c.body.id}/products`, { brand: 'Veeam', name: 'Backup', technology: 'backup', purchaseConfirmedAt: since, licensesDeliveredAt: since })).status).to.equal(201);
    const sub = await t.admin('POST', `/api/customers/${c.body.id}/subscriptions`, { plan: 'advanced', term, startsAt });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    const primary = `primary.${name.toLowerCase()}.${suffix}@customer.test`;
    const second = `second.${name.toLowerCase()}.${suffix}@customer.test`;
    for (const email of [primary, second]) {
      const user = await t.admin('POST', `/api/customers/${c.body.id}/users`, { name: email.split('@')[0], email });
      expect(user.status, JSON.stringify(user.body)).to.equal(201);
    }
    return { id: c.body.id as string, primary, second, subscription: sub.body.subscription };
  }

  const run = (workflowType: string, asOf?: string) =>
    t.sys.temporal.workflow.execute(workflowType, { taskQueue: t.taskQueue, workflowId: `${workflowType}-${suffix}-${Math.random().toString(36).slice(2)}`, args: [asOf ? { asOf: Date.parse(asOf) } : {}] });

  before(async () => {
    t = await startTestSystem({ label: 'scheduled', policy: secondsPolicy() });
    acme = await advancedCustomer('Acme', '2026-09-15T12:00:00Z', 'annual');
    const beta = await t.createCustomerFixture('standard');
    await seedTickets(t.sys.sequelize, octoberTickets(acme.id, beta.id));
  });
  after(async () => t?.stop());

  it("on the 1st, each Advanced customer gets the previous month's report, once, for its own month in its own time zone", async () => {
    // Nov 1, 08:00 in Santiago: October's report.
    const first = await run('monthlySlaReportsWorkflow', '2026-11-01T11:00:00Z');
    expect(first.sent).to.equal(1);
    expect(first.month).to.equal('2026-10');
    const mail = await t.inbox.waitFor((m) => m.to.includes(acme.primary) && /SLA report for 2026-10/.test(m.subject));
    // Acme's October: T1 T2 T3 T7; 6 of 8 decided targets met.
    expect(mail.subject).to.equal('Your SLA report for 2026-10: 75.0 % of targets met');
    expect(mail.cc).to.deep.equal([acme.second]);
    expect(mail.text).to.contain('Tickets received: 4');
    expect(mail.text).to.contain('First response on time: 3 of 4 decided (75.0 %)');
    expect(mail.text).to.match(/Where we missed a target:\n {2}#\d+ seed T2 \(response\)\n {2}#\d+ seed T3 \(resolution\)/);
    const csv = mail.attachments.find((a) => a.filename === 'sla-report-2026-10.csv');
    expect(csv, 'CSV attached').to.not.equal(undefined);
    const rows = parse(csv!.content, { columns: true }) as Record<string, string>[];
    expect(rows.find((r) => r.group === 'total')).to.include({ received: '4', compliance_pct: '75.0' });

    // The same run again (a retry, a backfill): nothing is sent twice.
    const again = await run('monthlySlaReportsWorkflow', '2026-11-01T11:00:00Z');
    expect(again.sent).to.equal(0);
    expect(t.inbox.find((m) => m.to.includes(acme.primary) && /SLA report for 2026-10/.test(m.subject))).to.have.length(1);

    // 02:00Z on Nov 1 is still Oct 31 in Santiago: the month before is September there.
    const early = await run('monthlySlaReportsWorkflow', '2026-11-01T02:00:00Z');
    expect(early.month).to.equal('2026-09');
    const sept = await t.inbox.waitFor((m) => m.to.includes(acme.primary) && /SLA report for 2026-09/.test(m.subject));
    expect(sept.text).to.contain('Tickets received: 0');
  });

  it("the lead's digest lists yesterday's breaches and today's risks in the team's time zone", async () => {
    // Beta's T4 falls due on Oct 21 at 17:00 in Santiago, not breached yet.
    await t.sys.sequelize.query(`UPDATE tickets SET next_due_at = '2026-10-21T20:00:00Z', response_due_at = '2026-10-21T20:00:00Z' WHERE subject = 'seed T4'`);
    const r = await run('leadDigestWorkflow', '2026-10-21T12:00:00Z');
    expect(r).to.deep.equal({ sent: true, breached: 1, atRisk: 1 });
    const mail = await t.inbox.waitFor((m) => m.to.includes(LEAD) && /^Support digest 2026-10-21/.test(m.subject));
    expect(mail.subject).to.equal('Support digest 2026-10-21: 1 breached yesterday, 1 at risk today');
    expect(mail.text).to.match(/Breached yesterday: 1\n {2}#\d+ \[advanced B\] seed T3 \(Acme\) · resolution breached 20 October 2026 at 14:00/);
    expect(mail.text).to.match(/At risk today .*: 1\n {2}#\d+ \[standard C\] seed T4 .* · response due 21 October 2026 at 17:00 · unassigned/);
  });

  it('on its Schedule, the term keeper reminds before an unrenewed term ends and switches the customer to Standard on time', async function () {
    this.timeout(60_000);
    const prefix = `test-${suffix}-`;
    const ids = await ensureSchedules(t.sys.temporal, { taskQueue: t.taskQueue, idPrefix: prefix, termCheckEvery: '1 second' });
    try {
      // The schedules as ops see them.
      const monthly = await t.sys.temporal.schedule.getHandle(prefix + SCHEDULE_IDS.monthlyReports).describe();
      expect(monthly.spec.calendars?.[0]).to.deep.include({ dayOfMonth: [{ start: 1, end: 1, step: 1 }] });
      expect(monthly.spec.timezone).to.equal('America/Santiago');
      expect(ids).to.have.length(3);

      // A monthly term that began a month ago (less 8 s): it ends 8 s from now, unrenewed.
      const startsAt = DateTime.now().setZone('America/Santiago').minus({ months: 1 }).plus({ seconds: 8 }).toUTC().toISO()!;
      const shortly = await advancedCustomer('Shortly', startsAt, 'monthly');
      const endsAt = Date.parse(shortly.subscription.endsAt);
      expect(endsAt - Date.now()).to.be.within(4_000, 9_000);

      const reminder = await t.inbox.waitFor((m) => m.to.includes(shortly.primary) && /^Your Advanced support plan ends on/.test(m.subject), 10_000);
      expect(reminder.text).to.contain('has not been renewed');
      expect(reminder.text).to.contain(`These requesters will be suspended until Advanced is back: ${shortly.second}`);

      const switched = await t.inbox.waitFor((m) => m.to.includes(shortly.primary) && m.subject === 'Your support plan is now Standard', 20_000);
      // Nobody called the API: the one-second keeper found the end and told the customer.
      expect(switched.receivedAt - endsAt).to.be.within(0, 4_000);
      const audit = await t.admin('GET', `/api/audit-log?targetType=subscription&targetId=${shortly.subscription.id}`);
      const entry = audit.body.entries.find((e: any) => e.action === 'subscription.ended_to_standard');
      expect(entry.at).to.equal(new Date(endsAt).toISOString());
      expect(entry.data.suspendedRequesters).to.deep.equal([shortly.second]);
      const ent = await t.admin('GET', `/api/customers/${shortly.id}/entitlement`);
      expect(ent.body.plan).to.equal('standard');
      expect(ent.body.requesters).to.deep.equal({ limit: 1, active: 1 });

      // The keeper keeps running every second: still exactly one reminder and one switch mail.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(t.inbox.find((m) => m.to.includes(shortly.primary) && /^Your Advanced support plan ends on/.test(m.subject))).to.have.length(1);
      expect(t.inbox.find((m) => m.to.includes(shortly.primary) && m.subject === 'Your support plan is now Standard')).to.have.length(1);

      // Ops can run a schedule now from the UI or CLI: the digest arrives for today.
      await t.sys.temporal.schedule.getHandle(prefix + SCHEDULE_IDS.leadDigest).trigger();
      const today = DateTime.now().setZone('America/Santiago').toISODate();
      await eventually(async () => t.inbox.find((m) => m.to.includes(LEAD) && m.subject.startsWith(`Support digest ${today}`)).length === 1, 15_000, 'triggered digest');
    } finally {
      for (const id of ids) await t.sys.temporal.schedule.getHandle(id).delete().catch(() => undefined);
    }
  });
});
