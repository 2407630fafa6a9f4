import { describe, expect, it } from 'vitest';
import { marginPercent, marginReport, startMarginReport } from '../../../src/engine/margin.ts';
import type { PricedLine } from '../../../src/engine/types.ts';
import { card, d, expectAmount, expectDecimal, pricedLine } from './fixtures.ts';

const target20 = card({ targetMarginPercent: d('20') });

function line(lineId: string, cost: string, price: string, extra: Partial<PricedLine> = {}): PricedLine {
  return pricedLine({ lineId, cost: d(cost), price: d(price), ...extra });
}

describe('marginPercent', () => {
  it('is margin over price', () => {
    // (115 − 100) ÷ 115 × 100 = 13.0434782609 %
    expectAmount(marginPercent(d('100'), d('115')), '13.0434782609');
    expect(marginPercent(d('5'), d('0'))).toBeNull();
  });
});

describe('marginReport', () => {
  const lines = [
    line('a', '100.00', '125.00'), // compute: 25 ÷ 125 = 20 %
    line('b', '50.00', '52.00', { category: 'storage' }), // storage: 2 ÷ 52 = 3.8461538462 %
    line('c', '10.00', '12.00', { customerId: 'c0' }), // another customer: 2 ÷ 12 = 16.6666666667 %
  ];
  const report = marginReport(lines, [target20]);

  it('reports per customer and category', () => {
    expect(report.byCustomerCategory.map((r) => [r.customerId, r.category])).toEqual([
      ['c0', 'compute'],
      ['c1', 'compute'],
      ['c1', 'storage'],
    ]);
    const storage = report.byCustomerCategory[2];
    expectDecimal(storage?.cost, '50');
    expectDecimal(storage?.price, '52');
    expectDecimal(storage?.margin, '2'); // 52 − 50
    expectAmount(storage?.marginPercent, '3.8461538462'); // 2 ÷ 52 × 100
    expectDecimal(storage?.targetMarginPercent, '20');
    expectAmount(storage?.deviationPoints, '-16.1538461538'); // 3.8461538462 − 20
  });

  it('reports per customer', () => {
    const c1 = report.byCustomer.find((r) => r.customerId === 'c1');
    expectDecimal(c1?.cost, '150'); // 100 + 50
    expectDecimal(c1?.price, '177'); // 125 + 52
    expectDecimal(c1?.margin, '27');
    expectAmount(c1?.marginPercent, '15.2542372881'); // 27 ÷ 177 × 100
    expect(c1?.category).toBeNull();
  });

  it('flags lines more than 2 points off target', () => {
    // a: exactly 20 % → not flagged; b: 3.85 % → −16.15 points; c: 16.67 % → −3.33 points
    expect(report.flags.map((f) => [f.lineId, f.reason])).toEqual([
      ['c', 'off_target'],
      ['b', 'off_target'],
    ]);
    expectAmount(report.flags[0]?.deviationPoints, '-3.3333333333'); // 16.6666666667 − 20
  });

  it('does not flag exactly 2 points, does flag 2.01', () => {
    // cost 78 / price 100 → 22 % → +2 points: not flagged; cost 77.99 → 22.01 % → +2.01 points: flagged
    const edge = marginReport([line('in', '78', '100'), line('out', '77.99', '100')], [target20]);
    expect(edge.flags.map((f) => f.lineId)).toEqual(['out']);
    expectAmount(edge.flags[0]?.deviationPoints, '2.01');
  });

  it('counts every flag; with keepFlags it names only the first that many', () => {
    // 5 lines at cost 10 / price 11 (9.09 %: 10.91 points under 20 %) and one on target (cost 8 / price 10: 20 %).
    const lines = [...['f1', 'f2', 'f3'].map((id) => line(id, '10', '11')), line('ok', '8', '10'), ...['f4', 'f5'].map((id) => line(id, '10', '11'))];
    const all = marginReport(lines, [target20]);
    expect(all.flagCount).toBe(5);
    expect(all.flags.map((f) => f.lineId)).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    const acc = startMarginReport([target20], { keepFlags: 2 });
    for (const l of lines) acc.add(l);
    const kept = acc.finish();
    expect(kept.flagCount).toBe(5);
    expect(kept.flags.map((f) => f.lineId)).toEqual(['f1', 'f2']);
    expect(kept.byCustomer).toEqual(all.byCustomer);
  });

  it('flags a line priced at zero that cost something', () => {
    const r = marginReport([line('free', '5.00', '0'), line('nothing', '0', '0')], [target20]);
    expect(r.flags.map((f) => [f.lineId, f.reason, f.marginPercent])).toEqual([['free', 'no_price', null]]);
  });

  it('judges a tiny line by its full-precision price, so it is not flagged', () => {
    // cost 0.0092, price 0.0115 (never rounded before the invoice): (0.0115 − 0.0092) ÷ 0.0115 = 20 % → on target.
    // Rounded to 0.01 it would read (0.01 − 0.0092) ÷ 0.01 = 8 %.
    const tiny = line('tiny', '0.0092', '0.0115');
    expect(marginReport([tiny], [target20]).flags).toEqual([]);
    expectAmount(marginReport([tiny], [target20]).byCustomer[0]?.marginPercent, '20');
  });

  it('treats a credit like its charge', () => {
    // cost −100, price −125: margin −25, margin % −25 ÷ −125 = 20 %
    const r = marginReport([line('credit', '-100', '-125')], [target20]);
    expectAmount(r.byCustomer[0]?.marginPercent, '20');
    expect(r.flags).toEqual([]);
  });

  it('has no target or flags without a card target, and a null target when cards disagree', () => {
    expect(marginReport(lines, [card()]).flags).toEqual([]);
    const v4 = card({ version: 4, targetMarginPercent: d('30') });
    const mixed = marginReport([line('a', '100', '125'), line('z', '100', '150', { cardVersion: 4 })], [target20, v4]);
    expect(mixed.byCustomer[0]?.targetMarginPercent).toBeNull();
    // each line is still judged against its own card: z = 50 ÷ 150 = 33.33 % vs 30 → +3.33 points
    expect(mixed.flags.map((f) => [f.lineId, f.targetMarginPercent.toString()])).toEqual([['z', '30']]);
  });

  it('refuses a line whose card was not supplied', () => {
    expect(() => marginReport([line('a', '1', '2', { cardVersion: 9 })], [target20])).toThrow(/rate card card-std v9, which was not supplied/);
  });
});
