import type { FieldSpec, FieldType, MappingRule, RecordSchema } from '../engine/types.ts';
import { copyRule } from '../rules.ts';
import { USAGE_LINE_FIELDS, type FieldMapping } from './fields.ts';
import { columnFor } from './lines.ts';

// The Azure daily rated usage line as a mapping source, the canonical fields of a usage
// line an admin may take from elsewhere, and the connector's reading of them as the
// default mapping. The source is the line as the hub reads it (each documented column
// by its file name, whatever spelling Microsoft used, its value as the hub canonicalises
// it, and the resource's tags under Tags.<key>); the target the fields the billing
// engine reads to allocate and describe a line (resource group, meter, location, tags).
//
// The line's identity (tenant, entitlement, subscription, product, SKU, meter id,
// charge and unit type, benefits, additional info), its day and its amounts are
// Microsoft's and no target: they make the line's natural key and its cost.

const SOURCE_TYPES: Record<FieldMapping['type'], FieldType> = { string: 'string', decimal: 'decimal', date: 'datetime', percent: 'decimal', list: 'string' };

export const PC_USAGE_LINE_SOURCE: RecordSchema = {
  name: 'partner center daily rated usage line',
  fields: {
    ...Object.fromEntries(USAGE_LINE_FIELDS.filter((f) => f.column !== 'Tags').map((f) => [f.column, { type: SOURCE_TYPES[f.type] } satisfies FieldSpec])),
    'Tags.*': { type: 'string', description: "The resource's Azure tags by key (a key must be a letter or _ followed by letters, digits, _ or -)" },
  },
};

/** Canonical target → the usage column it writes (the hub's column name, see lines.ts columnFor). */
export const PC_USAGE_TARGET_COLUMNS: Readonly<Record<string, { column: string; from: string; description: string }>> = {
  'usage.resourceGroup': { column: 'resource_group', from: 'ResourceGroup', description: 'Allocation rules match on it' },
  'usage.meterCategory': { column: 'meter_category', from: 'MeterCategory', description: 'Allocation rules match on it; categorisation reads it' },
  'usage.meterSubCategory': { column: 'meter_sub_category', from: 'MeterSubCategory', description: 'Shown on invoice lines' },
  'usage.meterName': { column: 'meter_name', from: 'MeterName', description: 'Shown on invoice lines' },
  'usage.meterRegion': { column: 'meter_region', from: 'MeterRegion', description: '' },
  'usage.resourceLocation': { column: 'resource_location', from: 'ResourceLocation', description: '' },
  'usage.consumedService': { column: 'consumed_service', from: 'ConsumedService', description: '' },
  'usage.subscriptionDescription': { column: 'subscription_description', from: 'SubscriptionDescription', description: '' },
  'usage.serviceInfo1': { column: 'service_info1', from: 'ServiceInfo1', description: '' },
  'usage.serviceInfo2': { column: 'service_info2', from: 'ServiceInfo2', description: '' },
};

export const PC_USAGE_LINE_TARGET: RecordSchema = {
  name: 'usage line as the hub bills it',
  fields: {
    ...Object.fromEntries(Object.entries(PC_USAGE_TARGET_COLUMNS).map(([target, c]) => [target, { type: 'string', ...(c.description ? { description: c.description } : {}) } satisfies FieldSpec])),
    'usage.tags.*': { type: 'string', description: "Sets one tag (allocation rules match on tags); tags no rule writes stay as Microsoft sends them" },
  },
};

/** What the connector did before usage line mappings were data, as data; tags pass through as they come. */
export const PC_USAGE_LINE_DEFAULT: readonly MappingRule[] = Object.entries(PC_USAGE_TARGET_COLUMNS).map(([target, c]) =>
  copyRule(c.column.replace(/_/g, '-'), c.from, target),
);

/**
 * A stored usage line as the mapping's source record: each column by its documented name
 * (instants as ISO 8601), its tags under Tags. It holds what the mapping in force when it
 * was read made of the line, which is Microsoft's own values for the built-in mapping.
 */
export function usageSourceRecord(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const field of USAGE_LINE_FIELDS) {
    if (field.column === 'Tags') continue;
    const value = row[columnFor(field)];
    record[field.column] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
  record.Tags = row.tags ?? {};
  return record;
}
