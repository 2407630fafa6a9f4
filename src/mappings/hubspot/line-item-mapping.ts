import type { MappingRule, RecordSchema } from '../engine/types.ts';

// The HubSpot line item as a mapping source, the quote line draft it feeds, and the
// connector's built-in reading of it (SKU in hs_sku, cost in hs_cost_of_goods_sold, …)
// written as its default mapping. The checks that follow (SKU shape, monthly only,
// numbers, discounts) are shared by every CRM and stay in crm/quote-lines.ts.

/** A line item as HubSpot's v3 API returns it: every property text. */
export const HUBSPOT_LINE_ITEM_SOURCE: RecordSchema = {
  name: 'hubspot line item',
  fields: {
    id: { type: 'string', description: "HubSpot's line item id" },
    'properties.name': { type: 'string' },
    'properties.hs_sku': { type: 'string' },
    'properties.quantity': { type: 'string', description: 'A number, as text' },
    'properties.price': { type: 'string', description: 'Unit price, as text' },
    'properties.discount': { type: 'string', description: 'Amount off per unit, as text' },
    'properties.hs_discount_percentage': { type: 'string', description: 'Percentage off, as text' },
    'properties.hs_cost_of_goods_sold': { type: 'string', description: 'Unit cost, as text' },
    'properties.recurringbillingfrequency': { type: 'string' },
    'properties.hs_recurring_billing_period': { type: 'string', description: 'ISO 8601 duration, e.g. P12M' },
    'properties.*': { type: 'string', description: 'Any other line item property, custom ones included, as text' },
  },
};

/**
 * The values of one quote line before the hub checks them. Text, as CRMs send it: the
 * shared checks name the field that is wrong, whichever mapping filled it.
 */
export const QUOTE_LINE_TARGET: RecordSchema = {
  name: 'quote line',
  fields: {
    'line.name': { type: 'string' },
    'line.sku': { type: 'string', description: 'Partner Center ProductId:SkuId, or azure:<charge category>' },
    'line.quantity': { type: 'string', description: 'Seats, or Azure units' },
    'line.price': { type: 'string', description: 'Price per unit a month before any discount' },
    'line.discountPerUnit': { type: 'string' },
    'line.discountPercent': { type: 'string' },
    'line.unitCost': { type: 'string', description: 'What one unit costs the MSP a month: the base of the quoted markup' },
    'line.billingFrequency': { type: 'string', description: 'Only monthly lines map' },
    'line.term': { type: 'string' },
  },
};

const copy = (id: string, property: string, target: string): MappingRule => ({ id, source: `properties.${property}`, target: `line.${target}`, transform: { type: 'copy' } });

/** What the connector did before line item mappings were data, as data. */
export const HUBSPOT_LINE_ITEM_DEFAULT: readonly MappingRule[] = [
  copy('name', 'name', 'name'),
  copy('sku', 'hs_sku', 'sku'),
  copy('quantity', 'quantity', 'quantity'),
  copy('price', 'price', 'price'),
  copy('discount-per-unit', 'discount', 'discountPerUnit'),
  copy('discount-percent', 'hs_discount_percentage', 'discountPercent'),
  copy('unit-cost', 'hs_cost_of_goods_sold', 'unitCost'),
  copy('billing-frequency', 'recurringbillingfrequency', 'billingFrequency'),
  copy('term', 'hs_recurring_billing_period', 'term'),
];

const PROPERTY = /^properties\.([A-Za-z0-9_-]+)$/;

/** The line item properties a mapping reads, so the client asks HubSpot for them. */
export function lineItemPropertiesRead(paths: Iterable<string>): string[] {
  const read = new Set<string>();
  for (const path of paths) {
    const m = PROPERTY.exec(path);
    if (m) read.add(m[1]!);
  }
  return [...read];
}
