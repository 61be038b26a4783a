// Everything the engine measures, in one registry: read this file to know what /metrics shows.
// Counters live in the process that does the work (intake and API latency in the API, SLA events,
// steps and most e-mails in the worker); Prometheus adds the processes up. Label values are
// always from small fixed sets (plans, impacts, clocks, route patterns): never ids, e-mails or URLs.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

// Node's own figures (CPU, memory, event-loop lag, GC), under our prefix so no name can collide
// with the Temporal SDK's, which /metrics appends.
collectDefaultMetrics({ register: registry, prefix: 'lastcall_' });

export const ticketsReceived = new Counter({
  name: 'lastcall_tickets_received_total',
  help: 'New tickets accepted (an idempotent replay of an intake is not counted again)',
  labelNames: ['plan', 'impact', 'channel'] as const,
  registers: [registry],
});

export const slaTargets = new Counter({
  name: 'lastcall_sla_targets_total',
  help: 'SLA targets settled: met (stopped in time) or breached (the due time passed), by clock',
  labelNames: ['clock', 'plan', 'impact', 'outcome'] as const,
  registers: [registry],
});

export const slaWarnings = new Counter({
  name: 'lastcall_sla_warnings_total',
  help: 'Warning levels of the escalation chain reached before a breach',
  labelNames: ['clock', 'plan', 'impact'] as const,
  registers: [registry],
});

export const slaEscalations = new Counter({
  name: 'lastcall_sla_escalations_total',
  help: 'Escalation levels reached after a breach (e.g. to the support manager)',
  labelNames: ['clock', 'plan', 'impact'] as const,
  registers: [registry],
});

export const ticketSteps = new Counter({
  name: 'lastcall_ticket_steps_total',
  help: 'Steps in tickets\' lives, by step (the event each step records)',
  labelNames: ['step'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'lastcall_http_request_duration_seconds',
  help: 'HTTP requests served, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const emails = new Counter({
  name: 'lastcall_emails_total',
  help: 'E-mails handed to the SMTP server: sent, or failed (refused or unreachable; retried later)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const mailGivenUp = new Counter({
  name: 'lastcall_mail_given_up_total',
  help: 'Queued e-mails set aside unsent: refused for good by the mail server (5xx), or still unsent a day after they were queued',
  labelNames: ['kind', 'reason'] as const,
  registers: [registry],
});

export const mailOutboxPending = new Gauge({
  name: 'lastcall_mail_outbox_pending',
  help: 'Ticket e-mails queued and not yet sent (waiting their turn, or their back-off while SMTP fails); read by the worker every 15 s',
  registers: [registry],
});

/** Counts the tickets whose record is stuck, at each scrape; set by the process that runs the worker. */
let stuckRecordsSource: (() => Promise<number>) | null = null;

/** Read the stuck tickets from `count` at each scrape (null: stop; an API-only process has no source). */
export function countStuckRecordsWith(count: (() => Promise<number>) | null): void {
  stuckRecordsSource = count;
}

export const ticketRecordsStuck = new Gauge({
  name: 'lastcall_ticket_records_stuck',
  help: 'Tickets whose record could not be written and waits for a lead to retry it (read from the database at each scrape by a process that runs the worker; several such processes report the same count: take the max)',
  registers: [registry],
  async collect() {
    if (!stuckRecordsSource) return;
    // The database may be what is down: the scrape still answers, with the last count.
    await stuckRecordsSource().then((n) => this.set(n), () => {});
  },
});

export const ticketRecordFailures = new Counter({
  name: 'lastcall_ticket_record_failures_total',
  help: 'Tickets whose record failed for good and became stuck (once per episode), by the failure\'s type',
  labelNames: ['type'] as const,
  registers: [registry],
});

/** The recorded events that are steps of a ticket's life (a technician's, the customer's or the system's). */
export const STEP_EVENTS = new Set(['assigned', 'responded', 'replied', 'waiting_on_customer', 'customer_replied', 'resolved', 'reopened', 'closed']);

export interface RecordedEvent {
  type: string;
  data: Record<string, unknown> | null;
}

/**
 * Count events just written to a ticket's history. Callers pass only rows that were newly
 * inserted, so an activity retried after a partial failure does not count anything twice.
 */
export function countRecordedEvents(ticket: { plan: string; impact: string }, events: RecordedEvent[]): void {
  for (const e of events) {
    const clock = typeof e.data?.clock === 'string' ? e.data.clock : 'unknown';
    const labels = { clock, plan: ticket.plan, impact: ticket.impact };
    if (e.type === 'sla_met') slaTargets.inc({ ...labels, outcome: 'met' });
    else if (e.type === 'sla_breached') slaTargets.inc({ ...labels, outcome: 'breached' });
    else if (e.type === 'sla_warning') slaWarnings.inc(labels);
    else if (e.type === 'sla_escalated') slaEscalations.inc(labels);
    else if (STEP_EVENTS.has(e.type)) ticketSteps.inc({ step: e.type });
  }
}
