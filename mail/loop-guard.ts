// Which inbound messages a machine wrote (auto-replies, out-of-office notes, bounces, lists): they
// never open a ticket, never add to one and are never answered, so two systems cannot loop.
// Pure: headers in, a reason (or null) out; linear in the headers' size (no backtracking expressions).
import { clip } from '../domain/inbound-text';

export interface HeaderLine {
  key: string;
  line: string;
}

const valueOf = (h: HeaderLine) => h.line.slice(h.line.indexOf(':') + 1).trim();

/** RFC 3834 and the headers real auto-responders set; null when a person seems to have written it. */
export function automatedReason(headerLines: readonly HeaderLine[], envelopeFrom: string | null, fromAddress: string | null): string | null {
  // A null reverse path is how bounces and other notifications are sent (RFC 5321 4.5.5).
  if (!envelopeFrom) return 'null return path';
  const headers = new Map<string, string>();
  for (const h of headerLines) if (!headers.has(h.key.toLowerCase())) headers.set(h.key.toLowerCase(), valueOf(h));
  const returnPath = headers.get('return-path');
  if (returnPath !== undefined && returnPath.startsWith('<') && returnPath.endsWith('>') && returnPath.slice(1, -1).trim() === '') return 'null return path';
  const autoSubmitted = headers.get('auto-submitted');
  if (autoSubmitted !== undefined && autoSubmitted.split(';')[0].trim().toLowerCase() !== 'no') return `Auto-Submitted: ${clip(autoSubmitted, 100)}`;
  const precedence = headers.get('precedence')?.toLowerCase();
  if (precedence && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  if (headers.has('x-auto-response-suppress')) return 'X-Auto-Response-Suppress';
  if (headers.has('x-autoreply') || headers.has('x-autorespond') || headers.has('x-autoresponder')) return 'auto-responder header';
  if ((headers.get('content-type') ?? '').toLowerCase().includes('multipart/report')) return 'delivery report';
  const sender = fromAddress?.toLowerCase() ?? '';
  if (sender.startsWith('mailer-daemon@') || sender.startsWith('postmaster@')) return 'mailer daemon';
  return null;
}
