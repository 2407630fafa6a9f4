import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/errors.ts';
import { convertCurrency, marketRate } from '../../../src/engine/fx.ts';
import type { MarketRate, MicrosoftRate } from '../../../src/engine/types.ts';
import { d, expectAmount, expectDecimal } from './fixtures.ts';

const microsoft: MicrosoftRate = {
  pricingCurrency: 'USD',
  billingCurrency: 'EUR',
  pcToBCExchangeRate: d('0.92'),
  pcToBCExchangeRateDate: '2026-11-01',
};

const table: MarketRate[] = [
  { id: 'ecb-1101', from: 'USD', to: 'EUR', date: '2026-11-01', rate: d('0.90') },
  { id: 'ecb-1115', from: 'USD', to: 'EUR', date: '2026-11-15', rate: d('0.92') },
  { id: 'ecb-1130', from: 'USD', to: 'EUR', date: '2026-11-30', rate: d('0.95') },
  { id: 'ecb-jpy', from: 'USD', to: 'JPY', date: '2026-11-01', rate: d('150.123') },
];

describe('convertCurrency: same currency', () => {
  it('is the identity under every policy', () => {
    for (const policy of [{ source: 'microsoft' as const }, { source: 'market' as const, table: [] }]) {
      const r = convertCurrency({ amount: d('12.345'), from: 'USD', to: 'usd', date: '2026-11-20' }, policy);
      expectDecimal(r.amount, '12.345');
      expect(r.fx).toMatchObject({ source: 'identity', rateDate: '2026-11-20', rateId: null });
      expectDecimal(r.fx.rate, '1');
    }
  });
});

describe("convertCurrency: Microsoft's own rate", () => {
  it('converts pricing → billing currency at PCToBCExchangeRate, without rounding', () => {
    // 17.70 USD × 0.92 = 16.284 EUR (kept at full precision)
    const r = convertCurrency({ amount: d('17.70'), from: 'USD', to: 'EUR', date: '2026-11-20', microsoft }, { source: 'microsoft' });
    expectDecimal(r.amount, '16.284');
    expect(r.fx).toMatchObject({ from: 'USD', to: 'EUR', source: 'microsoft', rateDate: '2026-11-01', rateId: null });
    expectDecimal(r.fx.rate, '0.92');
  });

  it('converts billing → pricing currency at the inverse rate', () => {
    // 16.28 EUR ÷ 0.92 = 17.695652173913…
    const r = convertCurrency({ amount: d('16.28'), from: 'EUR', to: 'USD', date: '2026-11-20', microsoft }, { source: 'microsoft' });
    expectAmount(r.amount, '17.6956521739');
    expectAmount(r.fx.rate, '1.0869565217'); // 1 ÷ 0.92
  });

  it('refuses a pair the line does not carry, and a missing line rate', () => {
    expect(() => convertCurrency({ amount: d('1'), from: 'GBP', to: 'EUR', date: '2026-11-20', microsoft }, { source: 'microsoft' })).toThrow(
      /converts USD→EUR; it cannot convert GBP→EUR/,
    );
    expect(() => convertCurrency({ amount: d('1'), from: 'USD', to: 'EUR', date: '2026-11-20' }, { source: 'microsoft' })).toThrow(EngineError);
  });
});

describe('convertCurrency: market table', () => {
  it('uses the latest rate on or before the date', () => {
    // 20 Nov → the 15 Nov rate 0.92: 100 × 0.92 = 92
    const r = convertCurrency({ amount: d('100'), from: 'USD', to: 'EUR', date: '2026-11-20' }, { source: 'market', table });
    expectDecimal(r.amount, '92');
    expect(r.fx).toMatchObject({ source: 'market', rateDate: '2026-11-15', rateId: 'ecb-1115' });
  });

  it('uses a rate dated on the day itself, and the earlier one the day before', () => {
    expectDecimal(marketRate(table, 'USD', 'EUR', '2026-11-15').rate, '0.92');
    expectDecimal(marketRate(table, 'USD', 'EUR', '2026-11-14').rate, '0.90');
    expectDecimal(marketRate(table, 'USD', 'EUR', '2026-12-31').rate, '0.95');
  });

  it('names the pair and date when no rate is on or before it', () => {
    expect(() => marketRate(table, 'USD', 'EUR', '2026-10-31')).toThrow('No market rate USD→EUR on or before 2026-10-31');
    try {
      marketRate(table, 'USD', 'EUR', '2026-10-31');
    } catch (e) {
      expect((e as EngineError).code).toBe('fx_rate_missing');
    }
  });

  it('does not derive an inverse rate', () => {
    expect(() => marketRate(table, 'EUR', 'USD', '2026-11-20')).toThrow('No market rate EUR→USD on or before 2026-11-20');
  });

  it('refuses two different rates for one pair and date', () => {
    const twice: MarketRate[] = [...table, { from: 'USD', to: 'EUR', date: '2026-11-15', rate: d('0.93') }];
    expect(() => marketRate(twice, 'USD', 'EUR', '2026-11-20')).toThrow(/Two different market rates USD→EUR are dated 2026-11-15/);
  });
});

describe('convertCurrency: fixed negotiated rate', () => {
  const fixed = { source: 'fixed' as const, id: 'contract-7', from: 'USD', to: 'AUD', rate: d('1.5'), date: '2026-01-01' };

  it('applies the agreed rate and records when it was agreed', () => {
    // 200 USD × 1.5 = 300 AUD
    const r = convertCurrency({ amount: d('200'), from: 'USD', to: 'AUD', date: '2026-11-20' }, fixed);
    expectDecimal(r.amount, '300');
    expect(r.fx).toMatchObject({ source: 'fixed', rateDate: '2026-01-01', rateId: 'contract-7' });
  });

  it('refuses another pair', () => {
    expect(() => convertCurrency({ amount: d('1'), from: 'EUR', to: 'AUD', date: '2026-11-20' }, fixed)).toThrow(/fixed rate USD→AUD cannot convert EUR→AUD/);
  });
});
