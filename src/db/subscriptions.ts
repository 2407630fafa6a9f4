import type { Selectable } from 'kysely';
import type { PartnerCenterSubscription } from '../connectors/partner-center/index.ts';
import type { Db } from './database.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Database } from './types.ts';
import { PARTNER_CENTER } from './ingest/customers.ts';
import { recordMappingUse } from './mapping-uses.ts';
import type { VersionedMapping } from '../mappings/checked.ts';
import type { RuleProblem } from '../mappings/engine/types.ts';
import { BUILT_IN_SUBSCRIPTION_MAPPING, mapSubscription } from '../mappings/partner-center/subscription.ts';

type SubscriptionRow = Selectable<Database['subscriptions']>;

function dateOrNull(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function refundExpiry(sub: PartnerCenterSubscription): Date | null {
  const options = sub.refundOptions;
  if (!Array.isArray(options)) return null;
  const dates = options
    .map((o) => dateOrNull((o as Record<string, unknown>).expiresAfter ?? (o as Record<string, unknown>).expiresAt))
    .filter((d): d is Date => d !== null);
  return dates.length ? new Date(Math.max(...dates.map((d) => d.getTime()))) : null;
}

/** What the subscription change means as a billing event, if anything. */
function eventsFor(before: SubscriptionRow | undefined, after: { quantity: number; status: string }): { type: 'purchase' | 'add' | 'remove' | 'suspend' | 'reactivate' | 'cancel'; before: number | null; after: number }[] {
  if (!before) return after.status === 'active' || after.status === 'pending' ? [{ type: 'purchase', before: null, after: after.quantity }] : [];
  const events: ReturnType<typeof eventsFor> = [];
  if (after.quantity > before.quantity) events.push({ type: 'add', before: before.quantity, after: after.quantity });
  if (after.quantity < before.quantity) events.push({ type: 'remove', before: before.quantity, after: after.quantity });
  if (before.status !== after.status) {
    if (after.status === 'suspended') events.push({ type: 'suspend', before: before.quantity, after: after.quantity });
    else if (after.status === 'active' && before.status === 'suspended') events.push({ type: 'reactivate', before: before.quantity, after: after.quantity });
    else if (after.status === 'deleted' || after.status === 'expired' || after.status === 'disabled') events.push({ type: 'cancel', before: before.quantity, after: 0 });
  }
  return events;
}

/**
 * Upsert a customer's subscriptions as Partner Center lists them, read through the
 * connection's subscription mapping (built in: as they come), whose version is recorded
 * in the same transaction. A subscription a rule cannot map is left as it was and
 * returned with the problems. The vendor id lives in external_links; a quantity or
 * status change becomes an effective-dated event, dated the day the sync saw it
 * (license lines give exact dates when they arrive).
 */
export async function upsertSubscriptions(
  db: Db,
  input: { customerId: string; connectionId: string; subscriptions: PartnerCenterSubscription[]; seenAt: Date; mapping?: VersionedMapping },
  actor: ActorContext,
): Promise<{ created: number; changed: number; events: number; refused: { id: string; problems: RuleProblem[] }[] }> {
  const counts = { created: 0, changed: 0, events: 0, refused: [] as { id: string; problems: RuleProblem[] }[] };
  if (input.subscriptions.length === 0) return counts;
  const mapping = input.mapping ?? BUILT_IN_SUBSCRIPTION_MAPPING;
  await db.transaction().execute(async (trx) => {
    const links = await trx
      .selectFrom('external_links')
      .select(['external_id', 'entity_id'])
      .where('system', '=', PARTNER_CENTER)
      .where('entity', '=', 'subscription')
      .where('external_id', 'in', input.subscriptions.map((s) => s.id))
      .execute();
    const idByExternal = new Map(links.map((l) => [l.external_id, l.entity_id]));
    await recordMappingUse(trx, { connectionId: input.connectionId, object: 'subscription', version: mapping.version, records: input.subscriptions.length });
    for (const sub of input.subscriptions) {
      const mapped = mapSubscription(sub, mapping);
      if (!mapped.ok) {
        counts.refused.push({ id: sub.id, problems: mapped.problems });
        continue;
      }
      const f = mapped.fields;
      const values = {
        customer_id: input.customerId,
        connection_id: input.connectionId,
        offer_id: f.offerId,
        offer_name: f.offerName,
        friendly_name: f.friendlyName,
        sku_id: f.skuId,
        quantity: f.quantity,
        unit_type: f.unitType,
        status: f.status,
        billing_type: f.billingType,
        billing_cycle: f.billingCycle,
        term_duration: f.termDuration,
        auto_renew: f.autoRenew,
        is_trial: f.isTrial,
        creation_date: dateOrNull(f.creationDate),
        effective_start_date: dateOrNull(f.effectiveStartDate),
        commitment_end_date: dateOrNull(f.commitmentEndDate),
        refund_expires_at: refundExpiry(sub),
        order_id: f.orderId,
        last_synced_at: input.seenAt,
      };
      const existingId = idByExternal.get(sub.id);
      const before = existingId ? await trx.selectFrom('subscriptions').selectAll().where('id', '=', existingId).executeTakeFirst() : undefined;
      let row: SubscriptionRow;
      if (before) {
        row = await trx.updateTable('subscriptions').set(values).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
      } else {
        row = await trx.insertInto('subscriptions').values(values).returningAll().executeTakeFirstOrThrow();
        await trx.insertInto('external_links').values({ entity: 'subscription', entity_id: row.id, system: PARTNER_CENTER, external_id: sub.id }).execute();
        counts.created++;
      }
      const events = eventsFor(before, { quantity: values.quantity, status: values.status });
      const effective = (before ? input.seenAt : (values.effective_start_date ?? values.creation_date ?? input.seenAt)).toISOString().slice(0, 10);
      for (const e of events) {
        await trx
          .insertInto('subscription_events')
          .values({ subscription_id: row.id, type: e.type, effective_date: effective, quantity_before: e.before, quantity_after: e.after, source: 'sync', detail: JSON.stringify({ status: values.status }) })
          .execute();
      }
      counts.events += events.length;
      if (before && events.length > 0) {
        counts.changed++;
        await writeAudit(trx, { ...actor, action: 'subscription.change', entity: 'subscription', entityId: row.id, before, after: row });
      } else if (!before) {
        await writeAudit(trx, { ...actor, action: 'subscription.create', entity: 'subscription', entityId: row.id, after: row });
      }
    }
  });
  return counts;
}
