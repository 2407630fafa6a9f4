import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import { cancelSchedule, recognitionSchedule, seatIncreaseSchedule, termEnd, type ScheduleEntry } from '../../../src/engine/revenue-schedule.ts';

// Every figure below was worked out by hand (and re-checked with Python's decimal
// module) from the rule in issue 24: month m = round(total × term days elapsed through
// the end of m ÷ term days) − the same through m − 1, half-up to the minor unit.

const d = (v: string) => new Decimal(v);
const plain = (entries: ScheduleEntry[]) => entries.map((e) => [e.period, e.amount.toString()]);
const total = (entries: ScheduleEntry[]) => entries.reduce((acc, e) => acc.plus(e.amount), new Decimal(0)).toString();

describe('ratable-daily recognition of upfront terms', () => {
  it('recognises $1,200.00 annual from 2026-03-15 over its 365 days', () => {
    expect(termEnd('2026-03-15', 12)).toBe('2027-03-14');
    const entries = recognitionSchedule({ total: d('1200.00'), currency: 'USD', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', pattern: 'ratable-daily' });
    // Cumulative days 17, 47, 78, 108, 139, 170, 200, 231, 261, 292, 323, 351, 365;
    // e.g. March: 1200 × 17 ÷ 365 = 55.8904… → 55.89; April: 1200 × 47 ÷ 365 = 154.5205… → 154.52 − 55.89 = 98.63.
    expect(plain(entries)).toEqual([
      ['2026-03', '55.89'], ['2026-04', '98.63'], ['2026-05', '101.92'], ['2026-06', '98.63'],
      ['2026-07', '101.92'], ['2026-08', '101.91'], ['2026-09', '98.63'], ['2026-10', '101.92'],
      ['2026-11', '98.63'], ['2026-12', '101.92'], ['2027-01', '101.92'], ['2027-02', '92.05'], ['2027-03', '46.03'],
    ]);
    expect(total(entries)).toBe('1200');
  });

  it('recognises $10,000.00 triennial from 2026-01-31 across the leap day of 2028 (1,096 days)', () => {
    const end = termEnd('2026-01-31', 36);
    expect(end).toBe('2029-01-30');
    const entries = recognitionSchedule({ total: d('10000.00'), currency: 'USD', serviceStart: '2026-01-31', serviceEnd: end, pattern: 'ratable-daily' });
    expect(entries).toHaveLength(37);
    expect(plain(entries)).toEqual([
      ['2026-01', '9.12'], ['2026-02', '255.48'], ['2026-03', '282.85'], ['2026-04', '273.72'], ['2026-05', '282.84'], ['2026-06', '273.73'],
      ['2026-07', '282.84'], ['2026-08', '282.85'], ['2026-09', '273.72'], ['2026-10', '282.85'], ['2026-11', '273.72'], ['2026-12', '282.85'],
      ['2027-01', '282.85'], ['2027-02', '255.47'], ['2027-03', '282.85'], ['2027-04', '273.72'], ['2027-05', '282.85'], ['2027-06', '273.72'],
      ['2027-07', '282.85'], ['2027-08', '282.84'], ['2027-09', '273.73'], ['2027-10', '282.84'], ['2027-11', '273.72'], ['2027-12', '282.85'],
      // February 2028 has 29 days: 10000 × 29 ÷ 1096 ≈ 264.60, more than either other February.
      ['2028-01', '282.85'], ['2028-02', '264.6'], ['2028-03', '282.84'], ['2028-04', '273.73'], ['2028-05', '282.84'], ['2028-06', '273.73'],
      ['2028-07', '282.84'], ['2028-08', '282.85'], ['2028-09', '273.72'], ['2028-10', '282.85'], ['2028-11', '273.72'], ['2028-12', '282.85'],
      ['2029-01', '273.72'],
    ]);
    expect(total(entries)).toBe('10000');
  });

  it('rounds JPY to whole yen and BHD to the fils (three decimals)', () => {
    const yen = recognitionSchedule({ total: d('120000'), currency: 'JPY', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', pattern: 'ratable-daily' });
    expect(plain(yen)).toEqual([
      ['2026-03', '5589'], ['2026-04', '9863'], ['2026-05', '10192'], ['2026-06', '9863'], ['2026-07', '10192'], ['2026-08', '10191'],
      ['2026-09', '9863'], ['2026-10', '10192'], ['2026-11', '9863'], ['2026-12', '10192'], ['2027-01', '10192'], ['2027-02', '9205'], ['2027-03', '4603'],
    ]);
    expect(total(yen)).toBe('120000');

    const dinar = recognitionSchedule({ total: d('1000.000'), currency: 'BHD', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', pattern: 'ratable-daily' });
    expect(plain(dinar)).toEqual([
      ['2026-03', '46.575'], ['2026-04', '82.192'], ['2026-05', '84.932'], ['2026-06', '82.191'], ['2026-07', '84.932'], ['2026-08', '84.931'],
      ['2026-09', '82.192'], ['2026-10', '84.932'], ['2026-11', '82.191'], ['2026-12', '84.932'], ['2027-01', '84.932'], ['2027-02', '76.712'], ['2027-03', '38.356'],
    ]);
    expect(total(dinar)).toBe('1000');
  });

  it('reverses the unrecognised remainder when an annual term is cancelled on its fifth day', () => {
    const terms = { total: d('1200.00'), currency: 'USD', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', pattern: 'ratable-daily' } as const;
    // 1200 × 5 ÷ 365 = 16.4383… → 16.44 recognised; 1200 − 16.44 = 1183.56 reversed.
    const { entries, reversed } = cancelSchedule(terms, '2026-03-19');
    expect(plain(entries)).toEqual([['2026-03', '16.44']]);
    expect(reversed.toString()).toBe('1183.56');
  });

  it('keeps the months already recognised when a term ends early later on, and reverses the rest', () => {
    const terms = { total: d('1200.00'), currency: 'USD', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', pattern: 'ratable-daily' } as const;
    // Through 2026-04-10: 17 + 10 = 27 days; 1200 × 27 ÷ 365 = 88.7671… → 88.77; April = 88.77 − 55.89 = 32.88.
    const { entries, reversed } = cancelSchedule(terms, '2026-04-10');
    expect(plain(entries)).toEqual([['2026-03', '55.89'], ['2026-04', '32.88']]);
    expect(reversed.toString()).toBe('1111.23');
    expect(cancelSchedule(terms, '2026-03-14')).toEqual({ entries: [], reversed: d('1200.00') });
  });

  it('adds a schedule for seats added mid-term from the day they start', () => {
    // 2026-09-01..2027-03-14 is 30+31+30+31+31+28+14 = 195 of 365 days: 1200 × 195 ÷ 365 = 641.0958… → 641.10.
    const { charge, entries } = seatIncreaseSchedule({ pricePerSeat: d('1200.00'), seats: 1, currency: 'USD', termStart: '2026-03-15', termEnd: '2027-03-14', startsOn: '2026-09-01' });
    expect(charge.toString()).toBe('641.1');
    // September: 641.10 × 30 ÷ 195 = 98.6307… → 98.63; through October: 641.10 × 61 ÷ 195 = 200.5543… → 200.55.
    expect(plain(entries)).toEqual([
      ['2026-09', '98.63'], ['2026-10', '101.92'], ['2026-11', '98.63'], ['2026-12', '101.92'], ['2027-01', '101.92'], ['2027-02', '92.05'], ['2027-03', '46.03'],
    ]);
    expect(total(entries)).toBe('641.1');
  });
});

describe('monthly and point-in-time recognition', () => {
  it('recognises monthly-billed seats in their service month and spreads a quarter in equal thirds', () => {
    expect(plain(recognitionSchedule({ total: d('30.00'), currency: 'USD', serviceStart: '2026-03-01', serviceEnd: '2026-03-31', pattern: 'monthly' }))).toEqual([['2026-03', '30']]);
    // 100 ÷ 3: cumulative 33.33, 66.67, 100.00.
    expect(plain(recognitionSchedule({ total: d('100.00'), currency: 'USD', serviceStart: '2026-01-01', serviceEnd: '2026-03-31', pattern: 'monthly' }))).toEqual([
      ['2026-01', '33.33'], ['2026-02', '33.34'], ['2026-03', '33.33'],
    ]);
  });

  it('recognises usage in the month it was consumed', () => {
    expect(plain(recognitionSchedule({ total: d('412.37'), currency: 'EUR', serviceStart: '2026-10-01', serviceEnd: '2026-10-31', pattern: 'point-in-time' }))).toEqual([['2026-10', '412.37']]);
  });
});

describe('bad terms', () => {
  const good = { total: d('10.00'), currency: 'USD', serviceStart: '2026-01-01', serviceEnd: '2026-12-31', pattern: 'ratable-daily' } as const;
  const fieldOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(EngineError);
      return (err as EngineError).details.field ?? (err as EngineError).code;
    }
    throw new Error('expected an EngineError');
  };
  it('names the offending input', () => {
    expect(fieldOf(() => recognitionSchedule({ ...good, serviceEnd: '2025-12-31' }))).toBe('serviceEnd');
    expect(fieldOf(() => recognitionSchedule({ ...good, serviceStart: '2026-02-30' }))).toBe('serviceStart');
    expect(fieldOf(() => recognitionSchedule({ ...good, total: d('10.001') }))).toBe('total');
    expect(fieldOf(() => recognitionSchedule({ ...good, currency: 'JPY', total: d('10.5') }))).toBe('total');
    expect(fieldOf(() => recognitionSchedule({ ...good, currency: 'XYZ' }))).toBe('unknown_currency');
    expect(fieldOf(() => cancelSchedule(good, '2027-01-01'))).toBe('lastServiceDay');
  });
});
