/**
 * Microsoft's documented billing formulas, in Decimal so every figure the sandbox
 * publishes is exactly what the formula gives. Excel's ROUNDDOWN and Microsoft's
 * FLOOR(x, 2) both drop digits towards zero; Decimal.ROUND_DOWN is that rule.
 *
 * @example
 *   usageBillingPreTaxTotal(new Decimal('0.7375'), new Decimal(24), new Decimal('0.92')).toFixed(); // '16.28'
 */
import { Decimal } from 'decimal.js';

/**
 * Decimal with room for every digit the formulas produce (decimal.js defaults to
 * 20 significant digits, which a 10-decimal quantity × unit price × rate can
 * exceed). Sandbox amounts are built with it so no product is ever rounded early.
 */
export const Exact = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP });

const CENTS = 2;
/** Microsoft shows prorated unit prices with six decimals (12/31 × 29 → 11.225806). */
const PRORATED_UNIT_PRICE_DP = 6;

/** BillingPreTaxTotal = FLOOR(EffectiveUnitPrice × Quantity × PCToBCExchangeRate, 2). */
export function usageBillingPreTaxTotal(effectiveUnitPrice: Decimal, quantity: Decimal, pcToBc: Decimal): Decimal {
  return effectiveUnitPrice.times(quantity).times(pcToBc).toDecimalPlaces(CENTS, Decimal.ROUND_DOWN);
}

/**
 * PricingPreTaxTotal: the extended cost in the pricing currency (USD), i.e. the
 * same charge before the exchange rate, floored to cents like the billing total.
 */
export function usagePricingPreTaxTotal(effectiveUnitPrice: Decimal, quantity: Decimal): Decimal {
  return effectiveUnitPrice.times(quantity).toDecimalPlaces(CENTS, Decimal.ROUND_DOWN);
}

/** EffectiveUnitPrice after partner-earned credit (0 or 15 %). */
export function effectiveUnitPriceAfterPec(unitPrice: Decimal, pecPercentage: number): Decimal {
  return unitPrice.times(new Exact(100).minus(pecPercentage)).div(100);
}

/** Seat-based Subtotal = ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity. */
export function licenseSubtotal(effectiveUnitPrice: Decimal, pcToBc: Decimal, billableQuantity: Decimal): Decimal {
  return effectiveUnitPrice.times(pcToBc).toDecimalPlaces(CENTS, Decimal.ROUND_DOWN).times(billableQuantity);
}

/**
 * New-commerce daily proration: UnitPrice ÷ days in the charge cycle × days left,
 * shown with six decimals. A refund line carries the negative of the same price.
 */
export function proratedUnitPrice(unitPrice: Decimal, cycleDays: number, billedDays: number): Decimal {
  return unitPrice.div(cycleDays).times(billedDays).toDecimalPlaces(PRORATED_UNIT_PRICE_DP, Decimal.ROUND_HALF_UP);
}
