// The support team's directory. Who may be assigned a ticket: an enabled technician or lead, one
// lookup for the API's assign step and for the ticket workflow's ops signals (through the
// findAssignee activity), so both doors refuse the same people. Who may act from the Temporal UI
// or CLI: an enabled member of staff whose role has the permission (the findActor activity), as
// the API's role checks decide for a bearer token.
import { Op } from 'sequelize';
import { User } from '../db/models';
import { PERMISSIONS, type Permission } from '../domain/roles';
import type { AssigneeRef } from '../domain/step-bodies';
import type { Person } from '../domain/ticket-lifecycle';

export async function findAssignee(ref: AssigneeRef): Promise<Person | null> {
  const where = 'assigneeId' in ref ? { id: ref.assigneeId } : { email: ref.assigneeEmail.toLowerCase() };
  const u = await User.findOne({ where: { ...where, role: { [Op.in]: ['technician', 'lead'] } } });
  return u && u.enabled ? { name: u.name, email: u.email } : null;
}

export const describeAssignee = (ref: AssigneeRef): string => ('assigneeId' in ref ? ref.assigneeId : ref.assigneeEmail);

/** The enabled person of this address whose role may do `permission`; null for anyone else (a requester, a stranger, a disabled account). */
export async function findActor({ email, permission }: { email: string; permission: Permission }): Promise<Person | null> {
  const u = await User.findOne({ where: { email: email.toLowerCase(), enabled: true, role: { [Op.in]: [...PERMISSIONS[permission]] } } });
  return u ? { name: u.name, email: u.email } : null;
}

/** Who `permission` admits, in words for a refusal. */
export const rolesOf = (permission: Permission): string => PERMISSIONS[permission].join(' or ');
