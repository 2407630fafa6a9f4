/**
 * ASC 606 revenue schedules: when the revenue of an invoice line is recognised.
 *
 * - 'point-in-time': all of it in the period the service ends (Azure consumption is
 *   recognised in the month consumed, and its service period is that month);
 * - 'monthly': the same share in every calendar month the service touches (seats
 *   billed month by month, each line covering its service month);
 * - 'ratable-daily': upfront terms (annual and triennial commitments, reservations,
 *   prepaid plans) recognised by the day over the term.
 *
 * Every pattern rounds the cumulative figure, never the month's own share: month m
 * gets round(total × elapsed(m) ÷ whole) − round(total × elapsed(m − 1) ÷ whole),
 * half-up to the currency's minor unit, so a schedule sums exactly to its total and
 * never drifts by a cent however long the term.
 */
import { addDays, addMonthsClamped, daysInclusive, periodBounds, periodOf, toDayNumber } from './dates.ts';
import { Decimal, ROUND_HALF_UP, ZERO, sum } from './decimal.ts';
import { EngineError } from './errors.ts';
import { isWholeMinorUnits, minorUnits } from './money.ts';
import type { BillingPeriod, CurrencyCode, IsoDate } from './types.ts';

export const RECOGNITION_PATTERNS = ['ratable-daily', 'monthly', 'point-in-time'] as const;
export type RecognitionPattern = (typeof RECOGNITION_PATTERNS)[number];

export interface ScheduleTerms {
  /** What the invoice line charged, already in whole minor units of `currency`. */
  total: Decimal;
  currency: CurrencyCode;
  /** First day of service, inclusive. */
  serviceStart: IsoDate;
  /** Last day of service, inclusive. */
  serviceEnd: IsoDate;
  pattern: RecognitionPattern;
}

export interface ScheduleEntry {
  period: BillingPeriod;
  amount: Decimal;
}

/**
 * The recognition of `total` per calendar month.
 * @example
 *   recognitionSchedule({ total: d('1200.00'), currency: 'USD', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', pattern: 'ratable-daily' })
 *   // [{ period: '2026-03', amount: 55.89 }, { period: '2026-04', amount: 98.63 }, …, { period: '2027-03', amount: 46.03 }]
 */
export function recognitionSchedule(terms: ScheduleTerms): ScheduleEntry[] {
  checkTerms(terms);
  const { total, currency, serviceStart, serviceEnd, pattern } = terms;
  if (pattern === 'point-in-time') return [{ period: periodOf(serviceEnd), amount: total }];
  const months = monthsTouched(serviceStart, serviceEnd);
  // Elapsed units through the end of each month: days of the term for 'ratable-daily', months for 'monthly'.
  const elapsed = months.map((period, index) =>
    pattern === 'ratable-daily' ? daysInclusive(serviceStart, minDate(periodBounds(period).end, serviceEnd)) : index + 1,
  );
  const whole = elapsed[elapsed.length - 1]!;
  return cumulativeShares(total, currency, months, elapsed, whole);
}

/**
 * A schedule cut short by a cancellation within the refund window or a refund: the
 * service ends on `lastServiceDay`, what the original schedule would have recognised
 * through that day stays recognised, and the rest of the total is reversed (it goes
 * back with the credit) instead of being recognised later.
 * @example
 *   // $1,200.00 annual from 2026-03-15 cancelled after 5 days: 16.44 recognised, 1,183.56 reversed
 *   cancelSchedule(terms, '2026-03-19') // { entries: [{ period: '2026-03', amount: 16.44 }], reversed: 1183.56 }
 */
export function cancelSchedule(terms: ScheduleTerms, lastServiceDay: IsoDate): { entries: ScheduleEntry[]; reversed: Decimal } {
  checkTerms(terms);
  const { total, currency, serviceStart, serviceEnd, pattern } = terms;
  if (toDayNumber(lastServiceDay) < toDayNumber(serviceStart) - 1 || toDayNumber(lastServiceDay) > toDayNumber(serviceEnd)) {
    throw new EngineError('invalid_input', `The last day of service ${lastServiceDay} must lie within the term ${serviceStart}..${serviceEnd} (or be the day before it starts, for a full refund)`, {
      field: 'lastServiceDay',
    });
  }
  if (toDayNumber(lastServiceDay) < toDayNumber(serviceStart)) return { entries: [], reversed: total };
  const full = recognitionSchedule(terms);
  const cutPeriod = periodOf(lastServiceDay);
  const kept = full.filter((e) => e.period < cutPeriod);
  let entries = kept;
  if (pattern === 'ratable-daily') {
    const through = roundHalfUp(total.times(daysInclusive(serviceStart, lastServiceDay)).div(daysInclusive(serviceStart, serviceEnd)), currency);
    entries = [...kept, { period: cutPeriod, amount: through.minus(sum(kept.map((e) => e.amount))) }];
  } else {
    const cut = full.find((e) => e.period === cutPeriod);
    if (cut) entries = [...kept, cut];
  }
  return { entries, reversed: total.minus(sum(entries.map((e) => e.amount))) };
}

/**
 * Seats added part-way through a term are charged pro rata for the days left in it
 * and recognised ratably from the day they start; the existing schedule is untouched.
 * The charge is price × seats × remaining days ÷ term days, rounded half-up.
 * @example
 *   // one more $1,200.00 seat from 2026-09-01 in the term 2026-03-15..2027-03-14: 195 of 365 days
 *   seatIncreaseSchedule({ pricePerSeat: d('1200.00'), seats: 1, currency: 'USD', termStart: '2026-03-15', termEnd: '2027-03-14', startsOn: '2026-09-01' })
 *   // { charge: 641.10, entries: [{ period: '2026-09', amount: 98.63 }, …] }
 */
export function seatIncreaseSchedule(change: {
  pricePerSeat: Decimal;
  seats: number;
  currency: CurrencyCode;
  termStart: IsoDate;
  termEnd: IsoDate;
  startsOn: IsoDate;
}): { charge: Decimal; entries: ScheduleEntry[] } {
  const { pricePerSeat, seats, currency, termStart, termEnd, startsOn } = change;
  if (!Number.isInteger(seats) || seats <= 0) throw new EngineError('invalid_input', `seats must be a whole number above 0, got ${seats}`, { field: 'seats' });
  if (toDayNumber(startsOn) < toDayNumber(termStart) || toDayNumber(startsOn) > toDayNumber(termEnd)) {
    throw new EngineError('invalid_input', `The added seats start ${startsOn}, outside the term ${termStart}..${termEnd}`, { field: 'startsOn' });
  }
  const charge = roundHalfUp(pricePerSeat.times(seats).times(daysInclusive(startsOn, termEnd)).div(daysInclusive(termStart, termEnd)), currency);
  return { charge, entries: recognitionSchedule({ total: charge, currency, serviceStart: startsOn, serviceEnd: termEnd, pattern: 'ratable-daily' }) };
}

/** Last day of a term of `months` months starting on `start`. @example termEnd('2026-03-15', 12) // '2027-03-14' */
export function termEnd(start: IsoDate, months: number): IsoDate {
  return addDays(addMonthsClamped(start, months), -1);
}

function cumulativeShares(total: Decimal, currency: CurrencyCode, periods: BillingPeriod[], elapsed: number[], whole: number): ScheduleEntry[] {
  let before = ZERO;
  return periods.map((period, index) => {
    const through = roundHalfUp(total.times(elapsed[index]!).div(whole), currency);
    const amount = through.minus(before);
    before = through;
    return { period, amount };
  });
}

function roundHalfUp(amount: Decimal, currency: CurrencyCode): Decimal {
  return amount.toDecimalPlaces(minorUnits(currency), ROUND_HALF_UP);
}

function monthsTouched(start: IsoDate, end: IsoDate): BillingPeriod[] {
  const months: BillingPeriod[] = [];
  for (let period = periodOf(start); period <= periodOf(end); period = periodOf(addDays(periodBounds(period).end, 1))) months.push(period);
  return months;
}

const minDate = (a: IsoDate, b: IsoDate): IsoDate => (a < b ? a : b);

/** Bad terms throw EngineError('invalid_input' | 'unknown_currency') with `details.field` naming the input. */
function checkTerms(terms: ScheduleTerms): void {
  const { total, currency, serviceStart, serviceEnd, pattern } = terms;
  minorUnits(currency);
  if (!isWholeMinorUnits(total, currency)) {
    throw new EngineError('invalid_input', `${total.toString()} has more decimals than ${currency} allows (${minorUnits(currency)})`, { field: 'total' });
  }
  for (const [field, date] of [['serviceStart', serviceStart], ['serviceEnd', serviceEnd]] as const) {
    try {
      toDayNumber(date);
    } catch (err) {
      throw new EngineError('invalid_input', (err as Error).message, { field });
    }
  }
  if (toDayNumber(serviceEnd) < toDayNumber(serviceStart)) {
    throw new EngineError('invalid_input', `The service ends ${serviceEnd}, before it starts ${serviceStart}`, { field: 'serviceEnd' });
  }
  if (!(RECOGNITION_PATTERNS as readonly string[]).includes(pattern)) {
    throw new EngineError('invalid_input', `Unknown pattern "${String(pattern)}": use ${RECOGNITION_PATTERNS.join(', ')}`, { field: 'pattern' });
  }
}
