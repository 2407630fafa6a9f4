import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/errors.ts';
import { prorateByDay } from '../../../src/engine/proration.ts';
import type {
  BillingFrequency,
  SeatSubscription,
  SegmentReason,
  SubscriptionEvent,
  TermDuration,
} from '../../../src/engine/types.ts';
import { d, expectAmount } from './fixtures.ts';

function purchase(date: string, quantity: number, unitPrice = '10', sku = 'M365-BS'): SubscriptionEvent {
  return { type: 'purchase', date, quantity, sku, unitPrice: d(unitPrice) };
}

function sub(term: TermDuration, billingFrequency: BillingFrequency, events: SubscriptionEvent[], autoRenew?: boolean): SeatSubscription {
  return { id: 'sub-1', term, billingFrequency, events, ...(autoRenew === undefined ? {} : { autoRenew }) };
}

interface ExpectedSegment {
  from: string;
  to: string;
  days: number;
  daysInCycle: number;
  quantity: number;
  /** Hand-computed, to 10 decimal places where it repeats. */
  amount: string;
  reason: SegmentReason;
  sku?: string;
}

interface Case {
  name: string;
  subscription: SeatSubscription;
  period: string;
  segments: ExpectedSegment[];
  /** Σ segments, 10 dp. */
  total: string;
  /** The total as the invoice shows it, rounded half-up to the cent. */
  cents: string;
}

const seg = (from: string, to: string, days: number, daysInCycle: number, quantity: number, amount: string, reason: SegmentReason, sku?: string): ExpectedSegment => ({
  from, to, days, daysInCycle, quantity, amount, reason, ...(sku ? { sku } : {}),
});

// Unit price 10.00 per seat per month unless a case says otherwise; up-front prices are per seat per cycle.
const cases: Case[] = [
  // ── monthly billing, calendar month, seat-days ÷ days in month ──
  {
    name: 'a full 30-day month with no change: 10 × 10 × 30/30 = 100.00',
    subscription: sub('P1M', 'monthly', [purchase('2026-05-20', 10)]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-30', 30, 30, 10, '100', 'cycle')],
    total: '100',
    cents: '100.00',
  },
  {
    name: 'purchase of 5 seats on day 16 of a 30-day month: 5 × 10 × 15/30 = 25.00',
    subscription: sub('P1M', 'monthly', [purchase('2026-06-16', 5)]),
    period: '2026-06',
    segments: [seg('2026-06-16', '2026-06-30', 15, 30, 5, '25', 'purchase')],
    total: '25',
    cents: '25.00',
  },
  {
    name: '+5 seats on day 16 of a 30-day month: 10 × 10 × 15/30 = 50.00 + 15 × 10 × 15/30 = 75.00 (the add costs 25.00)',
    subscription: sub('P1M', 'monthly', [purchase('2026-05-20', 10), { type: 'add', date: '2026-06-16', delta: 5 }]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-15', 15, 30, 10, '50', 'cycle'), seg('2026-06-16', '2026-06-30', 15, 30, 15, '75', 'add')],
    total: '125',
    cents: '125.00',
  },
  {
    name: 'add on day 1 of a 31-day month: 13 × 10 × 31/31 = 130.00',
    subscription: sub('P1M', 'monthly', [purchase('2026-05-20', 10), { type: 'add', date: '2026-07-01', delta: 3 }]),
    period: '2026-07',
    segments: [seg('2026-07-01', '2026-07-31', 31, 31, 13, '130', 'add')],
    total: '130',
    cents: '130.00',
  },
  {
    name: 'add on the last day of a 31-day month: 10 × 10 × 30/31 = 96.7741935484 + 12 × 10 × 1/31 = 3.8709677419',
    subscription: sub('P1M', 'monthly', [purchase('2026-05-20', 10), { type: 'add', date: '2026-07-31', delta: 2 }]),
    period: '2026-07',
    segments: [seg('2026-07-01', '2026-07-30', 30, 31, 10, '96.7741935484', 'cycle'), seg('2026-07-31', '2026-07-31', 1, 31, 12, '3.8709677419', 'add')],
    total: '100.6451612903', // 3,120 ÷ 31
    cents: '100.65',
  },
  {
    name: 'purchase mid-February (28 days): 4 × 10 × 14/28 = 20.00',
    subscription: sub('P1M', 'monthly', [purchase('2026-02-15', 4)]),
    period: '2026-02',
    segments: [seg('2026-02-15', '2026-02-28', 14, 28, 4, '20', 'purchase')],
    total: '20',
    cents: '20.00',
  },
  {
    name: 'purchase mid-February of a leap year (29 days): 4 × 10 × 15/29 = 600/29 = 20.6896551724',
    subscription: sub('P1M', 'monthly', [purchase('2024-02-15', 4)]),
    period: '2024-02',
    segments: [seg('2024-02-15', '2024-02-29', 15, 29, 4, '20.6896551724', 'purchase')],
    total: '20.6896551724',
    cents: '20.69',
  },
  {
    // 1–9: 10 × 10 × 9/31 = 900/31; 10–19: 15 × 10 × 10/31 = 1,500/31; 20–24: 17 × 10 × 5/31 = 850/31;
    // 25–31: 15 × 10 × 7/31 = 1,050/31; total 4,300/31 = 138.7096774194. (The P1M term renews on the 5th: no change, no split.)
    name: 'several changes in a 31-day month: +5 on the 10th, +2 on the 20th, −2 on the 25th',
    subscription: sub('P1M', 'monthly', [
      purchase('2026-01-05', 10),
      { type: 'add', date: '2026-03-10', delta: 5 },
      { type: 'add', date: '2026-03-20', delta: 2 },
      { type: 'remove', date: '2026-03-25', delta: 2 },
    ]),
    period: '2026-03',
    segments: [
      seg('2026-03-01', '2026-03-09', 9, 31, 10, '29.0322580645', 'cycle'),
      seg('2026-03-10', '2026-03-19', 10, 31, 15, '48.3870967742', 'add'),
      seg('2026-03-20', '2026-03-24', 5, 31, 17, '27.4193548387', 'add'),
      seg('2026-03-25', '2026-03-31', 7, 31, 15, '33.8709677419', 'remove'),
    ],
    total: '138.7096774194',
    cents: '138.71',
  },
  {
    name: 'add then remove the same day (full refund within 24 h): only the 10 seats are billed, 100.00',
    subscription: sub('P1M', 'monthly', [
      purchase('2026-05-20', 10),
      { type: 'add', date: '2026-06-10', delta: 5 },
      { type: 'remove', date: '2026-06-10', delta: 5 },
    ]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-30', 30, 30, 10, '100', 'cycle')],
    total: '100',
    cents: '100.00',
  },
  {
    // 1–9: 10 × 10 × 9/30 = 30; 10–13: 15 × 10 × 4/30 = 20; 14–30: 10 × 10 × 17/30 = 56.6666666667
    name: 'add then remove 4 days later (prorated refund): the 5 seats cost 5 × 10 × 4/30 = 6.67',
    subscription: sub('P1M', 'monthly', [
      purchase('2026-05-20', 10),
      { type: 'add', date: '2026-06-10', delta: 5 },
      { type: 'remove', date: '2026-06-14', delta: 5 },
    ]),
    period: '2026-06',
    segments: [
      seg('2026-06-01', '2026-06-09', 9, 30, 10, '30', 'cycle'),
      seg('2026-06-10', '2026-06-13', 4, 30, 15, '20', 'add'),
      seg('2026-06-14', '2026-06-30', 17, 30, 10, '56.6666666667', 'remove'),
    ],
    total: '106.6666666667',
    cents: '106.67',
  },
  {
    // 1–7: 13 × 10 × 7/30 = 910/30 = 30.3333333333; 8–30: 10 × 10 × 23/30 = 2,300/30 = 76.6666666667; total 3,210/30 = 107
    name: 'remove on the 7th day after the add is still inside the window (P1Y billed monthly)',
    subscription: sub('P1Y', 'monthly', [
      purchase('2026-01-10', 10),
      { type: 'add', date: '2026-06-01', delta: 3 },
      { type: 'remove', date: '2026-06-08', delta: 3 },
    ]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-07', 7, 30, 13, '30.3333333333', 'add'), seg('2026-06-08', '2026-06-30', 23, 30, 10, '76.6666666667', 'remove')],
    total: '107',
    cents: '107.00',
  },
  {
    // 1–10: 10 × 10 × 10/30 = 33.3333333333; 11–20 suspended; 21–30: 10 × 10 × 10/30 = 33.3333333333
    name: 'suspension: no charge from the 11th to the 20th',
    subscription: sub('P1M', 'monthly', [purchase('2026-05-20', 10), { type: 'suspend', date: '2026-06-11' }, { type: 'reactivate', date: '2026-06-21' }]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-10', 10, 30, 10, '33.3333333333', 'cycle'), seg('2026-06-21', '2026-06-30', 10, 30, 10, '33.3333333333', 'reactivate')],
    total: '66.6666666667',
    cents: '66.67',
  },
  {
    name: 'suspended the whole month: nothing billed',
    subscription: sub('P1M', 'monthly', [purchase('2026-05-20', 10), { type: 'suspend', date: '2026-05-25' }]),
    period: '2026-06',
    segments: [],
    total: '0',
    cents: '0.00',
  },
  {
    // old SKU 1–15: 10 × 12.50 × 15/30 = 62.50; new SKU 16–30: 10 × 22.00 × 15/30 = 110.00
    name: 'upgrade on the 16th: the old SKU ends the day before, the new SKU starts that day',
    subscription: sub('P1M', 'monthly', [
      purchase('2026-05-20', 10, '12.50', 'M365-BS'),
      { type: 'upgrade', date: '2026-06-16', newSku: 'M365-BP', unitPrice: d('22.00') },
    ]),
    period: '2026-06',
    segments: [
      seg('2026-06-01', '2026-06-15', 15, 30, 10, '62.5', 'cycle', 'M365-BS'),
      seg('2026-06-16', '2026-06-30', 15, 30, 10, '110', 'upgrade', 'M365-BP'),
    ],
    total: '172.5',
    cents: '172.50',
  },
  {
    name: 'cancel 3 days after purchase (inside the window): 10 × 10 × 3/30 = 10.00',
    subscription: sub('P1M', 'monthly', [purchase('2026-06-10', 10), { type: 'cancel', date: '2026-06-13' }]),
    period: '2026-06',
    segments: [seg('2026-06-10', '2026-06-12', 3, 30, 10, '10', 'purchase')],
    total: '10',
    cents: '10.00',
  },
  {
    name: 'cancel on the purchase day (full refund within 24 h): nothing billed',
    subscription: sub('P1M', 'monthly', [purchase('2026-06-10', 10), { type: 'cancel', date: '2026-06-10' }]),
    period: '2026-06',
    segments: [],
    total: '0',
    cents: '0.00',
  },
  {
    name: 'cancel outside the window: the month is billed in full (the term runs to 2027-01-09)',
    subscription: sub('P1Y', 'monthly', [purchase('2026-01-10', 10), { type: 'cancel', date: '2026-06-15' }]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-30', 30, 30, 10, '100', 'cycle')],
    total: '100',
    cents: '100.00',
  },
  {
    name: '… and billing stops at term end: 10 × 10 × 9/31 = 900/31 = 29.0322580645',
    subscription: sub('P1Y', 'monthly', [purchase('2026-01-10', 10), { type: 'cancel', date: '2026-06-15' }]),
    period: '2027-01',
    segments: [seg('2027-01-01', '2027-01-09', 9, 31, 10, '29.0322580645', 'cycle')],
    total: '29.0322580645',
    cents: '29.03',
  },
  {
    // 1–15: 10 × 10.00 × 15/30 = 50.00; 16–30: 8 × 11.00 × 15/30 = 44.00
    name: 'renewal mid-period with fewer seats and a new price',
    subscription: sub('P1Y', 'monthly', [purchase('2025-06-16', 10), { type: 'renew', date: '2026-06-16', quantity: 8, unitPrice: d('11.00') }]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-15', 15, 30, 10, '50', 'cycle'), seg('2026-06-16', '2026-06-30', 15, 30, 8, '44', 'renew')],
    total: '94',
    cents: '94.00',
  },
  {
    name: 'auto-renew off: the P1M term ends on the 19th, 10 × 10 × 19/30 = 63.3333333333',
    subscription: sub('P1M', 'monthly', [purchase('2026-05-20', 10)], false),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-19', 19, 30, 10, '63.3333333333', 'cycle')],
    total: '63.3333333333',
    cents: '63.33',
  },
  {
    name: 'all seats removed inside the window: 5 × 10 × 2/30 = 3.3333333333, then zero seats bill nothing',
    subscription: sub('P1M', 'monthly', [purchase('2026-06-01', 5), { type: 'remove', date: '2026-06-03', delta: 5 }]),
    period: '2026-06',
    segments: [seg('2026-06-01', '2026-06-02', 2, 30, 5, '3.3333333333', 'purchase')],
    total: '3.3333333333',
    cents: '3.33',
  },
  {
    name: 'zero-quantity purchase: nothing billed',
    subscription: sub('P1M', 'monthly', [purchase('2026-06-01', 0)]),
    period: '2026-06',
    segments: [],
    total: '0',
    cents: '0.00',
  },
  {
    name: 'a period before the purchase: nothing billed',
    subscription: sub('P1M', 'monthly', [purchase('2026-06-10', 10)]),
    period: '2026-05',
    segments: [],
    total: '0',
    cents: '0.00',
  },
  {
    name: 'annual term billed monthly: 10 × 10 × 17/31 = 1,700/31 = 54.8387096774 in the purchase month',
    subscription: sub('P1Y', 'monthly', [purchase('2026-03-15', 10)]),
    period: '2026-03',
    segments: [seg('2026-03-15', '2026-03-31', 17, 31, 10, '54.8387096774', 'purchase')],
    total: '54.8387096774',
    cents: '54.84',
  },

  // ── up-front billing: the whole cycle on its first day, changes prorated over the days left ──
  {
    name: 'annual up front: 10 seats × 120.00 charged in full at purchase (cycle 2026-03-15…2027-03-14, 365 days)',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120')]),
    period: '2026-03',
    segments: [seg('2026-03-15', '2027-03-14', 365, 365, 10, '1200', 'purchase')],
    total: '1200',
    cents: '1200.00',
  },
  {
    name: 'annual up front: nothing in the following months',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120')]),
    period: '2026-04',
    segments: [],
    total: '0',
    cents: '0.00',
  },
  {
    // days left 15 Sep 2026 … 14 Mar 2027: 16 + 31 + 30 + 31 + 31 + 28 + 14 = 181; 2 × 120 × 181/365 = 43,440/365
    name: 'annual up front: +2 seats mid-term prorated over the days left in the term year',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120'), { type: 'add', date: '2026-09-15', delta: 2 }]),
    period: '2026-09',
    segments: [seg('2026-09-15', '2027-03-14', 181, 365, 2, '119.0136986301', 'add')],
    total: '119.0136986301',
    cents: '119.01',
  },
  {
    // cycle 15 Jan 2024 … 14 Jan 2025 holds 29 Feb 2024: 366 days. Days left from 15 Jul 2024:
    // 17 + 31 + 30 + 31 + 30 + 31 + 14 = 184; 1 × 120 × 184/366 = 22,080/366
    name: 'annual up front across a leap day: a 366-day cycle',
    subscription: sub('P1Y', 'annual', [purchase('2024-01-15', 10, '120'), { type: 'add', date: '2024-07-15', delta: 1 }]),
    period: '2024-07',
    segments: [seg('2024-07-15', '2025-01-14', 184, 366, 1, '60.3278688525', 'add')],
    total: '60.3278688525',
    cents: '60.33',
  },
  {
    // +1,200.00; −2 × 120 × 362/365 = −86,880/365 = −238.0273972603 (days 18 Mar 2026 … 14 Mar 2027 = 365 − 3)
    // net 961.9726027397 = 8 × 120 + 2 × 120 × 3/365
    name: 'annual up front: 2 seats removed 3 days after purchase, credited for the 362 days not used',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120'), { type: 'remove', date: '2026-03-18', delta: 2 }]),
    period: '2026-03',
    segments: [seg('2026-03-15', '2027-03-14', 365, 365, 10, '1200', 'purchase'), seg('2026-03-18', '2027-03-14', 362, 365, -2, '-238.0273972603', 'remove')],
    total: '961.9726027397',
    cents: '961.97',
  },
  {
    name: 'annual up front: cancelled on the purchase day, nothing charged',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120'), { type: 'cancel', date: '2026-03-15' }]),
    period: '2026-03',
    segments: [],
    total: '0',
    cents: '0.00',
  },
  {
    // +1,200.00; −10 × 120 × 363/365 = −1,193.4246575342; net = 10 × 120 × 2/365 = 6.5753424658
    name: 'annual up front: cancelled 2 days after purchase, the 2 days used are kept',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120'), { type: 'cancel', date: '2026-03-17' }]),
    period: '2026-03',
    segments: [seg('2026-03-15', '2027-03-14', 365, 365, 10, '1200', 'purchase'), seg('2026-03-17', '2027-03-14', 363, 365, -10, '-1193.4246575342', 'cancel')],
    total: '6.5753424658',
    cents: '6.58',
  },
  {
    name: 'annual up front renewal: the new year charged in full at the new price, 10 × 132 = 1,320.00',
    subscription: sub('P1Y', 'annual', [purchase('2025-03-15', 10, '120'), { type: 'renew', date: '2026-03-15', unitPrice: d('132') }]),
    period: '2026-03',
    segments: [seg('2026-03-15', '2027-03-14', 365, 365, 10, '1320', 'renew')],
    total: '1320',
    cents: '1320.00',
  },
  {
    // 15 Sep … 14 Mar = 181 days: −10 × 120 × 181/365 = −595.0684931507; +10 × 240 × 181/365 = 1,190.1369863014
    name: 'annual up front upgrade: the old SKU credited and the new SKU charged for the days left',
    subscription: sub('P1Y', 'annual', [
      purchase('2026-03-15', 10, '120', 'M365-BS'),
      { type: 'upgrade', date: '2026-09-15', newSku: 'M365-BP', unitPrice: d('240') },
    ]),
    period: '2026-09',
    segments: [
      seg('2026-09-15', '2027-03-14', 181, 365, -10, '-595.0684931507', 'upgrade', 'M365-BS'),
      seg('2026-09-15', '2027-03-14', 181, 365, 10, '1190.1369863014', 'upgrade', 'M365-BP'),
    ],
    total: '595.0684931507',
    cents: '595.07',
  },
  {
    name: 'annual up front suspension: the days left are credited, −10 × 120 × 181/365',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120'), { type: 'suspend', date: '2026-09-15' }, { type: 'reactivate', date: '2026-10-15' }]),
    period: '2026-09',
    segments: [seg('2026-09-15', '2027-03-14', 181, 365, -10, '-595.0684931507', 'suspend')],
    total: '-595.0684931507',
    cents: '-595.07',
  },
  {
    // 15 Oct 2026 … 14 Mar 2027: 17 + 30 + 31 + 31 + 28 + 14 = 151 days; 10 × 120 × 151/365 = 181,200/365.
    // Over both months: −595.07 + 496.44 = −98.63 = −10 × 120 × 30/365, the 30 suspended days.
    name: '… and charged again from reactivation',
    subscription: sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120'), { type: 'suspend', date: '2026-09-15' }, { type: 'reactivate', date: '2026-10-15' }]),
    period: '2026-10',
    segments: [seg('2026-10-15', '2027-03-14', 151, 365, 10, '496.4383561644', 'reactivate')],
    total: '496.4383561644',
    cents: '496.44',
  },
  {
    // cycle 15 Mar 2026 … 14 Mar 2029 = 365 + 365 + 366 (29 Feb 2028) = 1,096 days
    name: 'triennial up front: the whole 3-year term at purchase, 5 × 900 = 4,500.00',
    subscription: sub('P3Y', 'triennial', [purchase('2026-03-15', 5, '900')]),
    period: '2026-03',
    segments: [seg('2026-03-15', '2029-03-14', 1096, 1096, 5, '4500', 'purchase')],
    total: '4500',
    cents: '4500.00',
  },
  {
    // days left 15 Mar 2027 … 14 Mar 2029 = 366 + 365 = 731; 1 × 900 × 731/1,096 = 657,900/1,096
    name: 'triennial up front: +1 seat in year two prorated over the 3-year cycle',
    subscription: sub('P3Y', 'triennial', [purchase('2026-03-15', 5, '900'), { type: 'add', date: '2027-03-15', delta: 1 }]),
    period: '2027-03',
    segments: [seg('2027-03-15', '2029-03-14', 731, 1096, 1, '600.2737226277', 'add')],
    total: '600.2737226277',
    cents: '600.27',
  },
  {
    // second yearly cycle 15 Mar 2027 … 14 Mar 2028 holds 29 Feb 2028: 366 days; charged 10 × 120
    name: 'triennial term billed annually: the yearly cycle charge',
    subscription: sub('P3Y', 'annual', [purchase('2026-03-15', 10, '120')]),
    period: '2027-03',
    segments: [seg('2027-03-15', '2028-03-14', 366, 366, 10, '1200', 'cycle')],
    total: '1200',
    cents: '1200.00',
  },
];

describe('prorateByDay: hand-computed cases', () => {
  it.each(cases)('$name', ({ subscription, period, segments, total, cents }) => {
    const result = prorateByDay(subscription, period);
    expect(result.subscriptionId).toBe(subscription.id);
    expect(result.period).toBe(period);
    expect(
      result.segments.map((s) => ({ from: s.from, to: s.to, days: s.days, daysInCycle: s.daysInCycle, quantity: s.quantity, reason: s.reason })),
    ).toEqual(segments.map((s) => ({ from: s.from, to: s.to, days: s.days, daysInCycle: s.daysInCycle, quantity: s.quantity, reason: s.reason })));
    segments.forEach((expected, i) => {
      expectAmount(result.segments[i]?.amount, expected.amount);
      if (expected.sku) expect(result.segments[i]?.sku).toBe(expected.sku);
    });
    expectAmount(result.total, total);
    expect(result.total.toFixed(2)).toBe(cents);
  });

  it('counts at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });
});

describe('prorateByDay: segment shape and notes', () => {
  it('returns a complete, serialisable segment', () => {
    const result = prorateByDay(sub('P1M', 'monthly', [purchase('2026-06-16', 5)]), '2026-06');
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      subscriptionId: 'sub-1',
      period: '2026-06',
      segments: [
        {
          subscriptionId: 'sub-1',
          sku: 'M365-BS',
          from: '2026-06-16',
          to: '2026-06-30',
          days: 15,
          daysInCycle: 30,
          quantity: 5,
          unitPrice: '10',
          amount: '25', // 5 × 10 × 15 ÷ 30
          reason: 'purchase',
          chargedOn: '2026-06-16',
        },
      ],
      total: '25',
      notes: [],
    });
  });

  it('notes a cancel deferred to term end, and the end itself', () => {
    const s = sub('P1Y', 'monthly', [purchase('2026-01-10', 10), { type: 'cancel', date: '2026-06-15' }]);
    expect(prorateByDay(s, '2026-06').notes).toEqual([
      'Cancel on 2026-06-15 is more than 7 days after the term started on 2026-01-10: the term is billed in full and the subscription ends on 2027-01-09',
    ]);
    expect(prorateByDay(s, '2027-01').notes).toEqual(['Subscription sub-1 ended on 2027-01-09, the end of its term']);
    expect(prorateByDay(s, '2027-02').segments).toEqual([]);
  });

  it('records the up-front charge day on a segment reaching past the period', () => {
    const [segment] = prorateByDay(sub('P1Y', 'annual', [purchase('2026-03-15', 10, '120'), { type: 'add', date: '2026-09-15', delta: 2 }]), '2026-09').segments;
    expect(segment?.chargedOn).toBe('2026-09-15');
    expect(segment?.to).toBe('2027-03-14');
  });
});

describe('prorateByDay: rejected events', () => {
  function code(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (e) {
      return e instanceof EngineError ? e.code : 'not an EngineError';
    }
    return undefined;
  }

  it('rejects a decrease of seats bought more than 7 days earlier', () => {
    const s = sub('P1Y', 'monthly', [purchase('2026-01-10', 10), { type: 'remove', date: '2026-06-10', delta: 2 }]);
    expect(code(() => prorateByDay(s, '2026-06'))).toBe('decrease_outside_refund_window');
    expect(() => prorateByDay(s, '2026-06')).toThrow(
      'Subscription sub-1: cannot remove 2 seat(s) on 2026-06-10: only 0 seat(s) were purchased, renewed or added within the 7-day window (on or after 2026-06-03); other seats can only be reduced at renewal',
    );
  });

  it('rejects a decrease on the 8th day after the add', () => {
    const s = sub('P1Y', 'monthly', [purchase('2026-01-10', 10), { type: 'add', date: '2026-06-01', delta: 3 }, { type: 'remove', date: '2026-06-09', delta: 3 }]);
    expect(code(() => prorateByDay(s, '2026-06'))).toBe('decrease_outside_refund_window');
  });

  it('allows removing only the seats added inside the window', () => {
    const s = sub('P1Y', 'monthly', [purchase('2026-01-10', 10), { type: 'add', date: '2026-06-01', delta: 3 }, { type: 'remove', date: '2026-06-03', delta: 5 }]);
    expect(() => prorateByDay(s, '2026-06')).toThrow(/cannot remove 5 seat\(s\) on 2026-06-03: only 3 seat\(s\)/);
  });

  it('validates the event stream even when the bad event is in an earlier period', () => {
    const s = sub('P1Y', 'monthly', [purchase('2026-01-10', 10), { type: 'remove', date: '2026-03-10', delta: 1 }]);
    expect(code(() => prorateByDay(s, '2026-06'))).toBe('decrease_outside_refund_window');
  });

  it.each([
    ['a renewal off the term boundary (the term already renewed itself on 2026-06-16)', sub('P1Y', 'monthly', [purchase('2025-06-16', 10), { type: 'renew', date: '2026-06-20' }]), /renew on 2026-06-20 is not a term boundary: the current term ends on 2027-06-15, so a renewal is dated 2027-06-16/],
    ['an event after the subscription ended', sub('P1M', 'monthly', [purchase('2026-06-10', 10), { type: 'cancel', date: '2026-06-11' }, { type: 'add', date: '2026-06-20', delta: 1 }]), /add on 2026-06-20 comes after the subscription ended/],
    ['a stream that does not start with the purchase', sub('P1M', 'monthly', [{ type: 'add', date: '2026-06-01', delta: 1 }, purchase('2026-06-10', 10)]), /first event must be the purchase/],
    ['a monthly term billed annually', sub('P1M', 'annual', [purchase('2026-06-10', 10)]), /a P1M term cannot be billed annual/],
    ['suspending twice', sub('P1M', 'monthly', [purchase('2026-06-10', 10), { type: 'suspend', date: '2026-06-12' }, { type: 'suspend', date: '2026-06-13' }]), /already suspended/],
    ['reactivating an active subscription', sub('P1M', 'monthly', [purchase('2026-06-10', 10), { type: 'reactivate', date: '2026-06-12' }]), /is not suspended/],
    ['an add of zero seats', sub('P1M', 'monthly', [purchase('2026-06-10', 10), { type: 'add', date: '2026-06-12', delta: 0 }]), /add on 2026-06-12 needs a whole delta ≥ 1, got 0/],
    ['a fractional seat count', sub('P1M', 'monthly', [purchase('2026-06-10', 2.5)]), /needs a whole quantity/],
    ['removing more seats than held', sub('P1M', 'monthly', [purchase('2026-06-10', 2), { type: 'remove', date: '2026-06-11', delta: 3 }]), /exceeds the 2 seats held/],
  ] as const)('rejects %s', (_name, subscription, message) => {
    expect(() => prorateByDay(subscription, '2026-06')).toThrow(message);
  });
});
