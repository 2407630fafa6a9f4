import { sql } from 'kysely';
import type { PartnerCenterClient } from '../../connectors/partner-center/index.ts';
import type { HubContext } from '../../context.ts';
import { consentBlock } from '../../db/consents.ts';
import { PARTNER_CENTER } from '../../db/ingest/customers.ts';
import { saveLicenceSnapshots } from '../../db/licence-snapshots.ts';
import { todayIn } from '../../engine/dates.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';

export const LICENCE_SNAPSHOT_TASK = 'partner_center:licence_snapshot';

/**
 * Today's licence assignment in every customer tenant of the connection (Graph
 * `subscribedSkus`, through GDAP), one snapshot per customer and SKU. A customer blocked
 * for consent is skipped; one whose tenant refuses is logged and the others continue.
 */
export async function snapshotLicences(ctx: HubContext, connectionId: string, options: { day?: string; client?: PartnerCenterClient } = {}): Promise<{ customers: number; skus: number; failed: number }> {
  const client = options.client ?? (await partnerCenterClientFor(ctx, connectionId));
  const day = options.day ?? todayIn(ctx.config.billingTimeZone);
  const customers = await sql<{ id: string; tenant: string }>`
    select c.id, l.external_id as tenant
    from customers c join external_links l on l.entity = 'customer' and l.entity_id = c.id and l.system = ${PARTNER_CENTER}
    where exists (select 1 from subscriptions s where s.connection_id = ${connectionId} and s.customer_id = c.id)
    order by c.id
  `.execute(ctx.db);
  let skus = 0;
  let failed = 0;
  let read = 0;
  for (const c of customers.rows) {
    if (await consentBlock(ctx.db, connectionId, c.id)) continue;
    try {
      const seen = await client.subscribedSkus(c.tenant);
      skus += await saveLicenceSnapshots(
        ctx.db,
        { customerId: c.id, connectionId, observedOn: day },
        seen.map((s) => ({
          skuId: s.skuId,
          skuPartNumber: s.skuPartNumber,
          enabled: s.prepaidUnits?.enabled ?? 0,
          consumed: s.consumedUnits ?? 0,
          suspended: s.prepaidUnits?.suspended ?? 0,
          warning: s.prepaidUnits?.warning ?? 0,
          capabilityStatus: s.capabilityStatus ?? 'Enabled',
          appliesTo: s.appliesTo ?? null,
        })),
      );
      read++;
    } catch (error) {
      failed++;
      ctx.logger.warn({ connectionId, customerId: c.id, err: error }, 'licence snapshot: the customer tenant refused; the others continue');
    }
  }
  return { customers: read, skus, failed };
}

/** The daily task: every active Partner Center connection, or the one named. */
export async function licenceSnapshotTask(payload: { connectionId?: string; day?: string }, ctx: HubContext): Promise<void> {
  let q = ctx.db.selectFrom('connections').select('id').where('provider', '=', 'partner-center').where('status', '=', 'active');
  if (payload.connectionId) q = q.where('id', '=', payload.connectionId);
  for (const { id } of await q.execute()) {
    ctx.logger.info({ connectionId: id, ...(await snapshotLicences(ctx, id, payload.day ? { day: payload.day } : {})) }, 'licence assignment read');
  }
}
