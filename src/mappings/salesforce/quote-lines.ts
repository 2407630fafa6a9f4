import type { SalesforceRecord } from '../../connectors/salesforce/client.ts';
import { checkedRules } from '../checked.ts';
import type { LineDraft, LineFieldNames, QuoteProblem } from '../crm/quote-lines.ts';
import { draftsThroughMapping } from '../crm/mapped-drafts.ts';
import type { MappingRule } from '../engine/types.ts';
import type { CheckedMapping } from '../engine/validate.ts';
import { mappingObject } from '../objects.ts';

// Salesforce opportunity lines (OpportunityLineItems, or a synced quote's QuoteLineItems)
// as quote line drafts, through the connection's line_item mapping (by default the
// fields the connector always read; see line-item-mapping.ts).

const LINE_OBJECT = mappingObject('salesforce', 'line_item')!;

/** A checked line mapping with its version, ready to apply to every line of an opportunity. */
export interface SalesforceLineMapping {
  version: number;
  checked: CheckedMapping;
  rules: readonly MappingRule[];
}

/** The rules checked against the line and quote line schemas (MappingRefused naming each rule otherwise). */
export function salesforceLineMapping(version: number, rules: readonly MappingRule[]): SalesforceLineMapping {
  return { version, checked: checkedRules(LINE_OBJECT, rules), rules };
}

/** The Salesforce field (or the rule) behind each draft field, so a problem names what a person must fix. */
export function salesforceLineFields(rules: readonly MappingRule[], linesFrom: 'QuoteLineItem' | 'OpportunityLineItem' = 'OpportunityLineItem'): LineFieldNames {
  const nameOf = (field: string): string | null => {
    const rule = rules.find((r) => r.target === `line.${field}`);
    if (!rule) return field === 'discountPerUnit' ? null : `line.${field} (unmapped)`;
    if (!rule.source || rule.transform.type === 'constant') return `line.${field} (rule ${rule.id})`;
    // A quote line's product code is its product's.
    return linesFrom === 'QuoteLineItem' && rule.source === 'ProductCode' ? 'Product2.ProductCode' : rule.source;
  };
  return {
    sku: nameOf('sku') ?? 'line.sku',
    quantity: nameOf('quantity') ?? 'line.quantity',
    price: nameOf('price') ?? 'line.price',
    discountPerUnit: nameOf('discountPerUnit'),
    discountPercent: nameOf('discountPercent') ?? 'line.discountPercent',
    unitCost: nameOf('unitCost') ?? 'line.unitCost',
    billingFrequency: nameOf('billingFrequency') ?? 'line.billingFrequency',
  };
}

/**
 * Each line as a draft through the mapping (see draftsThroughMapping). Salesforce sends
 * numbers as JSON numbers; read as text they give back the shortest text that reads as
 * the same double, which is the value as entered for Salesforce's precision.
 */
export function salesforceLineDrafts(lines: readonly SalesforceRecord[], mapping: SalesforceLineMapping): { drafts: LineDraft[]; problems: QuoteProblem[] } {
  return draftsThroughMapping(LINE_OBJECT, mapping, lines, { idOf: (line) => line.Id, noun: 'line' });
}
