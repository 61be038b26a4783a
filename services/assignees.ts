// Who may be assigned a ticket: an enabled technician or lead. One lookup for the API's assign step
// and for the ticket workflow's ops signals (through the findAssignee activity), so both doors
// refuse the same people.
import { Op } from 'sequelize';
import { User } from '../db/models';
import type { AssigneeRef } from '../domain/step-bodies';
import type { Person } from '../domain/ticket-lifecycle';

export async function findAssignee(ref: AssigneeRef): Promise<Person | null> {
  const where = 'assigneeId' in ref ? { id: ref.assigneeId } : { email: ref.assigneeEmail.toLowerCase() };
  const u = await User.findOne({ where: { ...where, role: { [Op.in]: ['technician', 'lead'] } } });
  return u && u.enabled ? { name: u.name, email: u.email } : null;
}

export const describeAssignee = (ref: AssigneeRef): string => ('assigneeId' in ref ? ref.assigneeId : ref.assigneeEmail);
