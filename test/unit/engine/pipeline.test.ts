/**
 * One customer's month through the whole engine, the way the close job calls it:
 * categorize → priceLine → allocate → buildInvoice → marginReport.
 */
import { describe, expect, it } from 'vitest';
import { allocate } from '../../../src/engine/allocation.ts';
import { DEFAULT_CATEGORY_MAPPING, categorize } from '../../../src/engine/categories.ts';
import { sum } from '../../../src/engine/decimal.ts';
import { buildInvoice } from '../../../src/engine/invoice.ts';
import { marginReport } from '../../../src/engine/margin.ts';
import { rateLines } from '../../../src/engine/rating.ts';
import type { AllocationRule, BillingLine, RateCard } from '../../../src/engine/types.ts';
import { d, expectAmount, expectDecimal, licenseLine, usageLine } from './fixtures.ts';

const eur = { billingCurrency: 'EUR', pricingCurrency: 'EUR' };
const sourceLines: BillingLine[] = [
  usageLine({ id: 'u1', ...eur, cost: d('16.28'), tags: { costcenter: 'FIN' } }),
  usageLine({ id: 'u2', ...eur, cost: d('3.10'), meterId: 'meter-lrs', meterCategory: 'Storage', meterName: 'LRS Data Stored' }),
  usageLine({ id: 'u3', ...eur, cost: d('0.85'), meterId: 'meter-bw', meterCategory: 'Bandwidth', meterName: 'Data Transfer Out', resourceGroup: 'rg-web' }),
  licenseLine({ id: 'l1', ...eur, cost: d('120.00'), quantity: d('10'), chargeDays: { days: 30, daysInCycle: 30 } }),
];

const rateCard: RateCard = {
  id: 'acme',
  version: 2,
  currency: 'EUR',
  rounding: { scope: 'line', mode: 'half_up' },
  fx: { source: 'microsoft' },
  targetMarginPercent: d('13'),
  rules: [
    { id: 'compute', match: { category: 'compute' }, basis: 'cost', markupPercent: d('15') },
    { id: 'storage', match: { category: 'storage' }, basis: 'cost', markupPercent: d('20') },
    { id: 'm365-bs', match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: d('14.00') },
    { id: 'default', match: { default: true }, basis: 'cost', markupPercent: d('10') },
  ],
};

const allocationRules: AllocationRule[] = [
  { id: 'fin-tag', version: 1, priority: 1, match: { tag: { key: 'costcenter', value: 'FIN' } }, splits: [{ costNodeId: 'finance', percent: d('100') }] },
  { id: 'erp-rg', version: 1, priority: 2, match: { resourceGroup: 'rg-erp-prod' }, splits: [{ costNodeId: 'finance', percent: d('50') }, { costNodeId: 'ops', percent: d('50') }] },
  { id: 'm365-sub', version: 1, priority: 3, match: { subscriptionId: 'nce-sub-1' }, splits: [{ costNodeId: 'ops', percent: d('100') }] },
];

describe('a month through the engine (EUR, rounded per invoice line)', () => {
  const categorized = sourceLines.map((line) => ({ ...line, category: categorize(line, DEFAULT_CATEGORY_MAPPING).category }));
  const { priced, unpriced } = rateLines(categorized, rateCard, { source: 'microsoft' });
  const allocations = allocate(
    priced.map((p) => ({ id: p.lineId, amount: p.price, currency: p.currency, tags: p.tags, resourceGroup: p.resourceGroup, subscriptionId: p.subscriptionId, meterCategory: p.meterCategory })),
    allocationRules,
    'unallocated',
  );
  const invoice = buildInvoice({
    customerId: 'c1',
    period: '2026-11',
    currency: 'EUR',
    card: rateCard,
    pricedLines: priced.map((p) => ({ ...p, allocations: allocations.filter((a) => a.lineId === p.lineId) })),
  });

  it('prices every line', () => {
    expect(unpriced).toEqual([]);
    expect(priced.map((p) => [p.lineId, p.category, p.ruleId, p.price.toString()])).toEqual([
      ['u1', 'compute', 'compute', '18.722'], // 16.28 × 1.15 (the invoice line shows 18.72)
      ['u2', 'storage', 'storage', '3.72'], // 3.10 × 1.20
      ['u3', 'networking', 'default', '0.935'], // 0.85 × 1.10 (the invoice line shows half-up 0.94)
      ['l1', 'licenses', 'm365-bs', '140'], // 14.00 × 10 seats × 30/30
    ]);
  });

  it('invoices them with per-category and per-cost-node subtotals that add up', () => {
    expectDecimal(invoice.total, '163.38'); // 18.72 + 3.72 + 0.94 + 140.00
    expect(invoice.summary.map((s) => [s.category, s.amount.toString()])).toEqual([
      ['compute', '18.72'],
      ['storage', '3.72'],
      ['networking', '0.94'],
      ['licenses', '140'],
    ]);
    expect(invoice.subtotalsByCostNode.map((n) => [n.costNodeId, n.amount.toString()])).toEqual([
      ['finance', '20.58'], // u1 18.722 (tag) + u2 1.86 (50 % of 3.72) = 20.582
      ['ops', '141.86'], // u2 1.86 + l1 140.00
      ['unallocated', '0.94'], // u3 0.935 (no tag, rg-web, no rule): the cent floors leave over goes to its 0.005 remainder
    ]);
    expect(sum(invoice.lines.map((l) => l.amount)).equals(invoice.total)).toBe(true);
  });

  it('reports margin against the 13 % target and flags the off-target lines', () => {
    const report = marginReport(priced, [rateCard]);
    const customer = report.byCustomer[0];
    expectDecimal(customer?.cost, '140.23'); // 16.28 + 3.10 + 0.85 + 120.00
    expectDecimal(customer?.margin, '23.147'); // exact prices 163.377 − 140.23
    expectAmount(customer?.marginPercent, '14.1678449231'); // 23.147 ÷ 163.377 × 100
    // u1 2.442 ÷ 18.722 = 13.04 % (ok); u2 0.62 ÷ 3.72 = 16.67 % (+3.67); u3 0.085 ÷ 0.935 = 9.09 % (−3.91); l1 20 ÷ 140 = 14.29 % (ok)
    expect(report.flags.map((f) => f.lineId)).toEqual(['u2', 'u3']);
    expectAmount(report.flags[1]?.marginPercent, '9.0909090909');
  });
});
