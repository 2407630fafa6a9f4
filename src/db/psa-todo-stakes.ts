import type { Db } from './database.ts';
import { Decimal } from '../engine/decimal.ts';
import { minorUnits } from '../engine/money.ts';
import { seatDrift } from '../engine/seat-drift.ts';

// What a PSA seat to-do holds back a month: the seat difference at the approved seat
// price, in the currency of the customer's latest approved rate card version.

/** The latest approved card currency per customer. */
export async function approvedCurrencies(db: Db, customerIds: string[]): Promise<Map<string, string>> {
  if (customerIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('rate_card_versions as v')
    .innerJoin('rate_cards as c', 'c.id', 'v.rate_card_id')
    .select(['c.customer_id', 'v.currency'])
    .distinctOn('c.customer_id')
    .where('c.customer_id', 'in', [...new Set(customerIds)])
    .where('v.status', '=', 'approved')
    .orderBy('c.customer_id')
    .orderBy('v.decided_at', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.customer_id!, r.currency]));
}

/** |Microsoft seats − PSA seats (none: 0)| × the approved unit price, or null without a price or currency. */
export function todoStake(t: { microsoft_quantity: string; psa_quantity: string | null; approved_unit_price: string | null }, currency: string | undefined): string | null {
  if (t.approved_unit_price === null || currency === undefined) return null;
  const drift = seatDrift(new Decimal(t.microsoft_quantity), new Decimal(t.psa_quantity ?? 0), new Decimal(t.approved_unit_price), currency);
  return (drift?.moneyAtStake ?? new Decimal(0)).toFixed(minorUnits(currency));
}
