import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/errors.ts';
import { applyMarkup, priceLine, rateLines, validateRateCard } from '../../../src/engine/rating.ts';
import type { FxPolicy, PricedLine, RateCard, RateRule, RatingResult } from '../../../src/engine/types.ts';
import { card, categorized, d, expectAmount, expectDecimal, licenseLine, usageLine } from './fixtures.ts';

const microsoft: FxPolicy = { source: 'microsoft' };

function priced(result: RatingResult): PricedLine {
  if (result.status !== 'priced') throw new Error(`expected a priced line, got: ${result.reason}`);
  return result;
}

function withRules(...rules: RateRule[]): RateCard {
  return card({ rules });
}

// The usage fixture: cost 100.00 USD (billed = pricing = USD, rate 1), UnitPrice 0.10 × 1,200 units = 120.00 list.
const vm = categorized(usageLine(), 'compute');

describe('applyMarkup', () => {
  it('adds the percentage, or takes it off when negative', () => {
    expectDecimal(applyMarkup(d('100.00'), d('15')), '115'); // 100 × 115 ÷ 100
    expectDecimal(applyMarkup(d('80'), d('-25')), '60'); // 80 × 75 ÷ 100
  });
});

describe('priceLine: bases', () => {
  it('marks up the Microsoft cost', () => {
    const p = priced(priceLine(vm, withRules({ id: 'compute', match: { category: 'compute' }, basis: 'cost', markupPercent: d('15') }), microsoft));
    // 100.00 × 1.15 = 115.00
    expectDecimal(p.price, '115');
    expectDecimal(p.cost, '100.00');
    expectDecimal(p.basisAmount, '100.00');
    expect(p).toMatchObject({ ruleId: 'compute', matchedBy: 'category', basis: 'cost', cardId: 'card-std', cardVersion: 3, currency: 'USD' });
    expect(p.fx).toMatchObject({ source: 'identity' });
  });

  it('marks up the list amount (UnitPrice × quantity)', () => {
    const p = priced(priceLine(vm, withRules({ id: 'list', match: { default: true }, basis: 'list', markupPercent: d('20') }), microsoft));
    // 0.10 × 1,200 = 120.00 list; × 1.20 = 144.00
    expectDecimal(p.basisAmount, '120');
    expectDecimal(p.price, '144.00');
    expect(p.basis).toBe('list');
  });

  it('applies a negative markup as a discount', () => {
    const p = priced(priceLine(vm, withRules({ id: 'disc', match: { default: true }, basis: 'cost', markupPercent: d('-10') }), microsoft));
    // 100.00 × 0.90 = 90.00
    expectDecimal(p.price, '90.00');
  });

  it('charges a fixed price per unit', () => {
    const p = priced(priceLine(vm, withRules({ id: 'fixed', match: { sku: 'DZH318Z0BQPS:00TF' }, unitPrice: d('0.095') }), microsoft));
    // 0.095 × 1,200 = 114.00
    expectDecimal(p.price, '114.00');
    expect(p).toMatchObject({ basis: 'fixed', fx: null, basisAmount: null, matchedBy: 'sku' });
    expectDecimal(p.unitPrice, '0.095');
    expectDecimal(p.cost, '100.00'); // cost is still reported for margin
  });
});

describe('priceLine: rule precedence (meter > SKU > category > default)', () => {
  const layered = withRules(
    { id: 'default', match: { default: true }, basis: 'cost', markupPercent: d('10') },
    { id: 'compute', match: { category: 'compute' }, basis: 'cost', markupPercent: d('15') },
    { id: 'sku', match: { sku: 'dzh318z0bqps:00tf' }, basis: 'cost', markupPercent: d('25') },
    { id: 'meter', match: { meterId: 'METER-D2S-V3' }, basis: 'cost', markupPercent: d('30') },
  );

  it.each([
    ['the meter override', vm, 'meter', 'meterId', '130.00'], // 100 × 1.30
    ['the SKU override', categorized(usageLine({ meterId: 'other-meter' }), 'compute'), 'sku', 'sku', '125.00'], // 100 × 1.25
    ['the category rule', categorized(usageLine({ meterId: 'other-meter', skuId: '00XX' }), 'compute'), 'compute', 'category', '115.00'], // 100 × 1.15
    ['the default', categorized(usageLine({ meterId: 'other-meter', skuId: '00XX' }), 'storage'), 'default', 'default', '110.00'], // 100 × 1.10
  ])('uses %s', (_name, line, ruleId, matchedBy, price) => {
    const p = priced(priceLine(line, layered, microsoft));
    expect(p.ruleId).toBe(ruleId);
    expect(p.matchedBy).toBe(matchedBy);
    expectDecimal(p.price, price);
  });
});

describe('priceLine: a line no rule prices', () => {
  it('comes back unpriced with a reason, never priced at zero', () => {
    const storageOnly = withRules({ id: 'storage', match: { category: 'storage' }, basis: 'cost', markupPercent: d('10') });
    const result = priceLine(vm, storageOnly, microsoft);
    expect(result.status).toBe('unpriced');
    expect(result).toMatchObject({ lineId: 'u1', customerId: 'c1', category: 'compute', sku: 'DZH318Z0BQPS:00TF', meterId: 'meter-d2s-v3' });
    if (result.status === 'unpriced') {
      expect(result.reason).toContain('No rule in rate card card-std v3 prices line u1');
      expect(result.reason).toContain('category compute');
    }
  });

  it('rateLines keeps priced and unpriced apart, in input order', () => {
    const storageOnly = withRules({ id: 'storage', match: { category: 'storage' }, basis: 'cost', markupPercent: d('10') });
    const lines = [
      categorized(usageLine({ id: 'a' }), 'storage'),
      categorized(usageLine({ id: 'b' }), 'compute'),
      categorized(usageLine({ id: 'c' }), 'storage'),
    ];
    const { priced: ok, unpriced } = rateLines(lines, storageOnly, microsoft);
    expect(ok.map((p) => p.lineId)).toEqual(['a', 'c']);
    expect(unpriced.map((u) => u.lineId)).toEqual(['b']);
  });
});

describe('priceLine: rounding', () => {
  const cheap = categorized(usageLine({ cost: d('0.05') }), 'compute');
  const rule: RateRule = { id: 'r', match: { default: true }, basis: 'cost', markupPercent: d('30') };

  it('never rounds a source line, under either scope: the invoice rounds, as the card says', () => {
    // 0.05 × 1.30 = 0.065, kept; the invoice line it lands on is rounded (half-up 0.07, half-even 0.06)
    for (const scope of ['line', 'invoice'] as const) {
      const p = priced(priceLine(cheap, card({ rules: [rule], rounding: { scope, mode: 'half_even' } }), microsoft));
      expectDecimal(p.price, '0.065');
      expect(p.rounding).toEqual({ scope, mode: 'half_even', places: 2 });
    }
  });
});

describe('priceLine: currency', () => {
  it('converts cost with the market table into a JPY card and rounds to whole yen', () => {
    const jpyCard = card({
      currency: 'JPY',
      fx: { source: 'market' },
      rules: [{ id: 'r', match: { default: true }, basis: 'cost', markupPercent: d('10') }],
    });
    const table = [{ id: 'ecb-jpy', from: 'USD', to: 'JPY', date: '2026-11-01', rate: d('150.123') }];
    const p = priced(priceLine(vm, jpyCard, { source: 'market', table }));
    // 100.00 USD × 150.123 = 15,012.3 JPY; × 1.10 = 16,513.53 → 16,514 JPY
    expectDecimal(p.cost, '15012.3');
    expectDecimal(p.price, '16513.53'); // the invoice shows 16,514
    expect(p.costFx).toMatchObject({ from: 'USD', to: 'JPY', source: 'market', rateDate: '2026-11-01', rateId: 'ecb-jpy' });
    expect(p.rounding.places).toBe(0);
  });

  // A EUR-billed Azure line priced in USD: UnitPrice 0.868 USD × 24 h, PCToBC 0.92, Microsoft cost 16.28 EUR.
  const eurLine = categorized(
    usageLine({ unitPrice: d('0.868'), quantity: d('24'), billingCurrency: 'EUR', pcToBCExchangeRate: d('0.92'), cost: d('16.28') }),
    'compute',
  );

  it("converts the list amount with Microsoft's rate into a EUR card", () => {
    const eurCard = card({ currency: 'EUR', rules: [{ id: 'r', match: { default: true }, basis: 'list', markupPercent: d('10') }] });
    const p = priced(priceLine(eurLine, eurCard, microsoft));
    // list 0.868 × 24 = 20.832 USD; × 0.92 = 19.16544 EUR; × 1.10 = 21.081984 (21.08 on the invoice)
    expectDecimal(p.basisAmount, '19.16544');
    expectDecimal(p.price, '21.081984');
    expect(p.fx).toMatchObject({ from: 'USD', to: 'EUR', source: 'microsoft', rateDate: '2026-11-01' });
    expectDecimal(p.cost, '16.28'); // already in EUR
    expect(p.costFx.source).toBe('identity');
  });

  it("converts a EUR cost into a USD card at the inverse of Microsoft's rate", () => {
    const p = priced(priceLine(eurLine, card(), microsoft));
    // 16.28 EUR ÷ 0.92 = 17.695652173913… USD; × 1.10 = 19.465217391304… (19.47 on the invoice)
    expectAmount(p.cost, '17.6956521739');
    expectAmount(p.price, '19.4652173913');
  });

  it('refuses an fx policy other than the one the card names', () => {
    const marketCard = card({ fx: { source: 'market' } });
    expect(() => priceLine(vm, marketCard, microsoft)).toThrow(/prices with market fx rates but the close supplied microsoft rates/);
  });
});

describe('priceLine: licence lines', () => {
  // addQuantity for 15 seats over 29 of 31 days (Microsoft's 7 Mar → 4 Apr example)
  const add = categorized(
    licenseLine({ chargeType: 'addQuantity', quantity: d('15'), chargeDays: { days: 29, daysInCycle: 31 }, unitPrice: d('12'), cost: d('168.38') }),
    'licenses',
  );
  const seatPrice: RateRule = { id: 'm365-bs', match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: d('14.00') };

  it('prorates a fixed seat price by the days charged', () => {
    const p = priced(priceLine(add, withRules(seatPrice), microsoft));
    // 14.00 × 15 × 29 ÷ 31 = 6,090 ÷ 31 = 196.4516129… (196.45 on the invoice)
    expectAmount(p.price, '196.4516129032');
  });

  it('prices the refund twin as a credit', () => {
    const refund = { ...add, id: 'l-refund', cost: d('-168.38') };
    const p = priced(priceLine(refund, withRules(seatPrice), microsoft));
    // −(14.00 × 15 × 29 ÷ 31) = −196.4516…
    expectAmount(p.price, '-196.4516129032');
  });

  it('prorates the list basis by the days charged', () => {
    const p = priced(priceLine(add, withRules({ id: 'list', match: { category: 'licenses' }, basis: 'list', markupPercent: d('0') }), microsoft));
    // 12 × 15 × 29 ÷ 31 = 5,220 ÷ 31 = 168.3870967…
    expectAmount(p.basisAmount, '168.3870967742');
    expectAmount(p.price, '168.3870967742');
  });

  it('refuses charge days that are not a share of a cycle', () => {
    const bad = { ...add, chargeDays: { days: 32, daysInCycle: 31 } };
    expect(() => priceLine(bad, withRules(seatPrice), microsoft)).toThrow(/chargeDays 32\/31/);
  });
});

describe('validateRateCard', () => {
  const markup = (id: string, match: RateRule['match']): RateRule => ({ id, match, basis: 'cost', markupPercent: d('10') });

  it.each([
    ['a duplicate rule id', card({ rules: [markup('a', { default: true }), markup('a', { category: 'compute' })] }), /rule id "a" is used twice/],
    ['two rules for one category', card({ rules: [markup('a', { category: 'compute' }), markup('b', { category: 'compute' })] }), /"a" and "b" both match category compute/],
    ['two defaults', card({ rules: [markup('a', { default: true }), markup('b', { default: true })] }), /both the default/],
    ['both markup and unit price', card({ rules: [{ id: 'x', match: { default: true }, basis: 'cost', markupPercent: d('1'), unitPrice: d('2') } as unknown as RateRule] }), /exactly one of markupPercent or unitPrice/],
    ['a markup below −100 %', card({ rules: [{ id: 'x', match: { default: true }, basis: 'cost', markupPercent: d('-100.01') }] }), /would price below zero/],
    ['a negative unit price', card({ rules: [{ id: 'x', match: { default: true }, unitPrice: d('-1') }] }), /is negative/],
    ['a minimum in fractions of a cent', card({ minimumMonthly: d('10.005') }), /minimumMonthly 10.005/],
    ['an unknown currency', card({ currency: 'XYZ' }), /Unknown currency "XYZ"/],
  ] as const)('rejects %s', (_name, bad, message) => {
    expect(() => validateRateCard(bad)).toThrow(EngineError);
    expect(() => validateRateCard(bad)).toThrow(message);
  });

  it('accepts a sound card', () => {
    expect(() => validateRateCard(card({ minimumMonthly: d('500.00') }))).not.toThrow();
  });
});

describe('rateLines: what the card shares between lines', () => {
  // The identity fx, the rule match and the rounding are made once per card and shared,
  // so a line must still get its own day's identity fx and its own product's SKU rule.
  it('gives each day its identity fx and each SKU its rule, lines of one day and SKU alike', () => {
    const c = card({
      rounding: { scope: 'line', mode: 'half_up' },
      rules: [
        { id: 'sku', match: { sku: 'dzh318z0bq3q:0001' }, basis: 'cost', markupPercent: d('5') },
        { id: 'all', match: { default: true }, basis: 'cost', markupPercent: d('10') },
      ],
    });
    const lines = [
      categorized(usageLine({ id: 'u1', date: '2026-11-20', productId: 'DZH318Z0BQ3Q', skuId: '0001' }), 'compute'),
      categorized(usageLine({ id: 'u2', date: '2026-11-20', productId: 'DZH318Z0BQ3Q', skuId: '0001' }), 'compute'),
      categorized(usageLine({ id: 'u3', date: '2026-11-21', productId: 'DZH318Z0BQ3Q', skuId: '0002' }), 'compute'),
    ];
    const { priced: [a, b, other] } = rateLines(lines, c, microsoft);
    expect([a, b, other].map((p) => [p!.costFx.rateDate, p!.fx?.rateDate, p!.ruleId, p!.matchedBy, p!.sku])).toEqual([
      ['2026-11-20', '2026-11-20', 'sku', 'sku', 'DZH318Z0BQ3Q:0001'],
      ['2026-11-20', '2026-11-20', 'sku', 'sku', 'DZH318Z0BQ3Q:0001'],
      ['2026-11-21', '2026-11-21', 'all', 'default', 'DZH318Z0BQ3Q:0002'],
    ]);
    expect(a!.costFx).toEqual({ from: 'USD', to: 'USD', rate: d('1'), source: 'identity', rateDate: '2026-11-20', rateId: null });
    expect(other!.rounding).toEqual({ scope: 'line', mode: 'half_up', places: 2 });
    expectDecimal(a!.price, '105.00'); // 100.00 × 1.05
    expectDecimal(other!.price, '110.00'); // 100.00 × 1.10
  });
});
