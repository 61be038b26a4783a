// The inbound SMTP listener attacked the way an outsider would, over raw sockets against the real
// engine: a message past the size limit, and one far past it streamed at the listener in a process of
// its own (that process's memory measured while it arrives), recipients that are not support, too
// many recipients, more connections than it takes, a client that goes silent, a message that can
// never be parsed (554, never 451: a 4xx is retried for days), text no store can keep (550, in the
// API's words), and STARTTLS: offered with a certificate made here, never without one.
import { fork } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { generate } from 'selfsigned';
import pino from 'pino';
import { InboundMessage } from '../../db/models';
import { startInboundSmtp } from '../../mail/inbound';
import { UNSTORABLE_TEXT } from '../../domain/storable-text';
import { sleep, startTestSystem, type TestSystem } from '../support/harness';
import { authenticatedSender } from '../support/mail-auth';
import type { ListenerReport } from './smtp-listener.process';

const SUPPORT = ['support@lastcall.test', 'soporte@lastcall.test', 'ayuda@lastcall.test', 'help@lastcall.test'];
const MAX_BYTES = 1024 * 1024;

interface Reply {
  code: number;
  text: string;
}

/** One SMTP client session over a plain socket (upgraded in place by starttls()). */
class Session {
  private buffer = '';
  private waiting: Array<(r: Reply) => void> = [];
  private replies: Reply[] = [];
  closed: Promise<void>;
  private socket: net.Socket | tls.TLSSocket;

  /** Every session opened, so a failed test leaves no connection behind for the next one. */
  static readonly all = new Set<Session>();

  private constructor(socket: net.Socket) {
    Session.all.add(this);
    this.socket = socket;
    this.closed = new Promise((r) => socket.once('close', () => r()));
    this.listen(socket);
  }

  static open(port: number): Promise<Session> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Session(socket)));
      socket.once('error', reject);
    });
  }

  private listen(socket: net.Socket | tls.TLSSocket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      // A reply ends with a line "NNN text" (no '-' after the code).
      for (;;) {
        const m = /^(\d{3}) [^\r\n]*\r\n/m.exec(this.buffer);
        if (!m) break;
        const end = m.index + m[0].length;
        const reply = { code: Number(m[1]), text: this.buffer.slice(0, end).trim() };
        this.buffer = this.buffer.slice(end);
        const w = this.waiting.shift();
        if (w) w(reply);
        else this.replies.push(reply);
      }
    });
    socket.on('error', () => {});
  }

  reply(timeoutMs = 10_000): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no SMTP reply in time')), timeoutMs);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  async cmd(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Writes what it is given, waiting for the socket to drain: a sender streaming at full speed. */
  async write(data: string | Buffer): Promise<void> {
    if (!this.socket.write(data)) await new Promise((r) => this.socket.once('drain', r));
  }

  async starttls(): Promise<tls.TLSSocket> {
    const r = await this.cmd('STARTTLS');
    expect(r.code).to.equal(220);
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: this.socket as net.Socket, rejectUnauthorized: false, servername: 'mx.lastcall.test' }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.buffer = '';
    this.listen(secure);
    return secure;
  }

  end() {
    this.socket.end();
  }

  destroy() {
    this.socket.destroy();
  }
}

const message = (headers: string[], body: string) => `${headers.join('\r\n')}\r\n\r\n${body}\r\n.\r\n`;

describe('the inbound SMTP listener at its edges (security)', function () {
  this.timeout(60_000);
  let t: TestSystem;
  let cert: { cert: string; private: string };

  before(async () => {
    cert = await generate([{ name: 'commonName', value: 'mx.lastcall.test' }], { keySize: 2048 });
    t = await startTestSystem({
      label: 'smtpedges',
      inbound: {
        inboundMaxMessageBytes: MAX_BYTES,
        inboundSupportAddresses: SUPPORT,
        inboundMaxRecipients: 3,
        inboundMaxClients: 5,
        inboundSocketTimeoutMs: 1_500,
        inboundTls: { cert: cert.cert, key: cert.private },
      },
    });
  });
  after(async () => {
    await t?.stop();
  });
  afterEach(async () => {
    for (const s of Session.all) s.destroy();
    Session.all.clear();
    // The server counts a connection until it has seen it close.
    await sleep(200);
  });

  const port = () => t.sys.inboundSmtp!.port;
  async function ready(): Promise<Session> {
    const s = await Session.open(port());
    expect((await s.reply()).code).to.equal(220);
    expect((await s.cmd('EHLO attacker.test')).code).to.equal(250);
    return s;
  }

  /** Streams `bytes` of one message body at full speed, then ends it; resolves with the server's answer. */
  async function streamMessage(s: Session, bytes: number): Promise<Reply> {
    expect((await s.cmd('MAIL FROM:<big@elsewhere.test>')).code).to.equal(250);
    expect((await s.cmd(`RCPT TO:<${SUPPORT[0]}>`)).code).to.equal(250);
    expect((await s.cmd('DATA')).code).to.equal(354);
    const chunk = Buffer.from(`${'x'.repeat(998)}\r\n`.repeat(1024));
    await s.write('Subject: big\r\n\r\n');
    for (let sent = 0; sent < bytes; sent += chunk.length) await s.write(chunk);
    await s.write('.\r\n');
    return s.reply(30_000);
  }

  it('refuses a message past the size limit with 552 5.3.4, and goes on taking commands', async () => {
    const s = await ready();
    const r = await streamMessage(s, 3 * MAX_BYTES);
    expect(r.code).to.equal(552);
    expect(r.text).to.contain('5.3.4');
    expect((await s.cmd('MAIL FROM:<next@elsewhere.test>')).code).to.equal(250);
    s.end();
  });

  it('keeps no byte past the size limit: a 160 MB message is drained holding at most 32 MB', async function () {
    // The listener in a process of its own (smtp-listener.process.ts), so what is read is its memory
    // alone: in this process the attacking client and a Temporal worker would grow with it.
    this.timeout(90_000);
    const child = fork(path.join(__dirname, 'smtp-listener.process.ts'), [String(MAX_BYTES), ...SUPPORT], {
      execArgv: ['-r', 'ts-node/register/transpile-only', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // The child's next message; its exit instead fails the test (one listener each, removed after).
    const next = <T>() =>
      new Promise<T>((resolve, reject) => {
        const exited = (code: number | null) => reject(new Error(`the listener process exited (${code})`));
        child.once('exit', exited);
        child.once('message', (m) => {
          child.off('exit', exited);
          resolve(m as T);
        });
      });
    try {
      const { port: listenerPort } = await next<{ port: number }>();
      const s = await Session.open(listenerPort);
      expect((await s.reply()).code).to.equal(220);
      expect((await s.cmd('EHLO attacker.test')).code).to.equal(250);
      child.send('start');
      await next<'started'>();
      const started = Date.now();
      const r = await streamMessage(s, 160 * MAX_BYTES);
      child.send('report');
      const { before, peak } = await next<ListenerReport>();
      const heldMb = (peak - before) / 1024 / 1024;
      console.log(`      160 MB streamed in ${Date.now() - started} ms; the listener held ${(before / 1048576).toFixed(0)} MB before, at most +${heldMb.toFixed(1)} MB while it arrived`);
      expect(r.code).to.equal(552);
      expect(r.text).to.contain('5.3.4');
      // Kept, the message alone would be 160 MB; what is held is the socket's and parser's buffers.
      expect(heldMb).to.be.lessThan(32);
      s.end();
    } finally {
      // A child that died already has no channel to send on; its exit is the failure reported.
      if (child.connected) child.send('stop');
      await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null)));
    }
  });

  it('takes mail only for the support addresses (550 5.1.1), and at most 3 recipients (452)', async () => {
    const s = await ready();
    expect((await s.cmd('MAIL FROM:<a@elsewhere.test>')).code).to.equal(250);
    const other = await s.cmd('RCPT TO:<someone.else@lastcall.test>');
    expect(other.code).to.equal(550);
    expect(other.text).to.contain('5.1.1');
    expect((await s.cmd('RCPT TO:<victim@gmail.test>')).code).to.equal(550);
    for (const a of SUPPORT.slice(0, 3)) expect((await s.cmd(`RCPT TO:<${a.toUpperCase()}>`)).code, a).to.equal(250);
    const fourth = await s.cmd(`RCPT TO:<${SUPPORT[3]}>`);
    expect(fourth.code).to.equal(452);
    s.end();
  });

  it('turns away a client beyond 5 connections (421), and takes one again once a slot is free', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => ready()));
    const extra = await Session.open(port());
    const refused = await extra.reply();
    expect(refused.code).to.equal(421);
    expect(refused.text).to.match(/too many connected clients/i);
    await extra.closed;
    held[0].end();
    await held[0].closed;
    await sleep(100);
    const again = await Session.open(port());
    expect((await again.reply()).code).to.equal(220);
    for (const s of [again, ...held.slice(1)]) s.end();
  });

  it('closes a client silent for longer than the idle timeout', async () => {
    const s = await ready();
    const started = Date.now();
    const r = await s.reply(5_000);
    expect(r.code).to.equal(421);
    await s.closed;
    expect(Date.now() - started).to.be.within(1_000, 4_000);
  });

  it('refuses a message that can never be parsed with 554 (never 451), and keeps nothing of it', async () => {
    const s = await ready();
    const parts = Array.from({ length: 1_100 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}`).join('\r\n');
    expect((await s.cmd('MAIL FROM:<parts@customer.test>')).code).to.equal(250);
    expect((await s.cmd(`RCPT TO:<${SUPPORT[0]}>`)).code).to.equal(250);
    expect((await s.cmd('DATA')).code).to.equal(354);
    await s.write(message(['From: parts@customer.test', 'Subject: parts', 'Message-ID: <parts@customer.test>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b'], `${parts}\r\n--b--`));
    const r = await s.reply();
    expect(r.code).to.equal(554);
    expect(r.text).to.contain('5.6.0');
    expect(await InboundMessage.count({ where: { messageId: '<parts@customer.test>' } })).to.equal(0);
    // The sending server's retry gets the same answer: permanent, not "try later".
    expect((await s.cmd('MAIL FROM:<parts@customer.test>')).code).to.equal(250);
    expect((await s.cmd(`RCPT TO:<${SUPPORT[0]}>`)).code).to.equal(250);
    expect((await s.cmd('DATA')).code).to.equal(354);
    await s.write(message(['From: parts@customer.test', 'Subject: parts', 'Message-ID: <parts@customer.test>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b'], `${parts}\r\n--b--`));
    expect((await s.reply()).code).to.equal(554);
    s.end();
  });

  it('refuses text no store can keep with 550, naming where it is (a NUL in the body, subject, sender name or file name)', async () => {
    const c = await t.createCustomerFixture('standard');
    const cases: Array<[string, string[], string, string]> = [
      ['<nul.body@customer.test>', ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'], 'Hola=00 mundo', 'text'],
      ['<nul.subject@customer.test>', ['Subject: =?utf-8?Q?caso=00urgente?='], 'hola', 'subject'],
      ['<nul.name@customer.test>', [], 'hola', 'from.0.name'],
      [
        '<nul.file@customer.test>',
        ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=z'],
        '--z\r\nContent-Type: text/plain\r\n\r\nhola\r\n--z\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="=?utf-8?Q?log=00.txt?="\r\n\r\ndata\r\n--z--',
        'attachments.0.filename',
      ],
    ];
    const s = await ready();
    for (const [messageId, headers, body, where] of cases) {
      const from = messageId === '<nul.name@customer.test>' ? `=?utf-8?Q?Ana=00?= <${c.requesterEmail}>` : c.requesterEmail;
      expect((await s.cmd(`MAIL FROM:<${c.requesterEmail}>`)).code).to.equal(250);
      expect((await s.cmd(`RCPT TO:<${SUPPORT[0]}>`)).code).to.equal(250);
      expect((await s.cmd('DATA')).code).to.equal(354);
      const subject = headers.some((h) => h.startsWith('Subject:')) ? [] : ['Subject: hola'];
      await s.write(message([`From: ${from}`, `Message-ID: ${messageId}`, ...subject, ...headers], body));
      const r = await s.reply();
      expect(r.code, messageId).to.equal(550);
      expect(r.text, messageId).to.contain(`5.6.0 not taken: ${where}`);
      expect(r.text, messageId).to.contain(UNSTORABLE_TEXT);
      expect(await InboundMessage.count({ where: { messageId } }), messageId).to.equal(0);
    }
    s.end();
    // The same requester's clean message still becomes a ticket: nothing was poisoned.
    const mail = authenticatedSender(t.sys.inboundSmtp!.url, undefined, { tls: { rejectUnauthorized: false } });
    await mail.send({ from: c.requesterEmail, to: SUPPORT[0], subject: 'Clean', text: 'hola mundo', messageId: '<clean@customer.test>' });
    mail.close();
    expect((await InboundMessage.findOne({ where: { messageId: '<clean@customer.test>' } }))?.outcome).to.equal('ticket_created');
  });

  it('offers STARTTLS with the configured certificate and takes mail over it', async () => {
    const s = await Session.open(port());
    await s.reply();
    expect((await s.cmd('EHLO client.test')).text).to.contain('STARTTLS');
    const secure = await s.starttls();
    expect(secure.getPeerCertificate().subject.CN).to.equal('mx.lastcall.test');
    const ehlo = await s.cmd('EHLO client.test');
    expect(ehlo.code).to.equal(250);
    expect(ehlo.text).to.not.contain('STARTTLS');
    expect((await s.cmd('MAIL FROM:<tls@elsewhere.test>')).code).to.equal(250);
    expect((await s.cmd(`RCPT TO:<${SUPPORT[0]}>`)).code).to.equal(250);
    s.end();
  });

  it('offers no STARTTLS without a certificate (no built-in self-signed one)', async () => {
    const bare = await startInboundSmtp({ port: 0, host: '127.0.0.1', maxMessageBytes: MAX_BYTES, supportAddresses: SUPPORT, log: pino({ level: 'silent' }), handle: async () => undefined });
    try {
      const s = await Session.open(bare.port);
      await s.reply();
      expect((await s.cmd('EHLO client.test')).text).to.not.contain('STARTTLS');
      expect((await s.cmd('STARTTLS')).code).to.be.within(500, 599);
      s.end();
    } finally {
      await bare.stop();
    }
  });
});
