// What people write on a ticket (a technician's answer, a resolution, a customer's e-mail) is kept in
// Postgres (ticket_texts) and travels through Temporal as a reference: the ticket's workflow history
// and the events it records carry { textId, chars }, never the text. Readers (the API, the pages, the
// e-mails) put the text back in one place (services/ticket-texts.ts). Ops steps typed into the
// Temporal UI carry their text inline: there is nothing in Postgres for them to refer to.
import { z } from 'zod';

export interface TextRef {
  textId: string;
  /** Its length, so a reader of the history sees how much was written without the text. */
  chars: number;
}

/** A text as a step or an event holds it: a reference (the API, inbound e-mail) or inline (ops from the Temporal UI). */
export type TicketText = string | TextRef;

/** The fields of events and steps that hold long texts, and so a reference. */
export const TEXT_FIELDS = ['message', 'resolution'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export const textRef = (maxChars: number) => z.object({ textId: z.string().uuid(), chars: z.number().int().min(1).max(maxChars) }).strict();

export function isTextRef(v: unknown): v is TextRef {
  return typeof v === 'object' && v !== null && typeof (v as TextRef).textId === 'string' && typeof (v as TextRef).chars === 'number';
}
