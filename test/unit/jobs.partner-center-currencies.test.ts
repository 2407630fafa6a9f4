import { describe, expect, it } from 'vitest';
import { chooseCurrencies, configuredCurrencies, currencyCode, recentInvoiceCurrencies } from '../../src/jobs/partner-center/currencies.ts';

describe('unbilled currencies', () => {
  it('reads settings.currencies and the older settings.currency as one list, upper-cased, ignoring junk', () => {
    expect(configuredCurrencies({ currencies: ['EUR', 'gbp'], currency: 'USD' })).toEqual(['EUR', 'GBP', 'USD']);
    expect(configuredCurrencies({ currency: 'chf' })).toEqual(['CHF']);
    expect(configuredCurrencies({ currencies: ['EURO', '', 7, null], currency: true })).toEqual([]);
    expect(configuredCurrencies(undefined)).toEqual([]);
    expect(currencyCode(' jpy ')).toBe('JPY');
    expect(currencyCode('US')).toBeUndefined();
  });

  it('takes the currencies of invoices within three billing months of the newest one', () => {
    const invoices = [
      { id: 'G1', billingPeriodStartDate: '2026-10-01T00:00:00Z', currencyCode: 'USD' },
      { id: 'G2', billingPeriodStartDate: '2026-10-01T00:00:00Z', currencyCode: 'EUR' },
      { id: 'G3', billingPeriodStartDate: '2026-08-01T00:00:00Z', currencyCode: 'GBP' },
      { id: 'G4', billingPeriodStartDate: '2026-07-01T00:00:00Z', currencyCode: 'CHF' },
      { id: 'G5', invoiceDate: '2026-09-08T00:00:00Z', currencyCode: 'nok' },
      { id: 'G6', billingPeriodStartDate: '2026-10-01T00:00:00Z' },
    ];
    expect([...new Set(recentInvoiceCurrencies(invoices))].sort()).toEqual(['EUR', 'GBP', 'NOK', 'USD']);
    expect(recentInvoiceCurrencies(invoices, 1).sort()).toEqual(['EUR', 'USD']);
    expect(recentInvoiceCurrencies([])).toEqual([]);
  });

  it('joins every source sorted and distinct, and falls back to USD when nothing is known', () => {
    expect(chooseCurrencies({ settings: ['GBP'], customers: ['USD', 'EUR'], lines: ['EUR', 'GBP'], invoices: ['USD'] })).toEqual(['EUR', 'GBP', 'USD']);
    expect(chooseCurrencies({ settings: [], customers: [], lines: [], invoices: [] })).toEqual(['USD']);
    expect(chooseCurrencies({ settings: ['CHF'], customers: [], lines: [], invoices: [] })).toEqual(['CHF']);
  });
});
