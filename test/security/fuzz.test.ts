// Intake and inbound mail fed what fast-check makes up (any Unicode, NUL and lone surrogates, right
// to left marks, emoji, lines of a megabyte's worth of nothing, HTML, MIME that lies about itself),
// against the running engine. Whatever arrives: never a 5xx, never a 451 (our own trouble) for a
// message, and no ticket left stuck: every ticket taken in is recorded by its workflow.
// FUZZ_SEED replays a run; FAULTS_LONG=1 runs ten times as many cases.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { expect } from 'chai';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { InboundMessage, Ticket } from '../../db/models';
import { eventually, startTestSystem, type CustomerFixture, type TestSystem } from '../support/harness';
import { authenticatedSender } from '../support/mail-auth';
import { LONG } from '../support/faults';

const RUNS = LONG ? 10 : 1;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** Text as strangers write it: any code unit (lone surrogates too), NUL, marks, emoji, long runs. */
const wild = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\u200b', '😀', '\r', '\n', '\t', 'a', ' ', '<', '>', '=', '"', "'"), maxLength }),
    fc.constantFrom('', ' ', '\u0000', 'Impact: A', 'Tipo: consulta', '<script>alert(1)</script>', "' OR 1=1 --", '../../etc/passwd'),
    fc.nat({ max: 50_000 }).map((n) => 'x'.repeat(n)),
  );

describe('fuzz: intake and inbound mail never fail on their own account (security)', function () {
  this.timeout(LONG ? 1_200_000 : 180_000);
  let t: TestSystem;
  let c: CustomerFixture;

  before(async () => {
    // A flood of tickets from one requester is the point here, not what the flood limits stop.
    const plenty = { points: 100_000, windowS: 3600 };
    t = await startTestSystem({ label: 'fuzz', rateLimits: { intakePerRequester: plenty, intakePerCustomer: plenty, endUserCopies: plenty } });
    c = await t.createCustomerFixture('advanced');
  });
  after(async () => t?.stop());

  /** Every ticket taken in was recorded by its workflow ("received"), and none is stuck. */
  async function noneStuck(customerId: string) {
    const ids = (await Ticket.findAll({ where: { customerId }, attributes: ['id'] })).map((x) => x.id);
    await eventually(
      async () => {
        const [row] = await t.sys.sequelize.query<{ unrecorded: number }>(
          `SELECT count(*)::int AS unrecorded FROM tickets t
            WHERE t.customer_id = :customerId AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.type = 'received')`,
          { replacements: { customerId }, type: QueryTypes.SELECT },
        );
        return row.unrecorded === 0;
      },
      60_000,
      `every one of ${ids.length} tickets recorded by its workflow`,
    );
    const [stuck] = await t.sys.sequelize.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_records_stuck', { type: QueryTypes.SELECT });
    expect(stuck.n, 'tickets stuck').to.equal(0);
    return ids.length;
  }

  it('intake: any body, any text, as the API takes it: a ticket or a clear 4xx, never a 5xx', async () => {
    const person = fc.record({ name: fc.option(wild(300), { nil: undefined }), email: fc.oneof(fc.emailAddress(), wild(80)) }, { requiredKeys: ['email'] });
    // Text a person could mean (any script, emoji, marks), within the API's lengths.
    const words = (max: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }).filter((x) => x.trim().length > 0 && [...x].length <= max);
    const plausible = fc.record(
      {
        type: fc.constantFrom('problem', 'query', 'request'),
        impact: fc.constantFrom('A', 'B', 'C'),
        subject: words(300),
        description: fc.oneof(words(2_000), fc.nat({ max: 20_000 }).map((n) => 'ñ'.repeat(Math.max(1, n)))),
        channel: fc.constantFrom('api', 'web'),
        endUser: fc.record({ name: fc.option(words(200), { nil: undefined }), email: fc.emailAddress() }, { requiredKeys: ['email'] }),
      },
      { requiredKeys: ['type', 'impact', 'subject', 'description'] },
    );
    const hostile = fc.record(
      {
        type: fc.oneof(fc.constantFrom('problem', 'query', 'request'), wild(20)),
        impact: fc.oneof(fc.constantFrom('A', 'B', 'C'), wild(3)),
        subject: wild(400),
        description: wild(25_000),
        channel: fc.oneof(fc.constantFrom('api', 'web', 'email', 'phone'), wild(10)),
        endUser: fc.oneof(person, fc.jsonValue({ maxDepth: 2 })),
        productId: fc.oneof(fc.uuid(), wild(40)),
        extra: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: ['type', 'impact', 'subject', 'description'] },
    );
    const body = fc.oneof({ arbitrary: plausible, weight: 1 }, { arbitrary: hostile, weight: 2 });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, fc.option(wild(60), { nil: undefined }), async (b, key) => {
        // Bodies past the API's 100 kB are refused before they are read (413, api-errors.test.ts): the
        // server may close the connection before a client still sending sees the answer.
        fc.pre(Buffer.byteLength(JSON.stringify(b)) < 90_000);
        const headers: Record<string, string> = {};
        // A header value Node refuses to send is the client's to refuse, not the API's to answer.
        if (key !== undefined && /^[\x20-\x7e]*$/.test(key)) headers['idempotency-key'] = key;
        const res = await t.as(c.requesterToken)('POST', '/api/tickets', b, headers);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, JSON.stringify(res.body).slice(0, 500)).to.be.lessThan(500);
        // Headers past Node's 16 kB limit are refused by the HTTP server itself, before the app.
        if (res.status === 431) return;
        if (res.status >= 400) {
          expect(Object.keys(res.body)).to.deep.equal(['error']);
          expect(res.body.error.code).to.match(/^[A-Z_]+$/);
        } else expect(res.status).to.be.oneOf([200, 201]);
      }),
      { includeErrorInReport: true, numRuns: 150 * RUNS, seed },
    );
    // The generator reached past validation too: some became tickets.
    // (A few in 150: most random addresses are ones the API refuses; one is enough to show it.)
    expect(statuses.get(201) ?? 0, JSON.stringify([...statuses])).to.be.greaterThan(0);
    await noneStuck(c.id);
  });

  it('inbound mail: any subject, body, name, attachment or MIME: taken, held or refused for good, never 451, nothing stuck', async () => {
    const m = await t.createCustomerFixture('advanced');
    const smtp = authenticatedSender(t.sys.inboundSmtp!.url);
    const outcomes = new Map<string, number>();
    const message = fc.record({
      subject: wild(300),
      text: fc.option(wild(30_000), { nil: undefined }),
      html: fc.option(wild(5_000).map((s) => `<p>${s}</p><${s}`), { nil: undefined }),
      name: wild(60),
      attachment: fc.option(fc.record({ filename: wild(100), content: fc.uint8Array({ maxLength: 2_000 }) }), { nil: undefined }),
      ticketRef: fc.boolean(),
    });
    let ticketNumber: number | null = null;
    try {
      await fc.assert(
        fc.asyncProperty(message, async (x) => {
          const messageId = `<fuzz.${randomBytes(6).toString('hex')}@customer.test>`;
          const subject = x.ticketRef && ticketNumber ? `Re: [Ticket #${ticketNumber}] ${x.subject}` : x.subject;
          let code = 250;
          try {
            await smtp.send({
              from: { name: x.name, address: m.requesterEmail },
              to: 'support@lastcall.test',
              subject,
              text: x.text,
              html: x.html,
              messageId,
              attachments: x.attachment ? [{ filename: x.attachment.filename, content: Buffer.from(x.attachment.content) }] : [],
            });
          } catch (err) {
            code = Number((err as { responseCode?: number }).responseCode ?? 0);
          }
          // Our own trouble would be a 451: a fuzzed message may be refused, never by us failing.
          expect(code, `SMTP answer to ${JSON.stringify(subject).slice(0, 200)}`).to.be.oneOf([250, 550, 552, 554]);
          if (code !== 250) {
            outcomes.set(`smtp ${code}`, (outcomes.get(`smtp ${code}`) ?? 0) + 1);
            return;
          }
          const row = await eventually(() => InboundMessage.findOne({ where: { messageId } }).then((r) => (r && r.outcome !== 'processing' ? r : null)), 15_000, messageId);
          outcomes.set(row.outcome, (outcomes.get(row.outcome) ?? 0) + 1);
          if (row.outcome === 'ticket_created' && row.ticketId) ticketNumber ??= Number((await Ticket.findByPk(row.ticketId))!.number);
        }),
        { includeErrorInReport: true, numRuns: 60 * RUNS, seed },
      );
    } finally {
      smtp.close();
    }
    expect(outcomes.get('ticket_created') ?? 0, JSON.stringify([...outcomes])).to.be.greaterThan(3);
    await noneStuck(m.id);
  });

  it('inbound mail as raw bytes: broken MIME, lying headers, binary bodies get a 2xx or a 5xx, never a 451, and the listener lives on', async () => {
    const raw = fc.record({
      headers: fc.array(fc.tuple(fc.constantFrom('Subject', 'Content-Type', 'Content-Transfer-Encoding', 'MIME-Version', 'In-Reply-To', 'References', 'X-Whatever', 'From'), wild(200)), { maxLength: 8 }),
      boundary: fc.string({ minLength: 1, maxLength: 20 }),
      body: fc.oneof(wild(20_000), fc.uint8Array({ maxLength: 20_000 }).map((a) => Buffer.from(a).toString('latin1'))),
    });
    await fc.assert(
      fc.asyncProperty(raw, async (r) => {
        const lines = [`From: <nobody.${randomBytes(3).toString('hex')}@elsewhere.test>`, `Message-ID: <raw.${randomBytes(6).toString('hex')}@elsewhere.test>`];
        // Header lines as bytes; a bare CR or LF inside a value folds it or starts a body, as in the wild.
        for (const [k, v] of r.headers) lines.push(`${k}: ${k === 'Content-Type' ? `multipart/mixed; boundary="${r.boundary}"${v}` : v}`);
        const data = `${lines.join('\r\n')}\r\n\r\n--${r.boundary}\r\n${r.body}\r\n`;
        const codes = await smtpSession(t.sys.inboundSmtp!.port, data);
        expect(codes.data, `answer to DATA of ${data.length} bytes`).to.be.oneOf([250, 550, 552, 554]);
      }),
      { includeErrorInReport: true, numRuns: 60 * RUNS, seed },
    );
    // Still serving, and the HTTP side never noticed.
    expect((await smtpSession(t.sys.inboundSmtp!.port, 'From: <a@elsewhere.test>\r\nSubject: hi\r\n\r\nhello\r\n')).data).to.equal(250);
    expect((await fetch(`${t.url}/healthz`)).status).to.equal(200);
  });
});

/** One SMTP conversation over a raw socket; the answer to the end of DATA. Dot-stuffed as RFC 5321 says. */
function smtpSession(port: number, data: string): Promise<{ data: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const script = ['EHLO fuzz.test', 'MAIL FROM:<fuzzer@elsewhere.test>', 'RCPT TO:<support@lastcall.test>', 'DATA'];
    let buffer = '';
    let step = 0;
    let sentData = false;
    socket.setTimeout(30_000, () => socket.destroy(new Error('SMTP session timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      // Complete replies only: the last line of a reply has a space after its code.
      let end: number;
      while ((end = buffer.search(/^\d{3} .*\r\n/m)) !== -1) {
        const nl = buffer.indexOf('\r\n', end);
        const line = buffer.slice(end, nl);
        buffer = buffer.slice(nl + 2);
        const code = Number(line.slice(0, 3));
        if (sentData) {
          socket.end('QUIT\r\n');
          return resolve({ data: code });
        }
        if (step < script.length) {
          if (step > 0 && code >= 400) {
            socket.end('QUIT\r\n');
            return reject(new Error(`SMTP refused "${script[step - 1]}": ${line}`));
          }
          socket.write(`${script[step++]}\r\n`);
        } else if (code === 354) {
          const stuffed = data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
          socket.write(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
          sentData = true;
        } else {
          socket.end('QUIT\r\n');
          return reject(new Error(`SMTP refused DATA: ${line}`));
        }
      }
    });
  });
}
