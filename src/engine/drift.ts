import { Decimal, ROUND_HALF_UP } from './decimal.ts';
import { minorUnits } from './money.ts';

// Drift between the hub's price and the CRM's copy of it, and what the difference is
// worth a month. Pure: the job loads both sides and stores the finding.

/** A CRM line as the hub reads its price: what the customer is charged and what it costs. */
export interface CrmPrice {
  kind: 'seat' | 'azure';
  quantity: Decimal;
  /** Net price per unit after discounts. */
  netUnitPrice: Decimal;
  /** Cost per unit (Azure lines: the expected monthly cost). */
  unitCost: Decimal | null;
  /** Markup on cost the CRM price implies, in percent. */
  markupPercent: Decimal | null;
}

/** The hub's rule for the same thing: a markup on cost (Azure categories) or a fixed unit price (seat SKUs). */
export interface HubPrice {
  markupPercent?: Decimal;
  unitPrice?: Decimal;
}

export interface PriceDrift {
  field: 'rate_card.markup_percent' | 'rate_card.unit_price';
  hubValue: Decimal;
  crmValue: Decimal;
  /** What the difference changes a month, in the currency's minor unit (half up). */
  moneyAtStake: Decimal;
}

/**
 * The difference between the hub's price and the CRM line, or null when they agree.
 * Money at stake: a markup difference applied to the monthly cost (what the customer
 * actually cost last period when known, else the line's cost × quantity); a unit price
 * difference times the quantity.
 *
 * @example
 *   // 15 % in the CRM vs 20 % in the rate card on 8,000 of Azure a month: 400.00
 *   priceDrift({ markupPercent: new Decimal(20) }, { kind: 'azure', quantity: new Decimal(1), netUnitPrice: new Decimal(9200), unitCost: new Decimal(8000), markupPercent: new Decimal(15) }, 'USD')
 */
export function priceDrift(hub: HubPrice, crm: CrmPrice, currency: string, actualMonthlyCost?: Decimal): PriceDrift | null {
  const places = minorUnits(currency);
  if (hub.markupPercent !== undefined) {
    if (crm.markupPercent === null || crm.unitCost === null) return null;
    if (hub.markupPercent.equals(crm.markupPercent)) return null;
    const monthlyCost = actualMonthlyCost ?? crm.unitCost.times(crm.quantity);
    const stake = hub.markupPercent.minus(crm.markupPercent).abs().div(100).times(monthlyCost);
    return { field: 'rate_card.markup_percent', hubValue: hub.markupPercent, crmValue: crm.markupPercent, moneyAtStake: stake.toDecimalPlaces(places, ROUND_HALF_UP) };
  }
  if (hub.unitPrice !== undefined) {
    if (hub.unitPrice.equals(crm.netUnitPrice)) return null;
    const stake = hub.unitPrice.minus(crm.netUnitPrice).abs().times(crm.quantity);
    return { field: 'rate_card.unit_price', hubValue: hub.unitPrice, crmValue: crm.netUnitPrice, moneyAtStake: stake.toDecimalPlaces(places, ROUND_HALF_UP) };
  }
  return null;
}

/**
 * The CRM line price that carries the hub's value: cost × (1 + markup) for Azure lines, the
 * unit price for seats (with the discounts cleared, so the net price is that price).
 *
 * @example crmPriceFor({ markupPercent: new Decimal(15) }, new Decimal(1000)) // 1150
 */
export function crmPriceFor(hub: HubPrice, unitCost: Decimal | null): Decimal | null {
  if (hub.unitPrice !== undefined) return hub.unitPrice;
  if (hub.markupPercent !== undefined && unitCost !== null) return unitCost.times(new Decimal(100).plus(hub.markupPercent)).div(100);
  return null;
}
