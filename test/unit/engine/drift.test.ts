import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { crmPriceFor, priceDrift, type CrmPrice } from '../../../src/engine/drift.ts';

const d = (v: string) => new Decimal(v);
const azure = (price: string, cost: string, markup: string): CrmPrice => ({ kind: 'azure', quantity: d('1'), netUnitPrice: d(price), unitCost: d(cost), markupPercent: d(markup) });

describe('price drift between the rate card and the CRM', () => {
  it('values a markup difference on the monthly cost: 15 % in the CRM vs 20 % in the card on 8,000 = 400.00', () => {
    const drift = priceDrift({ markupPercent: d('20') }, azure('9200', '8000', '15'), 'USD');
    expect(drift && [drift.field, drift.hubValue.toString(), drift.crmValue.toString(), drift.moneyAtStake.toFixed(2)]).toEqual(['rate_card.markup_percent', '20', '15', '400.00']);
  });

  it('values a unit price difference per seat: 25 seats at 21.00 vs 22.50 = 37.50', () => {
    const drift = priceDrift({ unitPrice: d('21') }, { kind: 'seat', quantity: d('25'), netUnitPrice: d('22.5'), unitCost: d('17.6'), markupPercent: null }, 'USD');
    expect(drift?.moneyAtStake.toFixed(2)).toBe('37.50');
  });

  it('rounds the stake to the currency: 0.333… % of 1,000 JPY is 3 yen', () => {
    expect(priceDrift({ markupPercent: d('10') }, azure('1096.6667', '1000', '9.6667'), 'JPY')?.moneyAtStake.toString()).toBe('3');
  });

  it('finds nothing where the values agree (15 and 15.0000 are one value)', () => {
    expect(priceDrift({ markupPercent: d('15') }, azure('1150', '1000', '15.0000'), 'USD')).toBeNull();
    expect(priceDrift({ unitPrice: d('34.2') }, { kind: 'seat', quantity: d('10'), netUnitPrice: d('34.20'), unitCost: null, markupPercent: null }, 'USD')).toBeNull();
  });

  it('prices the CRM line that carries the hub value: 1,000 cost at 15 % is 1,150', () => {
    expect(crmPriceFor({ markupPercent: d('15') }, d('1000'))?.toString()).toBe('1150');
    expect(crmPriceFor({ unitPrice: d('21') }, null)?.toString()).toBe('21');
    expect(crmPriceFor({ markupPercent: d('15') }, null)).toBeNull();
  });
});
