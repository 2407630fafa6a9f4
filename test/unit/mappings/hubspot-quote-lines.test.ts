import { describe, expect, it } from 'vitest';
import { azureMonthlyBudget, expectedSeats, quoteRules } from '../../../src/mappings/crm/quote-lines.ts';
import { mapQuoteLines } from '../../../src/mappings/hubspot/quote-lines.ts';

const lookup = { sku: { 'CFQ7TTC0LDPB:0001': 'support' as const }, licenseLines: 'licenses' as const };
let next = 0;
const item = (properties: Record<string, string | null>) => ({
  id: String(++next),
  properties: { name: `line ${next}`, quantity: '1', recurringbillingfrequency: 'monthly', hs_recurring_billing_period: 'P12M', ...properties },
});

describe('HubSpot line items as quote lines', () => {
  it('prices a seat at its net monthly price and an Azure category at its markup on cost (hand-checked)', () => {
    const { lines, problems } = mapQuoteLines(
      [
        item({ hs_sku: 'CFQ7TTC0LFLX:0001', quantity: '12', price: '36.00', hs_discount_percentage: '12.5' }), // 36 × 0.875 = 31.5; × 12 = 378
        item({ hs_sku: 'CFQ7TTC0LDPB:0001', quantity: '3', price: '10.00', discount: '0.01' }), // 9.99 × 3 = 29.97, category from the SKU mapping
        item({ hs_sku: 'AZURE:Databases', price: '700', hs_cost_of_goods_sold: '600' }), // 700 / 600 = 1.1666… → 16.6667 %
      ],
      lookup,
    );
    expect(problems).toEqual([]);
    expect(lines.map((l) => [l.kind, l.sku, l.category, l.netUnitPrice.toString(), l.monthlyAmount.toString(), l.markupPercent?.toString() ?? null])).toEqual([
      ['seat', 'CFQ7TTC0LFLX:0001', 'licenses', '31.5', '378', null],
      ['seat', 'CFQ7TTC0LDPB:0001', 'support', '9.99', '29.97', null],
      ['azure', null, 'databases', '700', '700', '16.6667'],
    ]);
    expect(quoteRules(lines).rules).toEqual([
      { match: { sku: 'CFQ7TTC0LFLX:0001' }, unitPrice: '31.5' },
      { match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: '9.99' },
      { match: { category: 'databases' }, basis: 'cost', markupPercent: '16.6667' },
    ]);
    expect(Object.fromEntries([...expectedSeats(lines)].map(([sku, n]) => [sku, n.toString()]))).toEqual({ 'CFQ7TTC0LFLX:0001': '12', 'CFQ7TTC0LDPB:0001': '3' });
    expect(azureMonthlyBudget(lines).toString()).toBe('700');
  });

  it('names every line that cannot be mapped, and why', () => {
    const items = [
      item({ hs_sku: null, price: '1' }),
      item({ hs_sku: 'CFQ7TTC0LFLX:0001', quantity: '2.5', price: '1' }),
      item({ hs_sku: 'CFQ7TTC0LFLX:0001', price: '10', discount: '1', hs_discount_percentage: '5' }),
      item({ hs_sku: 'azure:compute', price: '100' }),
      item({ hs_sku: 'CFQ7TTC0LFLX:0001', price: '10', recurringbillingfrequency: 'annually' }),
      item({ hs_sku: 'CFQ7TTC0LFLX:0001', price: 'ten' }),
    ];
    const { lines, problems } = mapQuoteLines(items, lookup);
    expect(lines).toEqual([]);
    expect(problems.map((p) => [p.lineItemId, p.reason])).toEqual([
      [items[0]!.id, 'has no SKU (hs_sku): name a Partner Center ProductId:SkuId or azure:<charge category>'],
      [items[1]!.id, 'quantity 2.5 is not a whole number of seats'],
      [items[2]!.id, 'has both a discount amount and a discount percentage: give one'],
      [items[3]!.id, 'an Azure line needs its expected monthly cost (hs_cost_of_goods_sold, above 0) to derive the markup'],
      [items[4]!.id, 'is billed annually: only monthly recurring lines map to a monthly price'],
      [items[5]!.id, 'price must be a number, 0 or more'],
    ]);
  });

  it('refuses two lines that price the same SKU differently rather than average them; adds up equal ones', () => {
    const { lines } = mapQuoteLines(
      [item({ hs_sku: 'CFQ7TTC0LFLX:0001', quantity: '5', price: '36' }), item({ hs_sku: 'CFQ7TTC0LFLX:0001', quantity: '5', price: '36' }), item({ hs_sku: 'CFQ7TTC0LFLX:0001', price: '30' })],
      lookup,
    );
    const { rules, problems } = quoteRules(lines);
    expect(rules).toHaveLength(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.reason).toContain('prices sku:cfq7ttc0lflx:0001 differently');
    expect(expectedSeats(lines).get('CFQ7TTC0LFLX:0001')!.toString()).toBe('11');
  });
});
