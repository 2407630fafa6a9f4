import { describe, expect, it } from 'vitest';
import { closeCustomerPeriod } from '../../../src/engine/close.ts';
import { DEFAULT_CATEGORY_MAPPING } from '../../../src/engine/categories.ts';
import { checkSeats, cyclePriceOf, seatPrices } from '../../../src/engine/seat-check.ts';
import type { BillingFrequency, LicenseLine, SeatCheckSubscription, SubscriptionEvent, TermDuration } from '../../../src/engine/types.ts';
import { d, expectAmount, expectDecimal, licenseLine, usageLine } from './fixtures.ts';

// Hand-checked: the hub's seat events (prorateByDay) against Microsoft's licence lines.
// Unless a case says otherwise: 10.00 per seat per month, USD billed in USD at rate 1,
// Partner Center subscription 'pc-1', calendar-month charge cycles.

const purchase = (date: string, quantity: number, unitPrice = '10'): SubscriptionEvent => ({ type: 'purchase', date, quantity, sku: 'CFQ7TTC0LDPB:0001', unitPrice: d(unitPrice) });

function sub(events: SubscriptionEvent[], o: { term?: TermDuration; billingFrequency?: BillingFrequency; priceKnown?: boolean; id?: string; partnerCenterId?: string | null } = {}): SeatCheckSubscription {
  return {
    id: o.id ?? 'hub-1',
    partnerCenterId: o.partnerCenterId === undefined ? 'pc-1' : o.partnerCenterId,
    term: o.term ?? 'P1M',
    billingFrequency: o.billingFrequency ?? 'monthly',
    events,
    priceKnown: o.priceKnown ?? true,
  };
}

/** A seat line of 'pc-1': `quantity` seats for `days` of a `daysInCycle` cycle at EffectiveUnitPrice `eup`, Subtotal `cost`. */
function line(id: string, quantity: number, days: number, daysInCycle: number, eup: string, cost: string, o: Partial<LicenseLine> = {}): LicenseLine {
  return licenseLine({
    id,
    subscriptionId: 'pc-1',
    quantity: d(quantity),
    chargeDays: { days, daysInCycle },
    unitPrice: d('10.00'),
    effectiveUnitPrice: d(eup),
    cost: d(cost),
    ...o,
  });
}

// June 2026 has 30 days.
const june10Seats = line('l:cycle', 10, 30, 30, '10.00', '100.00');

describe('checkSeats: agreement', () => {
  it("+5 seats on day 16 of a 30-day month: 10 × 30 + 5 × 15 = 375 seat-days, 100.00 + 5 × 10 × 15/30 = 125.00, as Microsoft's addQuantity line bills", () => {
    const s = sub([purchase('2026-05-01', 10), { type: 'add', date: '2026-06-16', delta: 5 }]);
    // addQuantity: 5 seats, 2026-06-16..06-30 = 15 of 30 days, EffectiveUnitPrice 10 × 15/30 = 5.00, Subtotal 5.00 × 5 = 25.00.
    const add = line('l:add', 5, 15, 30, '5.000000', '25.00', { chargeType: 'addQuantity' });
    expect(checkSeats([s], [june10Seats, add], '2026-06')).toEqual([]);
  });

  it('… and as a refund + charge pair sharing a ReferenceId bills it: 300 − 10 × 15 + 15 × 15 = 375 seat-days, 100 − 50 + 75 = 125.00', () => {
    const s = sub([purchase('2026-05-01', 10), { type: 'add', date: '2026-06-16', delta: 5 }]);
    const refund = line('l:refund', 10, 15, 30, '-5.000000', '-50.00', { chargeType: 'addQuantity' });
    const charge = line('l:charge', 15, 15, 30, '5.000000', '75.00', { chargeType: 'addQuantity' });
    expect(checkSeats([s], [june10Seats, refund, charge], '2026-06')).toEqual([]);
  });

  it("removal inside the window: +5 on 06-10, −5 on 06-14 → 10 × 30 + 5 × 4 = 320 seat-days, 100 + 5 × 10 × 4/30 = 106.67; Microsoft's charge (5 × 21 days, 35.00) and refund (5 × 17 days, −28.30) agree", () => {
    const s = sub([purchase('2026-05-01', 10), { type: 'add', date: '2026-06-10', delta: 5 }, { type: 'remove', date: '2026-06-14', delta: 5 }]);
    // add: 06-10..06-30 = 21 days, 10 × 21/30 = 7.00 → 35.00; remove: 06-14..06-30 = 17 days, 10 × 17/30 = 5.666667 → ROUNDDOWN(−5.666667, 2) × 5 = −28.30.
    const add = line('l:add', 5, 21, 30, '7.000000', '35.00', { chargeType: 'addQuantity' });
    const remove = line('l:remove', 5, 17, 30, '-5.666667', '-28.30', { chargeType: 'removeQuantity' });
    // Billed 300 + 105 − 85 = 320 seat-days and 106.70; expected 106.666…: 0.033 apart, within 0.01 + 0.01 × 20 seats.
    expect(checkSeats([s], [june10Seats, add, remove], '2026-06')).toEqual([]);
  });

  it('annual up front: 10 seats × 120.00 at purchase (365 days), then +2 seats for the 287 days left of the cycle', () => {
    const s = sub([purchase('2026-03-15', 10, '120'), { type: 'add', date: '2026-06-01', delta: 2 }], { term: 'P1Y', billingFrequency: 'annual' });
    const march = line('l:new', 10, 365, 365, '120.00', '1200.00', { unitPrice: d('120.00'), chargeType: 'new' });
    expect(checkSeats([s], [march], '2026-03')).toEqual([]);
    // 2026-06-01..2027-03-14 = 287 days: EffectiveUnitPrice 120 × 287/365 = 94.356164, Subtotal 94.35 × 2 = 188.70;
    // expected 2 × 120 × 287/365 = 188.7123…: 0.012 apart, within 0.01 + 0.01 × 2 seats. Seat-days 2 × 287 = 574 on both sides (not scaled to June).
    const june = line('l:add', 2, 287, 365, '94.356164', '188.70', { unitPrice: d('120.00'), chargeType: 'addQuantity' });
    expect(checkSeats([s], [june], '2026-06')).toEqual([]);
    // No event and no line in April: nothing to compare.
    expect(checkSeats([s], [], '2026-04')).toEqual([]);
  });

  it("Microsoft's per-seat truncation is not a finding: 15 seats added for 29 of 31 days at 12.00 bill 11.22 × 15 = 168.30, not 168.387…", () => {
    const s = sub([purchase('2026-09-01', 10, '12'), { type: 'add', date: '2026-10-03', delta: 15 }]);
    const cycle = line('l:cycle', 10, 31, 31, '12.00', '120.00', { unitPrice: d('12.00') });
    const add = line('l:add', 15, 29, 31, '11.225806', '168.30', { unitPrice: d('12.00'), chargeType: 'addQuantity' });
    // Expected 120 + 15 × 12 × 29/31 = 288.3870967742; billed 288.30: 0.087 apart, within 0.01 + 0.01 × 25 seats = 0.26.
    expect(checkSeats([s], [cycle, add], '2026-10')).toEqual([]);
    // With no allowance beyond the truncation (tolerance −0.25 leaves 0.01) the same figures are a finding.
    const [f] = checkSeats([s], [cycle, add], '2026-10', { tolerance: d('-0.24') });
    expect(f?.kind).toBe('amount');
    expectAmount(f?.expectedAmount, '288.3870967742');
    expectDecimal(f?.billedAmount, '288.30');
  });

  it("ignores other subscriptions' lines and usage-based licence lines, and matches Partner Center's id case-insensitively", () => {
    const s = sub([purchase('2026-05-01', 10)], { partnerCenterId: 'PC-1' });
    const other = line('l:other', 99, 30, 30, '10.00', '990.00', { subscriptionId: 'pc-2' });
    const usageBased = line('l:usage', 40, 30, 30, '1.00', '40.00', { pricingModel: 'usage' });
    expect(checkSeats([s], [june10Seats, other, usageBased, usageLine({ subscriptionId: 'pc-1' })], '2026-06')).toEqual([]);
  });
});

describe('checkSeats: findings', () => {
  it('Microsoft bills a full month after a cancel on day 10, inside the refund window: 70 vs 300 seat-days, 23.33 vs 100.00', () => {
    // Bought 2026-06-03, cancelled 2026-06-10 (7 days later: inside the window, the subscription ends that day).
    // Expected: 06-03..06-09 = 7 days × 10 seats = 70 seat-days, 10 × 10 × 7/30 = 23.333….
    // Microsoft: the 'new' line for the cycle 06-03..07-02 (30 of 30 days) and no refund: 10 × 30 = 300 seat-days, 100.00.
    const s = sub([purchase('2026-06-03', 10), { type: 'cancel', date: '2026-06-10' }]);
    const billed = line('l:new', 10, 30, 30, '10.00', '100.00', { chargeType: 'new' });
    const findings = checkSeats([s], [billed], '2026-06');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ subscriptionId: 'hub-1', partnerCenterId: 'pc-1', kind: 'seat_days', currency: 'USD', lineIds: ['l:new'] });
    expectDecimal(f?.expectedSeatDays, '70');
    expectDecimal(f?.billedSeatDays, '300');
    expectAmount(f?.expectedAmount, '23.3333333333');
    expectDecimal(f?.billedAmount, '100.00');
    expect(f?.message).toBe("Subscription hub-1 in 2026-06: the hub's events imply 70 seat-days (23.33 USD), Microsoft billed 300 seat-days (100 USD) on 1 licence line(s)");
  });

  it('suspended from the 11th to the 20th: 10 × 20 = 200 seat-days and 66.67 expected, Microsoft billed the full 300 and 100.00', () => {
    const s = sub([purchase('2026-05-01', 10), { type: 'suspend', date: '2026-06-11' }, { type: 'reactivate', date: '2026-06-21' }]);
    const [f, ...rest] = checkSeats([s], [june10Seats], '2026-06');
    expect(rest).toEqual([]);
    expect(f?.kind).toBe('seat_days');
    expectDecimal(f?.expectedSeatDays, '200'); // 06-01..06-10 and 06-21..06-30
    expectAmount(f?.expectedAmount, '66.6666666667'); // 10 × 10 × 20/30
    expectDecimal(f?.billedSeatDays, '300');
    expectDecimal(f?.billedAmount, '100.00');
  });

  it('same seat-days at a different price: 125.00 expected, Microsoft billed the 5 added seats at 4.00 (120.00)', () => {
    const s = sub([purchase('2026-05-01', 10), { type: 'add', date: '2026-06-16', delta: 5 }]);
    const add = line('l:add', 5, 15, 30, '4.000000', '20.00', { chargeType: 'addQuantity' });
    const [f, ...rest] = checkSeats([s], [june10Seats, add], '2026-06');
    expect(rest).toEqual([]);
    expect(f?.kind).toBe('amount');
    expectDecimal(f?.expectedSeatDays, '375');
    expectDecimal(f?.billedSeatDays, '375');
    expectDecimal(f?.expectedAmount, '125');
    expectDecimal(f?.billedAmount, '120.00');
    // 5.00 apart, more than 0.01 + 0.01 × 15 seats = 0.16.
    expect(f?.message).toContain('5 apart, more than the 0.16');
  });

  it('events prorateByDay rejects are an invalid_events finding, never a throw: a decrease outside the refund window', () => {
    const s = sub([purchase('2026-05-01', 10), { type: 'remove', date: '2026-06-15', delta: 2 }]);
    const [f, ...rest] = checkSeats([s], [june10Seats], '2026-06');
    expect(rest).toEqual([]);
    expect(f?.kind).toBe('invalid_events');
    expect(f?.expectedSeatDays).toBeNull();
    expect(f?.expectedAmount).toBeNull();
    expectDecimal(f?.billedSeatDays, '300');
    expectDecimal(f?.billedAmount, '100.00');
    expect(f?.message).toMatch(/^Subscription hub-1: cannot remove 2 seat\(s\) on 2026-06-15: only 0 seat\(s\) were purchased, renewed or added within the 7-day window/);
    expect(f?.message).toContain('Microsoft billed 300 seat-days (100 USD) on 1 licence line(s)');
  });

  it('… and events that do not start with the purchase, or an unknown billing cycle', () => {
    const noPurchase = sub([{ type: 'add', date: '2026-06-02', delta: 1 }], { id: 'hub-a' });
    const oneTime = sub([purchase('2026-05-01', 10)], { id: 'hub-b', billingFrequency: 'one_time' as BillingFrequency });
    const findings = checkSeats([noPurchase, oneTime], [], '2026-06');
    expect(findings.map((f) => [f.subscriptionId, f.kind])).toEqual([['hub-a', 'invalid_events'], ['hub-b', 'invalid_events']]);
    expect(findings[0]?.message).toBe('Subscription hub-a: the first event must be the purchase; Microsoft billed no licence line for it');
    expect(findings[1]?.message).toContain('a P1M term cannot be billed one_time');
  });

  it('a subscription Microsoft billed no line for: 300 seat-days and 100.00 expected, nothing billed, no currency', () => {
    const s = sub([purchase('2026-05-01', 10)]);
    const [f] = checkSeats([s], [], '2026-06');
    expect(f).toMatchObject({ kind: 'seat_days', currency: null, lineIds: [], message: "Subscription hub-1 in 2026-06: the hub's events imply 300 seat-days (100), Microsoft billed no licence line for it" });
    expectDecimal(f?.expectedSeatDays, '300');
    expectDecimal(f?.billedSeatDays, '0');
    expectDecimal(f?.expectedAmount, '100');
    expectDecimal(f?.billedAmount, '0');
    // Not linked to Partner Center: no line can be its own.
    expect(checkSeats([sub([purchase('2026-05-01', 10)], { partnerCenterId: null })], [june10Seats], '2026-06')[0]?.kind).toBe('seat_days');
    // Cancelled on the purchase day in May: nothing expected, nothing billed, no finding.
    expect(checkSeats([sub([purchase('2026-05-01', 10), { type: 'cancel', date: '2026-05-01' }])], [], '2026-06')).toEqual([]);
  });

  it('price unknown: seat-days are still compared, amounts are not (expectedAmount null)', () => {
    const unknown = (id: string) => sub([purchase('2026-05-01', 10, '0')], { id, priceKnown: false });
    // Same 300 seat-days: no finding whatever Microsoft charged.
    expect(checkSeats([unknown('hub-1')], [line('l:x', 10, 30, 30, '13.37', '133.70')], '2026-06')).toEqual([]);
    // Different seat-days: a finding without an expected amount.
    const [f] = checkSeats([unknown('hub-2')], [line('l:y', 12, 30, 30, '10.00', '120.00')], '2026-06');
    expect(f?.kind).toBe('seat_days');
    expect(f?.expectedAmount).toBeNull();
    expectDecimal(f?.expectedSeatDays, '300');
    expectDecimal(f?.billedSeatDays, '360');
    expect(f?.message).toBe("Subscription hub-2 in 2026-06: the hub's events imply 300 seat-days, Microsoft billed 360 seat-days (120 USD) on 1 licence line(s)");
  });

  it("scales a monthly cycle that is not the calendar month to the period's days: a full 10-05..11-04 cycle counts as October's 31 days", () => {
    const s = sub([purchase('2026-09-01', 10)]);
    const anchored = line('l:anchored', 10, 31, 31, '10.00', '100.00', { date: '2026-10-05' });
    expect(checkSeats([s], [anchored], '2026-10')).toEqual([]);
    // A 30-day cycle in a 31-day month: 10 × 30 × 31/30 = 310 as well.
    expect(checkSeats([s], [line('l:30', 10, 30, 30, '10.00', '100.00')], '2026-10')).toEqual([]);
  });
});

describe('seatPrices: the per-seat cycle price Microsoft charged', () => {
  it('prefers a full-cycle charge line, keyed by Partner Center id (lower case) and ProductId:SkuId', () => {
    const refund = line('l:refund', 10, 15, 30, '-5.000000', '-50.00');
    const prices = seatPrices([refund, line('l:full', 10, 30, 30, '9.50', '95.00', { subscriptionId: 'PC-1' })]);
    const p = prices.get('pc-1');
    expect(p?.any.lineId).toBe('l:full');
    expectDecimal(p?.bySku.get('CFQ7TTC0LDPB:0001')?.price, '9.50');
  });

  it("takes UnitPrice when it explains a partial line's 6-decimal EffectiveUnitPrice, else scales the effective price, and converts to the billing currency", () => {
    // 12.00 × 29/31 = 11.2258064516… printed 11.225806: UnitPrice 12.00 is the cycle price; × 0.92 = 11.04 EUR.
    expectDecimal(cyclePriceOf(line('a', 15, 29, 31, '11.225806', '154.80', { unitPrice: d('12.00'), pcToBCExchangeRate: d('0.92') })), '11.04');
    // A 20 % promotion: 9.60 × 15/30 = 4.80 → 4.80 × 30/15 = 9.60.
    expectDecimal(cyclePriceOf(line('b', 5, 15, 30, '4.800000', '24.00', { unitPrice: d('12.00') })), '9.6');
    // A refund line prices by its absolute value.
    expectDecimal(cyclePriceOf(line('c', 5, 15, 30, '-6.000000', '-30.00', { unitPrice: d('12.00') })), '12');
  });
});

describe('the close runs the seat check', () => {
  const base = { customerId: 'c1', period: '2026-06', late: [], mapping: DEFAULT_CATEGORY_MAPPING, card: null, fx: null, allocationRules: [], unallocatedNodeId: 'u' };

  it('reports seat findings over the period\'s lines, also when no invoice is built; none without seat subscriptions', () => {
    const cancelled = sub([purchase('2026-06-03', 10), { type: 'cancel', date: '2026-06-10' }]);
    const lines = [line('l:new', 10, 30, 30, '10.00', '100.00')];
    const result = closeCustomerPeriod({ ...base, lines, seatSubscriptions: [cancelled] });
    expect(result.held).toBe('no_rate_card');
    expect(result.seatFindings.map((f) => f.kind)).toEqual(['seat_days']);
    expect(closeCustomerPeriod({ ...base, lines }).seatFindings).toEqual([]);
  });
});
