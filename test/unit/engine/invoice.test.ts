import { describe, expect, it } from 'vitest';
import { splitExactly } from '../../../src/engine/allocation.ts';
import { Decimal, ZERO, sum } from '../../../src/engine/decimal.ts';
import { buildInvoice } from '../../../src/engine/invoice.ts';
import { isWholeMinorUnits, minorUnits, roundToMinorUnit } from '../../../src/engine/money.ts';
import type { Allocation, Invoice, InvoiceInput, InvoiceSourceLine, RateCard, RoundingMode, RoundingScope } from '../../../src/engine/types.ts';
import { allocated, card, d, expectDecimal, pricedLine, seededRandom } from './fixtures.ts';

function usdCard(scope: RoundingScope = 'line', mode: RoundingMode = 'half_up', extra: Partial<RateCard> = {}): RateCard {
  return card({ rounding: { scope, mode }, ...extra });
}

function invoice(cardUsed: RateCard, pricedLines: InvoiceSourceLine[], extra: Partial<InvoiceInput> = {}): Invoice {
  return buildInvoice({ customerId: 'c1', period: '2026-11', currency: cardUsed.currency, card: cardUsed, pricedLines, adjustments: [], ...extra });
}

function expectBalanced(inv: Invoice): void {
  expect(inv.total.equals(sum(inv.lines.map((l) => l.amount)))).toBe(true);
  expect(inv.total.equals(sum(inv.summary.map((l) => l.amount)))).toBe(true);
  expect(inv.lines.every((l) => isWholeMinorUnits(l.amount, inv.currency))).toBe(true);
}

const alloc = (lineId: string, costNodeId: string, amount: string, percent = '100'): Allocation => ({
  lineId, costNodeId, ruleId: 'alloc-1', ruleVersion: 4, percent: d(percent), amount: d(amount),
});

// A USD month: five priced lines, every price in whole cents.
const a = allocated(pricedLine({ lineId: 'a', price: d('10.00'), quantity: d('24') }), 'finance');
const b = allocated(pricedLine({ lineId: 'b', price: d('5.25'), quantity: d('12') }), 'x', [
  alloc('b', 'finance', '3.15', '60'), // 5.25 × 60 %
  alloc('b', 'ops', '2.10', '40'), // 5.25 × 40 %
]);
const c = allocated(
  pricedLine({ lineId: 'c', price: d('3.10'), category: 'storage', meterId: 'meter-lrs', meterCategory: 'Storage', description: 'LRS Data Stored' }),
  'ops',
);
const e = allocated(
  pricedLine({
    lineId: 'e', price: d('40.00'), kind: 'license', category: 'licenses', subscriptionId: 'nce-sub-1', resourceGroup: null,
    meterId: null, meterCategory: null, sku: 'CFQ7TTC0LDPB:0001', description: 'Microsoft 365 Business Standard', quantity: d('10'),
  }),
  'unallocated',
);
const f = allocated(pricedLine({ lineId: 'f', price: d('1.99'), resourceGroup: 'rg-web' }), 'finance');
const month = [a, b, c, e, f];

describe('buildInvoice: detailed and summary views of the same lines (USD, rounded per line)', () => {
  const inv = invoice(usdCard(), month);

  it('groups per subscription / resource group / meter, licences per SKU', () => {
    expect(inv.lines.map((l) => [l.kind, l.category, l.resourceGroup, l.meterId ?? l.sku, l.amount.toString(), l.quantity?.toString()])).toEqual([
      ['charge', 'compute', 'rg-erp-prod', 'meter-d2s-v3', '15.25', '36'], // a + b: 10.00 + 5.25; 24 + 12 units
      ['charge', 'compute', 'rg-web', 'meter-d2s-v3', '1.99', '1'],
      ['charge', 'storage', 'rg-erp-prod', 'meter-lrs', '3.1', '1'],
      ['charge', 'licenses', null, 'CFQ7TTC0LDPB:0001', '40', '10'],
    ]);
    expectDecimal(inv.total, '60.34'); // 15.25 + 1.99 + 3.10 + 40.00
    expectDecimal(inv.roundingAdjustment, '0');
    expectDecimal(inv.minimumCharge, '0');
  });

  it('summarises per category from the same lines', () => {
    expect(inv.summary.map((s) => [s.kind, s.category, s.amount.toString()])).toEqual([
      ['charge', 'compute', '17.24'], // 15.25 + 1.99
      ['charge', 'storage', '3.1'],
      ['charge', 'licenses', '40'],
    ]);
    expectDecimal(inv.subtotalsByCategory.compute, '17.24');
    expect(inv.summary[0]?.lineIds).toEqual([inv.lines[0]?.id, inv.lines[1]?.id]);
    expectBalanced(inv);
  });

  it('subtotals per cost node', () => {
    expect(inv.subtotalsByCostNode.map((n) => [n.costNodeId, n.amount.toString()])).toEqual([
      ['finance', '15.14'], // a 10.00 + b 3.15 + f 1.99
      ['ops', '5.2'], // b 2.10 + c 3.10
      ['unallocated', '40'], // e
    ]);
  });

  it('keeps the lineage of every line', () => {
    const compute = inv.lines[0];
    expect(compute?.sources.map((s) => s.lineId)).toEqual(['a', 'b']);
    expect(compute).toMatchObject({ ruleId: 'r-default', cardId: 'card-std', cardVersion: 3, rounding: { scope: 'line', mode: 'half_up', places: 2 } });
    expect(compute?.sources[1]?.allocations.map((x) => [x.costNodeId, x.ruleId, x.percent.toString(), x.amount.toString()])).toEqual([
      ['finance', 'alloc-1', '60', '3.15'],
      ['ops', 'alloc-1', '40', '2.1'],
    ]);
    expect(compute?.sources[0]?.fx).toMatchObject({ source: 'identity' });
  });

  it('splits a group when the rule or card version differs, so each line has one of each', () => {
    const v4 = allocated(pricedLine({ lineId: 'g', price: d('2.00'), cardVersion: 4 }), 'finance');
    const split = invoice(usdCard(), [a, v4]);
    expect(split.lines.map((l) => [l.cardVersion, l.sources.map((s) => s.lineId)])).toEqual([
      [3, ['a']],
      [4, ['g']],
    ]);
  });
});

describe('buildInvoice: rounding once per invoice', () => {
  const third = new Decimal(10).div(3); // 3.333… (unrounded price)
  const meters = ['m1', 'm2', 'm3'].map((meterId, i) =>
    allocated(pricedLine({ lineId: `p${i}`, meterId, price: third }), ['A', 'B', 'C'][i]),
  );

  it('USD: three lines of 3.333… show 3.33 each, the total 10.00, and a 0.01 rounding line', () => {
    const inv = invoice(usdCard('invoice'), meters);
    // displayed 3.33 × 3 = 9.99; exact 3 × 3.333… = 9.999… → 10.00; rounding line 10.00 − 9.99 = 0.01
    expect(inv.lines.map((l) => [l.kind, l.amount.toString()])).toEqual([
      ['charge', '3.33'],
      ['charge', '3.33'],
      ['charge', '3.33'],
      ['rounding', '0.01'],
    ]);
    expectDecimal(inv.total, '10.00');
    expectDecimal(inv.roundingAdjustment, '0.01');
    expectBalanced(inv);
    // cost nodes: 3.333… each rounded to sum to 10.00: floors 3.33 × 3 = 9.99, the cent to the first tie (A)
    expect(inv.subtotalsByCostNode.map((n) => [n.costNodeId, n.amount.toString()])).toEqual([
      ['A', '3.34'],
      ['B', '3.33'],
      ['C', '3.33'],
    ]);
  });

  it('JPY: 100.4 + 200.4 + 300.4 show 100 + 200 + 300, total 601, rounding line +1', () => {
    const jpy = card({ currency: 'JPY', rounding: { scope: 'invoice', mode: 'half_up' } });
    const lines = ['100.4', '200.4', '300.4'].map((p, i) =>
      allocated(pricedLine({ lineId: `j${i}`, meterId: `m${i}`, price: d(p), currency: 'JPY' }), 'A'),
    );
    const inv = invoice(jpy, lines);
    // exact 601.2 → 601; displayed 600; rounding 601 − 600 = 1
    expectDecimal(inv.total, '601');
    expectDecimal(inv.roundingAdjustment, '1');
    expectBalanced(inv);
  });

  it('BHD: 1.2344 + 2.2344 + 3.2344 show 1.234 + 2.234 + 3.234, total 6.703, rounding line 0.001', () => {
    const bhd = card({ currency: 'BHD', rounding: { scope: 'invoice', mode: 'half_up' } });
    const lines = ['1.2344', '2.2344', '3.2344'].map((p, i) =>
      allocated(pricedLine({ lineId: `b${i}`, meterId: `m${i}`, price: d(p), currency: 'BHD' }), 'A'),
    );
    const inv = invoice(bhd, lines);
    // exact 6.7032 → 6.703; displayed 6.702; rounding 0.001
    expect(inv.lines.map((l) => l.amount.toString())).toEqual(['1.234', '2.234', '3.234', '0.001']);
    expectDecimal(inv.total, '6.703');
    expectBalanced(inv);
  });

  it("JPY ties follow the card's mode", () => {
    const lines = ['0.5', '1.5', '2.5'].map((p, i) => allocated(pricedLine({ lineId: `t${i}`, meterId: `m${i}`, price: d(p), currency: 'JPY' }), 'A'));
    // half-even: 0.5 → 0, 1.5 → 2, 2.5 → 2 = 4; exact 4.5 → 4 (even); no rounding line
    const even = invoice(card({ currency: 'JPY', rounding: { scope: 'invoice', mode: 'half_even' } }), lines);
    expect(even.lines.map((l) => l.amount.toString())).toEqual(['0', '2', '2']);
    expectDecimal(even.total, '4');
    // half-up: 1 + 2 + 3 = 6; exact 4.5 → 5; rounding line −1
    const up = invoice(card({ currency: 'JPY', rounding: { scope: 'invoice', mode: 'half_up' } }), lines);
    expect(up.lines.map((l) => l.amount.toString())).toEqual(['1', '2', '3', '-1']);
    expectDecimal(up.total, '5');
    expectBalanced(even);
    expectBalanced(up);
  });

  it('per-line rounding in JPY and BHD rounds each invoice line and needs no rounding line', () => {
    const jpy = invoice(card({ currency: 'JPY' }), [
      allocated(pricedLine({ lineId: 'y1', price: d('999.6'), currency: 'JPY' }), 'A'),
      allocated(pricedLine({ lineId: 'y2', meterId: 'm2', price: d('2500.4'), currency: 'JPY' }), 'A'),
    ]);
    expect(jpy.lines.map((l) => l.amount.toString())).toEqual(['2500', '1000']); // 2,500.4 → 2,500 (meter m2 sorts first); 999.6 → 1,000
    expectDecimal(jpy.total, '3500');
    expect(jpy.lines.some((l) => l.kind === 'rounding')).toBe(false);
    const bhd = invoice(card({ currency: 'BHD' }), [
      allocated(pricedLine({ lineId: 'h1', price: d('1.234'), currency: 'BHD' }), 'A'),
      allocated(pricedLine({ lineId: 'h2', meterId: 'm2', price: d('0.001'), currency: 'BHD' }), 'A'),
    ]);
    expectDecimal(bhd.total, '1.235'); // 1.234 + 0.001
  });
});

describe('buildInvoice: minimum monthly charge', () => {
  it('tops the charges up to the minimum with an explicit line', () => {
    const inv = invoice(usdCard('line', 'half_up', { minimumMonthly: d('500.00') }), month);
    const minimum = inv.lines.at(-1);
    expect(minimum).toMatchObject({ kind: 'minimum', description: 'Minimum monthly charge of 500.00 USD (charges 60.34)', sources: [] });
    expectDecimal(minimum?.amount, '439.66'); // 500.00 − 60.34
    expectDecimal(inv.total, '500.00');
    expect(inv.summary.at(-1)).toMatchObject({ kind: 'minimum' });
    expectBalanced(inv);
    // cost nodes carry the charges only: 15.14 + 5.20 + 40.00 = 60.34 = total − minimum
    expectDecimal(sum(inv.subtotalsByCostNode.map((n) => n.amount)), '60.34');
  });

  it('adds nothing when the charges reach the minimum', () => {
    const inv = invoice(usdCard('line', 'half_up', { minimumMonthly: d('60.34') }), month);
    expect(inv.lines.some((l) => l.kind === 'minimum')).toBe(false);
    expectDecimal(inv.total, '60.34');
  });

  it("compares this period's charges only: late usage for earlier periods does not count toward it", () => {
    const late = allocated(pricedLine({ lineId: 'late', price: d('20.00') }), 'finance');
    const inv = invoice(usdCard('line', 'half_up', { minimumMonthly: d('500.00') }), month, {
      adjustments: [{ id: 'adj-1', originalPeriod: '2026-10', label: 'Late usage', lines: [late] }],
    });
    expectDecimal(inv.minimumCharge, '439.66'); // 500.00 − 60.34
    expectDecimal(inv.total, '520.00'); // 60.34 + 20.00 + 439.66
    expectBalanced(inv);
    // minimum 70.00: charges 60.34 fall short even though charges + late usage (80.34) would not
    const short = invoice(usdCard('line', 'half_up', { minimumMonthly: d('70.00') }), month, {
      adjustments: [{ id: 'adj-1', originalPeriod: '2026-10', label: 'Late usage', lines: [late] }],
    });
    expectDecimal(short.minimumCharge, '9.66'); // 70.00 − 60.34
    expectDecimal(short.total, '90.00'); // 60.34 + 20.00 + 9.66
  });
});

describe('buildInvoice: late usage from closed periods', () => {
  const late = allocated(pricedLine({ lineId: 'late', price: d('7.50') }), 'finance');
  const inv = invoice(usdCard(), month, { adjustments: [{ id: 'adj-2026-10', originalPeriod: '2026-10', label: 'Late usage', lines: [late] }] });

  it('lists it as a labelled adjustment after the charges, never merged into them', () => {
    const adjustment = inv.lines.at(-1);
    expect(adjustment).toMatchObject({
      kind: 'adjustment',
      description: 'Late usage (2026-10): D2s v3',
      adjustment: { id: 'adj-2026-10', originalPeriod: '2026-10', label: 'Late usage' },
    });
    expectDecimal(adjustment?.amount, '7.50');
    expectDecimal(inv.subtotalsByCategory.compute, '17.24'); // this period's compute only
    expect(inv.summary.at(-1)).toMatchObject({ kind: 'adjustment', adjustmentId: 'adj-2026-10', description: 'Late usage (2026-10)' });
    expectDecimal(inv.total, '67.84'); // 60.34 + 7.50
    expectBalanced(inv);
  });

  it('refuses an adjustment that is not for an earlier period', () => {
    for (const originalPeriod of ['2026-11', '2026-12']) {
      expect(() => invoice(usdCard(), month, { adjustments: [{ id: 'x', originalPeriod, label: 'Late', lines: [late] }] })).toThrow(
        `Adjustment x is for ${originalPeriod}, which is not a period before 2026-11`,
      );
    }
  });
});

describe('buildInvoice: refuses inputs that would not add up', () => {
  it.each([
    ['a line of another customer', () => invoice(usdCard(), [allocated(pricedLine({ lineId: 'z', customerId: 'c2', price: d('1') }))]), /belongs to customer c2, not c1/],
    ['a line priced in another currency', () => invoice(usdCard(), [allocated(pricedLine({ lineId: 'z', currency: 'EUR', price: d('1') }))]), /priced in EUR, not USD/],
    ['allocations that miss part of the price', () => invoice(usdCard(), [allocated(pricedLine({ lineId: 'z', price: d('2.00') }), 'x', [alloc('z', 'A', '1.99')])]), /allocations sum to 1.99, not its price 2/],
    ['the same line twice', () => invoice(usdCard(), [a, a]), /Line a appears twice/],
    ['a card in another currency', () => buildInvoice({ customerId: 'c1', period: '2026-11', currency: 'EUR', card: usdCard(), pricedLines: [] }), /Invoice in EUR cannot use rate card card-std v3/],
  ] as const)('rejects %s', (_name, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('buildInvoice: property checks (fixed seed, 240 generated invoices in JPY, USD and BHD)', () => {
  it('total = Σ lines = Σ summary, whole minor units, total = round(exact) + minimum, cost nodes = total − minimum', () => {
    const random = seededRandom(424242);
    const int = (n: number): number => Math.floor(random() * n);
    const currencies = ['JPY', 'USD', 'BHD'];
    const scopes: RoundingScope[] = ['line', 'invoice'];
    const modes: RoundingMode[] = ['half_up', 'half_even'];
    for (let i = 0; i < 240; i += 1) {
      const currency = currencies[i % 3] as string;
      const scope = scopes[Math.floor(i / 3) % 2] as RoundingScope;
      const mode = modes[Math.floor(i / 6) % 2] as RoundingMode;
      const places = minorUnits(currency);
      const theCard = card({ currency, rounding: { scope, mode }, minimumMonthly: int(4) === 0 ? new Decimal(int(5000)) : null });
      const count = 1 + int(12);
      const lines: InvoiceSourceLine[] = [];
      for (let k = 0; k < count; k += 1) {
        const unrounded = new Decimal(int(10_000_000)).div(new Decimal(10).pow(places + 1 + int(4))).times(int(6) === 0 ? -1 : 1);
        const p = pricedLine({ lineId: `L${i}-${k}`, meterId: `m${int(4)}`, category: int(2) ? 'compute' : 'storage', currency, price: unrounded });
        const parts = splitExactly(unrounded, [{ costNodeId: 'A', percent: d('33.33') }, { costNodeId: 'B', percent: d('66.67') }], currency);
        lines.push(allocated(p, 'x', [alloc(p.lineId, 'A', parts[0]?.toString() ?? '0', '33.33'), alloc(p.lineId, 'B', parts[1]?.toString() ?? '0', '66.67')]));
      }
      const inv = invoice(theCard, lines);
      expectBalanced(inv);
      // Per invoice line (category and meter here), the exact sum of its lines' prices.
      const byInvoiceLine = new Map<string, Decimal>();
      for (const l of lines) byInvoiceLine.set(`${l.category}|${l.meterId}`, (byInvoiceLine.get(`${l.category}|${l.meterId}`) ?? ZERO).plus(l.price));
      const rounded = sum([...byInvoiceLine.values()].map((x) => roundToMinorUnit(x, currency, mode)));
      const expected = scope === 'line' ? rounded : roundToMinorUnit(sum(lines.map((l) => l.price)), currency, mode);
      expect(inv.total.equals(expected.plus(inv.minimumCharge)), `case ${i}`).toBe(true);
      expect(sum(inv.subtotalsByCostNode.map((n) => n.amount)).equals(inv.total.minus(inv.minimumCharge)), `case ${i}`).toBe(true);
      expect(inv.subtotalsByCostNode.every((n) => isWholeMinorUnits(n.amount, currency))).toBe(true);
      if (scope === 'line') expect(inv.roundingAdjustment.isZero()).toBe(true);
    }
  });
});
