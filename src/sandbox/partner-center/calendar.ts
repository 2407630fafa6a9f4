/**
 * UTC calendar arithmetic on integer day numbers (days since 1970-01-01) and
 * month indexes (year × 12 + month − 1). Partner Center dates are UTC and its
 * billing periods are calendar months, so integers are all the sandbox needs.
 *
 * @example
 *   const m = parsePeriod('2026-09');   // month index
 *   firstDayOfMonth(m);                  // day number of 1 Sep 2026
 *   isoDay(firstDayOfMonth(m));          // '2026-09-01T00:00:00Z'
 */

export const DAY_MS = 86_400_000;

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function monthIndexOfDay(day: number): number {
  const d = new Date(day * DAY_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

export function firstDayOfMonth(monthIndex: number): number {
  return dayOf(Date.UTC(Math.floor(monthIndex / 12), monthIndex % 12, 1));
}

export function daysInMonth(monthIndex: number): number {
  return firstDayOfMonth(monthIndex + 1) - firstDayOfMonth(monthIndex);
}

export function lastDayOfMonth(monthIndex: number): number {
  return firstDayOfMonth(monthIndex + 1) - 1;
}

/** 'YYYY-MM' → month index. */
export function parsePeriod(period: string): number {
  const match = /^(\d{4})-(\d{2})$/.exec(period);
  if (!match) throw new Error(`period must be 'YYYY-MM', got '${period}'`);
  const month = Number(match[2]);
  if (month < 1 || month > 12) throw new Error(`period month out of range: '${period}'`);
  return Number(match[1]) * 12 + month - 1;
}

/** Month index → 'YYYY-MM'. */
export function formatPeriod(monthIndex: number): string {
  return `${Math.floor(monthIndex / 12)}-${String((monthIndex % 12) + 1).padStart(2, '0')}`;
}

/** Month index → 'YYYYMM', the form Microsoft uses in blob paths. */
export function billingMonthCode(monthIndex: number): string {
  return formatPeriod(monthIndex).replace('-', '');
}

const isoDays = new Map<number, string>();

/** Day number → 'YYYY-MM-DDT00:00:00Z' (memoised: usage lines format the same few days millions of times). */
export function isoDay(day: number): string {
  let text = isoDays.get(day);
  if (text === undefined) {
    text = `${new Date(day * DAY_MS).toISOString().slice(0, 10)}T00:00:00Z`;
    if (isoDays.size < 100_000) isoDays.set(day, text);
  }
  return text;
}

/** Milliseconds → ISO 8601 without fractional seconds. */
export function isoInstant(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: number): number {
  return (day + 4) % 7;
}

/** Day `day` moved by `months`, keeping the day of month (clamped to the month's length). */
export function addMonths(day: number, months: number): number {
  const d = new Date(day * DAY_MS);
  const target = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const dom = Math.min(d.getUTCDate(), daysInMonth(target));
  return Math.floor(Date.UTC(Math.floor(target / 12), target % 12, dom) / DAY_MS);
}
