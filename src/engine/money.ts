/**
 * Money rules: ISO 4217 minor units, rounding to a currency, and Microsoft's
 * ROUNDDOWN/FLOOR truncation.
 */
import { Decimal, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, ZERO, sum } from './decimal.ts';
import { EngineError } from './errors.ts';
import type { CurrencyCode, RoundingMode, RoundingScope } from './types.ts';

/**
 * Decimal places of each currency's minor unit (ISO 4217). Extend here when a
 * customer bills in a currency not listed; an unknown currency is an error, never
 * a silent 2.
 */
export const MINOR_UNITS: Readonly<Record<CurrencyCode, number>> = Object.freeze({
  AED: 2, AUD: 2, BHD: 3, BRL: 2, CAD: 2, CHF: 2, CLP: 0, CNY: 2, CZK: 2, DKK: 2,
  EUR: 2, GBP: 2, HKD: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, ISK: 0, JOD: 3, JPY: 0,
  KRW: 0, KWD: 3, MXN: 2, MYR: 2, NOK: 2, NZD: 2, OMR: 3, PHP: 2, PLN: 2, QAR: 2,
  RON: 2, SAR: 2, SEK: 2, SGD: 2, THB: 2, TND: 3, TRY: 2, TWD: 2, UAH: 2, USD: 2,
  VND: 0, ZAR: 2,
});

/**
 * Decimal places of the currency's minor unit. Codes are matched case-insensitively.
 * @example minorUnits('JPY') // 0;  minorUnits('BHD') // 3
 */
export function minorUnits(currency: CurrencyCode): number {
  const places = MINOR_UNITS[String(currency).toUpperCase()];
  if (places === undefined) {
    throw new EngineError(
      'unknown_currency',
      `Unknown currency "${currency}": it has no ISO 4217 minor-unit entry in MINOR_UNITS, so amounts in it cannot be rounded`,
      { currency },
    );
  }
  return places;
}

/** The smallest amount of the currency. @example minorUnit('USD') // 0.01 */
export function minorUnit(currency: CurrencyCode): Decimal {
  return new Decimal(10).pow(-minorUnits(currency));
}

/**
 * Round an amount to the currency's minor unit.
 * 'half_up' rounds a tie away from zero (2.345 → 2.35, −2.345 → −2.35), so a credit
 * mirrors its charge; 'half_even' rounds a tie to the even digit (2.345 → 2.34, 2.355 → 2.36).
 * Only roundMoney calls it for an invoice's amounts.
 * @example roundToMinorUnit(new Decimal('1234.5'), 'JPY', 'half_even') // 1234
 */
export function roundToMinorUnit(amount: Decimal, currency: CurrencyCode, mode: RoundingMode): Decimal {
  return amount.toDecimalPlaces(minorUnits(currency), roundingConstant(mode));
}

/** An invoice's amounts as roundMoney rounded them. */
export interface RoundedMoney {
  /** Each exact amount rounded to the minor unit (what every invoice line shows). */
  lines: Decimal[];
  /** What the invoice's lines add up to: Σ lines, plus the difference under scope 'invoice'. */
  total: Decimal;
  /** total − Σ lines: shown as a rounding line (always 0 under scope 'line'). */
  difference: Decimal;
}

/**
 * Every rounding of an invoice's money, decided here and nowhere else. Source lines are
 * never rounded: an invoice line's exact amount is the sum of its sources' full-precision
 * prices, and
 * - scope 'line': each invoice line is rounded to the minor unit and the total is the sum
 *   of the rounded lines (no rounding line);
 * - scope 'invoice': each line is shown rounded, the total is the exact sum rounded once,
 *   and the difference to the shown lines is the rounding line.
 *
 * @example
 *   // 30 daily lines of $0.004 on one invoice line: 0.12, under either scope
 *   roundMoney([new Decimal('0.12')], { currency: 'USD', scope: 'line', mode: 'half_up' }) // { lines: [0.12], total: 0.12, difference: 0 }
 *   roundMoney([d('0.005'), d('0.005')], { currency: 'USD', scope: 'invoice', mode: 'half_up' }) // { lines: [0.01, 0.01], total: 0.01, difference: -0.01 }
 */
export function roundMoney(exact: readonly Decimal[], rounding: { currency: CurrencyCode; scope: RoundingScope; mode: RoundingMode }): RoundedMoney {
  const { currency, scope, mode } = rounding;
  if (scope !== 'line' && scope !== 'invoice') {
    throw new EngineError('invalid_input', `Unknown rounding scope "${String(scope)}": use 'line' or 'invoice'`, { scope });
  }
  const lines = exact.map((amount) => roundToMinorUnit(amount, currency, mode));
  const linesTotal = sum(lines);
  const total = scope === 'line' ? linesTotal : roundToMinorUnit(sum(exact), currency, mode);
  return { lines, total, difference: total.minus(linesTotal) };
}

function roundingConstant(mode: RoundingMode): typeof ROUND_HALF_UP | typeof ROUND_HALF_EVEN {
  if (mode === 'half_up') return ROUND_HALF_UP;
  if (mode === 'half_even') return ROUND_HALF_EVEN;
  throw new EngineError('invalid_input', `Unknown rounding mode "${String(mode)}": use 'half_up' or 'half_even'`, { mode });
}

/**
 * Microsoft's ROUNDDOWN(x, places), which its documents also write FLOOR(x, places):
 * drop the digits beyond `places`, moving TOWARD ZERO.
 *
 * For a charge that is the mathematical floor (112.896 → 112.89). For a credit it is
 * not: ROUNDDOWN(−94.088, 2) = −94.08, where a floor toward −∞ would give −94.09.
 * Truncating toward zero is what makes a refund line credit exactly what its charge
 * twin billed (Microsoft's refund/charge pairs mirror each other), so credits are
 * never rounded in Microsoft's favour.
 *
 * @example floorTo(new Decimal('9.408'), 2) // 9.40;  floorTo(new Decimal('-9.408'), 2) // -9.40
 */
export function floorTo(amount: Decimal, places: number): Decimal {
  if (!Number.isInteger(places) || places < 0) {
    throw new EngineError('invalid_input', `floorTo needs a whole, non-negative number of places, got ${places}`, { places });
  }
  return amount.toDecimalPlaces(places, ROUND_DOWN);
}

/** floorTo(amount, 2): Microsoft's ROUNDDOWN to the cent. @example floorToCent(new Decimal('16.284')) // 16.28 */
export function floorToCent(amount: Decimal): Decimal {
  return floorTo(amount, 2);
}

/** True when the amount is a whole number of the currency's minor units. */
export function isWholeMinorUnits(amount: Decimal, currency: CurrencyCode): boolean {
  return amount.decimalPlaces() <= minorUnits(currency);
}

/**
 * Round exact parts to multiples of `unit` so they add up to exactly `target`
 * (largest-remainder method): every part is first floored (toward −∞) to the unit,
 * then the units still missing go, one each, to the parts with the largest
 * remainders; equal remainders go to the earlier part. Deterministic for the same
 * input order.
 *
 * @example roundPartsToTarget([33.333.., 33.333.., 33.333..], 100, 0.01) // [33.34, 33.33, 33.33]
 */
export function roundPartsToTarget(parts: readonly Decimal[], target: Decimal, unit: Decimal): Decimal[] {
  const floored = parts.map((p) => p.div(unit).toDecimalPlaces(0, ROUND_FLOOR).times(unit));
  const missing = target.minus(sum(floored)).div(unit);
  if (!missing.isInteger() || missing.isNegative() || missing.greaterThan(parts.length)) {
    throw new EngineError(
      'invalid_input',
      `Cannot round ${parts.length} parts to units of ${unit.toString()} so they sum to ${target.toString()}`,
      { target: target.toString(), unit: unit.toString() },
    );
  }
  const order = parts
    .map((p, index) => ({ index, remainder: p.minus(floored[index] ?? ZERO) }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.index - b.index);
  const result = floored.slice();
  for (let k = 0; k < missing.toNumber(); k += 1) {
    const pick = order[k];
    if (pick) result[pick.index] = (result[pick.index] ?? ZERO).plus(unit);
  }
  return result;
}
