import type { SalesforceFieldNames, SalesforceRecord } from '../../connectors/salesforce/client.ts';
import type { LineDraft, LineFieldNames } from '../crm/quote-lines.ts';

// Salesforce OpportunityLineItems (or a synced quote's QuoteLineItems) as quote line drafts: the SKU in the product's
// ProductCode, the sales price in UnitPrice with Discount a percentage (Salesforce has no
// amount-off field), and the org's own fields for the MSP's cost, billing frequency and term.

/**
 * A field's value as decimal text. Salesforce sends numbers and currency as JSON numbers;
 * String() gives back the shortest text that reads as the same double, which is the value
 * as entered for Salesforce's precision (at most 18 digits, 15 significant kept exact).
 */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? String(value) : null;
}

export function salesforceLineFields(fields: SalesforceFieldNames, linesFrom: 'QuoteLineItem' | 'OpportunityLineItem' = 'OpportunityLineItem'): LineFieldNames {
  return {
    // A quote line's product code is its product's.
    sku: linesFrom === 'QuoteLineItem' ? 'Product2.ProductCode' : 'ProductCode',
    quantity: 'Quantity',
    price: 'UnitPrice',
    discountPerUnit: null,
    discountPercent: 'Discount',
    unitCost: fields.unitCostField,
    billingFrequency: fields.billingFrequencyField,
  };
}

export function salesforceLineDraft(line: SalesforceRecord, fields: SalesforceFieldNames): LineDraft {
  return {
    lineItemId: line.Id,
    name: text(line.Name),
    sku: text(line.ProductCode),
    quantity: text(line.Quantity),
    price: text(line.UnitPrice),
    discountPerUnit: null,
    discountPercent: text(line.Discount),
    unitCost: text(line[fields.unitCostField]),
    billingFrequency: text(line[fields.billingFrequencyField]),
    term: text(line[fields.termField]),
    source: line,
  };
}
