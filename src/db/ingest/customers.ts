import { sql, type Kysely } from 'kysely';
import type { Database } from '../types.ts';
import type { Db } from '../database.ts';
import { writeAudit } from '../audit.ts';
import { entityLinkedTo } from '../external-links.ts';

export const PARTNER_CENTER = 'partner-center';

export interface TenantSeen {
  tenantId: string;
  name: string | null;
}

/** The hub customer linked to a Partner Center tenant id, if any. */
export function customerOfTenant(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  return entityLinkedTo(db, 'customer', PARTNER_CENTER, tenantId);
}

/**
 * Map Partner Center tenant ids to hub customers, creating (and linking, and auditing)
 * the ones the hub does not know yet, as a sync or an import meets them. Safe when
 * two jobs meet the same new tenant at once: a per-tenant lock decides who creates it.
 */
export async function resolveCustomers(db: Db, tenants: TenantSeen[], actor: string): Promise<Map<string, string>> {
  const wanted = new Map<string, string | null>();
  for (const t of tenants) if (!wanted.has(t.tenantId)) wanted.set(t.tenantId, t.name);
  const ids = [...wanted.keys()];
  const found = new Map<string, string>();
  if (ids.length === 0) return found;
  const existing = await db
    .selectFrom('external_links')
    .select(['external_id', 'entity_id'])
    .where('system', '=', PARTNER_CENTER)
    .where('entity', '=', 'customer')
    .where('external_id', 'in', ids)
    .execute();
  for (const row of existing) found.set(row.external_id, row.entity_id);
  for (const tenantId of ids) {
    if (found.has(tenantId)) continue;
    const id = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`pc-tenant:${tenantId}`}))`.execute(trx);
      const again = await customerOfTenant(trx, tenantId);
      if (again) return again;
      const name = wanted.get(tenantId)?.trim() || `Partner Center customer ${tenantId}`;
      const customer = await trx.insertInto('customers').values({ name }).returningAll().executeTakeFirstOrThrow();
      await trx.insertInto('cost_nodes').values({ customer_id: customer.id, name: 'Unallocated', kind: 'unallocated' }).execute();
      await trx.insertInto('external_links').values({ entity: 'customer', entity_id: customer.id, system: PARTNER_CENTER, external_id: tenantId }).execute();
      await writeAudit(trx, {
        actor,
        action: 'customer.create',
        entity: 'customer',
        entityId: customer.id,
        after: { ...customer, externalLinks: [{ system: PARTNER_CENTER, externalId: tenantId }] },
        justification: 'first seen in Partner Center data',
      });
      return customer.id;
    });
    found.set(tenantId, id);
  }
  return found;
}
