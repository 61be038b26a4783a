// A real SMTP server in the test process: nodemailer delivers to it, tests read what arrived.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope recipients: everyone the message was delivered to, Cc included. */
  to: string[];
  /** Addresses of the Cc header. */
  cc: string[];
  subject: string;
  text: string;
  messageId?: string;
  headers: ParsedMail['headers'];
  /** Calendar invitations and other parts, as text. */
  attachments: Array<{ contentType: string; filename?: string; content: string }>;
  receivedAt: number;
}

export class Inbox {
  readonly messages: ReceivedMail[] = [];
  private server!: SMTPServer;
  url = '';
  /** While true the server answers every recipient with a temporary failure (451), as an SMTP outage would. */
  refusing = false;
  refused = 0;
  /** Recipients this server refuses for good (550), as a mailbox that does not exist. */
  readonly rejects = new Set<string>();

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (this.rejects.has(address.address.toLowerCase())) return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
        if (!this.refusing) return callback();
        this.refused++;
        callback(Object.assign(new Error('mail system unavailable, try again later'), { responseCode: 451 }));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.messages.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              cc: [mail.cc ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? '')),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              messageId: mail.messageId,
              headers: mail.headers,
              attachments: mail.attachments.map((a) => ({ contentType: a.contentType, filename: a.filename, content: a.content.toString('utf8') })),
              receivedAt: Date.now(),
            });
            callback();
          })
          .catch(callback);
      },
    });
    // A client that dies mid-conversation (a worker killed by a fault test) resets its socket; that is
    // the client's failure to handle, not a reason to crash the test process.
    this.server.on('error', () => {});
    const port = await new Promise<number>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.server.address() as { port: number }).port)));
    this.url = `smtp://127.0.0.1:${port}`;
    return this;
  }

  /** Messages delivered more than once (the same Message-ID seen again). */
  duplicates(): ReceivedMail[] {
    const seen = new Set<string>();
    return this.messages.filter((m) => {
      const id = m.messageId ?? '';
      if (seen.has(id)) return true;
      seen.add(id);
      return false;
    });
  }

  find(pred: (m: ReceivedMail) => boolean): ReceivedMail[] {
    return this.messages.filter(pred);
  }

  async waitFor(pred: (m: ReceivedMail) => boolean, timeoutMs = 20_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(pred);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching e-mail within ${timeoutMs} ms; got: ${this.messages.map((m) => `${m.to.join(',')} «${m.subject}»`).join(' | ') || 'none'}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
