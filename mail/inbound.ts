// The SMTP listener for support's inbound address, facing anyone on the internet: it takes mail only
// for the support addresses, from a bounded number of clients that keep talking, keeps no byte of a
// message past the size limit, hands each whole message to the inbound-mail service, and answers the
// sending server with what that means for delivery: accepted, try again later (4xx: only when the
// trouble is ours and passes), or never (5xx: too large, unparseable, refused). What a message does to
// tickets is decided in services/inbound-mail.ts.
import { readFileSync } from 'node:fs';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Logger } from 'pino';

export interface InboundEnvelope {
  raw: Buffer;
  parsed: ParsedMail;
  /** MAIL FROM; null for the null reverse path `<>` of bounces. */
  envelopeFrom: string | null;
  rcptTo: string[];
  /** The connecting client: what SPF checks, and what a trusted relay is recognised by. */
  remoteAddress: string;
  /** The name the client gave in EHLO/HELO. */
  helo: string | null;
}

/** Thrown by the handler when the message could not be taken now but may be later (database or Temporal down). */
export class TryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TryLater';
  }
}

/** Thrown by the handler for a message that will never be taken as it is: the sender must not retry it. */
export class NeverTaken extends Error {
  constructor(
    readonly responseCode: 550 | 554,
    message: string,
  ) {
    super(message);
    this.name = 'NeverTaken';
  }
}

export interface InboundSmtp {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface InboundSmtpOptions {
  port: number;
  host?: string;
  maxMessageBytes: number;
  /** The only recipients taken (lower case); anything else is 550 5.1.1 at RCPT TO. */
  supportAddresses: readonly string[];
  /** Connections at once; one more is told 421 and closed. */
  maxClients?: number;
  /** RCPT TO per message; one more is told 452. */
  maxRecipients?: number;
  /** A client silent this long is told 421 and closed. */
  socketTimeoutMs?: number;
  /** PEM certificate and key: STARTTLS is offered with them and only with them. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  log: Logger;
  handle(mail: InboundEnvelope): Promise<unknown>;
}

export const INBOUND_DEFAULTS = { maxClients: 100, maxRecipients: 10, socketTimeoutMs: 60_000 } as const;

/** The certificate and key files of INBOUND_TLS_CERT_FILE / INBOUND_TLS_KEY_FILE, read once at start. */
export function readTlsFiles(files: { certFile: string; keyFile: string } | undefined): InboundSmtpOptions['tls'] {
  return files ? { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) } : undefined;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startInboundSmtp(opts: InboundSmtpOptions): Promise<InboundSmtp> {
  const accepted = new Set(opts.supportAddresses.map((a) => a.toLowerCase()));
  const server = new SMTPServer({
    // Mail servers deliver without authenticating; who the sender is, is decided per message.
    authOptional: true,
    // A built-in self-signed certificate would be offered without one of ours: no STARTTLS then.
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    banner: 'Last Call Support inbound',
    size: opts.maxMessageBytes,
    maxClients: opts.maxClients ?? INBOUND_DEFAULTS.maxClients,
    maxRecipients: opts.maxRecipients ?? INBOUND_DEFAULTS.maxRecipients,
    socketTimeout: opts.socketTimeoutMs ?? INBOUND_DEFAULTS.socketTimeoutMs,
    // A stopping server does not wait on clients that hold their connection open.
    closeTimeout: 5_000,
    // Nothing here reads the client's PTR name; a slow DNS answer must not hold every connection.
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (accepted.has(address.address.toLowerCase())) return callback();
      callback(smtpError(550, '5.1.1 no such mailbox here: this server takes mail for support only'));
    },
    onData(stream, session, callback) {
      // Kept only while within the limit: past it, what was kept is let go and the rest is drained.
      let chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= opts.maxMessageBytes) chunks.push(c);
        else if (chunks.length) chunks = [];
      });
      stream.on('end', () => {
        if (size > opts.maxMessageBytes || stream.sizeExceeded) {
          callback(smtpError(552, `5.3.4 message exceeds the ${opts.maxMessageBytes} bytes this server takes`));
          return;
        }
        const raw = Buffer.concat(chunks);
        chunks = [];
        const from = session.envelope.mailFrom;
        simpleParser(raw).then(
          (parsed) =>
            opts
              .handle({
                raw,
                parsed,
                envelopeFrom: from && from.address ? from.address.toLowerCase() : null,
                rcptTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
                remoteAddress: session.remoteAddress,
                helo: session.hostNameAppearsAs || null,
              })
              .then(
                () => callback(),
                (err: unknown) => {
                  if (err instanceof NeverTaken) return callback(smtpError(err.responseCode, err.message));
                  // A sending server retries a 4xx later; nothing of the message was kept.
                  if (err instanceof TryLater) return callback(smtpError(451, `4.3.0 ${err.message}`));
                  opts.log.error({ err }, 'inbound message failed');
                  callback(smtpError(451, '4.3.0 temporary failure, try again later'));
                },
              ),
          // The same bytes never parse: a retry would fail the same way for days (too many MIME
          // parts, a header block past the parser's limit).
          (err: Error) => {
            opts.log.warn({ err: { message: err.message, code: (err as { code?: string }).code }, size }, 'inbound message unparseable');
            callback(smtpError(554, `5.6.0 the message cannot be parsed (${(err as { code?: string }).code ?? 'malformed'}); it will not be taken`));
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
