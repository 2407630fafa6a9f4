import type { MappingRule, RecordSchema } from './engine/types.ts';
import { CONNECTWISE_TIME_ENTRY_DEFAULT, CONNECTWISE_TIME_ENTRY_SOURCE, TIME_ENTRY_TARGET } from './connectwise/time-entry-mapping.ts';
import { HUBSPOT_DEAL_DEFAULT, HUBSPOT_DEAL_SOURCE, QUOTE_TARGET } from './hubspot/deal-mapping.ts';
import { HUBSPOT_LINE_ITEM_DEFAULT, HUBSPOT_LINE_ITEM_SOURCE, QUOTE_LINE_TARGET } from './hubspot/line-item-mapping.ts';

// The objects whose mapping admins can change through the API, per provider. A connector
// plugs in by adding an entry: its source schema, the canonical target, and its built-in
// behaviour as the default rules.

export interface MappingObject {
  provider: string;
  object: string;
  description: string;
  source: RecordSchema;
  target: RecordSchema;
  defaultRules: readonly MappingRule[];
}

export const MAPPING_OBJECTS: readonly MappingObject[] = [
  {
    provider: 'hubspot',
    object: 'deal',
    description: 'A won HubSpot deal (with its company and the totals of its line items) → the quote and its Azure budget',
    source: HUBSPOT_DEAL_SOURCE,
    target: QUOTE_TARGET,
    defaultRules: HUBSPOT_DEAL_DEFAULT,
  },
  {
    provider: 'hubspot',
    object: 'line_item',
    description: "Each line item of a won HubSpot deal → a quote line's values (SKU, quantity, price, discount, unit cost, billing frequency), checked by the hub after mapping",
    source: HUBSPOT_LINE_ITEM_SOURCE,
    target: QUOTE_LINE_TARGET,
    defaultRules: HUBSPOT_LINE_ITEM_DEFAULT,
  },
  {
    provider: 'connectwise',
    object: 'time_entry',
    description: 'A ConnectWise time entry → the fields its labour line is made from (company, project, hours, billable option, rate, work role, dates)',
    source: CONNECTWISE_TIME_ENTRY_SOURCE,
    target: TIME_ENTRY_TARGET,
    defaultRules: CONNECTWISE_TIME_ENTRY_DEFAULT,
  },
];

export function mappingObjectsOf(provider: string): MappingObject[] {
  return MAPPING_OBJECTS.filter((o) => o.provider === provider);
}

export function mappingObject(provider: string, object: string): MappingObject | undefined {
  return MAPPING_OBJECTS.find((o) => o.provider === provider && o.object === object);
}
