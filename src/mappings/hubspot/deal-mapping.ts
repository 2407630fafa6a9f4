import type { MappingRule, RecordSchema } from '../engine/types.ts';

// The HubSpot deal as a mapping source, the quote fields it feeds, and the connector's
// built-in behaviour written as its default mapping. Line items still map in code
// (quote-lines.ts: SKU parsing, discounts, per-line refusals); what they add up to is
// offered to the deal mapping as `lines.*`.

/**
 * A won deal as the mapping reads it: the deal and its company as HubSpot's v3 API
 * returns them (every property text; HubSpot's documented property types say what the
 * text means), any custom property by name, and the totals of the mapped line items.
 */
export const HUBSPOT_DEAL_SOURCE: RecordSchema = {
  name: 'hubspot deal',
  fields: {
    'deal.id': { type: 'string', description: "HubSpot's deal id" },
    'deal.properties.dealname': { type: 'string' },
    'deal.properties.amount': { type: 'decimal', description: 'HubSpot-calculated deal amount' },
    'deal.properties.closedate': { type: 'datetime' },
    'deal.properties.deal_currency_code': { type: 'string' },
    'deal.properties.dealstage': { type: 'string' },
    'deal.properties.pipeline': { type: 'string' },
    'deal.properties.*': { type: 'string', description: 'Any other deal property, custom ones included, as text' },
    'company.id': { type: 'string' },
    'company.properties.name': { type: 'string' },
    'company.properties.domain': { type: 'string' },
    'company.properties.*': { type: 'string', description: 'Any other company property, as text' },
    'lines.monthlyTotal': { type: 'decimal', description: 'Sum of the monthly amounts of the mapped line items' },
    'lines.azureMonthlyAmount': { type: 'decimal', description: 'Sum of the monthly amounts of the Azure line items' },
  },
};

/** The quote fields a deal mapping may write. */
export const QUOTE_TARGET: RecordSchema = {
  name: 'quote',
  fields: {
    'quote.currency': { type: 'string', description: 'ISO 4217 code the quote and its rate card version are priced in' },
    'quote.closedAt': { type: 'datetime', description: 'When the deal was won' },
    'quote.monthlyTotal': { type: 'decimal', description: 'What the customer pays a month' },
    'quote.azureMonthlyBudget': { type: 'decimal', description: 'The monthly Azure amount budget alerts are measured against' },
  },
};

/** What the connector did before mappings were data, as data. */
export const HUBSPOT_DEAL_DEFAULT: readonly MappingRule[] = [
  { id: 'currency', target: 'quote.currency', transform: { type: 'expression', expression: "upper(trim(coalesce(deal.properties.deal_currency_code, '')))" } },
  { id: 'closed-at', source: 'deal.properties.closedate', target: 'quote.closedAt', transform: { type: 'copy' } },
  { id: 'monthly-total', source: 'lines.monthlyTotal', target: 'quote.monthlyTotal', transform: { type: 'copy' } },
  { id: 'azure-budget', source: 'lines.azureMonthlyAmount', target: 'quote.azureMonthlyBudget', transform: { type: 'copy' } },
];

const PROPERTY = /^(deal|company)\.properties\.([A-Za-z0-9_-]+)$/;

/** The deal and company properties a mapping reads, so the client asks HubSpot for them. */
export function propertiesRead(paths: Iterable<string>): { deal: string[]; company: string[] } {
  const read = { deal: new Set<string>(), company: new Set<string>() };
  for (const path of paths) {
    const m = PROPERTY.exec(path);
    if (m) read[m[1] as 'deal' | 'company'].add(m[2]!);
  }
  return { deal: [...read.deal], company: [...read.company] };
}
