import type { CrmRecord } from '../../connectors/hubspot/client.ts';
import { checkedRules } from '../checked.ts';
import { mapLineDrafts, type CategoryLookup, type LineDraft, type LineFieldNames, type QuoteLine, type QuoteProblem } from '../crm/quote-lines.ts';
import { draftsThroughMapping } from '../crm/mapped-drafts.ts';
import type { MappingRule } from '../engine/types.ts';
import type { CheckedMapping } from '../engine/validate.ts';
import { mappingObject } from '../objects.ts';

// HubSpot line items as quote line drafts, through the connection's line item mapping
// (by default: the SKU in `hs_sku`, the MSP's cost in `hs_cost_of_goods_sold`, an amount
// off per unit in `discount` or a percentage in `hs_discount_percentage`).

const LINE_ITEM_OBJECT = mappingObject('hubspot', 'line_item')!;

/** A checked line item mapping with the version it is, ready to apply to every line of a deal. */
export interface LineItemMapping {
  version: number;
  checked: CheckedMapping;
  /** The HubSpot property (or the rule) behind each draft field, so a problem names what a person must fix. */
  fields: LineFieldNames;
}

function fieldNamesOf(rules: readonly MappingRule[]): LineFieldNames {
  const nameOf = (field: string) => {
    const rule = rules.find((r) => r.target === `line.${field}`);
    if (!rule) return `line.${field} (unmapped)`;
    const property = rule.source?.startsWith('properties.') && rule.transform.type !== 'constant' ? rule.source.slice('properties.'.length) : null;
    return property ?? `line.${field} (rule ${rule.id})`;
  };
  return {
    sku: nameOf('sku'),
    quantity: nameOf('quantity'),
    price: nameOf('price'),
    discountPerUnit: nameOf('discountPerUnit'),
    discountPercent: nameOf('discountPercent'),
    unitCost: nameOf('unitCost'),
    billingFrequency: nameOf('billingFrequency'),
  };
}

/** The rules checked against the line item and quote line schemas (MappingRefused naming each rule otherwise). */
export function lineItemMapping(version: number, rules: readonly MappingRule[]): LineItemMapping {
  return { version, checked: checkedRules(LINE_ITEM_OBJECT, rules), fields: fieldNamesOf(rules) };
}

/** The connector's built-in line item mapping (version 0). */
export const BUILT_IN_LINE_ITEM_MAPPING: LineItemMapping = lineItemMapping(0, LINE_ITEM_OBJECT.defaultRules);

/** Each line item as a draft through the mapping (see draftsThroughMapping). */
export function hubspotLineDrafts(items: readonly CrmRecord[], mapping: LineItemMapping = BUILT_IN_LINE_ITEM_MAPPING): { drafts: LineDraft[]; problems: QuoteProblem[] } {
  return draftsThroughMapping(LINE_ITEM_OBJECT, mapping, items, { idOf: (item) => item.id, noun: 'line item' });
}

/** Maps HubSpot line items, or names each one that cannot be mapped and why. */
export function mapQuoteLines(items: readonly CrmRecord[], lookup: CategoryLookup, mapping: LineItemMapping = BUILT_IN_LINE_ITEM_MAPPING): { lines: QuoteLine[]; problems: QuoteProblem[] } {
  const { drafts, problems } = hubspotLineDrafts(items, mapping);
  const mapped = mapLineDrafts(drafts, lookup, mapping.fields);
  return { lines: mapped.lines, problems: [...problems, ...mapped.problems] };
}
