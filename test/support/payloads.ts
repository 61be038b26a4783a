// The payloads a workflow history holds (inputs, update arguments, activity inputs and results,
// markers, memo, details), found by their shape wherever they sit in an event, with their sizes.
import type { temporal } from '@temporalio/proto';

/** No payload of a history may be larger: texts and e-mails live in Postgres, the history refers to them. */
export const PAYLOAD_LIMIT_BYTES = 8 * 1024;

export interface PayloadSeen {
  bytes: number;
  data: Uint8Array;
  /** Event id and the path within the event, e.g. "12 workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads.0". */
  where: string;
}

export function payloadsOf(history: temporal.api.history.v1.IHistory): PayloadSeen[] {
  const seen: PayloadSeen[] = [];
  const walk = (o: unknown, where: string): void => {
    if (!o || typeof o !== 'object') return;
    const p = o as { metadata?: unknown; data?: unknown };
    if (p.data instanceof Uint8Array && p.metadata && typeof p.metadata === 'object') {
      seen.push({ bytes: p.data.length, data: p.data, where });
      return;
    }
    for (const [k, v] of Object.entries(o)) walk(v, where ? `${where}.${k}` : k);
  };
  for (const e of history.events ?? []) walk(e, `${String(e.eventId)} `);
  return seen;
}

/** The largest payload of these histories (0 bytes when there are none). */
export function largestPayload(histories: temporal.api.history.v1.IHistory[]): PayloadSeen {
  return histories.flatMap(payloadsOf).reduce((a, b) => (b.bytes > a.bytes ? b : a), { bytes: 0, data: new Uint8Array(), where: 'none' });
}
