import type { CrmRecord } from '../../connectors/hubspot/client.ts';
import { mapLineDrafts, type CategoryLookup, type LineDraft, type LineFieldNames, type QuoteLine, type QuoteProblem } from '../crm/quote-lines.ts';

// HubSpot line items as quote line drafts: the SKU in `hs_sku`, the MSP's cost in
// `hs_cost_of_goods_sold`, an amount off per unit (`discount`) or a percentage.

export const HUBSPOT_LINE_FIELDS: LineFieldNames = {
  sku: 'hs_sku',
  quantity: 'quantity',
  price: 'price',
  discountPerUnit: 'discount',
  discountPercent: 'hs_discount_percentage',
  unitCost: 'hs_cost_of_goods_sold',
  billingFrequency: 'recurringbillingfrequency',
};

export function hubspotLineDraft(item: CrmRecord): LineDraft {
  const p = item.properties;
  return {
    lineItemId: item.id,
    name: p.name ?? null,
    sku: p.hs_sku ?? null,
    quantity: p.quantity ?? null,
    price: p.price ?? null,
    discountPerUnit: p.discount ?? null,
    discountPercent: p.hs_discount_percentage ?? null,
    unitCost: p.hs_cost_of_goods_sold ?? null,
    billingFrequency: p.recurringbillingfrequency ?? null,
    term: p.hs_recurring_billing_period ?? null,
    source: item,
  };
}

/** Maps HubSpot line items, or names each one that cannot be mapped and why. */
export function mapQuoteLines(items: readonly CrmRecord[], lookup: CategoryLookup): { lines: QuoteLine[]; problems: QuoteProblem[] } {
  return mapLineDrafts(items.map(hubspotLineDraft), lookup, HUBSPOT_LINE_FIELDS);
}
