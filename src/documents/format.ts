/**
 * Display rules for invoice documents: money to the currency's minor unit with
 * thousands separators, quantities, effective unit prices, dates and periods.
 *
 * Every figure is produced twice from the same Decimal: `value`, a plain decimal
 * string for machines (CSV, JSON: "1234.56", "-0.50", "601"), and `display`, the
 * same digits grouped for people (HTML, PDF: "1,234.56"). Nothing is ever rounded
 * silently: an amount that is not in whole minor units is refused, because the
 * engine has already rounded it and a document must show exactly what was billed.
 * English (en) formatting: ',' groups thousands, '.' separates decimals.
 */
import { Decimal, ROUND_HALF_UP } from '../engine/decimal.ts';
import { isWholeMinorUnits, minorUnits } from '../engine/money.ts';
import { periodBounds, toDayNumber } from '../engine/dates.ts';
import type { BillingPeriod, CurrencyCode, IsoDate } from '../engine/types.ts';
import { DocumentError } from './errors.ts';

/** One number, as a machine reads it (`value`) and as a person reads it (`display`). */
export interface Figure {
  value: string;
  display: string;
}

/** Extra decimals an effective unit price keeps beyond the currency's minor unit. */
export const UNIT_PRICE_EXTRA_PLACES = 4;
/** Decimals a displayed quantity keeps (the CSV keeps the exact quantity). */
export const QUANTITY_DISPLAY_PLACES = 6;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Group the integer digits of a plain decimal string in threes.
 * @example groupThousands('-1234567.5') // '-1,234,567.5'
 */
export function groupThousands(plain: string): string {
  const negative = plain.startsWith('-');
  const unsigned = negative ? plain.slice(1) : plain;
  const dot = unsigned.indexOf('.');
  const whole = dot === -1 ? unsigned : unsigned.slice(0, dot);
  const fraction = dot === -1 ? '' : unsigned.slice(dot);
  return `${negative ? '-' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

/** Fixed-point string without a negative zero ('-0.00' → '0.00'). */
function fixed(value: Decimal, places: number): string {
  return (value.isZero() ? new Decimal(0) : value).toFixed(places);
}

/**
 * An invoice amount in the currency's minor unit (JPY 0, USD 2, BHD 3 places).
 * Refuses an amount with more decimals than the currency has.
 *
 * @example formatMoney(new Decimal('1234.5'), 'USD') // { value: '1234.50', display: '1,234.50' }
 * @example formatMoney(new Decimal('601'), 'JPY')    // { value: '601', display: '601' }
 */
export function formatMoney(amount: Decimal, currency: CurrencyCode): Figure {
  if (!isWholeMinorUnits(amount, currency)) {
    throw new DocumentError(`Amount ${amount.toString()} is not in whole minor units of ${currency}; the invoice must be rounded before it is rendered`, {
      amount: amount.toString(),
      currency,
    });
  }
  const value = fixed(amount, minorUnits(currency));
  return { value, display: groupThousands(value) };
}

/**
 * A quantity: `value` exact, `display` to at most six decimals without trailing zeros.
 * @example formatQuantity(new Decimal('1200.000000125')) // { value: '1200.000000125', display: '1,200' }
 */
export function formatQuantity(quantity: Decimal): Figure {
  const shown = quantity.toDecimalPlaces(QUANTITY_DISPLAY_PLACES, ROUND_HALF_UP);
  return { value: quantity.isZero() ? '0' : quantity.toFixed(), display: groupThousands((shown.isZero() ? new Decimal(0) : shown).toFixed()) };
}

/**
 * The effective unit price of a line, amount ÷ quantity, to the currency's minor unit
 * plus four decimals (USD 6), trailing zeros dropped down to the minor unit. null when
 * the quantity is zero or unknown.
 *
 * @example formatUnitPrice(new Decimal('18.72'), new Decimal('1200'), 'USD') // { value: '0.0156', display: '0.0156' }
 * @example formatUnitPrice(new Decimal('140'), new Decimal('10'), 'USD')      // { value: '14.00', display: '14.00' }
 */
export function formatUnitPrice(amount: Decimal, quantity: Decimal | null, currency: CurrencyCode): Figure | null {
  if (quantity === null || quantity.isZero()) return null;
  const places = minorUnits(currency);
  const price = amount.div(quantity).toDecimalPlaces(places + UNIT_PRICE_EXTRA_PLACES, ROUND_HALF_UP);
  const value = fixed(price, Math.max(places, price.decimalPlaces()));
  return { value, display: groupThousands(value) };
}

/**
 * A calendar date for people, unambiguous in every locale.
 * @example formatDate('2026-12-01') // '1 Dec 2026'
 */
export function formatDate(date: IsoDate): string {
  toDayNumber(date);
  const month = MONTHS[Number(date.slice(5, 7)) - 1] ?? '';
  return `${Number(date.slice(8, 10))} ${month.slice(0, 3)} ${date.slice(0, 4)}`;
}

/**
 * A billing period: its month's name and its first and last day.
 * @example formatPeriod('2026-11') // { code: '2026-11', label: 'November 2026', from: '2026-11-01', to: '2026-11-30', range: '1 Nov 2026 – 30 Nov 2026' }
 */
export function formatPeriod(period: BillingPeriod): { code: BillingPeriod; label: string; from: IsoDate; to: IsoDate; range: string } {
  const bounds = periodBounds(period);
  const label = `${MONTHS[Number(period.slice(5, 7)) - 1] ?? ''} ${period.slice(0, 4)}`;
  return { code: period, label, from: bounds.start, to: bounds.end, range: `${formatDate(bounds.start)} – ${formatDate(bounds.end)}` };
}

/**
 * A percentage to two decimals without trailing zeros.
 * @example formatPercent(new Decimal('59.99999')) // '60'
 */
export function formatPercent(percent: Decimal): string {
  return percent.toDecimalPlaces(2, ROUND_HALF_UP).toFixed();
}
