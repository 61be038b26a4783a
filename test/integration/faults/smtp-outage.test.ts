// Fault: the mail server refuses everything for a while (451), then comes back. SLA clocks do not
// wait for e-mail; every e-mail goes out once SMTP is back, each exactly once.
import { expect } from 'chai';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../../support/harness';
import { LONG, expectNothingLost } from '../../support/faults';

describe('fault: SMTP refusing for a while, then back', function () {
  this.timeout(LONG ? 900_000 : 120_000);
  let t: TestSystem;

  before(async () => {
    t = await startTestSystem({ label: 'smtp', policy: secondsPolicy() });
  });
  after(async () => t?.stop());

  it('breaches are recorded on time while mail is down; every e-mail is delivered once when it is back', async () => {
    const customers = await Promise.all([1, 2].map(() => t.createCustomer('advanced')));
    t.inbox.refusing = true;
    const count = LONG ? 100 : 12;
    const tickets = await Promise.all(Array.from({ length: count }, (_, i) => t.createTicket(customers[i % 2], { impact: 'A' })));
    // The clocks do not wait for the mail server: every breach is recorded while it still refuses.
    await eventually(
      async () => {
        for (const x of tickets) {
          const v = (await t.api('GET', `/api/tickets/${x.id}`)).body;
          if (v.events.filter((e: any) => e.type === 'sla_breached').length !== 2) return false;
        }
        return true;
      },
      LONG ? 300_000 : 30_000,
      'every breach recorded while SMTP refuses',
    );
    expect(t.inbox.refused, 'the mail server did refuse').to.be.greaterThan(0);
    // The refused e-mails wait in the outbox with their back-off and the reason.
    const ids = tickets.map((x) => x.id);
    await eventually(async () => (await outbox(ids)).failed > 0, 30_000, 'refused e-mails waiting in the outbox');
    expect((await outbox(ids)).errors.join('\n')).to.match(/451/);
    expect(t.inbox.messages.filter((m) => tickets.some((x) => m.subject.includes(`#${x.number}]`))), 'nothing got through while refusing').to.have.length(0);
    await sleep(LONG ? 30_000 : 2_000); // and it stays down a while longer
    t.inbox.refusing = false;
    await expectNothingLost(t, tickets, LONG ? 600_000 : 60_000);
    // Sent, so gone from the outbox.
    await eventually(async () => (await outbox(ids)).rows === 0, 10_000, 'the outbox emptied');
  });

  async function outbox(ticketIds: string[]) {
    const [rows] = await t.sys.sequelize.query('SELECT attempts, last_error FROM mail_outbox WHERE ticket_id IN (:ids)', { replacements: { ids: ticketIds } });
    const r = rows as Array<{ attempts: number; last_error: string | null }>;
    return { rows: r.length, failed: r.filter((x) => x.last_error !== null && x.attempts > 0).length, errors: r.flatMap((x) => (x.last_error ? [x.last_error] : [])) };
  }
});
