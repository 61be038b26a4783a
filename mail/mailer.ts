import nodemailer, { type Transporter } from 'nodemailer';

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
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export function createMailer(smtpUrl: string, from: string): Mailer {
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      const info = await transport.sendMail({ from, ...mail, headers: { 'Auto-Submitted': 'auto-generated', ...mail.headers } });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
