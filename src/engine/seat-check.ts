/**
 * Seat check: what the hub's own subscription events say a licence subscription should
 * cost in a period (prorateByDay), against what Microsoft's licence lines billed for it.
 * Like the cost check it only reports: Microsoft's lines are what the partner is billed
 * and what the close prices from, so a difference is a finding, never a correction.
 *
 * How the two sides are made comparable:
 *
 * - Seat-days. Expected: Σ seats × days of the proration segments (credits negative).
 *   Billed: Σ BillableQuantity × (ChargeStartDate..ChargeEndDate days) of the
 *   subscription's seat lines, a refund line (negative EffectiveUnitPrice or quantity)
 *   counting negative. A monthly charge cycle is anchored on the subscription's start
 *   day, not the calendar month, so a monthly line's days are scaled to the period's
 *   days (days ÷ daysInCycle × days in the period: a full cycle is a full month); an
 *   annual or triennial line (cycle longer than a month) is compared in its own days,
 *   as up-front proration counts them.
 * - Amounts. Expected: prorateByDay's total, the events carrying the per-seat price
 *   Microsoft charged (see `seatPrices`). Billed: Σ Subtotal. Microsoft truncates every
 *   line's per-seat price to the cent (ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2)
 *   × BillableQuantity), so a line may be up to 0.01 per seat off the exact figure:
 *   amounts differ when |expected − billed| > tolerance (0.01) + 0.01 × Σ |BillableQuantity|.
 * - Events prorateByDay rejects (a decrease outside the refund window, a first event
 *   that is not the purchase, …) become an `invalid_events` finding with its message.
 */
import { Decimal, sum } from './decimal.ts';
import { periodBounds } from './dates.ts';
import { EngineError } from './errors.ts';
import { prorateByDay } from './proration.ts';
import type { BillingLine, BillingPeriod, CurrencyCode, LicenseLine, ProrationResult, SeatCheckSubscription, SeatFinding } from './types.ts';

const CENT = new Decimal('0.01');
/** Longest monthly charge cycle: a longer one is an annual or triennial (up-front) cycle. */
const MONTHLY_CYCLE_MAX_DAYS = 31;
/** EffectiveUnitPrice is printed with 6 decimals. */
const EUP_HALF_STEP = new Decimal('0.0000005');

/** 'ProductId:SkuId', the key subscriptions and lines share. */
export function skuKeyOf(line: Pick<BillingLine, 'productId' | 'skuId'>): string {
  return `${line.productId}:${line.skuId}`;
}

function isSeatLine(line: BillingLine): line is LicenseLine {
  return line.kind === 'license' && line.pricingModel === 'seat';
}

/** +1 for a charge, −1 for a refund (negative EffectiveUnitPrice, or negative quantity at a positive price). */
function direction(line: LicenseLine): number {
  const price = line.effectiveUnitPrice.isZero() ? line.cost : line.effectiveUnitPrice;
  return price.isNegative() ? -1 : 1;
}

/**
 * The per-seat price of one full charge cycle a line implies, in its billing currency.
 * A partial line's EffectiveUnitPrice is UnitPrice ÷ daysInCycle × days, printed with
 * 6 decimals: when UnitPrice explains it, UnitPrice is the exact cycle price;
 * otherwise (a discount) it is EffectiveUnitPrice × daysInCycle ÷ days.
 */
export function cyclePriceOf(line: LicenseLine): Decimal {
  const eup = line.effectiveUnitPrice.abs();
  const { days, daysInCycle } = line.chargeDays;
  let price = eup;
  if (days !== daysInCycle && days > 0) {
    const listShare = line.unitPrice.abs().times(days).div(daysInCycle);
    price = listShare.minus(eup).abs().lessThanOrEqualTo(EUP_HALF_STEP) ? line.unitPrice.abs() : eup.times(daysInCycle).div(days);
  }
  return price.times(line.pcToBCExchangeRate);
}

export interface SeatPrice {
  /** Per seat per full charge cycle, in `currency`. */
  price: Decimal;
  currency: CurrencyCode;
  lineId: string;
}

export interface SubscriptionSeatPrices {
  /** By 'ProductId:SkuId'. */
  bySku: Map<string, SeatPrice>;
  /** The price of the subscription's first priced line, whatever its SKU. */
  any: SeatPrice;
}

/**
 * Per Partner Center subscription id (lower case), the per-seat cycle prices Microsoft
 * charged on its seat lines: a charge line covering a whole cycle is preferred (its
 * EffectiveUnitPrice is the cycle price itself), then any charge line, then a refund.
 *
 * @example seatPrices([cycleLine]).get('pc-sub-1')?.any.price // 10.00
 */
export function seatPrices(lines: readonly BillingLine[]): Map<string, SubscriptionSeatPrices> {
  const rank = (l: LicenseLine) => (direction(l) > 0 ? 0 : 2) + (l.chargeDays.days === l.chargeDays.daysInCycle ? 0 : 1);
  const best = new Map<string, Map<string, { rank: number; line: LicenseLine }>>();
  for (const line of lines) {
    if (!isSeatLine(line) || line.subscriptionId === '') continue;
    const id = line.subscriptionId.toLowerCase();
    let bySku = best.get(id);
    if (!bySku) best.set(id, (bySku = new Map()));
    const key = skuKeyOf(line);
    const current = bySku.get(key);
    const r = rank(line);
    if (!current || r < current.rank) bySku.set(key, { rank: r, line });
  }
  const out = new Map<string, SubscriptionSeatPrices>();
  for (const [id, bySku] of best) {
    const prices = new Map<string, SeatPrice>();
    let any: { rank: number; price: SeatPrice } | null = null;
    for (const [key, { rank: r, line }] of bySku) {
      const price = { price: cyclePriceOf(line), currency: line.billingCurrency, lineId: line.id };
      prices.set(key, price);
      if (!any || r < any.rank) any = { rank: r, price };
    }
    if (any) out.set(id, { bySku: prices, any: any.price });
  }
  return out;
}

function fmt(value: Decimal, places = 2): string {
  return value.isInteger() ? value.toString() : value.toDecimalPlaces(places).toString();
}

/**
 * Compare every subscription's seat-days and amount in `period` with Microsoft's seat
 * lines (only this period's lines are read; lines of other subscriptions are ignored).
 * Returns one finding per subscription that differs, in input order.
 *
 * @example
 *   // 10 seats at 10.00 bought 2026-05-01, +5 on 2026-06-16; Microsoft: a 10-seat cycle line (100.00) and a
 *   // 5-seat addQuantity line for 15 of 30 days (25.00): 375 seat-days and 125.00 on both sides.
 *   checkSeats([subscription], lines, '2026-06') // []
 */
export function checkSeats(
  subscriptions: readonly SeatCheckSubscription[],
  lines: readonly BillingLine[],
  period: BillingPeriod,
  options: { tolerance?: Decimal } = {},
): SeatFinding[] {
  const tolerance = options.tolerance ?? CENT;
  const periodDays = periodBounds(period).days;
  const linesBySubscription = new Map<string, LicenseLine[]>();
  for (const line of lines) {
    if (!isSeatLine(line) || line.subscriptionId === '') continue;
    const id = line.subscriptionId.toLowerCase();
    const list = linesBySubscription.get(id);
    if (list) list.push(line);
    else linesBySubscription.set(id, [line]);
  }

  const findings: SeatFinding[] = [];
  for (const subscription of subscriptions) {
    const own = subscription.partnerCenterId ? (linesBySubscription.get(subscription.partnerCenterId.toLowerCase()) ?? []) : [];
    const billedSeatDays = sum(
      own.map((l) => {
        const { days, daysInCycle } = l.chargeDays;
        const seatDays = l.quantity.abs().times(direction(l)).times(days);
        return daysInCycle <= MONTHLY_CYCLE_MAX_DAYS ? seatDays.times(periodDays).div(daysInCycle) : seatDays;
      }),
    );
    const billedAmount = sum(own.map((l) => l.cost));
    const seats = sum(own.map((l) => l.quantity.abs()));
    const currency = own[0]?.billingCurrency ?? null;
    const base = {
      subscriptionId: subscription.id,
      partnerCenterId: subscription.partnerCenterId,
      billedSeatDays,
      billedAmount,
      currency,
      lineIds: own.map((l) => l.id),
    };
    const billedText = own.length === 0 ? 'Microsoft billed no licence line for it' : `Microsoft billed ${fmt(billedSeatDays)} seat-days (${fmt(billedAmount)} ${currency}) on ${own.length} licence line(s)`;

    let result: ProrationResult;
    try {
      result = prorateByDay(subscription, period);
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      findings.push({ ...base, kind: 'invalid_events', expectedSeatDays: null, expectedAmount: null, message: `${error.message}; ${billedText}` });
      continue;
    }
    const expectedSeatDays = sum(result.segments.map((s) => new Decimal(s.quantity).times(s.days)));
    const expectedAmount = subscription.priceKnown ? result.total : null;
    const notes = result.notes.length > 0 ? ` (${result.notes.join('; ')})` : '';
    const expectedText = `the hub's events imply ${fmt(expectedSeatDays)} seat-days${expectedAmount ? ` (${fmt(expectedAmount)}${currency ? ` ${currency}` : ''})` : ''}`;

    if (!expectedSeatDays.equals(billedSeatDays)) {
      findings.push({
        ...base,
        kind: 'seat_days',
        expectedSeatDays,
        expectedAmount,
        message: `Subscription ${subscription.id} in ${period}: ${expectedText}, ${billedText}${notes}`,
      });
      continue;
    }
    if (expectedAmount) {
      const allowed = tolerance.plus(CENT.times(seats));
      const difference = billedAmount.minus(expectedAmount);
      if (difference.abs().greaterThan(allowed)) {
        findings.push({
          ...base,
          kind: 'amount',
          expectedSeatDays,
          expectedAmount,
          message:
            `Subscription ${subscription.id} in ${period}: ${fmt(expectedSeatDays)} seat-days on both sides, but the hub's events price them at ` +
            `${fmt(expectedAmount)} and Microsoft billed ${fmt(billedAmount)}${currency ? ` ${currency}` : ''}: ${fmt(difference.abs())} apart, ` +
            `more than the ${fmt(allowed)} Microsoft's per-seat truncation explains${notes}`,
        });
      }
    }
  }
  return findings;
}
