/**
 * Calendar arithmetic on plain 'YYYY-MM-DD' dates and 'YYYY-MM' billing periods.
 *
 * Dates are calendar days (Partner Center dates are UTC; the caller converts to the
 * billing time zone before the engine sees them). Internally a date is a day number
 * (days since 1970-01-01) so "days between" is a subtraction and never meets a DST
 * hour. All functions validate their input and throw EngineError('invalid_input').
 */
import { EngineError } from './errors.ts';
import type { BillingPeriod, IsoDate } from './types.ts';

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD_RE = /^(\d{4})-(\d{2})$/;

/** Parsed dates; a close meets a few hundred distinct dates millions of times. */
const dayNumbers = new Map<string, number>();

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date. @example toDayNumber('1970-01-02') // 1 */
export function toDayNumber(date: IsoDate): number {
  const cached = dayNumbers.get(date);
  if (cached !== undefined) return cached;
  const day = parseDayNumber(date);
  if (dayNumbers.size >= 100_000) dayNumbers.clear();
  dayNumbers.set(date, day);
  return day;
}

function parseDayNumber(date: IsoDate): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new EngineError('invalid_input', `Invalid date "${date}": expected YYYY-MM-DD`, { date });
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new EngineError('invalid_input', `Invalid date "${date}": no such calendar day`, { date });
  }
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** The 'YYYY-MM-DD' date of a day number. @example fromDayNumber(0) // '1970-01-01' */
export function fromDayNumber(day: number): IsoDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** @example addDays('2024-02-28', 1) // '2024-02-29' */
export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** Number of calendar days from `from` to `to`, both included. @example daysInclusive('2026-06-16', '2026-06-30') // 15 */
export function daysInclusive(from: IsoDate, to: IsoDate): number {
  return toDayNumber(to) - toDayNumber(from) + 1;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** @example daysInMonth(2024, 2) // 29 */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export interface PeriodBounds {
  period: BillingPeriod;
  start: IsoDate;
  end: IsoDate;
  days: number;
}

/** First day, last day and length of a calendar-month billing period. @example periodBounds('2024-02').days // 29 */
export function periodBounds(period: BillingPeriod): PeriodBounds {
  const m = PERIOD_RE.exec(period);
  const year = Number(m?.[1]);
  const month = Number(m?.[2]);
  if (!m || month < 1 || month > 12) {
    throw new EngineError('invalid_input', `Invalid billing period "${period}": expected YYYY-MM`, { period });
  }
  const days = daysInMonth(year, month);
  const mm = String(month).padStart(2, '0');
  return { period, start: `${m[1]}-${mm}-01`, end: `${m[1]}-${mm}-${String(days).padStart(2, '0')}`, days };
}

/** The billing period a date falls in. @example periodOf('2026-03-07') // '2026-03' */
export function periodOf(date: IsoDate): BillingPeriod {
  toDayNumber(date);
  return date.slice(0, 7);
}

/**
 * Same day-of-month `months` later, clamped to the end of a shorter month
 * (31 Jan + 1 month = 28/29 Feb; 29 Feb 2024 + 12 months = 28 Feb 2025).
 * @example addMonthsClamped('2024-01-31', 1) // '2024-02-29'
 */
export function addMonthsClamped(date: IsoDate, months: number): IsoDate {
  toDayNumber(date);
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const mo = (index % 12) + 1;
  const d = Math.min(day, daysInMonth(y, mo));
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Today's calendar date in an IANA time zone (the billing time zone), as YYYY-MM-DD. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
