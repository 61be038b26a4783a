// Who "the support lead" and "the support manager" are when an e-mail goes to them: the configured
// mailboxes, with the enabled lead users copied so the people on duty hear it too.
import { Op } from 'sequelize';
import { User } from '../db/models';

export interface Mailboxes {
  supportLeadEmail: string;
  supportManagerEmail: string;
}

export async function leadRecipients(boxes: Mailboxes): Promise<{ to: string; cc?: string }> {
  const leads = await User.findAll({ where: { role: 'lead', enabled: true, email: { [Op.ne]: boxes.supportLeadEmail } }, order: [['email', 'ASC']] });
  return { to: boxes.supportLeadEmail, cc: leads.length ? leads.map((u) => u.email).join(', ') : undefined };
}

export function managerRecipients(boxes: Mailboxes): { to: string } {
  return { to: boxes.supportManagerEmail };
}
