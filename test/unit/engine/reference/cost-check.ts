/**
 * Recompute the partner's cost with Microsoft's documented formulas and report
 * where Microsoft's figure differs. Microsoft's figure is what the partner is
 * billed, so it is never replaced: a discrepancy is a finding for the close, not
 * a correction.
 *
 * Microsoft rounds two ways in its own licence examples (its tables truncate
 * EffectiveUnitPrice × quantity, its Subtotal formula truncates the unit price
 * first). We recompute with the documented Subtotal formula only, so a line billed
 * the "table" way shows up here with its difference instead of being explained away.
 */
import { Decimal } from './decimal.ts';
import { floorTo } from './money.ts';
import type { BillingLine, CostDiscrepancy, CostField } from './types.ts';

/**
 * Daily rated usage: BillingPreTaxTotal = FLOOR(EffectiveUnitPrice × Quantity × PCToBCExchangeRate, 2).
 * @example usageBillingPreTaxTotal(0.7375, 24, 0.92) // 16.28 (16.284 floored)
 */
export function usageBillingPreTaxTotal(effectiveUnitPrice: Decimal, quantity: Decimal, pcToBCExchangeRate: Decimal): Decimal {
  return floorTo(effectiveUnitPrice.times(quantity).times(pcToBCExchangeRate), 2);
}

/**
 * Seat-based licence: Subtotal = ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity.
 * @example seatLicenseSubtotal(11.225806, 15, 0.92) // 10.32 × 15 = 154.80
 */
export function seatLicenseSubtotal(effectiveUnitPrice: Decimal, billableQuantity: Decimal, pcToBCExchangeRate: Decimal): Decimal {
  return floorTo(effectiveUnitPrice.times(pcToBCExchangeRate), 2).times(billableQuantity);
}

/**
 * Usage-based licence: Subtotal = ROUNDDOWN(ROUNDDOWN(EffectiveUnitPrice × BillableQuantity, 2) × PCToBCExchangeRate, 2).
 * @example usageLicenseSubtotal(0.737586, 29, 0.92) // ROUNDDOWN(21.38 × 0.92, 2) = 19.66
 */
export function usageLicenseSubtotal(effectiveUnitPrice: Decimal, billableQuantity: Decimal, pcToBCExchangeRate: Decimal): Decimal {
  return floorTo(floorTo(effectiveUnitPrice.times(billableQuantity), 2).times(pcToBCExchangeRate), 2);
}

interface Recomputed {
  field: CostField;
  formula: string;
  value: Decimal;
}

/** Which documented formula applies to the line, and its result. */
export function recomputeCost(line: BillingLine): Recomputed {
  if (line.kind === 'usage') {
    return {
      field: 'BillingPreTaxTotal',
      formula: 'FLOOR(EffectiveUnitPrice × Quantity × PCToBCExchangeRate, 2)',
      value: usageBillingPreTaxTotal(line.effectiveUnitPrice, line.quantity, line.pcToBCExchangeRate),
    };
  }
  if (line.pricingModel === 'usage') {
    return {
      field: 'Subtotal',
      formula: 'ROUNDDOWN(ROUNDDOWN(EffectiveUnitPrice × BillableQuantity, 2) × PCToBCExchangeRate, 2)',
      value: usageLicenseSubtotal(line.effectiveUnitPrice, line.quantity, line.pcToBCExchangeRate),
    };
  }
  return {
    field: 'Subtotal',
    formula: 'ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity',
    value: seatLicenseSubtotal(line.effectiveUnitPrice, line.quantity, line.pcToBCExchangeRate),
  };
}

/**
 * Lines whose Microsoft cost differs from the documented formula by more than
 * `tolerance` (default 0: every difference is reported). Input order is kept.
 *
 * @example
 *   checkCost([line]) // [{ lineId, field: 'Subtotal', microsoft: 112.89, recomputed: 112.80, difference: 0.09, formula }]
 */
export function checkCost(lines: readonly BillingLine[], options: { tolerance?: Decimal } = {}): CostDiscrepancy[] {
  const tolerance = options.tolerance ?? new Decimal(0);
  const findings: CostDiscrepancy[] = [];
  for (const line of lines) {
    const r = recomputeCost(line);
    const difference = line.cost.minus(r.value);
    if (difference.abs().greaterThan(tolerance)) {
      findings.push({ lineId: line.id, field: r.field, formula: r.formula, microsoft: line.cost, recomputed: r.value, difference });
    }
  }
  return findings;
}
