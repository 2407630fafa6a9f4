import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePeriod } from '../../../src/sandbox/partner-center/calendar.ts';
import {
  createPortfolio,
  LicenseLineSource,
  startPartnerCenterSandbox,
  UsageLineSource,
  type LineRecord,
  type PartnerCenterSandbox,
  type UsageScope,
} from '../../../src/sandbox/partner-center/index.ts';
import { WRITERS } from '../../../src/sandbox/partner-center/writers.ts';
import { getAllPages, PC_RESOURCE, token } from './partner-center-client.ts';

const NOW = new Date('2026-10-20T00:00:00Z');
const SEPTEMBER = parsePeriod('2026-09');
const portfolio = createPortfolio(
  { seed: 21, customers: 12, subscriptionsPerCustomer: 6, licenseShare: 0.5, resourcesPerSubscription: 15, period: '2026-09', tagCoverage: 0.4, foreignCurrencyShare: 0.5, seatChangeShare: 0.8 },
  NOW,
);
const scope = (currency: 'USD' | 'EUR' | 'GBP'): UsageScope => ({ billingMonth: SEPTEMBER, currency, asOfMs: NOW.getTime(), invoiceNumber: '' });
const dec = (v: unknown) => new Decimal(String(v));

describe('usage lines', () => {
  it('renders exactly what records() holds, in every format', () => {
    const source = new UsageLineSource(portfolio, scope('USD'));
    const records = [...source.records(0, 400)];
    expect(records).toHaveLength(400);
    for (const writer of [WRITERS.usageApi, WRITERS.usageBlobFull, WRITERS.usageBlobBasic]) {
      expect([...source.rendered(writer, 0, 400)]).toEqual(records.map((r) => writer.write(r)));
    }
    // Starting mid-way gives the same lines as slicing.
    expect([...source.rendered(WRITERS.usageApi, 123, 170)]).toEqual(records.slice(123, 170).map((r) => WRITERS.usageApi.write(r)));
  });

  it('prices every line by the documented formulas, with PEC at 15 % and EUP never above list', () => {
    for (const currency of portfolio.currencies()) {
      for (const l of new UsageLineSource(portfolio, scope(currency)).records()) {
        const unitPrice = dec(l.UnitPrice);
        const eup = dec(l.EffectiveUnitPrice);
        const pec = dec(l.PartnerEarnedCreditPercentage);
        expect(eup.eq(unitPrice.times(new Decimal(100).minus(pec)).div(100))).toBe(true);
        expect(eup.lte(unitPrice)).toBe(true);
        const expected = eup.times(dec(l.Quantity)).times(dec(l.PCToBCExchangeRate)).toDecimalPlaces(2, Decimal.ROUND_DOWN);
        expect(dec(l.BillingPreTaxTotal).eq(expected)).toBe(true);
        expect(l.BillingCurrency).toBe(currency);
      }
    }
  });

  it('uses rate 1 for USD customers and a non-1 rate for EUR and GBP ones', () => {
    expect(portfolio.currencies().length).toBeGreaterThan(1);
    for (const currency of portfolio.currencies()) {
      const first = new UsageLineSource(portfolio, scope(currency)).records().next().value as LineRecord | undefined;
      if (!first) continue;
      expect(dec(first.PCToBCExchangeRate).eq(1)).toBe(currency === 'USD');
    }
  });

  it('tags exactly the tagCoverage share of each Azure subscription’s resources', () => {
    for (const customer of portfolio.customers) {
      const resources = portfolio.resources(customer);
      for (const entitlement of customer.azurePlan?.entitlements ?? []) {
        const own = resources.filter((r) => r.entitlement.id === entitlement.id);
        expect(own.filter((r) => r.tags).length).toBe(Math.round(15 * 0.4));
        for (const r of own.filter((x) => x.tags)) expect(Object.keys(r.tags ?? {})).toEqual(['costCenter', 'project']);
      }
    }
  });

  it('spreads resources over resource groups and meter categories', () => {
    const all = portfolio.customers.flatMap((c) => portfolio.resources(c));
    expect(new Set(all.map((r) => r.meter.meterCategory)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(all.map((r) => r.resourceGroup)).size).toBeGreaterThanOrEqual(5);
  });
});

describe('licence lines', () => {
  const lines = portfolio.currencies().flatMap((c) => [...new LicenseLineSource(portfolio, scope(c)).records()]);

  it('pairs every seat change as refund + charge with one ReferenceId', () => {
    const changes = lines.filter((l) => l.ChargeType === 'addQuantity' || l.ChargeType === 'removeQuantity');
    expect(changes.length).toBeGreaterThan(0);
    const byReference = new Map<string, LineRecord[]>();
    for (const l of changes) byReference.set(String(l.ReferenceId), [...(byReference.get(String(l.ReferenceId)) ?? []), l]);
    for (const pair of byReference.values()) {
      expect(pair).toHaveLength(2);
      const [refund, charge] = pair as [LineRecord, LineRecord];
      expect(dec(refund.EffectiveUnitPrice).isNegative()).toBe(true);
      expect(dec(charge.EffectiveUnitPrice).eq(dec(refund.EffectiveUnitPrice).negated())).toBe(true);
      expect(refund.ChargeStartDate).toBe(charge.ChargeStartDate);
      expect(refund.ChargeEndDate).toBe(charge.ChargeEndDate);
    }
    expect(changes.some((l) => l.ChargeType === 'removeQuantity')).toBe(true);
  });

  it('computes Subtotal = ROUNDDOWN(EUP × PCToBC, 2) × BillableQuantity on every line', () => {
    for (const l of lines) {
      const expected = dec(l.EffectiveUnitPrice).times(dec(l.PCToBCExchangeRate)).toDecimalPlaces(2, Decimal.ROUND_DOWN).times(dec(l.BillableQuantity));
      expect(dec(l.Subtotal).eq(expected)).toBe(true);
      expect(dec(l.TotalForCustomer).eq(dec(l.Subtotal).plus(dec(l.TaxTotal)))).toBe(true);
    }
    expect(lines.some((l) => l.ChargeType === 'cycleCharge' || l.ChargeType === 'renew')).toBe(true);
  });
});

describe('v1 line items over HTTP', () => {
  let sandbox: PartnerCenterSandbox;
  beforeAll(async () => {
    sandbox = await startPartnerCenterSandbox({ seed: 4, customers: 5, resourcesPerSubscription: 30, subscriptionsPerCustomer: 5, period: '2026-09', now: NOW, foreignCurrencyShare: 0 });
  });
  afterAll(() => sandbox.close());

  it('pages unbilled daily rated usage 2,000 at a time and covers every line exactly once', async () => {
    const bearer = await token(sandbox, PC_RESOURCE);
    const first = `${sandbox.partnerCenterUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=USD&period=previous&size=2000`;
    const { items, pages } = await getAllPages<Record<string, unknown>>(sandbox, bearer, first);
    const expected = new UsageLineSource(sandbox.portfolio, { billingMonth: SEPTEMBER, currency: 'USD', asOfMs: NOW.getTime(), invoiceNumber: '' }).total();
    expect(items).toHaveLength(expected);
    expect(pages).toBe(Math.ceil(expected / 2000));
    expect(new Set(items.map((l) => `${String(l.resourceUri)}|${String(l.usageDate)}`)).size).toBe(expected);
    expect(items[0]).toMatchObject({ billingProvider: 'one_time', invoiceLineItemType: 'usage_line_items', attributes: { objectType: 'DailyRatedUsageLineItem' } });
  });

  it('serves licence lines of a closed invoice with its number', async () => {
    const bearer = await token(sandbox, PC_RESOURCE);
    const invoice = sandbox.portfolio.invoices(NOW.getTime()).find((i) => i.monthIndex === SEPTEMBER);
    if (!invoice) throw new Error('no September invoice');
    const { items } = await getAllPages<Record<string, unknown>>(
      sandbox,
      bearer,
      `${sandbox.partnerCenterUrl}/v1/invoices/${invoice.id}/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000`,
    );
    expect(items.length).toBeGreaterThan(0);
    for (const l of items) expect(l.invoiceNumber).toBe(invoice.id);
  });
});
