import type { MappingRule, RecordSchema } from '../engine/types.ts';

// The Salesforce opportunity line (an OpportunityLineItem, or a synced quote's
// QuoteLineItem with its product's Name and ProductCode) as a mapping source, and the
// connector's built-in reading of it written as its default mapping: the SKU in
// ProductCode, the sales price in UnitPrice, Discount a percentage (Salesforce has no
// amount-off field), and the org's own fields (connection settings) for the MSP's cost,
// billing frequency and term. The shared checks stay in crm/quote-lines.ts.

/** A line as the REST query API returns it: standard fields at the top, numbers as JSON numbers (read as text). */
export const SALESFORCE_LINE_ITEM_SOURCE: RecordSchema = {
  name: 'salesforce opportunity line',
  fields: {
    Id: { type: 'string' },
    Name: { type: 'string', description: "The product's name" },
    ProductCode: { type: 'string', description: "The product's code" },
    Quantity: { type: 'string' },
    UnitPrice: { type: 'string', description: 'Sales price per unit' },
    ListPrice: { type: 'string', description: "The price book entry's price" },
    Discount: { type: 'string', description: 'Percent off the sales price' },
    TotalPrice: { type: 'string' },
    '*': { type: 'string', description: "Any other field of the line, the org's custom (__c) fields included, as text" },
  },
};

/** The org's fields the built-in mapping reads (connection settings unitCostField, billingFrequencyField, termField). */
export interface SalesforceLineFieldSettings {
  unitCostField: string;
  billingFrequencyField: string;
  termField: string;
}

/** The connection's field settings, each defaulting as the connector's do. */
export function lineFieldSettingsOf(settings: Readonly<Record<string, unknown>>, defaults: SalesforceLineFieldSettings): SalesforceLineFieldSettings {
  const named = (key: keyof SalesforceLineFieldSettings) => (typeof settings[key] === 'string' && settings[key] !== '' ? (settings[key] as string) : defaults[key]);
  return { unitCostField: named('unitCostField'), billingFrequencyField: named('billingFrequencyField'), termField: named('termField') };
}

const copy = (id: string, source: string, target: string): MappingRule => ({ id, source, target: `line.${target}`, transform: { type: 'copy' } });

/** What the connector did before line mappings were data, as data, for the connection's field settings. */
export function salesforceLineItemDefault(fields: SalesforceLineFieldSettings): MappingRule[] {
  return [
    copy('name', 'Name', 'name'),
    copy('sku', 'ProductCode', 'sku'),
    copy('quantity', 'Quantity', 'quantity'),
    copy('price', 'UnitPrice', 'price'),
    copy('discount-percent', 'Discount', 'discountPercent'),
    copy('unit-cost', fields.unitCostField, 'unitCost'),
    copy('billing-frequency', fields.billingFrequencyField, 'billingFrequency'),
    copy('term', fields.termField, 'term'),
  ];
}

const FIELD = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The top-level line fields a mapping reads, so the SOQL query selects them. */
export function lineFieldsRead(paths: Iterable<string>): string[] {
  return [...new Set([...paths].filter((p) => FIELD.test(p)))];
}
