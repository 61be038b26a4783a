// The engineer contacts of each brand Last Call resells: who a brand-engineer meeting invites.
// Admin changes are audited; adding a contact wakes meetings that were waiting for one.
import { UniqueConstraintError } from 'sequelize';
import { BrandContact, Product } from '../db/models';
import { DomainError, notFound } from '../domain/errors';
import { isUuid } from './ids';
import type { Principal } from './access';
import { audit } from './audit';

const contactView = (c: BrandContact) => ({ id: c.id, brand: c.brand, name: c.name, email: c.email, phone: c.phone, createdAt: c.createdAt.toISOString() });

export function createBrandService(hooks: { contactAdded?: (brand: string) => Promise<unknown> } = {}) {
  async function addContact(brand: string, body: { name: string; email: string; phone?: string }, actor: Principal) {
    const key = brand.trim().toLowerCase();
    let c: BrandContact;
    try {
      c = await BrandContact.sequelize!.transaction(async (transaction) => {
        const row = await BrandContact.create({ brand: key, name: body.name, email: body.email, phone: body.phone ?? null }, { transaction });
        await audit(actor, 'brand_contact.create', { type: 'brand_contact', id: row.id }, { brand: key, email: row.email }, transaction);
        return row;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw new DomainError('conflict', 'EMAIL_TAKEN', `${body.email} is already a contact of ${brand}`);
      throw err;
    }
    await hooks.contactAdded?.(key);
    return contactView(c);
  }

  async function listContacts(brand: string) {
    const rows = await BrandContact.findAll({ where: { brand: brand.trim().toLowerCase() }, order: [['createdAt', 'ASC']] });
    return rows.map(contactView);
  }

  async function removeContact(brand: string, id: string, actor: Principal) {
    const c = isUuid(id) ? await BrandContact.findOne({ where: { id, brand: brand.trim().toLowerCase() } }) : null;
    if (!c) throw notFound(`contact ${id} of ${brand}`);
    await BrandContact.sequelize!.transaction(async (transaction) => {
      await c.destroy({ transaction });
      await audit(actor, 'brand_contact.delete', { type: 'brand_contact', id: c.id }, { brand: c.brand, email: c.email }, transaction);
    });
  }

  /** Every brand customers bought, with how many engineer contacts each has. */
  async function listBrands() {
    const [brands, contacts] = await Promise.all([
      Product.findAll({ attributes: ['brand'], group: ['brand'] }),
      BrandContact.findAll({ attributes: ['brand'] }),
    ]);
    const names = new Set([...brands.map((b) => b.brand.toLowerCase()), ...contacts.map((c) => c.brand)]);
    return [...names].sort().map((brand) => ({ brand, contacts: contacts.filter((c) => c.brand === brand).length }));
  }

  return { addContact, listContacts, removeContact, listBrands };
}

export type BrandService = ReturnType<typeof createBrandService>;
