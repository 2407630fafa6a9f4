import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { formatDate, formatMoney, formatPercent, formatPeriod, formatQuantity, formatUnitPrice, groupThousands } from '../../../src/documents/format.ts';

const d = (v: string): Decimal => new Decimal(v);

describe('formatMoney: the currency minor unit, grouped for people, plain for machines', () => {
  it.each([
    ['USD', '1234567.8', '1234567.80', '1,234,567.80'],
    ['USD', '-1234.5', '-1234.50', '-1,234.50'],
    ['USD', '0', '0.00', '0.00'],
    ['USD', '-0', '0.00', '0.00'],
    ['JPY', '444226', '444226', '444,226'],
    ['JPY', '-1', '-1', '-1'],
    ['BHD', '4307.812', '4307.812', '4,307.812'],
    ['BHD', '0.5', '0.500', '0.500'],
    ['usd', '999.99', '999.99', '999.99'],
  ])('%s %s → %s / %s', (currency, amount, value, display) => {
    expect(formatMoney(d(amount), currency)).toEqual({ value, display });
  });

  it('refuses an amount that is not in whole minor units instead of rounding it', () => {
    expect(() => formatMoney(d('1.005'), 'USD')).toThrow('Amount 1.005 is not in whole minor units of USD');
    expect(() => formatMoney(d('601.2'), 'JPY')).toThrow(/not in whole minor units of JPY/);
  });

  it('refuses a currency without a known minor unit', () => {
    expect(() => formatMoney(d('1'), 'XYZ')).toThrow(/Unknown currency "XYZ"/);
  });
});

describe('quantities, unit prices, dates', () => {
  it('groups thousands of any plain decimal', () => {
    expect(groupThousands('1234567.891')).toBe('1,234,567.891');
    expect(groupThousands('-999')).toBe('-999');
    expect(groupThousands('1000')).toBe('1,000');
  });

  it('shows a quantity to six decimals, keeps it exact for machines', () => {
    expect(formatQuantity(d('1200.000000125'))).toEqual({ value: '1200.000000125', display: '1,200' });
    expect(formatQuantity(d('0.0000004'))).toEqual({ value: '0.0000004', display: '0' });
    expect(formatQuantity(d('812.5'))).toEqual({ value: '812.5', display: '812.5' });
  });

  it('unit price = amount ÷ quantity, to the minor unit + 4 decimals, at least the minor unit', () => {
    expect(formatUnitPrice(d('1419.74'), d('1200'), 'USD')).toEqual({ value: '1.183117', display: '1.183117' }); // 1.18311666…
    expect(formatUnitPrice(d('140'), d('10'), 'USD')).toEqual({ value: '14.00', display: '14.00' });
    expect(formatUnitPrice(d('141974'), d('1200'), 'JPY')).toEqual({ value: '118.3117', display: '118.3117' }); // 118.311666…
    expect(formatUnitPrice(d('12000'), d('3'), 'JPY')).toEqual({ value: '4000', display: '4,000' });
    expect(formatUnitPrice(d('52.5'), d('10'), 'BHD')).toEqual({ value: '5.250', display: '5.250' });
    expect(formatUnitPrice(d('-5.00'), d('-2'), 'USD')).toEqual({ value: '2.50', display: '2.50' }); // a credit of two units
    expect(formatUnitPrice(d('5.00'), d('0'), 'USD')).toBeNull();
    expect(formatUnitPrice(d('5.00'), null, 'USD')).toBeNull();
  });

  it('dates and periods read the same in every locale', () => {
    expect(formatDate('2026-12-01')).toBe('1 Dec 2026');
    expect(formatPeriod('2024-02')).toEqual({ code: '2024-02', label: 'February 2024', from: '2024-02-01', to: '2024-02-29', range: '1 Feb 2024 – 29 Feb 2024' });
    expect(() => formatDate('2026-02-30')).toThrow(/no such calendar day/);
  });

  it('percentages to two decimals', () => {
    expect(formatPercent(d('33.33333'))).toBe('33.33');
    expect(formatPercent(d('50'))).toBe('50');
  });
});
