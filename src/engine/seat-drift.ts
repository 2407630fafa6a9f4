import { Decimal, ROUND_HALF_UP } from './decimal.ts';
import { minorUnits } from './money.ts';

// Drift between Microsoft's seat count (the owner) and another system's copy of it, and
// what the difference is worth a month. Pure: the job loads both sides.

export interface SeatDrift {
  /** Microsoft's seats minus the other system's: positive when the copy bills too few. */
  difference: Decimal;
  /** |difference| × the monthly price of one seat, in the currency's minor unit (half up). */
  moneyAtStake: Decimal;
}

/**
 * The seat difference and its monthly money at stake, or null when the counts agree.
 *
 * @example
 *   // Microsoft has 28 seats, the CRM line says 25, a seat sells at 21.00 a month: 63.00
 *   seatDrift(new Decimal(28), new Decimal(25), new Decimal(21), 'USD')
 */
export function seatDrift(microsoftSeats: Decimal, otherSeats: Decimal, monthlySeatPrice: Decimal, currency: string): SeatDrift | null {
  if (microsoftSeats.equals(otherSeats)) return null;
  const difference = microsoftSeats.minus(otherSeats);
  return { difference, moneyAtStake: difference.abs().times(monthlySeatPrice).toDecimalPlaces(minorUnits(currency), ROUND_HALF_UP) };
}
