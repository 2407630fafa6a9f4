import type { Db } from './database.ts';
import { PARTNER_CENTER } from './ingest/customers.ts';
import { ZERO, Decimal } from '../engine/decimal.ts';
import { periodBounds } from '../engine/dates.ts';
import { seatPrices, type SeatPrice } from '../engine/seat-check.ts';
import type { BillingFrequency, BillingLine, BillingPeriod, SeatCheckSubscription, SubscriptionEvent, TermDuration } from '../engine/types.ts';

// A customer's licence subscriptions as the seat check reads them: the hub's own
// effective-dated events (subscription_events) as engine SeatSubscription values, linked
// to Partner Center's subscription id so the check finds Microsoft's licence lines.

interface SubscriptionRow {
  id: string;
  offer_id: string | null;
  sku_id: string | null;
  billing_cycle: string | null;
  term_duration: string | null;
  auto_renew: boolean | null;
  partner_center_id: string | null;
}

interface EventRow {
  subscription_id: string;
  type: string;
  effective_date: string;
  quantity_before: number | null;
  quantity_after: number | null;
  detail: unknown;
}

/**
 * Partner Center's billingCycle as the engine's billing frequency, case-insensitively
 * ('Monthly', 'annual', 'yearly', 'Triennial'). Anything else (none, one_time, unknown)
 * is passed on as it is: the seat check reports the subscription's events as invalid.
 */
export function billingFrequencyOf(billingCycle: string | null): BillingFrequency {
  const value = (billingCycle ?? '').trim().toLowerCase();
  if (value === 'monthly' || value === 'month') return 'monthly';
  if (value === 'annual' || value === 'yearly' || value === 'year') return 'annual';
  if (value === 'triennial') return 'triennial';
  return (value || 'none') as BillingFrequency;
}

/** ISO 8601 term (P1M, P1Y, P3Y; also P12M / P36M); anything else passes through for the check to report. */
export function termOf(termDuration: string | null): TermDuration {
  const value = (termDuration ?? '').trim().toUpperCase();
  if (value === 'P12M') return 'P1Y';
  if (value === 'P36M') return 'P3Y';
  return (value || 'none') as TermDuration;
}

/** 'ProductId:SkuId' from an offer id 'ProductId:SkuId[:AvailabilityId]', or the SKU id alone. */
export function skuOf(offerId: string | null, skuId: string | null): string {
  const parts = (offerId ?? '').split(':');
  if (parts.length >= 2 && parts[0] && parts[1]) return `${parts[0]}:${parts[1]}`;
  return offerId || skuId || 'unknown';
}

function detailOf(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return detailOf(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function priceIn(detail: Record<string, unknown>): Decimal | null {
  const raw = detail.unitPrice;
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  try {
    return new Decimal(raw);
  } catch {
    return null;
  }
}

/** A whole seat count from a nullable column; null stays NaN so the check reports the event as invalid. */
const count = (value: number | null): number => (value === null ? Number.NaN : value);

/**
 * The licence subscriptions (billing_type 'license') of a customer that have events on
 * or before the period's last day, with those events in effective order (same-day events
 * in the order they were recorded). Each seat is priced at what Microsoft charged for it
 * in the period: the per-seat cycle price of the subscription's seat lines among
 * `licenceLines` (this period's lines, as the close loaded them), by SKU where the lines
 * carry several. A subscription no line prices has `priceKnown: false` (price 0): the
 * check then compares seat-days only. Subscriptions without events are left out.
 *
 * @example const subscriptions = await loadSeatSubscriptions(db, customerId, '2026-06', lines);
 */
export async function loadSeatSubscriptions(db: Db, customerId: string, period: BillingPeriod, licenceLines: readonly BillingLine[]): Promise<SeatCheckSubscription[]> {
  const { end } = periodBounds(period);
  const subscriptions: SubscriptionRow[] = await db
    .selectFrom('subscriptions as s')
    .leftJoin('external_links as x', (join) =>
      join.onRef('x.entity_id', '=', 's.id').on('x.entity', '=', 'subscription').on('x.system', '=', PARTNER_CENTER),
    )
    .select(['s.id', 's.offer_id', 's.sku_id', 's.billing_cycle', 's.term_duration', 's.auto_renew', 'x.external_id as partner_center_id'])
    .where('s.customer_id', '=', customerId)
    .where('s.billing_type', '=', 'license')
    .orderBy('s.created_at')
    .orderBy('s.id')
    .execute();
  if (subscriptions.length === 0) return [];

  const events: EventRow[] = await db
    .selectFrom('subscription_events')
    .select(['subscription_id', 'type', 'effective_date', 'quantity_before', 'quantity_after', 'detail'])
    .where('subscription_id', 'in', subscriptions.map((s) => s.id))
    .where('effective_date', '<=', end)
    .orderBy('subscription_id')
    .orderBy('effective_date')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const eventsOf = new Map<string, EventRow[]>();
  for (const e of events) {
    const list = eventsOf.get(e.subscription_id);
    if (list) list.push(e);
    else eventsOf.set(e.subscription_id, [e]);
  }

  const prices = seatPrices(licenceLines);
  const out: SeatCheckSubscription[] = [];
  for (const s of subscriptions) {
    const rows = eventsOf.get(s.id);
    if (!rows || rows.length === 0) continue;
    const own = s.partner_center_id ? prices.get(s.partner_center_id.toLowerCase()) : undefined;
    let priceKnown = own !== undefined;
    const priceFor = (sku: string, stated: Decimal | null): Decimal => {
      const found: SeatPrice | undefined = own?.bySku.get(sku) ?? (own && own.bySku.size === 1 ? own.any : undefined);
      if (found) return found.price;
      if (stated) return stated;
      if (own) return own.any.price;
      priceKnown = false;
      return ZERO;
    };
    let sku = skuOf(s.offer_id, s.sku_id);
    const mapped: SubscriptionEvent[] = rows.map((e): SubscriptionEvent => {
      const date = e.effective_date;
      const detail = detailOf(e.detail);
      switch (e.type) {
        case 'purchase':
          return { type: 'purchase', date, quantity: count(e.quantity_after), sku, unitPrice: priceFor(sku, priceIn(detail)) };
        case 'add':
        case 'remove': {
          const delta = count(e.quantity_after) - count(e.quantity_before);
          return { type: e.type, date, delta: e.type === 'add' ? delta : -delta };
        }
        case 'upgrade': {
          const raw = detail.newSku ?? detail.offerId ?? detail.sku;
          sku = typeof raw === 'string' && raw !== '' ? skuOf(raw, null) : `${sku} (upgraded ${date})`;
          return { type: 'upgrade', date, newSku: sku, unitPrice: priceFor(sku, priceIn(detail)) };
        }
        case 'renew': {
          const stated = priceIn(detail);
          return { type: 'renew', date, ...(e.quantity_after === null ? {} : { quantity: e.quantity_after }), ...(stated ? { unitPrice: priceFor(sku, stated) } : {}) };
        }
        case 'suspend':
        case 'reactivate':
        case 'cancel':
          return { type: e.type, date };
        default:
          // The table's check constraint allows no other type; the engine reports it if one appears.
          return { type: e.type, date } as unknown as SubscriptionEvent;
      }
    });
    out.push({
      id: s.id,
      partnerCenterId: s.partner_center_id,
      term: termOf(s.term_duration),
      billingFrequency: billingFrequencyOf(s.billing_cycle),
      ...(s.auto_renew === null ? {} : { autoRenew: s.auto_renew }),
      events: mapped,
      priceKnown,
    });
  }
  return out;
}
