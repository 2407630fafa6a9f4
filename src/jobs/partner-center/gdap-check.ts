import { sql } from 'kysely';
import type { PartnerCenterClient } from '../../connectors/partner-center/index.ts';
import type { HubContext } from '../../context.ts';
import { recordConsentVerdict } from '../../db/consents.ts';
import { relationshipsOfTenant, replaceGdapRelationships, type SeenRelationship } from '../../db/gdap-relationships.ts';
import { PARTNER_CENTER } from '../../db/ingest/customers.ts';
import { assessConsent, type ConsentAssessment } from '../../engine/consent.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { readCursor, writeCursor } from './run-progress.ts';

/**
 * The roles billing needs by default: Directory Readers, the least privileged GDAP role
 * Partner Center documents for reading a customer's directory data. A connection may name
 * others in its settings (`gdapRequiredRoles`: role definition ids).
 */
export const DEFAULT_REQUIRED_ROLES = ['88d8e3e3-8f55-4a1e-953a-9b9898b8876b'];

const ACTOR = { actor: 'system:partner_center.gdap_check' };
const CHECKED_SCOPE = 'gdap';

export function requiredRoles(settings: unknown): string[] {
  const named = (settings as { gdapRequiredRoles?: unknown } | null)?.gdapRequiredRoles;
  return Array.isArray(named) && named.length > 0 && named.every((r) => typeof r === 'string') ? named : DEFAULT_REQUIRED_ROLES;
}

/** Whether the connection's relationships were ever read: until then, customers are not judged by them. */
export async function gdapChecked(ctx: HubContext, connectionId: string): Promise<boolean> {
  return (await readCursor(ctx.db, connectionId, CHECKED_SCOPE)) !== undefined;
}

/**
 * Read every GDAP relationship of the connection from Microsoft Graph (with the roles its
 * active access assignments give), store them, and record each known customer's verdict.
 */
export async function checkGdap(ctx: HubContext, connectionId: string, options: { now?: Date; client?: PartnerCenterClient } = {}): Promise<{ relationships: number; customers: number }> {
  const client = options.client ?? (await partnerCenterClientFor(ctx, connectionId));
  const seenAt = new Date();
  const seen: SeenRelationship[] = [];
  for (const r of await client.delegatedAdminRelationships()) {
    const tenant = r.customer?.tenantId;
    if (!tenant) continue;
    // Only a live relationship's assignments can give access: the others cost a call for nothing.
    const assignments = r.status === 'active' ? await client.accessAssignments(r.id) : [];
    seen.push({
      id: r.id,
      customerTenantId: tenant.toLowerCase(),
      displayName: r.displayName ?? null,
      status: r.status ?? 'unknownFutureValue',
      duration: r.duration ?? null,
      autoExtendDuration: r.autoExtendDuration ?? null,
      activatedAt: r.activatedDateTime ? new Date(r.activatedDateTime) : null,
      endAt: r.endDateTime ? new Date(r.endDateTime) : null,
      roles: (r.accessDetails?.unifiedRoles ?? []).map((u) => u.roleDefinitionId),
      assignedRoles: [...new Set(assignments.filter((a) => a.status === 'active').flatMap((a) => (a.accessDetails?.unifiedRoles ?? []).map((u) => u.roleDefinitionId)))],
    });
  }
  await replaceGdapRelationships(ctx.db, connectionId, seen, seenAt);
  await writeCursor(ctx.db, connectionId, CHECKED_SCOPE, { checkedAt: seenAt.toISOString() });
  // The connection's customers: those a relationship names, those it synced, those already reviewed.
  const customers = await sql<{ id: string; name: string; tenant: string }>`
    select c.id, c.name, l.external_id as tenant
    from customers c join external_links l on l.entity = 'customer' and l.entity_id = c.id and l.system = ${PARTNER_CENTER}
    where exists (select 1 from gdap_relationships g where g.connection_id = ${connectionId} and g.customer_id = c.id)
       or exists (select 1 from subscriptions s where s.connection_id = ${connectionId} and s.customer_id = c.id)
       or exists (select 1 from consents k where k.connection_id = ${connectionId} and k.customer_id = c.id)
    order by c.name, c.id
  `.execute(ctx.db);
  for (const c of customers.rows) await reviewConsent(ctx, connectionId, { id: c.id, name: c.name, tenantId: c.tenant }, options.now ?? seenAt);
  return { relationships: seen.length, customers: customers.rows.length };
}

/** One customer's verdict from the stored relationships (no vendor call), recorded with its alerts. */
export async function reviewConsent(
  ctx: HubContext,
  connectionId: string,
  customer: { id: string; name: string; tenantId: string },
  now: Date,
): Promise<{ verdict: ConsentAssessment; changed: boolean }> {
  const connection = await ctx.db.selectFrom('connections').select('settings').where('id', '=', connectionId).executeTakeFirst();
  const verdict = assessConsent(await relationshipsOfTenant(ctx.db, connectionId, { tenantId: customer.tenantId, customerId: customer.id }), requiredRoles(connection?.settings), now);
  const { changed } = await recordConsentVerdict(ctx.db, { customerId: customer.id, connectionId, customerName: customer.name }, verdict, now, ACTOR);
  return { verdict, changed };
}

/** The daily task: every active Partner Center connection, or the one named. */
export async function gdapCheckTask(payload: { connectionId?: string }, ctx: HubContext): Promise<void> {
  let q = ctx.db.selectFrom('connections').select('id').where('provider', '=', 'partner-center').where('status', '=', 'active');
  if (payload.connectionId) q = q.where('id', '=', payload.connectionId);
  for (const { id } of await q.execute()) {
    const result = await checkGdap(ctx, id);
    ctx.logger.info({ connectionId: id, ...result }, 'GDAP relationships reviewed');
  }
}
