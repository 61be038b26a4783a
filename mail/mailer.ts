import nodemailer, { type Transporter } from 'nodemailer';
import { emails } from '../observability/metrics';

/** The domain of the Message-IDs the engine mints (threading replies back to tickets), unless configured. */
export const DEFAULT_MAIL_DOMAIN = 'lastcall.example';

export interface OutgoingMail {
  /** One address, or several separated by commas. */
  to: string;
  cc?: string;
  subject: string;
  text: string;
  messageId?: string;
  /** Threading: the message this one answers. */
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  /** A calendar invitation (iTIP): mail clients show it as an event to accept or decline. */
  icalEvent?: { method: 'REQUEST' | 'CANCEL'; filename: string; content: string };
  /** Files sent along, e.g. a report's CSV. */
  attachments?: { filename: string; content: string; contentType: string }[];
  /** What the message is (a notification kind, `sign_in_link`, …): counted by it, never sent. */
  kind?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export function createMailer(smtpUrl: string, from: string): Mailer {
  // Pooled: an alarm's e-mail goes over an open connection instead of a new TCP connection, greeting
  // and EHLO each (what a burst of breaches sends is one message per alarm). `?pool=false` in
  // SMTP_URL opts out; a refused message fails alone and the outbox retries it.
  const transport: Transporter = nodemailer.createTransport({ url: smtpUrl, pool: true });
  return {
    async send({ kind = 'other', ...mail }) {
      try {
        const info = await transport.sendMail({ from, ...mail, headers: { 'Auto-Submitted': 'auto-generated', ...mail.headers } });
        emails.inc({ kind, outcome: 'sent' });
        return { messageId: info.messageId };
      } catch (err) {
        emails.inc({ kind, outcome: 'failed' });
        throw err;
      }
    },
    close: () => transport.close(),
  };
}
