import type { HubContext } from '../../context.ts';
import type { OwnerSystem } from '../../db/field-owners.ts';
import { skuOf } from '../../db/seat-subscriptions.ts';
import { Decimal } from '../../engine/decimal.ts';
import { crmPriceFor, type HubPrice } from '../../engine/drift.ts';
import { minorUnits } from '../../engine/money.ts';
import { seatDrift } from '../../engine/seat-drift.ts';
import type { FindingDraft } from './findings.ts';

export const SEATS_FIELD = 'subscription.seats';

/** Microsoft's seats for a customer and SKU now: the sum over its active subscriptions, and when they were last read. */
export async function microsoftSeats(ctx: HubContext, customerId: string, sku: string): Promise<{ seats: Decimal; seenAt: Date | null } | undefined> {
  const rows = await ctx.db
    .selectFrom('subscriptions')
    .select(['offer_id', 'sku_id', 'quantity', 'last_synced_at'])
    .where('customer_id', '=', customerId)
    .where('status', '=', 'active')
    .execute();
  const matching = rows.filter((r) => skuOf(r.offer_id, r.sku_id).toLowerCase() === sku.toLowerCase());
  if (matching.length === 0) return undefined;
  const seenAt = matching.reduce<Date | null>((latest, r) => (r.last_synced_at && (!latest || r.last_synced_at > latest) ? r.last_synced_at : latest), null);
  return { seats: matching.reduce((sum, r) => sum.plus(r.quantity), new Decimal(0)), seenAt };
}

export interface CrmSeatLine {
  connectionId: string;
  customerId: string;
  currency: string;
  sku: string;
  lineItemId: string;
  quantity: Decimal;
  unitCost: Decimal | null;
  modifiedAt: Date | null;
}

/**
 * Compares a CRM seat line's quantity with Microsoft's seats for its SKU. The owner is
 * the field-ownership table's (Microsoft by default; the hub's count is Microsoft's, so a
 * hub owner holds the same value, and a CRM owner swaps the sides). The money at stake
 * prices the difference at the approved card's seat price (or its markup on the line's
 * cost). Undefined when Microsoft holds no active subscription for the SKU (nothing to
 * compare) or the card has no price for it.
 */
export async function seatFinding(ctx: HubContext, line: CrmSeatLine, hubPrice: HubPrice, owner: OwnerSystem): Promise<{ key: string; draft: FindingDraft | null } | undefined> {
  const microsoft = await microsoftSeats(ctx, line.customerId, line.sku);
  const seatPrice = crmPriceFor(hubPrice, line.unitCost);
  if (!microsoft || seatPrice === null) return undefined;
  const subject = `sku:${line.sku}`;
  const key = `${line.connectionId}:${line.customerId}:${SEATS_FIELD}:${subject}:${line.lineItemId}`;
  const drift = seatDrift(microsoft.seats, line.quantity, seatPrice, line.currency);
  if (!drift) return { key, draft: null };
  const microsoftSide = { value: microsoft.seats.toString(), seenAt: microsoft.seenAt };
  const crmSide = { value: line.quantity.toString(), seenAt: line.modifiedAt };
  const [ownerSide, otherSide] = owner === 'crm' ? [crmSide, microsoftSide] : [microsoftSide, crmSide];
  return {
    key,
    draft: {
      connectionId: line.connectionId,
      customerId: line.customerId,
      system: 'hubspot',
      field: SEATS_FIELD,
      subject,
      owner,
      ownerValue: ownerSide.value,
      ownerSeenAt: ownerSide.seenAt,
      otherValue: otherSide.value,
      otherSeenAt: otherSide.seenAt,
      moneyAtStake: drift.moneyAtStake.toFixed(minorUnits(line.currency)),
      currency: line.currency,
      vendorRef: { object: 'line_items', id: line.lineItemId, kind: 'seat-quantity', quantity: microsoft.seats.toString(), seatPrice: seatPrice.toString() },
    },
  };
}
