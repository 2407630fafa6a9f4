/**
 * One customer's close, pure: the cost check reports and never corrects, late lines
 * become a labelled adjustment, no card or an unpriced line holds the invoice.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORY_MAPPING } from '../../../src/engine/categories.ts';
import { closeCustomerPeriod, type CustomerCloseInput } from '../../../src/engine/close.ts';
import { LINES_NAMED } from '../../../src/engine/counted-list.ts';
import { sum } from '../../../src/engine/decimal.ts';
import { card, d, expectDecimal, licenseLine, usageLine } from './fixtures.ts';

const theCard = card({
  rules: [
    { id: 'compute', match: { category: 'compute' }, basis: 'cost', markupPercent: d('15') },
    { id: 'seats', match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: d('14.00') },
  ],
  minimumMonthly: d('50.00'),
  targetMarginPercent: d('13'),
});

// 0.0833333 × 1200 = 99.99996 → FLOOR 99.99, as Microsoft's formula bills it.
const input = (overrides: Partial<CustomerCloseInput> = {}): CustomerCloseInput => ({
  customerId: 'c1',
  period: '2026-11',
  lines: [
    usageLine({ id: 'u:1', cost: d('99.99') }),
    usageLine({ id: 'u:2', cost: d('100.00'), date: '2026-11-21' }),
    licenseLine({ id: 'l:1', cost: d('120.00') }),
  ],
  late: [],
  mapping: DEFAULT_CATEGORY_MAPPING,
  card: theCard,
  fx: { source: 'microsoft' },
  allocationRules: [],
  unallocatedNodeId: 'unallocated',
  ...overrides,
});

describe('closeCustomerPeriod', () => {
  it("prices, allocates and invoices the month, listing the line whose cost differs from Microsoft's formula", () => {
    const result = closeCustomerPeriod(input());
    expect(result.held).toBeNull();
    expect(result.discrepancies.map((f) => [f.lineId, f.microsoft.toString(), f.recomputed.toString()])).toEqual([['u:2', '100', '99.99']]);
    // 99.99 × 1.15 = 114.9885 and 100.00 × 1.15 = 115.00 (Microsoft's figure, not corrected) on one invoice line:
    // 229.9885 → 229.99; 14.00 × 10 seats = 140.00. Margin reads the exact prices (369.9885).
    expectDecimal(result.invoice?.total, '369.99');
    expectDecimal(sum(result.invoice!.lines.map((l) => l.amount)), '369.99');
    expectDecimal(result.cost, '319.99');
    expect(result.invoice?.subtotalsByCostNode.map((n) => [n.costNodeId, n.amount.toString()])).toEqual([['unallocated', '369.99']]);
    expect(result.margin?.byCustomer[0]?.price.toString()).toBe('369.9885');
  });

  it("rounds scope 'line' per invoice line: 30 daily lines of $0.004 bill $0.12, not 30 × $0.00", () => {
    // A fixed price of 0.004 per unit, one unit a day for 30 days, all on one invoice line (same
    // subscription, resource group, meter, rule): 30 × 0.004 = 0.12, rounded once on the line.
    const tiny = card({ rules: [{ id: 'fixed', match: { default: true }, unitPrice: d('0.004') }] });
    const lines = Array.from({ length: 30 }, (_, i) =>
      usageLine({ id: `u:${i + 1}`, date: `2026-11-${String(i + 1).padStart(2, '0')}`, quantity: d('1'), effectiveUnitPrice: d('0.004'), cost: d('0.00') }),
    );
    for (const scope of ['line', 'invoice'] as const) {
      const result = closeCustomerPeriod(input({ lines, card: { ...tiny, rounding: { scope, mode: 'half_up' } } }));
      const charges = result.invoice!.lines.filter((l) => l.kind === 'charge');
      expect(charges.map((l) => [l.exactAmount.toString(), l.amount.toString(), l.sources.length])).toEqual([['0.12', '0.12', 30]]);
      expectDecimal(result.invoice?.total, '0.12');
      expectDecimal(result.invoice?.roundingAdjustment, '0');
    }
  });

  it('counts every off-target, untagged and unmapped line of a large month and names the first 1,000 of each', () => {
    // 50 % markup on 1.00: margin 0.50 ÷ 1.50 = 33.3 %, 20.3 points over the card's 13 % target: every line is off target.
    const generous = card({ rules: [{ id: 'all', match: { default: true }, basis: 'cost', markupPercent: d('50') }], targetMarginPercent: d('13') });
    const lines = Array.from({ length: 1005 }, (_, i) =>
      usageLine({ id: `u:${i + 1}`, cost: d('1.00'), quantity: d('1'), unitPrice: d('1'), effectiveUnitPrice: d('1'), meterCategory: 'Quantum' }),
    );
    const result = closeCustomerPeriod(input({ lines, card: generous, requiredTags: ['project'] }));
    expect(result.margin?.flagCount).toBe(1005);
    expect(result.margin?.flags).toHaveLength(LINES_NAMED);
    expect(result.margin?.flags.map((f) => f.lineId).slice(-1)).toEqual(['u:1000']);
    expect(result.tagCompliance?.nonCompliantLines).toBe(1005);
    expect(result.tagCompliance?.nonCompliantLineIds).toHaveLength(1000);
    // No mapping claims the meter category 'Quantum': every line is charged as 'other', and counted.
    expect(result.unmappedLines).toBe(1005);
    expect(result.unmappedLineIds).toHaveLength(LINES_NAMED);
    expect(result.invoice?.subtotalsByCategory.other?.toString()).toBe('1507.5');
    // 1,005 × 1.50 = 1,507.50, all of it in the invoice.
    expectDecimal(result.invoice?.total, '1507.5');
  });

  it('bills late lines of an earlier period as a labelled adjustment, priced with the card given for them', () => {
    const older = card({ version: 2, rules: [{ id: 'old', match: { default: true }, basis: 'cost', markupPercent: d('10') }] });
    const result = closeCustomerPeriod(
      input({
        late: [{ originalPeriod: '2026-10', lines: [usageLine({ id: 'u:9', cost: d('10.00'), date: '2026-10-30' })], card: older, fx: { source: 'microsoft' } }],
      }),
    );
    const adjustment = result.invoice!.lines.filter((l) => l.kind === 'adjustment');
    expect(adjustment.map((l) => [l.adjustment?.label, l.adjustment?.originalPeriod, l.amount.toString(), l.cardVersion])).toEqual([['Late usage', '2026-10', '11', 2]]);
    expectDecimal(result.invoice?.total, '380.99');
    // Margin covers this period's charges only.
    expect(result.margin?.byCustomer[0]?.price.toString()).toBe('369.9885');
  });

  it('holds the invoice when the customer has no card, still reporting the cost findings', () => {
    const result = closeCustomerPeriod(input({ card: null, fx: null }));
    expect(result).toMatchObject({ held: 'no_rate_card', invoice: null });
    expect(result.discrepancies).toHaveLength(1);
  });

  it('holds the invoice when a line has no rule, naming the line', () => {
    const result = closeCustomerPeriod(input({ lines: [usageLine({ id: 'u:3', cost: d('99.99'), meterCategory: 'Storage', meterId: 'lrs' })] }));
    expect(result.held).toBe('unpriced');
    expect(result.unpriced.map((u) => u.lineId)).toEqual(['u:3']);
    expect(result.invoice).toBeNull();
  });

  it('counts the lines no category mapping claims', () => {
    const result = closeCustomerPeriod(
      input({ card: card({ rules: [{ id: 'any', match: { default: true }, basis: 'cost', markupPercent: d('10') }] }), lines: [usageLine({ id: 'u:4', cost: d('99.99'), meterCategory: 'Quantum' })] }),
    );
    expect(result.unmappedLineIds).toEqual(['u:4']);
    expect(result.unmappedLines).toBe(1);
    expect(result.invoice?.lines[0]?.category).toBe('other');
  });

  describe('tag compliance', () => {
    // Three usage lines at Microsoft's cost 60.00 / 30.00 / 10.00 and a 120.00 licence line (no tags: left out).
    const tagged = (overrides: Partial<CustomerCloseInput> = {}) =>
      input({
        lines: [
          usageLine({ id: 'u:1', cost: d('60.00'), tags: { CostCenter: 'FIN', project: 'erp' } }),
          usageLine({ id: 'u:2', cost: d('30.00'), tags: { costcenter: 'OPS', Project: 'crm', owner: 'ann' } }),
          // One of the two required tags: not compliant.
          usageLine({ id: 'u:3', cost: d('10.00'), tags: { costcenter: 'OPS' } }),
          licenseLine({ id: 'l:1', cost: d('120.00') }),
        ],
        requiredTags: ['costcenter', 'project'],
        ...overrides,
      });

    it("is the share of this period's usage cost carrying every required tag: (60 + 30) ÷ 100 = 0.9", () => {
      const { tagCompliance } = closeCustomerPeriod(tagged());
      expect(tagCompliance?.requiredTags).toEqual(['costcenter', 'project']);
      expectDecimal(tagCompliance?.totalAmount, '100.00');
      expectDecimal(tagCompliance?.compliantAmount, '90.00');
      expectDecimal(tagCompliance?.share, '0.9');
      expect(tagCompliance?.nonCompliantLineIds).toEqual(['u:3']);
    });

    it('is reported for a held invoice too', () => {
      const result = closeCustomerPeriod(tagged({ card: null, fx: null }));
      expect(result.held).toBe('no_rate_card');
      expectDecimal(result.tagCompliance?.share, '0.9');
    });

    it('has no share when nothing is required, and is not computed when no tags are given', () => {
      const none = closeCustomerPeriod(tagged({ requiredTags: [] })).tagCompliance;
      expect(none?.requiredTags).toEqual([]);
      expect(none?.share).toBeNull();
      expectDecimal(none?.totalAmount, '100.00');
      expect(none?.nonCompliantLineIds).toEqual([]);
      const { requiredTags: _, ...withoutTags } = tagged();
      expect(closeCustomerPeriod(withoutTags).tagCompliance).toBeNull();
    });
  });
});
