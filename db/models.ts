// Sequelize models over the tables the migrations create. Column names are snake_case in SQL and
// camelCase here.
import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type CreationOptional, type NonAttribute, type Sequelize } from 'sequelize';
import type { ClockState } from '../domain/sla-clock';
import type { Person, TicketStatus } from '../domain/ticket-lifecycle';
import type { Channel, Impact, Plan, ResponseVia, TicketType } from '../domain/plans';
import type { SlaPolicy, TicketTargets } from '../domain/sla-policy';
import type { Term } from '../domain/entitlements';
import type { Role } from '../domain/roles';
import type { SessionKind, SessionParty, SessionStatus } from '../domain/sessions';

export class Customer extends Model<InferAttributes<Customer>, InferCreationAttributes<Customer>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare timezone: CreationOptional<string>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  /** With `include` (an entitlement reads the customer, its products and subscriptions in one query). */
  declare products?: NonAttribute<Product[]>;
  declare subscriptions?: NonAttribute<Subscription[]>;
}

export class SlaPolicyRow extends Model<InferAttributes<SlaPolicyRow>, InferCreationAttributes<SlaPolicyRow>> {
  declare id: CreationOptional<number>;
  declare policy: SlaPolicy;
  declare createdBy: string;
  declare createdAt: CreationOptional<Date>;
}

export class Ticket extends Model<InferAttributes<Ticket>, InferCreationAttributes<Ticket>> {
  declare id: CreationOptional<string>;
  declare number: CreationOptional<string>; // BIGINT comes back as a string from pg
  declare customerId: string;
  declare requesterName: string | null;
  declare requesterEmail: string;
  declare requesterId: string | null;
  declare endUser: { name?: string; email: string } | null;
  declare productId: string | null;
  declare loggedBy: string | null;
  declare plan: Plan;
  declare impact: Impact;
  declare type: TicketType;
  declare channel: Channel;
  declare subject: string;
  declare description: string;
  declare status: CreationOptional<TicketStatus>;
  declare receivedAt: Date;
  declare targets: TicketTargets;
  declare slaPolicyId: number | null;
  declare responseDueAt: Date | null;
  declare resolutionDueAt: Date | null;
  declare nextDueAt: Date | null;
  declare breached: CreationOptional<boolean>;
  declare assignee: Person | null;
  declare respondedVia: ResponseVia | null;
  declare clocks: { response: ClockState; resolution: ClockState; nextReply?: ClockState } | null;
  declare snapshotVersion: CreationOptional<number>;
  declare workflowId: string;
  declare workflowStartedAt: Date | null;
  declare idempotencyKey: CreationOptional<string | null>;
  declare requestHash: CreationOptional<string | null>;
  declare resolvedAt: Date | null;
  declare closedAt: Date | null;
  /** The e-mail a ticket came from (inbound mail): its first answer threads under it. */
  declare sourceMessageId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class TicketEventRow extends Model<InferAttributes<TicketEventRow>, InferCreationAttributes<TicketEventRow>> {
  declare id: CreationOptional<string>;
  declare ticketId: string;
  declare seq: number;
  declare type: string;
  declare actor: string;
  declare at: Date;
  declare data: Record<string, unknown>;
  declare recordedAt: CreationOptional<Date>;
}

/** A text written on a ticket, referred to by id from its events (see domain/ticket-texts.ts). */
export class TicketText extends Model<InferAttributes<TicketText>, InferCreationAttributes<TicketText>> {
  declare id: CreationOptional<string>;
  declare ticketId: string;
  declare body: string;
  declare createdAt: CreationOptional<Date>;
}

export class NotificationRow extends Model<InferAttributes<NotificationRow>, InferCreationAttributes<NotificationRow>> {
  declare key: string;
  declare ticketId: string | null;
  declare kind: string;
  declare recipient: string;
  declare subject: string;
  declare messageId: string | null;
  declare state: CreationOptional<'sending' | 'sent'>;
  declare sentAt: Date | null;
}

export class Product extends Model<InferAttributes<Product>, InferCreationAttributes<Product>> {
  declare id: CreationOptional<string>;
  declare customerId: string;
  declare brand: string;
  declare name: string;
  declare technology: string;
  declare purchaseConfirmedAt: Date | null;
  declare licensesDeliveredAt: Date | null;
  declare inForceUntil: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export type CancelMode = 'end_of_term' | 'immediately' | 'superseded';

export class Subscription extends Model<InferAttributes<Subscription>, InferCreationAttributes<Subscription>> {
  declare id: CreationOptional<string>;
  declare customerId: string;
  declare plan: 'advanced';
  declare term: Term;
  declare anchorAt: Date;
  declare termIndex: number;
  declare startsAt: Date;
  declare termEndsAt: Date;
  declare endsAt: Date;
  declare cancelledAt: Date | null;
  declare cancelMode: CancelMode | null;
  declare createdBy: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<string>;
  declare customerId: string | null;
  declare role: Role;
  declare name: string;
  declare email: string;
  declare phone: string | null;
  declare technologies: CreationOptional<string[]>;
  declare isPrimary: CreationOptional<boolean>;
  declare enabled: CreationOptional<boolean>;
  /** Moved on when the user's tokens are revoked or reissued: sessions and sign-in links of an older one are void. */
  declare sessionGeneration: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  /** With `include` (authentication): the subscriptions of a requester's customer not ended yet. */
  declare customerSubscriptions?: NonAttribute<Subscription[]>;
}

export class ApiToken extends Model<InferAttributes<ApiToken>, InferCreationAttributes<ApiToken>> {
  declare id: CreationOptional<string>;
  declare userId: string;
  declare tokenHash: string;
  declare tokenPrefix: string;
  declare createdAt: CreationOptional<Date>;
  declare revokedAt: Date | null;
  declare lastUsedAt: Date | null;
  /** With `include: 'user'` (authentication reads both in one query). */
  declare user?: NonAttribute<User>;
}

export class AuditEntry extends Model<InferAttributes<AuditEntry>, InferCreationAttributes<AuditEntry>> {
  declare id: CreationOptional<string>;
  declare at: CreationOptional<Date>;
  declare actor: string;
  declare actorUserId: string | null;
  declare action: string;
  declare targetType: string;
  declare targetId: string | null;
  declare data: Record<string, unknown>;
}

export class SessionRow extends Model<InferAttributes<SessionRow>, InferCreationAttributes<SessionRow>> {
  declare id: string;
  declare ticketId: string;
  declare kind: SessionKind;
  declare status: SessionStatus;
  declare attempt: number;
  declare technology: string | null;
  declare brand: string | null;
  declare hostId: string | null;
  declare host: SessionParty | null;
  declare attendees: SessionParty[];
  declare startsAt: Date | null;
  declare durationMs: number;
  declare notes: string | null;
  declare requestedBy: string;
  declare lastEvent: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class BrandContact extends Model<InferAttributes<BrandContact>, InferCreationAttributes<BrandContact>> {
  declare id: CreationOptional<string>;
  declare brand: string;
  declare name: string;
  declare email: string;
  declare phone: string | null;
  declare createdAt: CreationOptional<Date>;
}

export class WebSession extends Model<InferAttributes<WebSession>, InferCreationAttributes<WebSession>> {
  declare idHash: string;
  declare userId: string;
  /** The user's session generation when the credential that opened it was valid. */
  declare generation: number;
  declare createdAt: CreationOptional<Date>;
  declare expiresAt: Date;
  /** With `include: 'user'` (the check on every request reads both in one query). */
  declare user?: NonAttribute<User>;
}

export class SignInLink extends Model<InferAttributes<SignInLink>, InferCreationAttributes<SignInLink>> {
  declare tokenHash: string;
  declare userId: string;
  /** The user's session generation when the link was issued. */
  declare generation: number;
  declare createdAt: CreationOptional<Date>;
  declare expiresAt: Date;
  declare usedAt: Date | null;
}

export type InboundOutcome = 'processing' | 'ticket_created' | 'reply_added' | 'refused' | 'ignored' | 'held';

export class InboundMessage extends Model<InferAttributes<InboundMessage>, InferCreationAttributes<InboundMessage>> {
  declare id: CreationOptional<string>;
  declare messageId: string;
  declare fromAddress: string | null;
  declare subject: string;
  declare size: number;
  declare outcome: InboundOutcome;
  declare reason: string | null;
  declare ticketId: string | null;
  declare replyMessageId: string | null;
  declare receivedAt: CreationOptional<Date>;
}

export type HeldMailStatus = 'held' | 'accepting' | 'accepted' | 'rejected';

export class HeldMail extends Model<InferAttributes<HeldMail>, InferCreationAttributes<HeldMail>> {
  declare id: CreationOptional<string>;
  declare inboundMessageId: string;
  declare raw: Buffer | null;
  declare envelope: { from: string | null; rcptTo: string[]; remoteAddress: string; helo: string | null };
  declare fromAddress: string;
  declare fromName: string | null;
  declare subject: string;
  declare preview: string;
  declare ticketId: string | null;
  declare authentication: { summary: string; spf: string; dkim: string; dmarc: string; via: string };
  declare status: CreationOptional<HeldMailStatus>;
  declare decidedBy: string | null;
  declare decidedByUserId: string | null;
  declare decidedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
}

export class TicketAttachment extends Model<InferAttributes<TicketAttachment>, InferCreationAttributes<TicketAttachment>> {
  declare id: CreationOptional<string>;
  declare ticketId: string;
  declare inboundMessageId: string | null;
  declare filename: string;
  declare contentType: string;
  declare size: number;
  declare content: Buffer;
  declare createdAt: CreationOptional<Date>;
}

export function initModels(sequelize: Sequelize) {
  const common = { sequelize, underscored: true };
  Customer.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      name: { type: DataTypes.TEXT, allowNull: false },
      timezone: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'America/Santiago' },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'customers' },
  );
  SlaPolicyRow.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      policy: { type: DataTypes.JSONB, allowNull: false },
      createdBy: { type: DataTypes.TEXT, allowNull: false },
      createdAt: DataTypes.DATE,
    },
    { ...common, tableName: 'sla_policies', updatedAt: false },
  );
  Ticket.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      number: { type: DataTypes.BIGINT },
      customerId: { type: DataTypes.UUID, allowNull: false },
      requesterName: DataTypes.TEXT,
      requesterEmail: { type: DataTypes.TEXT, allowNull: false },
      requesterId: DataTypes.UUID,
      endUser: DataTypes.JSONB,
      productId: DataTypes.UUID,
      loggedBy: DataTypes.TEXT,
      plan: { type: DataTypes.TEXT, allowNull: false },
      impact: { type: DataTypes.TEXT, allowNull: false },
      type: { type: DataTypes.TEXT, allowNull: false },
      channel: { type: DataTypes.TEXT, allowNull: false },
      subject: { type: DataTypes.TEXT, allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'open' },
      receivedAt: { type: DataTypes.DATE, allowNull: false },
      targets: { type: DataTypes.JSONB, allowNull: false },
      slaPolicyId: DataTypes.INTEGER,
      responseDueAt: DataTypes.DATE,
      resolutionDueAt: DataTypes.DATE,
      nextDueAt: DataTypes.DATE,
      breached: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      assignee: DataTypes.JSONB,
      respondedVia: DataTypes.TEXT,
      clocks: DataTypes.JSONB,
      snapshotVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: -1 },
      workflowId: { type: DataTypes.TEXT, allowNull: false },
      workflowStartedAt: DataTypes.DATE,
      idempotencyKey: DataTypes.TEXT,
      requestHash: DataTypes.TEXT,
      resolvedAt: DataTypes.DATE,
      closedAt: DataTypes.DATE,
      sourceMessageId: DataTypes.TEXT,
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'tickets' },
  );
  TicketEventRow.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      ticketId: { type: DataTypes.UUID, allowNull: false },
      seq: { type: DataTypes.INTEGER, allowNull: false },
      type: { type: DataTypes.TEXT, allowNull: false },
      actor: { type: DataTypes.TEXT, allowNull: false },
      at: { type: DataTypes.DATE, allowNull: false },
      data: { type: DataTypes.JSONB, allowNull: false },
      recordedAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { ...common, tableName: 'ticket_events', timestamps: false },
  );
  TicketText.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      ticketId: { type: DataTypes.UUID, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      createdAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { ...common, tableName: 'ticket_texts', timestamps: false },
  );
  NotificationRow.init(
    {
      key: { type: DataTypes.TEXT, primaryKey: true },
      // Null for mail that belongs to no ticket (monthly reports, term reminders, the lead's digest).
      ticketId: { type: DataTypes.UUID, allowNull: true },
      kind: { type: DataTypes.TEXT, allowNull: false },
      recipient: { type: DataTypes.TEXT, allowNull: false },
      subject: { type: DataTypes.TEXT, allowNull: false },
      messageId: DataTypes.TEXT,
      state: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'sending' },
      sentAt: DataTypes.DATE,
    },
    { ...common, tableName: 'notifications', timestamps: false },
  );
  Product.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      customerId: { type: DataTypes.UUID, allowNull: false },
      brand: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      technology: { type: DataTypes.TEXT, allowNull: false },
      purchaseConfirmedAt: DataTypes.DATE,
      licensesDeliveredAt: DataTypes.DATE,
      inForceUntil: DataTypes.DATE,
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'products' },
  );
  Subscription.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      customerId: { type: DataTypes.UUID, allowNull: false },
      plan: { type: DataTypes.TEXT, allowNull: false },
      term: { type: DataTypes.TEXT, allowNull: false },
      anchorAt: { type: DataTypes.DATE, allowNull: false },
      termIndex: { type: DataTypes.INTEGER, allowNull: false },
      startsAt: { type: DataTypes.DATE, allowNull: false },
      termEndsAt: { type: DataTypes.DATE, allowNull: false },
      endsAt: { type: DataTypes.DATE, allowNull: false },
      cancelledAt: DataTypes.DATE,
      cancelMode: DataTypes.TEXT,
      createdBy: { type: DataTypes.TEXT, allowNull: false },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'subscriptions' },
  );
  User.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      customerId: DataTypes.UUID,
      role: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      email: { type: DataTypes.TEXT, allowNull: false },
      phone: DataTypes.TEXT,
      technologies: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      isPrimary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      sessionGeneration: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'users' },
  );
  ApiToken.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      userId: { type: DataTypes.UUID, allowNull: false },
      tokenHash: { type: DataTypes.TEXT, allowNull: false },
      tokenPrefix: { type: DataTypes.TEXT, allowNull: false },
      createdAt: DataTypes.DATE,
      revokedAt: DataTypes.DATE,
      lastUsedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'api_tokens', updatedAt: false },
  );
  AuditEntry.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
      actor: { type: DataTypes.TEXT, allowNull: false },
      actorUserId: DataTypes.UUID,
      action: { type: DataTypes.TEXT, allowNull: false },
      targetType: { type: DataTypes.TEXT, allowNull: false },
      targetId: DataTypes.TEXT,
      data: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    },
    { ...common, tableName: 'audit_log', timestamps: false },
  );
  SessionRow.init(
    {
      id: { type: DataTypes.TEXT, primaryKey: true },
      ticketId: { type: DataTypes.UUID, allowNull: false },
      kind: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.TEXT, allowNull: false },
      attempt: { type: DataTypes.INTEGER, allowNull: false },
      technology: DataTypes.TEXT,
      brand: DataTypes.TEXT,
      hostId: DataTypes.UUID,
      host: DataTypes.JSONB,
      attendees: { type: DataTypes.JSONB, allowNull: false },
      startsAt: DataTypes.DATE,
      durationMs: { type: DataTypes.INTEGER, allowNull: false },
      notes: DataTypes.TEXT,
      requestedBy: { type: DataTypes.TEXT, allowNull: false },
      lastEvent: { type: DataTypes.TEXT, allowNull: false },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'sessions' },
  );
  BrandContact.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      brand: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      email: { type: DataTypes.TEXT, allowNull: false },
      phone: DataTypes.TEXT,
      createdAt: DataTypes.DATE,
    },
    { ...common, tableName: 'brand_contacts', updatedAt: false },
  );
  WebSession.init(
    {
      idHash: { type: DataTypes.TEXT, primaryKey: true },
      userId: { type: DataTypes.UUID, allowNull: false },
      generation: { type: DataTypes.INTEGER, allowNull: false },
      createdAt: DataTypes.DATE,
      expiresAt: { type: DataTypes.DATE, allowNull: false },
    },
    { ...common, tableName: 'web_sessions', updatedAt: false },
  );
  SignInLink.init(
    {
      tokenHash: { type: DataTypes.TEXT, primaryKey: true },
      userId: { type: DataTypes.UUID, allowNull: false },
      generation: { type: DataTypes.INTEGER, allowNull: false },
      createdAt: DataTypes.DATE,
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      usedAt: DataTypes.DATE,
    },
    { ...common, tableName: 'sign_in_links', updatedAt: false },
  );
  InboundMessage.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      messageId: { type: DataTypes.TEXT, allowNull: false },
      fromAddress: DataTypes.TEXT,
      subject: { type: DataTypes.TEXT, allowNull: false },
      size: { type: DataTypes.INTEGER, allowNull: false },
      outcome: { type: DataTypes.TEXT, allowNull: false },
      reason: DataTypes.TEXT,
      ticketId: DataTypes.UUID,
      replyMessageId: DataTypes.TEXT,
      receivedAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { ...common, tableName: 'inbound_messages', timestamps: false },
  );
  HeldMail.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      inboundMessageId: { type: DataTypes.UUID, allowNull: false },
      raw: DataTypes.BLOB,
      envelope: { type: DataTypes.JSONB, allowNull: false },
      fromAddress: { type: DataTypes.TEXT, allowNull: false },
      fromName: DataTypes.TEXT,
      subject: { type: DataTypes.TEXT, allowNull: false },
      preview: { type: DataTypes.TEXT, allowNull: false },
      ticketId: DataTypes.UUID,
      authentication: { type: DataTypes.JSONB, allowNull: false },
      status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'held' },
      decidedBy: DataTypes.TEXT,
      decidedByUserId: DataTypes.UUID,
      decidedAt: DataTypes.DATE,
      createdAt: DataTypes.DATE,
    },
    { ...common, tableName: 'held_mail', updatedAt: false },
  );
  TicketAttachment.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      ticketId: { type: DataTypes.UUID, allowNull: false },
      inboundMessageId: DataTypes.UUID,
      filename: { type: DataTypes.TEXT, allowNull: false },
      contentType: { type: DataTypes.TEXT, allowNull: false },
      size: { type: DataTypes.INTEGER, allowNull: false },
      content: { type: DataTypes.BLOB, allowNull: false },
      createdAt: DataTypes.DATE,
    },
    { ...common, tableName: 'ticket_attachments', updatedAt: false },
  );
  Ticket.hasMany(TicketEventRow, { foreignKey: 'ticketId', as: 'events' });
  Ticket.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  ApiToken.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  WebSession.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  Customer.hasMany(Product, { foreignKey: 'customerId', as: 'products' });
  Customer.hasMany(Subscription, { foreignKey: 'customerId', as: 'subscriptions' });
  // A requester's plan is read with its token: the customer's subscriptions, keyed on the user's customer.
  User.hasMany(Subscription, { foreignKey: 'customerId', sourceKey: 'customerId', as: 'customerSubscriptions', constraints: false });
}
