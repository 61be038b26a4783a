// Who may do what. One table, read by the API's role checks.
export const ROLES = ['requester', 'technician', 'lead', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const STAFF_ROLES = ['technician', 'lead', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const PERMISSIONS = {
  /** File a ticket: a requester for themselves; technicians and leads on a requester's behalf (e.g. phone). */
  fileTicket: ['requester', 'technician', 'lead'],
  /** Read tickets: requesters are further limited to their customer's (Standard: their own). */
  readTickets: ['requester', 'technician', 'lead', 'admin'],
  /** Technician steps: respond, wait, resolve, reopen, close, assign. */
  workTickets: ['technician', 'lead'],
  /** Write what a ticket owes its record once the fault is fixed (its record is stuck). */
  retryRecords: ['lead', 'admin'],
  /** Brands and their engineer contacts (admins change them). */
  readBrands: ['technician', 'lead', 'admin'],
  /** Customers, products, subscriptions, users, tokens, the SLA policy, the audit log. */
  administer: ['admin'],
  /** A customer's entitlement: staff, and the customer's own requesters. */
  readEntitlement: ['requester', 'technician', 'lead', 'admin'],
  /** Inbound mail held because its sender is not authenticated: accept (it becomes a ticket or a reply) or reject. */
  reviewHeldMail: ['technician', 'lead'],
  /** SLA compliance reports: leads and admins for any customer, a requester for its own customer. */
  readReports: ['requester', 'lead', 'admin'],
  /** What tickets' workflows carry in Temporal, decrypted by the codec server: staff, who read every ticket. */
  readCustomerData: ['technician', 'lead', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function may(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
