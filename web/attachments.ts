// A ticket's attachments as downloads, for the requester's pages and the console alike.
import type { Response } from 'express';
import { TicketAttachment } from '../db/models';

/** An attachment of a ticket the caller may see, as a download (never rendered inline: it is the sender's content). */
export async function sendAttachment(res: Response, ticketId: string, id: string): Promise<void> {
  const a = /^[0-9a-f-]{36}$/i.test(id) ? await TicketAttachment.findOne({ where: { id, ticketId } }) : null;
  if (!a) {
    res.status(404).type('text').send('not found');
    return;
  }
  res.attachment(a.filename);
  res.type('application/octet-stream').send(a.content);
}
