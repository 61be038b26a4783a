// The session workflows' I/O: who can serve a session (specialists by technology and load, a
// brand's engineer contacts), the session record, and its e-mails with calendar invitations.
import { QueryTypes } from 'sequelize';
import { log } from '@temporalio/activity';
import { BrandContact, SessionRow, User } from '../db/models';
import { pickSpecialist, type SessionKind, type SessionParty, type SessionStatus, type SpecialistCandidate } from '../domain/sessions';
import type { Sequelize } from 'sequelize';
import { queueMail } from '../mail/prepared-mail';
import { renderSessionMail, sessionInvitation, type SessionFacts, type SessionMailType } from '../mail/session-mail';
import { leadRecipients, type Mailboxes } from './recipients';

export type { SessionMailType } from '../mail/session-mail';

export interface SessionRecord {
  sessionId: string;
  ticketId: string;
  kind: SessionKind;
  status: SessionStatus;
  attempt: number;
  technology: string | null;
  brand: string | null;
  host: SessionParty | null;
  attendees: SessionParty[];
  startsAt: number | null;
  durationMs: number;
  notes: string | null;
  requestedBy: string;
  lastEvent: string;
}

export interface SessionMail {
  key: string;
  type: SessionMailType;
  ticketId: string;
  to: string[];
  /** Also to the support lead (and the lead users). */
  toLead: boolean;
  session: SessionFacts;
}

export function createSessionActivities(deps: { sequelize: Sequelize; boxes: Mailboxes; mailDomain: string; mailQueued?: () => void }) {
  /** Enabled technicians and leads who know the technology, with their current load. */
  async function specialists(technology: string): Promise<SpecialistCandidate[]> {
    const rows = await User.sequelize!.query<{ id: string; name: string; email: string; technologies: string[]; load: string }>(
      `SELECT u.id, u.name, u.email, u.technologies,
              (SELECT count(*) FROM sessions s WHERE s.host_id = u.id AND s.status IN ('proposed', 'confirmed'))
            + (SELECT count(*) FROM tickets t WHERE t.assignee->>'email' = u.email AND t.status NOT IN ('resolved', 'closed')) AS load
         FROM users u
        WHERE u.role IN ('technician', 'lead') AND u.enabled AND jsonb_exists(u.technologies, :technology)`,
      { type: QueryTypes.SELECT, replacements: { technology: technology.toLowerCase() } },
    );
    return rows.map((r) => ({ ...r, load: Number(r.load) }));
  }

  async function findSpecialist({ technology, exclude }: { technology: string; exclude: string[] }): Promise<SessionParty | null> {
    const chosen = pickSpecialist(await specialists(technology), technology, exclude);
    return chosen ? { id: chosen.id, name: chosen.name, email: chosen.email } : null;
  }

  async function findBrandContacts({ brand }: { brand: string }): Promise<SessionParty[]> {
    const rows = await BrandContact.findAll({ where: { brand: brand.toLowerCase() }, order: [['createdAt', 'ASC']] });
    return rows.map((c) => ({ id: c.id, name: c.name, email: c.email }));
  }

  async function recordSession(r: SessionRecord): Promise<void> {
    await SessionRow.upsert({
      id: r.sessionId,
      ticketId: r.ticketId,
      kind: r.kind,
      status: r.status,
      attempt: r.attempt,
      technology: r.technology,
      brand: r.brand,
      hostId: r.kind === 'specialist' || r.kind === 'remote' ? (r.host?.id ?? null) : null,
      host: r.host,
      attendees: r.attendees,
      startsAt: r.startsAt !== null ? new Date(r.startsAt) : null,
      durationMs: r.durationMs,
      notes: r.notes,
      requestedBy: r.requestedBy,
      lastEvent: r.lastEvent,
    });
  }

  /** Renders a session e-mail (with its calendar invitation) and queues it; `sent` when it is owed now. */
  async function sendSessionMail(m: SessionMail): Promise<{ sent: boolean; to: string }> {
    const lead = m.toLead ? await leadRecipients(deps.boxes) : null;
    const to = [...m.to, ...(lead ? [lead.to] : [])];
    if (!to.length) {
      log.warn('session e-mail has nobody to go to', { key: m.key });
      return { sent: false, to: '' };
    }
    const mail = renderSessionMail(m.type, m.session);
    const invitation = m.type === 'invitation' || m.type === 'cancellation' ? sessionInvitation(m.session, m.type === 'cancellation' ? 'CANCEL' : 'REQUEST', deps.mailDomain) : undefined;
    const sent = await queueMail(deps.sequelize, {
      key: m.key,
      ticketId: m.ticketId,
      kind: `session_${m.type}`,
      to: to.join(', '),
      cc: lead?.cc,
      subject: mail.subject,
      text: mail.text,
      messageId: `<${m.key.replace(/[^A-Za-z0-9.-]/g, '.')}@${deps.mailDomain}>`,
      headers: { 'X-Ticket-Number': String(m.session.number), 'X-Session-Id': m.session.sessionId },
      icalEvent: invitation,
    });
    // Queued for the outbox, which sends it once (a retried activity queues nothing new).
    if (sent) {
      log.info('session e-mail queued', { key: m.key, to: to.join(', '), type: m.type });
      deps.mailQueued?.();
    }
    return { sent, to: to.join(', ') };
  }

  return { findSpecialist, findBrandContacts, recordSession, sendSessionMail };
}

export type SessionActivities = ReturnType<typeof createSessionActivities>;
