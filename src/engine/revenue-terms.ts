/**
 * Which recognition pattern and service window an invoice line's revenue follows, from
 * what the line billed (ASC 606 in the terms of Partner Center's lines):
 *
 * - usage, labour, minimums, rounding and adjustments: point-in-time in the month consumed
 *   (the invoice's period, or the period a late adjustment is for);
 * - monthly-billed seats: 'monthly' over the month they are invoiced for (each month's
 *   line is that month's service);
 * - upfront terms (annual or triennial billing, reservations, other prepaid terms) whose
 *   charge window runs past the invoiced month: 'ratable-daily' over ChargeStartDate..
 *   ChargeEndDate, so a mid-term seat increase (an addQuantity refund/charge pair over
 *   the rest of the term) is its own schedule from the day the seats start;
 * - a cancellation or refund (cancelImmediate, refund): not recognised on its own; it ends
 *   the subscription's schedules from its first refunded day (see cancelSchedule).
 *
 * A line whose licence lines cover several windows is split across them in proportion to
 * their Microsoft subtotals, rounded so the parts add up to the line exactly.
 */
import { addDays, periodBounds } from './dates.ts';
import { Decimal, ZERO, sum } from './decimal.ts';
import { minorUnit, roundPartsToTarget } from './money.ts';
import { recognitionSchedule, type RecognitionPattern, type ScheduleEntry } from './revenue-schedule.ts';
import type { BillingPeriod, CurrencyCode, IsoDate } from './types.ts';

export interface LicenseSourceForRecognition {
  id: string;
  subscriptionId: string | null;
  chargeType: string;
  chargeStart: IsoDate | null;
  chargeEnd: IsoDate | null;
  billingFrequency: string | null;
  reservation: boolean;
  /** Its share of the line: Microsoft's subtotal (negated when the line reverses it). */
  weight: Decimal;
}

export interface LineForRecognition {
  id: string;
  amount: Decimal;
  currency: CurrencyCode;
  invoicePeriod: BillingPeriod;
  /** The period a late-usage adjustment is for. */
  adjustmentPeriod: BillingPeriod | null;
  licenses: readonly LicenseSourceForRecognition[];
}

export interface ScheduleDraft {
  lineId: string;
  pattern: RecognitionPattern;
  serviceStart: IsoDate;
  serviceEnd: IsoDate;
  total: Decimal;
  subscriptionId: string | null;
  licenseLineIds: string[];
  /** A cancellation or refund: it ends the subscription's schedules from `serviceStart` instead of being recognised. */
  cancellation: boolean;
  /** The engine's entries (empty for a cancellation: they depend on what it ends). */
  entries: ScheduleEntry[];
}

const UPFRONT = /annual|year|trienn|one ?time|prepaid/i;
const CANCELLATION = /cancel|refund/i;

/**
 * @example
 *   // $1,200.00 annual seat billed in March 2026 for 2026-03-15..2027-03-14
 *   schedulesOfLine({ id, amount: d('1200.00'), currency: 'USD', invoicePeriod: '2026-03', adjustmentPeriod: null, licenses: [annualLine] })
 *   // [{ pattern: 'ratable-daily', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', total: 1200.00, entries: [{ period: '2026-03', amount: 55.89 }, …] }]
 */
export function schedulesOfLine(line: LineForRecognition): ScheduleDraft[] {
  if (line.amount.isZero()) return [];
  const month = periodBounds(line.adjustmentPeriod ?? line.invoicePeriod);
  if (line.licenses.length === 0) return [draft(line, 'point-in-time', month.start, month.end, line.amount, [], null, false)];

  const groups = new Map<string, { pattern: RecognitionPattern; start: IsoDate; end: IsoDate; cancellation: boolean; sources: LicenseSourceForRecognition[] }>();
  for (const source of line.licenses) {
    const cancellation = CANCELLATION.test(source.chargeType);
    const upfront = source.chargeStart !== null && source.chargeEnd !== null && source.chargeEnd > month.end && (source.reservation || UPFRONT.test(source.billingFrequency ?? ''));
    const [pattern, start, end]: [RecognitionPattern, IsoDate, IsoDate] = cancellation
      ? ['point-in-time', source.chargeStart ?? month.start, source.chargeStart ?? month.start]
      : upfront
        ? ['ratable-daily', source.chargeStart!, source.chargeEnd!]
        : ['monthly', month.start, month.end];
    const key = `${pattern}|${start}|${end}|${cancellation}`;
    const group = groups.get(key) ?? { pattern, start, end, cancellation, sources: [] };
    group.sources.push(source);
    groups.set(key, group);
  }
  const list = [...groups.values()];
  const weights = list.map((g) => sum(g.sources.map((s) => s.weight)));
  const totalWeight = sum(weights);
  // Without usable weights (Microsoft's subtotals net to nothing) the whole line follows its first window.
  const shares = totalWeight.isZero() ? list.map((_, i) => (i === 0 ? line.amount : ZERO)) : weights.map((w) => line.amount.times(w).div(totalWeight));
  const parts = roundPartsToTarget(shares, line.amount, minorUnit(line.currency));
  return list.flatMap((g, i) => {
    const part = parts[i] ?? ZERO;
    if (part.isZero()) return [];
    const subscription = g.sources.find((s) => s.subscriptionId)?.subscriptionId ?? null;
    return [draft(line, g.pattern, g.start, g.end, part, g.sources.map((s) => s.id), subscription, g.cancellation)];
  });
}

/**
 * A line goes to deferred revenue at invoicing when any of its revenue is recognised after
 * the invoiced month (upfront terms) or it settles a cancelled upfront schedule; the rest
 * is recognised on the invoice itself.
 */
export function isDeferredLine(drafts: readonly ScheduleDraft[], invoicePeriod: BillingPeriod): boolean {
  return drafts.some((d) => d.cancellation || d.pattern === 'ratable-daily' || d.entries.some((e) => e.period > invoicePeriod));
}

/** The last day a cancellation leaves in service: the day before its first refunded day. */
export const lastServiceDayOf = (cancellation: ScheduleDraft): IsoDate => addDays(cancellation.serviceStart, -1);

function draft(line: LineForRecognition, pattern: RecognitionPattern, serviceStart: IsoDate, serviceEnd: IsoDate, total: Decimal, licenseLineIds: string[], subscriptionId: string | null, cancellation: boolean): ScheduleDraft {
  const entries = cancellation ? [] : recognitionSchedule({ total, currency: line.currency, serviceStart, serviceEnd, pattern });
  return { lineId: line.id, pattern, serviceStart, serviceEnd, total, subscriptionId, licenseLineIds, cancellation, entries };
}

