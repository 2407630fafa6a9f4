import { describe, expect, it } from 'vitest';
import { groupMarginVariance } from '../../../src/metrics/margin-variance.ts';

// Figures worked by hand: a group's margin % is Σ margin ÷ Σ price, its target the
// targets weighted by price.
describe('groupMarginVariance', () => {
  it('weighs each invoice by its price', () => {
    // SMB: 150 + 600 = 750 on 1,000 + 3,000 = 4,000 → 18.75 %; target (1,000 × 20 + 3,000 × 18) ÷ 4,000 = 18.5 %.
    expect(
      groupMarginVariance([
        { group: 'SMB', currency: 'USD', price: '1000.00', margin: '150.00', targetMarginPercent: '20' },
        { group: 'SMB', currency: 'USD', price: '3000.00', margin: '600.00', targetMarginPercent: '18' },
      ]),
    ).toEqual([{ group: 'SMB', currency: 'USD', invoices: 2, price: '4000', margin: '750', marginPercent: '18.75', targetMarginPercent: '18.5', deviationPoints: '0.25' }]);
  });

  it('keeps groups and currencies apart, in order, and rounds percentages to 4 places', () => {
    // Enterprise EUR: 100 on 300 → 33.3333 %, target 30 → 3.3333 points; Enterprise USD: 20 on 220 → 9.0909 %, target 10 → −0.9091.
    const rows = groupMarginVariance([
      { group: 'Enterprise', currency: 'USD', price: '220.00', margin: '20.00', targetMarginPercent: '10' },
      { group: 'Enterprise', currency: 'EUR', price: '300.00', margin: '100.00', targetMarginPercent: '30' },
      { group: 'Consumer', currency: 'USD', price: '50.00', margin: '5.00', targetMarginPercent: null },
    ]);
    expect(rows.map((r) => [r.group, r.currency, r.marginPercent, r.targetMarginPercent, r.deviationPoints])).toEqual([
      ['Consumer', 'USD', '10', null, null],
      ['Enterprise', 'EUR', '33.3333', '30', '3.3333'],
      ['Enterprise', 'USD', '9.0909', '10', '-0.9091'],
    ]);
  });

  it('weighs the target only over invoices that have one', () => {
    // Targets: only the 400 invoice has one (25 %); margin 40 + 100 = 140 on 600 → 23.3333 %.
    const [row] = groupMarginVariance([
      { group: 'G', currency: 'USD', price: '200', margin: '40', targetMarginPercent: null },
      { group: 'G', currency: 'USD', price: '400', margin: '100', targetMarginPercent: '25' },
    ]);
    expect([row!.marginPercent, row!.targetMarginPercent, row!.deviationPoints]).toEqual(['23.3333', '25', '-1.6667']);
  });

  it('has no percentage for a group that priced nothing', () => {
    const [row] = groupMarginVariance([{ group: 'G', currency: 'USD', price: '0', margin: '0', targetMarginPercent: '20' }]);
    expect([row!.marginPercent, row!.targetMarginPercent, row!.deviationPoints]).toEqual([null, null, null]);
  });
});
