// The vocabulary of the support program (see shared/mission.md). Pure: imported by the API,
// the activities and the workflow sandbox alike.
export const PLANS = ['standard', 'advanced'] as const;
export type Plan = (typeof PLANS)[number];

/** A = critical, B = moderate, C = minimal. */
export const IMPACTS = ['A', 'B', 'C'] as const;
export type Impact = (typeof IMPACTS)[number];

export const TICKET_TYPES = ['problem', 'query', 'request'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

export const CHANNELS = ['email', 'web', 'api', 'phone'] as const;
export type Channel = (typeof CHANNELS)[number];

/** How a first response was delivered: a held remote or specialist session counts too (Advanced). */
export const RESPONSE_VIAS = ['email', 'phone', 'remote_session'] as const;
export type ResponseVia = (typeof RESPONSE_VIAS)[number];
/** What a technician's respond step may name; a remote session answers by being held. */
export const STEP_RESPONSE_VIAS = ['email', 'phone'] as const;

export const IMPACT_LABELS: Record<Impact, string> = { A: 'critical', B: 'moderate', C: 'minimal' };
