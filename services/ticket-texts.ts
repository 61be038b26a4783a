// The one place where what people write on a ticket goes into Postgres and comes back out: a step
// or an e-mail's text is stored before the workflow hears of it, and the workflow, its history and
// the events it records carry only the reference (domain/ticket-texts.ts). Whoever shows events (the
// API, the pages, the e-mails) reads them through withTexts.
import { Op } from 'sequelize';
import { TicketText } from '../db/models';
import { TEXT_FIELDS, isTextRef, type TextRef } from '../domain/ticket-texts';

/** Keep a text written on a ticket; the reference is what the workflow gets. */
export async function storeText(ticketId: string, body: string): Promise<TextRef> {
  const row = await TicketText.create({ ticketId, body });
  return { textId: row.id, chars: body.length };
}

/** A step's arguments with their long texts stored, and referred to. */
export async function storeTexts<T extends object>(ticketId: string, args: T): Promise<T> {
  const out = { ...args } as Record<string, unknown>;
  for (const field of TEXT_FIELDS) {
    const v = out[field];
    if (typeof v === 'string') out[field] = await storeText(ticketId, v);
  }
  return out as T;
}

/** Events with the texts they refer to put back (one query for all); an inline text (an ops step) stays as it is. */
export async function withTexts<E extends { data: Record<string, unknown> }>(events: E[]): Promise<E[]> {
  const ids = new Set<string>();
  for (const e of events) for (const field of TEXT_FIELDS) if (isTextRef(e.data?.[field])) ids.add((e.data[field] as TextRef).textId);
  if (ids.size === 0) return events;
  const rows = await TicketText.findAll({ where: { id: { [Op.in]: [...ids] } }, attributes: ['id', 'body'] });
  const bodies = new Map(rows.map((r) => [r.id, r.body]));
  return events.map((e) => {
    if (!TEXT_FIELDS.some((f) => isTextRef(e.data?.[f]))) return e;
    const data = { ...e.data };
    // A text that is gone (its ticket's rows were deleted) reads as empty, never as its reference.
    for (const field of TEXT_FIELDS) if (isTextRef(data[field])) data[field] = bodies.get((data[field] as TextRef).textId) ?? '';
    return { ...e, data };
  });
}
