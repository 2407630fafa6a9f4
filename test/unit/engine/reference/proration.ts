/**
 * Seat proration: what a licence subscription costs the customer in one calendar
 * month, from its effective-dated events, prorated by day.
 *
 * The rules, as an MSP bills them (new-commerce terms, calendar-month invoices):
 *
 * - Terms are P1M, P1Y or P3Y, anchored on the purchase date: term k starts on the
 *   purchase date + k terms (a 31st clamps to a shorter month's last day) and ends
 *   the day before the next one starts. At term end the subscription renews (same
 *   seats and price) unless autoRenew is false or a cancel was deferred to term end;
 *   an explicit `renew` event, dated on the day the new term starts, can change the
 *   seats and the price.
 * - Monthly billing (any term): every seat-day is billed at unitPrice ÷ days in the
 *   calendar month. One segment per run of days with the same SKU, price and seats:
 *   amount = seats × unitPrice × days ÷ daysInMonth.
 *   E.g. +5 seats of a 10.00 monthly licence from day 16 of a 30-day month:
 *   5 × 10 × 15 ÷ 30 = 25.00.
 * - Up-front billing ('annual' cycles of a P1Y or P3Y term, or one 'triennial' cycle
 *   of a P3Y term): the whole cycle is charged on its first day (seats × unitPrice,
 *   unitPrice being per seat per cycle). Any later change of billed seats is charged
 *   or credited for the days left in the cycle: Δseats × unitPrice × daysLeft ÷ daysInCycle
 *   (daysInCycle = the cycle's own length: 365, 366 when it spans 29 February).
 * - Decreases (remove) are allowed only for seats added within the 7-day window
 *   (the purchase, a renewal or an add dated at most 7 days earlier; the newest seats
 *   are removed first). The refund is by day: a seat is billed up to the day before it
 *   is removed, so seats removed on the day they were added cost nothing (the full
 *   refund within 24 hours) and later ones are charged for the days used. Any other
 *   decrease is rejected with EngineError('decrease_outside_refund_window').
 * - Cancel within 7 days of the term's start ends the subscription that day (refund
 *   by day, as above). A cancel later than that cannot be refunded — Microsoft bills
 *   the whole term — so it takes effect at the term's end and a note says so.
 * - Suspend: seats are not billed while suspended (monthly: those days are skipped;
 *   up front: the days left in the cycle are credited, and charged again from the
 *   reactivation day).
 * - Upgrade: the old SKU is billed up to the day before; the new SKU, at its own price,
 *   from the upgrade day with the same seats (up front: credit the old, charge the new
 *   for the days left in the cycle).
 * - Same-day events apply in the order given and only the day's end state is billed.
 *
 * Dates are whole days: "within 24 hours" is read as "the same date", and "within 7
 * days" as "dated no more than 7 days after". Amounts keep full precision; the rate
 * card rounds.
 */
import { Decimal, sum } from './decimal.ts';
import { addMonthsClamped, fromDayNumber, periodBounds, toDayNumber } from './dates.ts';
import { EngineError } from './errors.ts';
import type {
  BillingPeriod,
  ProrationResult,
  ProrationSegment,
  SeatSubscription,
  SegmentReason,
  SubscriptionEvent,
} from './types.ts';

/** Days after a purchase, renewal or add during which those seats may be decreased. */
export const REFUND_WINDOW_DAYS = 7;

const TERM_MONTHS = { P1M: 1, P1Y: 12, P3Y: 36 } as const;
const UPFRONT_CYCLE_MONTHS = { annual: 12, triennial: 36 } as const;
const ALLOWED_FREQUENCIES = {
  P1M: ['monthly'],
  P1Y: ['monthly', 'annual'],
  P3Y: ['monthly', 'annual', 'triennial'],
} as const;

interface DayState {
  day: number;
  sku: string;
  unitPrice: Decimal;
  seats: number;
  /** Seats billed that day: 0 while suspended or after the subscription ended. */
  billed: number;
  termStart: number;
  /** The last event of the day (or 'renew' for an automatic renewal), null on a quiet day. */
  reason: SegmentReason | null;
}

interface Lot {
  day: number;
  seats: number;
}

function fail(subscription: SeatSubscription, message: string, details: Record<string, unknown> = {}): EngineError {
  return new EngineError('invalid_subscription_events', `Subscription ${subscription.id}: ${message}`, {
    subscriptionId: subscription.id,
    ...details,
  });
}

function requireCount(subscription: SeatSubscription, event: SubscriptionEvent, value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw fail(subscription, `${event.type} on ${event.date} needs a whole ${name} ≥ ${min}, got ${value}`, { event: event.type, date: event.date });
  }
}

function requirePrice(subscription: SeatSubscription, event: SubscriptionEvent, price: Decimal): void {
  if (price.isNegative()) throw fail(subscription, `${event.type} on ${event.date} has a negative unit price`, { date: event.date });
}

function validateEvent(subscription: SeatSubscription, event: SubscriptionEvent): void {
  switch (event.type) {
    case 'purchase':
      requireCount(subscription, event, event.quantity, 'quantity', 0);
      requirePrice(subscription, event, event.unitPrice);
      return;
    case 'add':
    case 'remove':
      requireCount(subscription, event, event.delta, 'delta', 1);
      return;
    case 'upgrade':
      requirePrice(subscription, event, event.unitPrice);
      return;
    case 'renew':
      if (event.quantity !== undefined) requireCount(subscription, event, event.quantity, 'quantity', 0);
      if (event.unitPrice !== undefined) requirePrice(subscription, event, event.unitPrice);
      return;
    case 'suspend':
    case 'reactivate':
    case 'cancel':
      return;
    default:
      throw fail(subscription, `unknown event type "${(event as { type: string }).type}"`);
  }
}

/**
 * Replay the events day by day from the purchase to `lastDay`, enforcing the term,
 * window and state rules; returns the state at the end of each day.
 */
function replay(subscription: SeatSubscription, lastDay: number, periodStart: number): { states: DayState[]; notes: string[] } {
  const termMonths = TERM_MONTHS[subscription.term];
  if (termMonths === undefined) throw fail(subscription, `unknown term "${String(subscription.term)}"`);
  const allowed: readonly string[] = ALLOWED_FREQUENCIES[subscription.term];
  if (!allowed.includes(subscription.billingFrequency)) {
    throw fail(subscription, `a ${subscription.term} term cannot be billed ${String(subscription.billingFrequency)}`);
  }

  const events = subscription.events
    .map((event, index) => ({ event, index, day: toDayNumber(event.date) }))
    .sort((a, b) => a.day - b.day || a.index - b.index);
  const first = events[0];
  if (!first || first.event.type !== 'purchase') throw fail(subscription, 'the first event must be the purchase');
  for (const e of events) validateEvent(subscription, e.event);
  if (events.some((e, i) => i > 0 && e.event.type === 'purchase')) throw fail(subscription, 'has more than one purchase');

  const purchase = first.event;
  const purchaseDate = purchase.date;
  const termStartOf = (k: number): number => toDayNumber(addMonthsClamped(purchaseDate, termMonths * k));

  let sku = purchase.sku;
  let unitPrice = purchase.unitPrice;
  let seats = purchase.quantity;
  let suspended = false;
  let ended = false;
  let cancelAtTermEnd = false;
  let termIndex = 0;
  let termStart = first.day;
  let nextTermStart = termStartOf(1);
  let lots: Lot[] = [{ day: first.day, seats }];
  const notes: string[] = [];
  const states: DayState[] = [];
  let next = 1;

  for (let day = first.day; day <= lastDay; day += 1) {
    let reason: SegmentReason | null = day === first.day ? 'purchase' : null;
    const date = fromDayNumber(day);

    if (!ended && day === nextTermStart) {
      const pending = events[next];
      const explicitRenew = pending && pending.day === day && pending.event.type === 'renew' ? pending.event : null;
      if (cancelAtTermEnd || (subscription.autoRenew === false && !explicitRenew)) {
        if (explicitRenew) throw fail(subscription, `renew on ${date} follows a cancel`, { date });
        ended = true;
        if (day >= periodStart) notes.push(`Subscription ${subscription.id} ended on ${fromDayNumber(day - 1)}, the end of its term`);
      } else {
        termIndex += 1;
        termStart = day;
        nextTermStart = termStartOf(termIndex + 1);
        if (explicitRenew) {
          seats = explicitRenew.quantity ?? seats;
          unitPrice = explicitRenew.unitPrice ?? unitPrice;
          next += 1;
        }
        lots = [{ day, seats }];
        reason = 'renew';
      }
    }

    while (next < events.length && events[next]?.day === day) {
      const { event } = events[next] as { event: SubscriptionEvent };
      next += 1;
      if (ended) throw fail(subscription, `${event.type} on ${date} comes after the subscription ended`, { date });
      reason = event.type;
      switch (event.type) {
        case 'add':
          seats += event.delta;
          lots.push({ day, seats: event.delta });
          break;
        case 'remove': {
          if (event.delta > seats) throw fail(subscription, `remove of ${event.delta} seats on ${date} exceeds the ${seats} seats held`, { date });
          lots = lots.filter((lot) => day - lot.day <= REFUND_WINDOW_DAYS);
          const removable = lots.reduce((n, lot) => n + lot.seats, 0);
          if (event.delta > removable) {
            throw new EngineError(
              'decrease_outside_refund_window',
              `Subscription ${subscription.id}: cannot remove ${event.delta} seat(s) on ${date}: only ${removable} seat(s) ` +
                `were purchased, renewed or added within the ${REFUND_WINDOW_DAYS}-day window (on or after ${fromDayNumber(day - REFUND_WINDOW_DAYS)}); ` +
                `other seats can only be reduced at renewal`,
              { subscriptionId: subscription.id, date, delta: event.delta, removable },
            );
          }
          let left = event.delta;
          for (let i = lots.length - 1; i >= 0 && left > 0; i -= 1) {
            const lot = lots[i] as Lot;
            const taken = Math.min(lot.seats, left);
            lot.seats -= taken;
            left -= taken;
          }
          lots = lots.filter((lot) => lot.seats > 0);
          seats -= event.delta;
          break;
        }
        case 'suspend':
          if (suspended) throw fail(subscription, `suspend on ${date} but it is already suspended`, { date });
          suspended = true;
          break;
        case 'reactivate':
          if (!suspended) throw fail(subscription, `reactivate on ${date} but it is not suspended`, { date });
          suspended = false;
          break;
        case 'cancel':
          if (cancelAtTermEnd) throw fail(subscription, `cancel on ${date} but it is already cancelled`, { date });
          if (day - termStart <= REFUND_WINDOW_DAYS) {
            ended = true;
          } else {
            cancelAtTermEnd = true;
            if (day >= periodStart) {
              notes.push(
                `Cancel on ${date} is more than ${REFUND_WINDOW_DAYS} days after the term started on ${fromDayNumber(termStart)}: ` +
                  `the term is billed in full and the subscription ends on ${fromDayNumber(nextTermStart - 1)}`,
              );
            }
          }
          break;
        case 'upgrade':
          if (event.newSku === sku) throw fail(subscription, `upgrade on ${date} to the SKU it already has (${sku})`, { date });
          sku = event.newSku;
          unitPrice = event.unitPrice;
          break;
        case 'renew':
          throw fail(
            subscription,
            `renew on ${date} is not a term boundary: the current term ends on ${fromDayNumber(nextTermStart - 1)}, so a renewal is dated ${fromDayNumber(nextTermStart)}`,
            { date },
          );
        case 'purchase':
          throw fail(subscription, 'has more than one purchase');
      }
    }

    states.push({ day, sku, unitPrice, seats, billed: ended || suspended ? 0 : seats, termStart, reason });
  }
  return { states, notes };
}

function segment(
  subscriptionId: string,
  s: { sku: string; unitPrice: Decimal },
  from: number,
  to: number,
  daysInCycle: number,
  quantity: number,
  reason: SegmentReason,
  chargedOn: number,
): ProrationSegment {
  const days = to - from + 1;
  return {
    subscriptionId,
    sku: s.sku,
    from: fromDayNumber(from),
    to: fromDayNumber(to),
    days,
    daysInCycle,
    quantity,
    unitPrice: s.unitPrice,
    amount: s.unitPrice.times(quantity).times(days).div(daysInCycle),
    reason,
    chargedOn: fromDayNumber(chargedOn),
  };
}

function monthlySegments(subscriptionId: string, states: DayState[], periodStart: number, daysInMonth: number): ProrationSegment[] {
  const segments: ProrationSegment[] = [];
  let run: { first: DayState; last: DayState; reason: SegmentReason } | null = null;
  const close = (): void => {
    if (run) segments.push(segment(subscriptionId, run.first, run.first.day, run.last.day, daysInMonth, run.first.billed, run.reason, run.first.day));
    run = null;
  };
  for (const s of states) {
    if (s.day < periodStart) continue;
    const continues = run !== null && run.last.sku === s.sku && run.last.unitPrice.equals(s.unitPrice) && run.last.billed === s.billed;
    if (continues && run) {
      run.last = s;
      continue;
    }
    close();
    if (s.billed > 0) run = { first: s, last: s, reason: s.reason ?? 'cycle' };
  }
  close();
  return segments;
}

function upfrontSegments(
  subscription: SeatSubscription,
  states: DayState[],
  periodStart: number,
  cycleMonths: number,
): ProrationSegment[] {
  const segments: ProrationSegment[] = [];
  const first = states[0];
  if (!first) return segments;
  const purchaseDate = fromDayNumber(first.day);
  let cycleIndex = 0;
  let cycleStart = first.day;
  let cycleEnd = toDayNumber(addMonthsClamped(purchaseDate, cycleMonths)) - 1;
  let prev: DayState | null = null;

  for (const s of states) {
    if (s.day > cycleEnd) {
      cycleIndex += 1;
      cycleStart = s.day;
      cycleEnd = toDayNumber(addMonthsClamped(purchaseDate, cycleMonths * (cycleIndex + 1))) - 1;
    }
    const daysInCycle = cycleEnd - cycleStart + 1;
    const inPeriod = s.day >= periodStart;
    if (s.day === cycleStart) {
      if (inPeriod && s.billed > 0) {
        const reason: SegmentReason = s.day === first.day ? 'purchase' : s.day === s.termStart ? 'renew' : 'cycle';
        segments.push(segment(subscription.id, s, cycleStart, cycleEnd, daysInCycle, s.billed, reason, s.day));
      }
    } else if (prev && inPeriod) {
      const reason = s.reason ?? 'cycle';
      if (prev.sku === s.sku && prev.unitPrice.equals(s.unitPrice)) {
        const delta = s.billed - prev.billed;
        if (delta !== 0) segments.push(segment(subscription.id, s, s.day, cycleEnd, daysInCycle, delta, reason, s.day));
      } else {
        if (prev.billed > 0) segments.push(segment(subscription.id, prev, s.day, cycleEnd, daysInCycle, -prev.billed, reason, s.day));
        if (s.billed > 0) segments.push(segment(subscription.id, s, s.day, cycleEnd, daysInCycle, s.billed, reason, s.day));
      }
    }
    prev = s;
  }
  return segments;
}

/**
 * What a seat subscription costs in one calendar-month billing period, as traceable
 * segments. Events after the period are ignored; events before it shape the state
 * the period starts in (and are validated).
 *
 * @example
 *   prorateByDay({ id: 's1', term: 'P1M', billingFrequency: 'monthly', events: [
 *     { type: 'purchase', date: '2026-05-20', quantity: 10, sku: 'M365-BS', unitPrice: new Decimal('10') },
 *     { type: 'add', date: '2026-06-16', delta: 5 },
 *   ] }, '2026-06')
 *   // segments: 10 seats 06-01..06-15 = 50.00 (10 × 10 × 15 ÷ 30); 15 seats 06-16..06-30 = 75.00; total 125.00
 */
export function prorateByDay(subscription: SeatSubscription, period: BillingPeriod): ProrationResult {
  const bounds = periodBounds(period);
  const periodStart = toDayNumber(bounds.start);
  const periodEnd = toDayNumber(bounds.end);
  const { states, notes } = replay(subscription, periodEnd, periodStart);
  const segments =
    subscription.billingFrequency === 'monthly'
      ? monthlySegments(subscription.id, states, periodStart, bounds.days)
      : upfrontSegments(subscription, states, periodStart, UPFRONT_CYCLE_MONTHS[subscription.billingFrequency]);
  return { subscriptionId: subscription.id, period, segments, total: sum(segments.map((s) => s.amount)), notes };
}
