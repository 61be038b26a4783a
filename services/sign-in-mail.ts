// The sign-in link e-mail, decided and sent by the worker's outbox (mail/outbox.ts) after the page
// has answered. The page queued one row for whatever address was typed; here, off the request's
// path, it is decided whether anyone has that address, whether the mailbox had its share of links
// lately (services/web-auth.ts, issueLink), and in which words the link goes out.
import { NotificationRow } from '../db/models';
import { issueLink, withdrawLink, LINK_TTL_MS } from './web-auth';
import { isLang, translator } from '../i18n';
import { sendOnce } from '../mail/send-log';
import type { Mailer } from '../mail/mailer';
import type { OutboxRow, OutboxSendResult, OutboxSender, SignInLinkRequest } from '../mail/outbox';

export interface SignInMailDeps {
  mailer: Mailer;
  /** Where the link points: PUBLIC_URL (never a request's Host header). */
  publicUrl: () => string;
}

export function createSignInMail(deps: SignInMailDeps): OutboxSender<SignInLinkRequest> {
  return { send: sendSignInLink };

  async function sendSignInLink(request: SignInLinkRequest, row: OutboxRow): Promise<OutboxSendResult> {
    // A link asked for long ago is of no use: the person has moved on, or asked again. This also
    // ends the row's retries while the SMTP server is away.
    if (Date.now() - row.createdAt.getTime() > LINK_TTL_MS) return { sent: false };
    // A retry after a send whose row was not deleted: the link went out, a new one must not be made.
    if (await NotificationRow.findOne({ where: { key: row.key, state: 'sent' } })) return { sent: false };
    const link = await issueLink(request.email);
    if (!link) return { sent: false };
    const t = translator(isLang(request.lang) ? request.lang : 'es');
    const minutes = LINK_TTL_MS / 60_000;
    const url = `${deps.publicUrl()}/sign-in/link/${link.token}`;
    try {
      return await sendOnce(deps.mailer, {
        key: row.key,
        ticketId: null,
        kind: 'sign_in_link',
        to: link.user.email,
        subject: t('signIn.mail.subject'),
        text: t('signIn.mail.text', { name: link.user.name, minutes, url }),
      });
    } catch (err) {
      await withdrawLink(link.token).catch(() => {});
      throw err;
    }
  }
}
