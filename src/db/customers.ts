import type { Kysely, Selectable, Transaction } from 'kysely';
import { writeAudit } from './audit.ts';
import type { Database } from './types.ts';

// Customers as the API shows them, and their creation: shared by the customers route
// and the jobs that create customers (CRM quote-to-cash), so neither reaches into the other.

export interface CustomerView {
  id: string;
  name: string;
  status: 'active' | 'inactive';
  billingCurrency: string;
  billingEmail: string | null;
  requiredTags: string[] | null;
  externalLinks: { id: string; system: string; externalId: string; createdAt: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface NewCustomer {
  name: string;
  billingCurrency?: string | undefined;
  billingEmail?: string | undefined;
  requiredTags?: string[] | null | undefined;
  /** Links the caller has checked are free (one per system, no other record holds them). */
  externalLinks?: { system: string; externalId: string }[] | undefined;
}

type CustomerRow = Selectable<Database['customers']>;
type LinkRow = { id: string; system: string; external_id: string; created_at: Date };

export function toCustomerView(row: CustomerRow, links: LinkRow[]): CustomerView {
  return {
    id: row.id,
    name: row.name,
    status: row.status as 'active' | 'inactive',
    billingCurrency: row.billing_currency,
    billingEmail: row.billing_email,
    requiredTags: row.required_tags,
    externalLinks: links.map((l) => ({ id: l.id, system: l.system, externalId: l.external_id, createdAt: l.created_at.toISOString() })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function loadCustomer(db: Kysely<Database> | Transaction<Database>, id: string): Promise<CustomerView | undefined> {
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const links = await db
    .selectFrom('external_links')
    .select(['id', 'system', 'external_id', 'created_at'])
    .where('entity', '=', 'customer')
    .where('entity_id', '=', id)
    .orderBy('system')
    .execute();
  return toCustomerView(row, links);
}

/** Creates a customer with its unallocated cost node and links, audited, inside the caller's transaction. */
export async function createCustomer(trx: Transaction<Database>, input: NewCustomer, actor: { actor: string; requestId?: string }): Promise<CustomerView> {
  const links = input.externalLinks ?? [];
  const row = await trx
    .insertInto('customers')
    .values({ name: input.name.trim(), billing_currency: input.billingCurrency ?? 'USD', billing_email: input.billingEmail ?? null, required_tags: input.requiredTags ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx.insertInto('cost_nodes').values({ customer_id: row.id, name: 'Unallocated', kind: 'unallocated' }).execute();
  if (links.length > 0) {
    await trx
      .insertInto('external_links')
      .values(links.map((l) => ({ entity: 'customer', entity_id: row.id, system: l.system, external_id: l.externalId })))
      .execute();
  }
  const created = (await loadCustomer(trx, row.id))!;
  await writeAudit(trx, { ...actor, action: 'customer.create', entity: 'customer', entityId: row.id, after: created });
  return created;
}
