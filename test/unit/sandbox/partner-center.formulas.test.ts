import { describe, expect, it } from 'vitest';
import {
  Exact,
  effectiveUnitPriceAfterPec,
  licenseSubtotal,
  proratedUnitPrice,
  usageBillingPreTaxTotal,
  usagePricingPreTaxTotal,
} from '../../../src/sandbox/partner-center/formulas.ts';

const d = (v: string | number) => new Exact(v);

describe('Microsoft billing formulas', () => {
  it('floors BillingPreTaxTotal = EUP × Quantity × PCToBCExchangeRate to cents', () => {
    // Reference example: 24 h of D2s v3 at 0.7375 EUP, billed in EUR at 0.92 → 16.284 → 16.28.
    expect(usageBillingPreTaxTotal(d('0.7375'), d(24), d('0.92')).toFixed()).toBe('16.28');
    expect(usagePricingPreTaxTotal(d('0.7375'), d(24)).toFixed()).toBe('17.7');
  });

  it('keeps every digit of long products before flooring', () => {
    // 4 + 14 + 4 significant digits: more than decimal.js's default precision of 20.
    const product = d('0.07072').times(d('1234.5678901234')).times(d('0.9234'));
    const digits = (7072n * 12345678901234n * 9234n).toString();
    const scale = 5 + 10 + 4;
    expect(product.toFixed(scale)).toBe(`${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
    expect(usageBillingPreTaxTotal(d('0.07072'), d('1234.5678901234'), d('0.9234')).toFixed()).toBe('80.62');
  });

  it('applies the 15 % partner-earned credit to the unit price', () => {
    expect(effectiveUnitPriceAfterPec(d('0.868'), 15).toFixed()).toBe('0.7378');
    expect(effectiveUnitPriceAfterPec(d('0.868'), 0).toFixed()).toBe('0.868');
  });

  it('prorates by day with six decimals (Microsoft examples)', () => {
    // EUR 10.08 bought 18 Jun, +2 seats on 20 Jun: 28 of 30 days.
    expect(proratedUnitPrice(d('10.08'), 30, 28).toFixed()).toBe('9.408');
    // USD 12, March cycle (31 days), 29 days left.
    expect(proratedUnitPrice(d('12'), 31, 29).toFixed()).toBe('11.225806');
  });

  it('computes seat Subtotal = ROUNDDOWN(EUP × PCToBC, 2) × BillableQuantity', () => {
    // Reference example: ROUNDDOWN(11.225806 × 0.92, 2) = 10.32; × 15 = 154.80.
    expect(licenseSubtotal(d('11.225806'), d('0.92'), d(15)).toFixed(2)).toBe('154.80');
    // Refund half of a pair: truncation towards zero keeps the pair symmetric.
    expect(licenseSubtotal(d('-9.408'), d(1), d(10)).toFixed(2)).toBe('-94.00');
  });
});
