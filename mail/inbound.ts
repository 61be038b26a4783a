// The SMTP listener for support's inbound address: it takes each message whole, hands it to the
// inbound-mail service, and answers the sending server with what that means for delivery (accepted,
// try again later, too large). What a message does to tickets is decided in services/inbound-mail.ts.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Logger } from 'pino';

export interface InboundEnvelope {
  raw: Buffer;
  parsed: ParsedMail;
  /** MAIL FROM; null for the null reverse path `<>` of bounces. */
  envelopeFrom: string | null;
  rcptTo: string[];
}

/** Thrown by the handler when the message could not be taken now but may be later (database or Temporal down). */
export class TryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TryLater';
  }
}

export interface InboundSmtp {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startInboundSmtp(opts: {
  port: number;
  host?: string;
  maxMessageBytes: number;
  log: Logger;
  handle(mail: InboundEnvelope): Promise<unknown>;
}): Promise<InboundSmtp> {
  const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });
  const server = new SMTPServer({
    // Mail servers deliver without authenticating; who the sender is, is decided per message.
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    banner: 'Last Call Support inbound',
    size: opts.maxMessageBytes,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          callback(smtpError(552, `message exceeds the ${opts.maxMessageBytes} bytes this server takes`));
          return;
        }
        const raw = Buffer.concat(chunks);
        const from = session.envelope.mailFrom;
        simpleParser(raw)
          .then((parsed) =>
            opts.handle({
              raw,
              parsed,
              envelopeFrom: from && from.address ? from.address.toLowerCase() : null,
              rcptTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            }),
          )
          .then(
            () => callback(),
            (err: unknown) => {
              // A sending server retries a 4xx later; nothing of the message was kept.
              if (err instanceof TryLater) return callback(smtpError(451, err.message));
              opts.log.error({ err }, 'inbound message failed');
              callback(smtpError(451, 'temporary failure, try again later'));
            },
          );
      });
    },
  });
  server.on('error', (err) => opts.log.warn({ err }, 'inbound SMTP error'));
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve((server.server.address() as { port: number }).port));
  });
  return { port, url: `smtp://127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(() => r())) };
}
