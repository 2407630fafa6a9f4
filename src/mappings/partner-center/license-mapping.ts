import type { FieldSpec, FieldType, MappingRule, RecordSchema } from '../engine/types.ts';
import { copyRule } from '../rules.ts';
import { LICENSE_LINE_FIELDS, type FieldMapping } from './fields.ts';
import { columnFor } from './lines.ts';

// The new-commerce (license-based) reconciliation line as a mapping source, the
// descriptive fields of a licence line an admin may take from elsewhere, and the
// connector's reading of them as the default mapping. The source is each documented
// reconciliation column by its file name, its value as the hub canonicalises it; the
// targets are what invoices and reports show (product, SKU, publisher, descriptions).
//
// The line's identity (tenant, subscription, order, product, SKU and availability ids,
// charge type, reference), its charge dates, quantities and amounts are Microsoft's and
// no target: they make the line's natural key and its cost.

const SOURCE_TYPES: Record<FieldMapping['type'], FieldType> = { string: 'string', decimal: 'decimal', date: 'datetime', percent: 'decimal', list: 'string' };

export const PC_LICENSE_LINE_SOURCE: RecordSchema = {
  name: 'partner center new-commerce reconciliation line',
  fields: Object.fromEntries(LICENSE_LINE_FIELDS.filter((f) => f.column !== 'ProductQualifiers').map((f) => [f.column, { type: SOURCE_TYPES[f.type] } satisfies FieldSpec])),
};

/** Canonical target → the licence line column it writes and the reconciliation column it reads by default. */
export const PC_LICENSE_TARGET_COLUMNS: Readonly<Record<string, { column: string; from: string; description: string }>> = {
  'license.productName': { column: 'product_name', from: 'ProductName', description: 'Shown on invoice lines' },
  'license.skuName': { column: 'sku_name', from: 'SkuName', description: 'Shown on invoice lines' },
  'license.publisherName': { column: 'publisher_name', from: 'PublisherName', description: 'Shown on invoice lines' },
  'license.subscriptionDescription': { column: 'subscription_description', from: 'SubscriptionDescription', description: '' },
  'license.chargeDescription': { column: 'meter_description', from: 'MeterDescription', description: "The charge's description (Microsoft's MeterDescription)" },
  'license.priceAdjustmentDescription': { column: 'price_adjustment_description', from: 'PriceAdjustmentDescription', description: '' },
  'license.productCategory': { column: 'product_category', from: 'ProductCategory', description: '' },
};

export const PC_LICENSE_LINE_TARGET: RecordSchema = {
  name: 'licence line as the hub bills it',
  fields: Object.fromEntries(
    Object.entries(PC_LICENSE_TARGET_COLUMNS).map(([target, c]) => [target, { type: 'string', ...(c.description ? { description: c.description } : {}) } satisfies FieldSpec]),
  ),
};

/** What the connector did before licence line mappings were data, as data. */
export const PC_LICENSE_LINE_DEFAULT: readonly MappingRule[] = Object.entries(PC_LICENSE_TARGET_COLUMNS).map(([target, c]) =>
  copyRule(c.column.replace(/_/g, '-'), c.from, target),
);

/**
 * A stored licence line as the mapping's source record: each column by its documented
 * name (instants as ISO 8601). It holds what the mapping in force when it was read made
 * of the line, which is Microsoft's own values for the built-in mapping.
 */
export function licenseSourceRecord(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const field of LICENSE_LINE_FIELDS) {
    if (field.column === 'ProductQualifiers') continue;
    const value = row[columnFor(field)];
    record[field.column] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
  return record;
}
