/**
 * New-commerce licence reconciliation lines ("billinglineitems") for one billing
 * scope: purchases, monthly cycle charges, renewals, and seat changes as refund +
 * charge pairs sharing a ReferenceId, prorated by day as Microsoft documents.
 * Licence lines are few (a handful per subscription per month), so a scope's
 * lines are built as one array.
 *
 * @example
 *   const lines = new LicenseLineSource(portfolio, scope).records();
 *   lines.filter((l) => l.ChargeType === 'addQuantity'); // refund/charge pairs
 */
import type { Decimal } from 'decimal.js';
import { hash3, Rng } from '../prng.ts';
import { addMonths, DAY_MS, daysInMonth, firstDayOfMonth, isoDay, isoInstant, monthIndexOfDay } from './calendar.ts';
import { Exact, licenseSubtotal, proratedUnitPrice } from './formulas.ts';
import { publishDelayMinutes } from './publishing.ts';
import type { LineWriter } from './line-writer.ts';
import type { Customer, LicenseChargeType, LicenseSubscription, LineRecord } from './interfaces.ts';
import type { Portfolio } from './portfolio.ts';
import type { UsageScope } from './usage-lines.ts';

interface LicenseEvent {
  day: number;
  chargeType: LicenseChargeType;
  orderId: string;
  referenceId: string;
  /** Seats before and after; equal for purchases, renewals and cycle charges. */
  fromQuantity: number;
  toQuantity: number;
  cycle: number;
}

const SALT_ORDER_TIME = 0x0d7e;

export class LicenseLineSource {
  readonly scope: UsageScope;
  readonly #portfolio: Portfolio;
  #records: LineRecord[] | undefined;

  constructor(portfolio: Portfolio, scope: UsageScope) {
    this.#portfolio = portfolio;
    this.scope = scope;
  }

  records(): readonly LineRecord[] {
    if (!this.#records) {
      const out: LineRecord[] = [];
      for (const customer of this.#portfolio.customers) {
        if (customer.geography.currency !== this.scope.currency) continue;
        for (const sub of customer.licenseSubscriptions) out.push(...this.#subscriptionLines(customer, sub));
      }
      this.#records = out;
    }
    return this.#records;
  }

  total(): number {
    return this.records().length;
  }

  *rendered(writer: LineWriter, start = 0, end = Number.POSITIVE_INFINITY): Generator<string> {
    const records = this.records();
    for (let i = Math.max(0, start); i < Math.min(end, records.length); i++) yield writer.write(records[i] as LineRecord);
  }

  #subscriptionLines(customer: Customer, sub: LicenseSubscription): LineRecord[] {
    const p = this.#portfolio;
    const fx = p.fxRate(this.scope.currency, this.scope.billingMonth);
    const out: LineRecord[] = [];
    for (const event of licenseEvents(sub, p.usageStartDay, p.usageEndDay)) {
      if (monthIndexOfDay(event.day) !== this.scope.billingMonth) continue;
      const orderMs = event.day * DAY_MS + (hash3(seedOf(sub), event.day, SALT_ORDER_TIME) % DAY_MS);
      const visibleAt = orderMs + publishDelayMinutes(seedOf(sub), event.day, p.options.latencyHours) * 60_000;
      if (visibleAt > this.scope.asOfMs) continue;
      const cycle = cycleBounds(sub, event.cycle);
      const term = termBounds(sub, event.cycle);
      const common = {
        PartnerId: p.partner.tenantId,
        CustomerId: customer.id,
        CustomerName: customer.companyName,
        CustomerDomainName: customer.domain,
        CustomerCountry: customer.geography.country,
        InvoiceNumber: this.scope.invoiceNumber,
        MpnId: p.partner.mpnId,
        ResellerMpnId: '0',
        OrderId: event.orderId,
        OrderDate: isoInstant(orderMs),
        ProductId: sub.sku.productId,
        SkuId: sub.sku.skuId,
        AvailabilityId: sub.sku.availabilityId,
        SkuName: sub.sku.skuName,
        ProductName: sub.sku.productName,
        ChargeType: event.chargeType,
        UnitPrice: sub.cyclePrice,
        TaxTotal: new Exact(0),
        Currency: this.scope.currency,
        PriceAdjustmentDescription: '["Price for given billing period"]',
        PublisherName: 'Microsoft Corporation',
        PublisherId: '',
        SubscriptionDescription: '',
        SubscriptionId: sub.id,
        ChargeStartDate: isoDay(event.day),
        ChargeEndDate: isoDay(cycle.end),
        TermAndBillingCycle: termAndBillingCycle(sub),
        UnitType: '',
        AlternateId: event.orderId,
        BillingFrequency: sub.billingCycle === 'annual' ? 'Annual' : 'Monthly',
        PricingCurrency: 'USD',
        PCToBCExchangeRate: fx,
        PCToBCExchangeRateDate: isoDay(firstDayOfMonth(this.scope.billingMonth)),
        MeterDescription: '',
        ReservationOrderId: '',
        CreditReasonCode: '',
        SubscriptionStartDate: isoDay(term.start),
        SubscriptionEndDate: isoDay(term.end),
        ReferenceId: event.referenceId,
        ProductQualifiers: sub.sku.productQualifiers,
        PromotionId: '',
        ProductCategory: sub.sku.productCategory,
      };
      const line = (effectiveUnitPrice: Decimal, quantity: number): LineRecord => {
        const q = new Exact(quantity);
        const subtotal = licenseSubtotal(effectiveUnitPrice, fx, q);
        return { ...common, EffectiveUnitPrice: effectiveUnitPrice, Quantity: q, BillableQuantity: q, Subtotal: subtotal, TotalForCustomer: subtotal };
      };
      if (event.chargeType === 'addQuantity' || event.chargeType === 'removeQuantity') {
        // Refund the old quantity and charge the new one for the rest of the cycle.
        const eup = proratedUnitPrice(sub.cyclePrice, cycle.chargeCycleDays, cycle.end - event.day + 1);
        out.push(line(eup.negated(), event.fromQuantity), line(eup, event.toQuantity));
      } else if (event.chargeType === 'cancelImmediate') {
        // Cancelled inside the window: the seats are refunded from the cancel day to the cycle's end.
        const eup = proratedUnitPrice(sub.cyclePrice, cycle.chargeCycleDays, cycle.end - event.day + 1);
        out.push({ ...line(eup.negated(), event.fromQuantity), ChargeStartDate: isoDay(event.day) });
      } else if (event.chargeType === 'customerCredit' && sub.lifecycle.kind === 'credit') {
        const credit = sub.lifecycle.amount;
        out.push({ ...line(credit, 1), UnitPrice: credit, ChargeStartDate: isoDay(event.day), ChargeEndDate: isoDay(event.day), CreditReasonCode: 'Service level agreement credit', BillingFrequency: '' });
      } else {
        out.push({ ...line(sub.cyclePrice, event.toQuantity), ChargeStartDate: isoDay(cycle.start) });
      }
    }
    return out;
  }
}

function seedOf(sub: LicenseSubscription): number {
  return parseInt(sub.id.slice(0, 8), 16);
}

function termAndBillingCycle(sub: LicenseSubscription): string {
  if (sub.termDuration === 'P1M') return 'One-Month commitment for monthly billing';
  const term = sub.termDuration === 'P3Y' ? 'Three-Year' : 'One-Year';
  return sub.billingCycle === 'annual' ? `${term} commitment for yearly billing` : `${term} commitment for monthly/yearly billing`;
}

export function termMonths(sub: LicenseSubscription): number {
  return sub.termDuration === 'P1M' ? 1 : sub.termDuration === 'P3Y' ? 36 : 12;
}

function monthsPerCycle(sub: LicenseSubscription): number {
  return sub.billingCycle === 'annual' ? 12 : 1;
}

/** Charge cycle k: its days, and the divisor Microsoft prorates by. */
export function cycleBounds(sub: LicenseSubscription, k: number): { start: number; end: number; chargeCycleDays: number } {
  const step = monthsPerCycle(sub);
  const start = addMonths(sub.startDay, k * step);
  const end = addMonths(sub.startDay, (k + 1) * step) - 1;
  // Monthly cycles divide by the length of the month the cycle began in; yearly ones by the year's days.
  const chargeCycleDays = step === 1 ? daysInMonth(monthIndexOfDay(start)) : end - start + 1;
  return { start, end, chargeCycleDays };
}

function termBounds(sub: LicenseSubscription, cycle: number): { start: number; end: number } {
  const months = termMonths(sub);
  const term = Math.floor(cycle / (months / monthsPerCycle(sub)));
  return { start: addMonths(sub.startDay, term * months), end: addMonths(sub.startDay, (term + 1) * months) - 1 };
}

function cycleOf(sub: LicenseSubscription, day: number): number {
  let k = 0;
  while (addMonths(sub.startDay, (k + 1) * monthsPerCycle(sub)) <= day) k++;
  return k;
}

/** Billing events of a subscription whose day lies in [firstDay, lastDay]. */
export function licenseEvents(sub: LicenseSubscription, firstDay: number, lastDay: number): LicenseEvent[] {
  const life = sub.lifecycle;
  // A running trial is free: Microsoft bills nothing until it converts.
  if (life.kind === 'trial') return [];
  // Nothing is billed after a cancellation.
  const lastBilledDay = life.kind === 'cancelled' ? Math.min(lastDay, life.day) : lastDay;
  const events: LicenseEvent[] = [];
  const rng = new Rng(seedOf(sub));
  const quantityBefore = (day: number): number => {
    let q = sub.initialQuantity;
    for (const change of sub.seatChanges) if (change.day < day) q = change.quantity;
    return q;
  };
  if (sub.startDay >= firstDay && sub.startDay <= lastBilledDay) {
    const q = sub.initialQuantity;
    const chargeType: LicenseChargeType = life.kind === 'converted' ? 'convert' : 'new';
    events.push({ day: sub.startDay, chargeType, orderId: sub.orderId, referenceId: rng.uuid(), fromQuantity: q, toQuantity: q, cycle: 0 });
  }
  const cyclesPerTerm = termMonths(sub) / monthsPerCycle(sub);
  for (let k = Math.max(1, cycleOf(sub, firstDay)); ; k++) {
    const start = cycleBounds(sub, k).start;
    if (start > lastBilledDay) break;
    if (start < firstDay) continue;
    const q = quantityBefore(start);
    const chargeType: LicenseChargeType = k % cyclesPerTerm === 0 ? 'renew' : 'cycleCharge';
    events.push({ day: start, chargeType, orderId: sub.orderId, referenceId: new Rng(hash3(seedOf(sub), k, 0xc1c1)).uuid(), fromQuantity: q, toQuantity: q, cycle: k });
  }
  for (const change of sub.seatChanges) {
    if (change.day < firstDay || change.day > lastBilledDay) continue;
    events.push({
      day: change.day,
      chargeType: change.chargeType,
      orderId: change.orderId,
      referenceId: change.referenceId,
      fromQuantity: quantityBefore(change.day),
      toQuantity: change.quantity,
      cycle: cycleOf(sub, change.day),
    });
  }
  if ((life.kind === 'cancelled' || life.kind === 'credit') && life.day >= firstDay && life.day <= lastDay) {
    const q = quantityBefore(life.day + 1);
    const chargeType: LicenseChargeType = life.kind === 'cancelled' ? 'cancelImmediate' : 'customerCredit';
    events.push({ day: life.day, chargeType, orderId: life.orderId, referenceId: life.referenceId, fromQuantity: q, toQuantity: 0, cycle: cycleOf(sub, life.day) });
  }
  return events.sort((a, b) => a.day - b.day);
}

/** The subscription's status on `day`, as GET /subscriptions reports it. */
export function statusOn(sub: LicenseSubscription, day: number): 'active' | 'suspended' | 'deleted' | 'expired' {
  const life = sub.lifecycle;
  // A trial that ended without converting expires (this sandbox's trials do not auto-convert).
  if (life.kind === 'trial' && day > life.trialEndDay) return 'expired';
  if (life.kind === 'cancelled' && day >= life.day) return 'deleted';
  if (life.kind === 'suspended' && day >= life.day) return 'suspended';
  return 'active';
}
