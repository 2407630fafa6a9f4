/**
 * The one Decimal the engine uses for money, rates, quantities and percentages.
 *
 * A private clone of decimal.js so no other code's global configuration can change
 * the engine's arithmetic: 40 significant digits (Partner Center unit prices carry
 * many decimals; a price × quantity × rate ÷ days never loses a cent), ROUND_HALF_UP
 * as the default for the rare operation that must round, and plain notation in
 * `toString()`/`toJSON()` so amounts travel as "1234.56" strings, never "1.23456e+3".
 *
 * @example
 *   import { Decimal } from './decimal.ts';
 *   new Decimal('10.08').div(30).times(28).toString(); // '9.408'
 */
// The named import: under module "nodenext" TypeScript reads decimal.js's typings as
// CommonJS, where the default import is the module object, not the class.
import { Decimal as DecimalJs } from 'decimal.js';

export const Decimal = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});

/** An instance of the engine's Decimal (structurally the decimal.js instance type). */
export type Decimal = DecimalJs;

/** decimal.js rounding constants, re-exported so callers need not import decimal.js. */
export const ROUND_HALF_UP = DecimalJs.ROUND_HALF_UP;
export const ROUND_HALF_EVEN = DecimalJs.ROUND_HALF_EVEN;
export const ROUND_DOWN = DecimalJs.ROUND_DOWN;
export const ROUND_FLOOR = DecimalJs.ROUND_FLOOR;

export const ZERO: Decimal = new Decimal(0);
export const ONE: Decimal = new Decimal(1);
export const HUNDRED: Decimal = new Decimal(100);

/** Sum of decimals; the empty sum is 0. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}
