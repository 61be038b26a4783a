// The escalation chain: the ordered levels at which a target at risk or missed is told to someone.
// Kept apart from the policy's validation (zod) so the workflow sandbox imports only this.

/** Who one level of the chain tells. */
export const ESCALATION_AUDIENCES = ['assignee_or_lead', 'lead', 'manager'] as const;
export type EscalationAudience = (typeof ESCALATION_AUDIENCES)[number];

/**
 * One level of the chain: when `at` of a target's running time has elapsed, `notify` is told.
 * Below 1 it is a warning, exactly 1 is the breach, above 1 an escalation past the breach
 * (1.5 = breach plus half the target again).
 */
export interface EscalationLevel {
  at: number;
  notify: EscalationAudience;
}

export const DEFAULT_ESCALATION: EscalationLevel[] = [
  { at: 0.75, notify: 'assignee_or_lead' },
  { at: 1, notify: 'lead' },
  { at: 1.5, notify: 'manager' },
];

/** The chain that a single warning threshold (the policy's older form) stands for. */
export function legacyChain(warningThreshold: number): EscalationLevel[] {
  return [
    { at: warningThreshold, notify: 'assignee_or_lead' },
    { at: 1, notify: 'lead' },
  ];
}

/** The chain a ticket runs: its own copy, or for tickets from before the chain, the one warning they had. */
export function escalationChain(targets: { escalation?: EscalationLevel[]; warningThreshold?: number }): EscalationLevel[] {
  return targets.escalation ?? legacyChain(targets.warningThreshold ?? DEFAULT_ESCALATION[0].at);
}
