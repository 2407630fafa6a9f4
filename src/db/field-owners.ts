import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types.ts';

// Which system owns each canonical field. Defaults are seeded by migration 0018 and
// documented in the README; admins change owners through the API.

export const OWNER_SYSTEMS = ['hub', 'microsoft', 'crm', 'psa', 'erp'] as const;
export type OwnerSystem = (typeof OWNER_SYSTEMS)[number];

/** The systems that hold a copy of each field: only one of them can own it. */
export const FIELD_HOLDERS: Readonly<Record<string, readonly OwnerSystem[]>> = {
  'rate_card.markup_percent': ['hub', 'crm'],
  'rate_card.unit_price': ['hub', 'crm'],
  // The CRM's deal lines carry seat quantities too; an MSP whose sales team decides seats can make the CRM the owner.
  'subscription.seats': ['microsoft', 'hub', 'crm'],
  'customer.billing_contact': ['crm', 'hub', 'erp'],
  'customer.billing_address': ['crm', 'hub', 'erp'],
  'psa.agreement_quantity': ['hub', 'psa'],
  'erp.customer_id': ['erp', 'hub'],
};

/** The system a connection's provider is, as far as ownership goes. */
export const PROVIDER_SYSTEMS: Readonly<Record<string, OwnerSystem>> = {
  'partner-center': 'microsoft',
  hubspot: 'crm',
  salesforce: 'crm',
  connectwise: 'psa',
  autotask: 'psa',
  quickbooks: 'erp',
  xero: 'erp',
  netsuite: 'erp',
};

export interface FieldOwner {
  field: string;
  owner: OwnerSystem;
  approval: string;
  description: string;
  updatedBy: string;
  updatedAt: Date;
}

export async function fieldOwners(db: Kysely<Database> | Transaction<Database>): Promise<Map<string, FieldOwner>> {
  const rows = await db.selectFrom('field_owners').selectAll().orderBy('field').execute();
  return new Map(
    rows.map((r) => [r.field, { field: r.field, owner: r.owner as OwnerSystem, approval: r.approval, description: r.description, updatedBy: r.updated_by, updatedAt: r.updated_at }]),
  );
}
