import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { loadEffectiveRateCard } from '../../db/rate-cards.ts';
import type { Decimal } from '../../engine/decimal.ts';
import type { MicrosoftSeats } from '../../engine/seat-reconcile.ts';

/**
 * Microsoft's seats per SKU for a customer, from the licence subscriptions Partner Center
 * reported (active ones count; a SKU whose subscriptions are all cancelled or suspended
 * has 0), with the person whose hub change made the latest seat event, if one did.
 */
export async function microsoftSeats(ctx: Pick<HubContext, 'db'>, customerId: string): Promise<MicrosoftSeats[]> {
  const rows = await sql<{ sku: string; quantity: string; as_of: Date | null; requested_by: string | null }>`
    select s.offer_id as sku,
           sum(case when s.status = 'active' then s.quantity else 0 end)::text as quantity,
           max(s.last_synced_at) as as_of,
           (select e.detail->>'actor' from subscription_events e join subscriptions s2 on s2.id = e.subscription_id
             where s2.customer_id = ${customerId}::uuid and s2.offer_id = s.offer_id order by e.created_at desc limit 1
           ) as requested_by
    from subscriptions s
    where s.customer_id = ${customerId}::uuid and s.billing_type = 'license' and s.offer_id is not null
    group by s.offer_id`.execute(ctx.db);
  return rows.rows.map((r) => ({ sku: r.sku, quantity: Number(r.quantity), asOf: r.as_of, requestedBy: r.requested_by?.startsWith('key:') ? r.requested_by : null }));
}

/** The fixed price per SKU on the customer's rate card in effect `today`. */
export async function approvedPrices(ctx: Pick<HubContext, 'db'>, customerId: string, today: string): Promise<Map<string, Decimal>> {
  const card = await loadEffectiveRateCard(ctx.db, customerId, today);
  const prices = new Map<string, Decimal>();
  for (const rule of card?.rules ?? []) if ('sku' in rule.match && rule.unitPrice) prices.set(rule.match.sku, rule.unitPrice);
  return prices;
}

/** The admin's SKU → PSA product mapping of a connection. */
export async function productMapping(ctx: Pick<HubContext, 'db'>, connectionId: string): Promise<Map<string, string>> {
  const mappings = await ctx.db.selectFrom('psa_product_mappings').select(['sku', 'product']).where('connection_id', '=', connectionId).execute();
  return new Map(mappings.map((m) => [m.sku, m.product]));
}
