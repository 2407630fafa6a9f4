/**
 * Subscriptions with a life of their own: trials, conversions, cancellations inside
 * the 7-day window, suspensions, triennial terms and service credits, checked against
 * Microsoft's documented values (test/fixtures/vendor/partner-center.json) and against
 * figures worked by hand from the documented proration rule
 * (EffectiveUnitPrice = UnitPrice ÷ days of the month the cycle began × days billed;
 * Subtotal = ROUNDDOWN(EffectiveUnitPrice × rate, 2) × BillableQuantity).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortfolio } from '../../../src/sandbox/partner-center/portfolio.ts';
import { startPartnerCenterSandbox, type PartnerCenterSandbox } from '../../../src/sandbox/partner-center/index.ts';
import { getAllPages, PC_RESOURCE, token } from './partner-center-client.ts';
import { facts } from './vendor-facts.ts';

type Item = Record<string, unknown>;

const options = { seed: 11, customers: 12, lifecycleShare: 1, period: '2026-08', days: 31 };
const now = new Date('2026-09-05T12:00:00Z');
let sandbox: PartnerCenterSandbox;
let pc: string;
let subscriptions: Item[];
let augustUsd: Item[];

beforeAll(async () => {
  sandbox = await startPartnerCenterSandbox({ ...options, now });
  pc = await token(sandbox, PC_RESOURCE);
  subscriptions = [];
  for (const customer of sandbox.portfolio.customers) {
    const res = await fetch(`${sandbox.partnerCenterUrl}/v1/customers/${customer.id}/subscriptions`, { headers: { authorization: `Bearer ${pc}` } });
    subscriptions.push(...((await res.json()) as { items: Item[] }).items.filter((s) => s.billingType === 'license'));
  }
  const lines = await getAllPages<Item>(
    sandbox,
    pc,
    `${sandbox.partnerCenterUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&currencycode=USD&period=previous&size=2000`,
  );
  augustUsd = lines.items;
});
afterAll(() => sandbox.close());

const bySubscription = (prefix: string) => subscriptions.find((s) => String(s.id).startsWith(prefix));
const linesOf = (prefix: string) => augustUsd.filter((l) => String(l.subscriptionId).startsWith(prefix));

describe('subscription states', () => {
  it('include suspended, deleted and expired subscriptions, trials and triennial terms, all spelled as Microsoft documents them', () => {
    const statuses = new Set(subscriptions.map((s) => s.status));
    for (const status of ['active', 'suspended', 'deleted', 'expired']) expect(statuses).toContain(status);
    for (const status of statuses) expect(facts.subscriptions.statuses).toContain(status);
    const terms = new Set(subscriptions.map((s) => s.termDuration));
    expect(terms).toEqual(new Set(['P1M', 'P1Y', 'P3Y']));
    for (const term of terms) expect(facts.subscriptions.termDurations).toContain(term);
    expect(subscriptions.some((s) => s[facts.subscriptions.trialFlag] === true)).toBe(true);
  });

  it('reports a suspension with its reason, and a cancellation as deleted', () => {
    // Suspended on 2026-08-16, bought 2026-08-15.
    expect(bySubscription('e46ec9bc')).toMatchObject({ status: 'suspended', suspensionReasons: ['PartnerInitiated'] });
    // Bought 2026-08-03, cancelled 2026-08-05.
    expect(bySubscription('b138affe')).toMatchObject({ status: 'deleted', suspensionReasons: [] });
  });

  it('shows a trial that ran 2026-07-05 to 2026-08-04 without converting as an expired trial', () => {
    expect(bySubscription('1586c19e')).toMatchObject({ isTrial: true, status: 'expired', quantity: 25, commitmentEndDate: '2026-08-04T00:00:00Z', autoRenewEnabled: false });
  });
});

describe('charge types of the lifecycle', () => {
  it('are among the documented new-commerce charge types, and include convert, cancelImmediate and customerCredit', async () => {
    const all: Item[] = [];
    for (const currency of ['USD', 'EUR', 'GBP']) {
      const { items } = await getAllPages<Item>(
        sandbox,
        pc,
        `${sandbox.partnerCenterUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&currencycode=${currency}&period=previous&size=2000`,
      );
      all.push(...items);
    }
    const chargeTypes = new Set(all.map((l) => l.chargeType));
    for (const expected of ['new', 'cycleCharge', 'addQuantity', 'removeQuantity', 'convert', 'cancelImmediate', 'customerCredit']) expect(chargeTypes).toContain(expected);
    for (const chargeType of chargeTypes) expect(facts.licenseChargeTypes.values).toContain(chargeType);
  });

  it('refunds a cancellation inside the window from the cancel day to the end of the cycle', () => {
    // 16 seats at USD 26.40 a month bought 2026-08-03 (cycle 08-03..09-02, August: 31 days),
    // cancelled 2026-08-05: 29 days refunded. 26.40 / 31 × 29 = 24.696774; ROUNDDOWN(-24.696774, 2) × 16 = -395.04.
    const lines = linesOf('b138affe');
    expect(lines.map((l) => [l.chargeType, Number(l.quantity)])).toEqual([
      ['new', 16],
      ['cancelImmediate', 16],
    ]);
    expect(String(lines[0]?.subtotal)).toBe('422.4');
    expect(lines[1]).toMatchObject({ chargeStartDate: '2026-08-05T00:00:00Z', chargeEndDate: '2026-09-02T00:00:00Z' });
    expect(String(lines[1]?.effectiveUnitPrice)).toBe('-24.696774');
    expect(String(lines[1]?.subtotal)).toBe('-395.04');
  });

  it('bills a converted trial from its conversion day as convert instead of new', () => {
    // 25 seats at USD 57.00 a month, converted 2026-08-15.
    const lines = linesOf('92c0d4ac');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ chargeType: 'convert', chargeStartDate: '2026-08-15T00:00:00Z', chargeEndDate: '2026-09-14T00:00:00Z' });
    expect(String(lines[0]?.subtotal)).toBe('1425');
  });

  it('gives a service credit as one negative customerCredit line with its reason', () => {
    // A tenth of one seat at USD 43.20 a month: -4.32 on 2026-08-23.
    const credit = linesOf('29004e06').find((l) => l.chargeType === 'customerCredit');
    expect(credit).toMatchObject({ chargeStartDate: '2026-08-23T00:00:00Z', chargeEndDate: '2026-08-23T00:00:00Z', creditReasonCode: 'Service level agreement credit', billingFrequency: '' });
    expect(String(credit?.subtotal)).toBe('-4.32');
    expect(Number(credit?.quantity)).toBe(1);
  });

  it('bills nothing for a running or expired trial', () => {
    expect(linesOf('1586c19e')).toEqual([]);
  });

  it('writes the triennial term into TermAndBillingCycle and the three-year subscription dates', () => {
    // Bought 2024-09-10 for three years, billed monthly; 33 seats, 35 from 2026-08-04.
    const cycle = linesOf('947b995b').find((l) => l.chargeType === 'cycleCharge');
    expect(cycle).toMatchObject({
      termAndBillingCycle: 'Three-Year commitment for monthly/yearly billing',
      subscriptionStartDate: '2024-09-10T00:00:00Z',
      subscriptionEndDate: '2027-09-09T00:00:00Z',
    });
  });
});

describe('the lifecycle draw', () => {
  it('leaves every other subscription exactly as it is without it', () => {
    const at = new Date('2026-09-05T12:00:00Z');
    const without = createPortfolio({ ...options, lifecycleShare: 0 }, at);
    const withSome = createPortfolio({ ...options, lifecycleShare: 0.5 }, at);
    let untouched = 0;
    withSome.customers.forEach((customer, i) =>
      customer.licenseSubscriptions.forEach((sub, j) => {
        const plain = without.customers[i]?.licenseSubscriptions[j];
        if (sub.lifecycle.kind === 'plain' && sub.termDuration === plain?.termDuration) {
          expect(sub).toEqual(plain);
          untouched++;
        }
      }),
    );
    expect(untouched).toBeGreaterThan(10);
  });
});
