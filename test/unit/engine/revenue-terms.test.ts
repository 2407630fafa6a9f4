import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { isDeferredLine, lastServiceDayOf, schedulesOfLine, type LicenseSourceForRecognition } from '../../../src/engine/revenue-terms.ts';

// Which pattern and window each kind of invoice line gets. Figures worked by hand:
// 1,200.00 × 17 ÷ 365 = 55.890… → 55.89 for 2026-03-15..31; through April 30 (47 days)
// 154.520… → 154.52, so April is 98.63.

const d = (v: string) => new Decimal(v);
const license = (over: Partial<LicenseSourceForRecognition>): LicenseSourceForRecognition => ({
  id: 'l1',
  subscriptionId: 'sub-1',
  chargeType: 'new',
  chargeStart: '2026-03-15',
  chargeEnd: '2027-03-14',
  billingFrequency: 'Annual',
  reservation: false,
  weight: d('1000.00'),
  ...over,
});
const line = (amount: string, licenses: LicenseSourceForRecognition[], period = '2026-03') => ({ id: 'line-1', amount: d(amount), currency: 'USD', invoicePeriod: period, adjustmentPeriod: null, licenses });

describe('schedulesOfLine', () => {
  it('defers an annual upfront seat and recognises it by day over its charge window', () => {
    const [schedule, ...rest] = schedulesOfLine(line('1200.00', [license({})]));
    expect(rest).toEqual([]);
    expect(schedule).toMatchObject({ pattern: 'ratable-daily', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', subscriptionId: 'sub-1', licenseLineIds: ['l1'], cancellation: false });
    expect(schedule!.entries.slice(0, 2).map((e) => [e.period, e.amount.toFixed(2)])).toEqual([
      ['2026-03', '55.89'],
      ['2026-04', '98.63'],
    ]);
    expect(schedule!.entries).toHaveLength(13);
    expect(isDeferredLine([schedule!], '2026-03')).toBe(true);
  });

  it('recognises usage in the month consumed, and a late adjustment in the month it is for, on the invoice', () => {
    const [usage] = schedulesOfLine(line('11.63', []));
    expect(usage).toMatchObject({ pattern: 'point-in-time', serviceStart: '2026-03-01', serviceEnd: '2026-03-31' });
    expect(usage!.entries.map((e) => [e.period, e.amount.toFixed(2)])).toEqual([['2026-03', '11.63']]);
    expect(isDeferredLine([usage!], '2026-03')).toBe(false);
    const [late] = schedulesOfLine({ ...line('2.00', []), invoicePeriod: '2026-04', adjustmentPeriod: '2026-02' });
    expect(late!.entries.map((e) => e.period)).toEqual(['2026-02']);
  });

  it('recognises a monthly-billed seat over the month it is invoiced for, not deferred', () => {
    const [monthly] = schedulesOfLine(line('196.45', [license({ billingFrequency: 'Monthly', chargeStart: '2026-03-07', chargeEnd: '2026-04-06' })]));
    expect(monthly).toMatchObject({ pattern: 'monthly', serviceStart: '2026-03-01', serviceEnd: '2026-03-31' });
    expect(monthly!.entries.map((e) => [e.period, e.amount.toFixed(2)])).toEqual([['2026-03', '196.45']]);
    expect(isDeferredLine([monthly!], '2026-03')).toBe(false);
  });

  it('makes a mid-term seat increase (refund/charge pair) its own schedule from the day the seats start', () => {
    // 5 → 6 seats on 2026-09-01: Microsoft refunds 5 and charges 6 for the 195 days left; the line is the net 1 seat, 641.10 (1,200 × 195 ÷ 365 = 641.095…).
    const pair = [
      license({ id: 'refund', chargeType: 'addQuantity', chargeStart: '2026-09-01', weight: d('-2671.23') }),
      license({ id: 'charge', chargeType: 'addQuantity', chargeStart: '2026-09-01', weight: d('3205.48') }),
    ];
    const [increase, ...rest] = schedulesOfLine(line('641.10', pair, '2026-09'));
    expect(rest).toEqual([]);
    expect(increase).toMatchObject({ pattern: 'ratable-daily', serviceStart: '2026-09-01', serviceEnd: '2027-03-14', licenseLineIds: ['refund', 'charge'] });
    // September: 641.10 × 30 ÷ 195 = 98.630… → 98.63.
    expect(increase!.entries[0]!.amount.toFixed(2)).toBe('98.63');
    expect(increase!.entries.reduce((s, e) => s.plus(e.amount), d('0')).toFixed(2)).toBe('641.10');
  });

  it('splits a line over a purchase and its cancellation by their subtotals, and leaves the cancellation unrecognised', () => {
    // Bought 2026-03-15, cancelled from 2026-03-20: the line nets 1,200.00 − 1,183.56 = 16.44; subtotals 1,000.00 and −986.30 split it 1,200.00 / −1,183.56.
    const drafts = schedulesOfLine(line('16.44', [license({}), license({ id: 'l2', chargeType: 'cancelImmediate', chargeStart: '2026-03-20', weight: d('-986.30') })]));
    expect(drafts.map((s) => [s.pattern, s.total.toFixed(2), s.cancellation, s.entries.length])).toEqual([
      ['ratable-daily', '1200.00', false, 13],
      ['point-in-time', '-1183.56', true, 0],
    ]);
    expect(lastServiceDayOf(drafts[1]!)).toBe('2026-03-19');
    expect(isDeferredLine(drafts, '2026-03')).toBe(true);
  });

  it('gives a zero line no schedule', () => {
    expect(schedulesOfLine(line('0.00', [license({})]))).toEqual([]);
  });
});
