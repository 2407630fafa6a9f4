/**
 * Quote variance: what a won CRM quote promised (seats per SKU, a monthly Azure budget)
 * against what Microsoft reports for a period. Like the seat and cost checks it only
 * reports; the budget thresholds are the quote's own (110 % and 120 % by default).
 *
 * - Seats: Microsoft's seats − quoted seats, per SKU ('ProductId:SkuId'); a SKU on one
 *   side only counts zero on the other.
 * - Azure: actual cost ÷ budget × 100. A threshold is passed when the cost is above
 *   budget × threshold ÷ 100 (exactly on it is not over it). The highest of the quote's
 *   thresholds is critical, the others warnings. A quote without Azure budget (0) has no
 *   Azure percentage and passes nothing.
 */
import { Decimal, HUNDRED, ROUND_HALF_UP, ZERO } from './decimal.ts';

export interface SeatVariance {
  sku: string;
  quoted: Decimal;
  microsoft: Decimal;
  /** microsoft − quoted */
  difference: Decimal;
}

export type BudgetSeverity = 'warning' | 'critical';

export interface PassedThreshold {
  percent: number;
  severity: BudgetSeverity;
}

/** Every SKU of either side, sorted, with Microsoft's seats less the quoted ones. */
export function seatVariances(quoted: ReadonlyMap<string, Decimal>, microsoft: ReadonlyMap<string, Decimal>): SeatVariance[] {
  const skus = [...new Set([...quoted.keys(), ...microsoft.keys()])].sort();
  return skus.map((sku) => {
    const q = quoted.get(sku) ?? ZERO;
    const m = microsoft.get(sku) ?? ZERO;
    return { sku, quoted: q, microsoft: m, difference: m.minus(q) };
  });
}

/**
 * Actual cost as a percentage of the budget, to 2 places (half-up); null without a budget.
 *
 * @example budgetPercent(new Decimal('2300'), new Decimal('2000')) // 115.00
 */
export function budgetPercent(actual: Decimal, budget: Decimal): Decimal | null {
  if (!budget.greaterThan(ZERO)) return null;
  return actual.div(budget).times(HUNDRED).toDecimalPlaces(2, ROUND_HALF_UP);
}

/**
 * The quote's thresholds the actual cost is above, lowest first, each with its severity.
 *
 * @example thresholdsPassed(new Decimal('2300'), new Decimal('2000'), [110, 120]) // [{ percent: 110, severity: 'warning' }]
 */
export function thresholdsPassed(actual: Decimal, budget: Decimal, percents: readonly number[]): PassedThreshold[] {
  if (!budget.greaterThan(ZERO)) return [];
  const sorted = [...new Set(percents)].sort((a, b) => a - b);
  const highest = sorted[sorted.length - 1];
  return sorted
    .filter((p) => actual.greaterThan(budget.times(p).div(HUNDRED)))
    .map((percent) => ({ percent, severity: percent === highest ? 'critical' : 'warning' }));
}
