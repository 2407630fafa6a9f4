import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { budgetPercent, seatVariances, thresholdsPassed } from '../../../src/engine/quote-variance.ts';

// Hand-checked: a quote of 40 seats of Microsoft 365 Business Standard and a 2,000.00
// monthly Azure budget, thresholds 110 % (2,200.00) and 120 % (2,400.00).
const d = (v: string) => new Decimal(v);
const SKU = 'CFQ7TTC0LDPB:0001';

describe('seatVariances', () => {
  it('Microsoft 42 seats against 40 quoted is +2', () => {
    const rows = seatVariances(new Map([[SKU, d('40')]]), new Map([[SKU, d('42')]]));
    expect(rows.map((r) => [r.sku, r.quoted.toString(), r.microsoft.toString(), r.difference.toString()])).toEqual([[SKU, '40', '42', '2']]);
  });

  it('a SKU on one side only counts zero on the other, sorted by SKU', () => {
    const rows = seatVariances(new Map([['B:0001', d('5')]]), new Map([['A:0001', d('3')]]));
    expect(rows.map((r) => [r.sku, r.quoted.toString(), r.microsoft.toString(), r.difference.toString()])).toEqual([
      ['A:0001', '0', '3', '3'],
      ['B:0001', '5', '0', '-5'],
    ]);
  });
});

describe('budgetPercent', () => {
  it('2,300.00 of 2,000.00 is 115.00 %', () => expect(budgetPercent(d('2300.00'), d('2000.00'))!.toFixed(2)).toBe('115.00'));
  it('2,000.01 of 3,000.00 is 66.67 % (66.667 half-up)', () => expect(budgetPercent(d('2000.01'), d('3000'))!.toFixed(2)).toBe('66.67'));
  it('no budget, no percentage', () => expect(budgetPercent(d('10'), d('0'))).toBeNull());
});

describe('thresholdsPassed', () => {
  const passed = (actual: string) => thresholdsPassed(d(actual), d('2000.00'), [110, 120]);
  it('2,300.00 passes 110 % (2,200.00) only: a warning', () => expect(passed('2300.00')).toEqual([{ percent: 110, severity: 'warning' }]));
  it('2,400.01 passes both: 120 % is critical', () =>
    expect(passed('2400.01')).toEqual([
      { percent: 110, severity: 'warning' },
      { percent: 120, severity: 'critical' },
    ]));
  it('exactly 2,200.00 is on the threshold, not over it', () => expect(passed('2200.00')).toEqual([]));
  it('2,200.01 is over it', () => expect(passed('2200.01')).toEqual([{ percent: 110, severity: 'warning' }]));
  it('a quote without Azure budget passes nothing', () => expect(thresholdsPassed(d('50'), d('0'), [110, 120])).toEqual([]));
  it('thresholds in any order: the highest is critical', () =>
    expect(thresholdsPassed(d('300'), d('100'), [150, 125])).toEqual([
      { percent: 125, severity: 'warning' },
      { percent: 150, severity: 'critical' },
    ]));
});
