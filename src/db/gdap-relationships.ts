import { sql } from 'kysely';
import type { Db } from './database.ts';
import { PARTNER_CENTER } from './ingest/customers.ts';
import type { GdapRelationshipFacts } from '../engine/consent.ts';

/** One relationship as Graph listed it, with the roles its active access assignments give. */
export interface SeenRelationship {
  id: string;
  customerTenantId: string;
  displayName: string | null;
  status: string;
  duration: string | null;
  autoExtendDuration: string | null;
  activatedAt: Date | null;
  endAt: Date | null;
  roles: string[];
  assignedRoles: string[];
}

/**
 * Replace a connection's stored relationships with what Graph lists now (one transaction:
 * a reader sees the old set or the new, never half), linking each to the hub customer of its tenant.
 */
export async function replaceGdapRelationships(db: Db, connectionId: string, seen: SeenRelationship[], seenAt: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (seen.length > 0) {
      await sql`
        insert into gdap_relationships (connection_id, relationship_id, customer_tenant_id, customer_id, display_name, status, duration,
          auto_extend_duration, activated_at, end_at, roles, assigned_roles, seen_at)
        select ${connectionId}::uuid, r.id, r.tenant, l.entity_id, r.name, r.status, r.duration, r.auto_extend, r.activated, r.ends,
          array(select jsonb_array_elements_text(r.roles)), array(select jsonb_array_elements_text(r.assigned)), ${seenAt}
        from jsonb_to_recordset(${JSON.stringify(seen.map(toRecord))}::jsonb)
          as r(id text, tenant text, name text, status text, duration text, auto_extend text, activated timestamptz, ends timestamptz, roles jsonb, assigned jsonb)
          left join external_links l on l.system = ${PARTNER_CENTER} and l.entity = 'customer' and lower(l.external_id) = lower(r.tenant)
        on conflict (connection_id, relationship_id) do update set
          customer_tenant_id = excluded.customer_tenant_id, customer_id = excluded.customer_id, display_name = excluded.display_name,
          status = excluded.status, duration = excluded.duration, auto_extend_duration = excluded.auto_extend_duration,
          activated_at = excluded.activated_at, end_at = excluded.end_at, roles = excluded.roles,
          assigned_roles = excluded.assigned_roles, seen_at = excluded.seen_at
      `.execute(trx);
    }
    await trx.deleteFrom('gdap_relationships').where('connection_id', '=', connectionId).where('seen_at', '<', seenAt).execute();
  });
}

function toRecord(r: SeenRelationship) {
  return {
    id: r.id,
    tenant: r.customerTenantId,
    name: r.displayName,
    status: r.status,
    duration: r.duration,
    auto_extend: r.autoExtendDuration,
    activated: r.activatedAt?.toISOString() ?? null,
    ends: r.endAt?.toISOString() ?? null,
    roles: r.roles,
    assigned: r.assignedRoles,
  };
}

/**
 * A tenant's stored relationships, for the consent verdict; rows read before the hub knew
 * the tenant's customer (a sync's first meeting) are linked to it now.
 */
export async function relationshipsOfTenant(db: Db, connectionId: string, tenant: { tenantId: string; customerId: string }): Promise<GdapRelationshipFacts[]> {
  const tenantId = tenant.tenantId;
  await db
    .updateTable('gdap_relationships')
    .set({ customer_id: tenant.customerId })
    .where('connection_id', '=', connectionId)
    .where(sql<boolean>`lower(customer_tenant_id) = lower(${tenantId})`)
    .where('customer_id', 'is', null)
    .execute();
  const rows = await db
    .selectFrom('gdap_relationships')
    .select(['relationship_id', 'status', 'end_at', 'auto_extend_duration', 'assigned_roles'])
    .where('connection_id', '=', connectionId)
    .where(sql<boolean>`lower(customer_tenant_id) = lower(${tenantId})`)
    .execute();
  return rows.map((r) => ({ id: r.relationship_id, status: r.status, endDateTime: r.end_at, autoExtendDuration: r.auto_extend_duration, assignedRoles: r.assigned_roles }));
}

/** The relationships stored for a customer, newest end first, as the consent route shows them. */
export async function relationshipsOfCustomer(db: Db, customerId: string) {
  return db.selectFrom('gdap_relationships').selectAll().where('customer_id', '=', customerId).orderBy('end_at', 'desc').execute();
}
