import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Decimal } from '../../src/engine/decimal.ts';
import { QUOTE_BUDGET_CHECK_TASK } from '../../src/jobs/crm/budget-check.ts';
import { addProgress } from '../../src/jobs/partner-center/run-progress.ts';
import { dealRow, insertQuote } from '../../src/db/quotes.ts';
import type { QuoteLine } from '../../src/mappings/crm/quote-lines.ts';
import { QUOTE_BUDGET_ALERT, raiseQuoteBudgetAlerts } from '../../src/db/quote-budget-alerts.ts';
import { ingestLicenseRecords, ingestUsageRecords } from '../helpers/ingest-records.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// Hand-checked figures. A won quote: 40 seats of Microsoft 365 Business Standard
// (CFQ7TTC0LDPB:0001) and a 2,000.00 USD monthly Azure budget, thresholds 110 % (2,200.00)
// and 120 % (2,400.00). Microsoft's October 2026: 42 seats on the licence line, and Azure
// usage of 1,200.00 + 1,100.00 = 2,300.00 → 115.00 % of the budget: over 110 %, under 120 %,
// so one warning. Closed with a card at cost + 15 %, the Azure price is
// 1,200.00 × 1.15 + 1,100.00 × 1.15 = 1,380.00 + 1,265.00 = 2,645.00 → 132.25 % of the budget.

const TENANT = 'c0ffee00-0000-4000-8000-000000000022';
const NAME = 'Tailspin Toys';
const SKU = 'CFQ7TTC0LDPB:0001';

async function seedMonth(hub: TestHub): Promise<string> {
  const usage = { CustomerId: TENANT, CustomerName: NAME, Quantity: '1', UnitPrice: '1', EffectiveUnitPrice: '1' };
  await ingestUsageRecords(hub.database, [
    usageRecord({ ...usage, UsageDate: '10/3/2026 0:00', BillingPreTaxTotal: '1200.00', PricingPreTaxTotal: '1200.00' }),
    usageRecord({ ...usage, UsageDate: '10/4/2026 0:00', BillingPreTaxTotal: '1100.00', PricingPreTaxTotal: '1100.00' }),
  ]);
  await ingestLicenseRecords(hub.database, [
    licenseRecord({
      CustomerId: TENANT,
      CustomerName: NAME,
      ChargeType: 'new',
      Quantity: '42',
      BillableQuantity: '42',
      UnitPrice: '12.00',
      EffectiveUnitPrice: '12.00',
      Subtotal: '504.00',
      TotalForCustomer: '504.00',
      Currency: 'USD',
      PricingCurrency: 'USD',
      PCToBCExchangeRate: '1',
      ChargeStartDate: '10/1/2026 0:00',
      ChargeEndDate: '10/31/2026 0:00',
      SubscriptionStartDate: '10/1/2026 0:00',
      SubscriptionEndDate: '9/30/2027 0:00',
    }),
  ]);
  const link = await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('external_id', '=', TENANT).executeTakeFirstOrThrow();
  return link.entity_id;
}

const line = (position: number, kind: 'seat' | 'azure', sku: string | null, quantity: string, price: string, cost: string): QuoteLine => ({
  position,
  lineItemId: `li-${position}`,
  kind,
  sku,
  category: kind === 'seat' ? 'licenses' : 'compute',
  name: kind === 'seat' ? 'Microsoft 365 Business Standard' : 'Azure compute',
  quantity: new Decimal(quantity),
  unitPrice: new Decimal(price),
  discountPerUnit: null,
  discountPercent: null,
  netUnitPrice: new Decimal(price),
  unitCost: new Decimal(cost),
  markupPercent: new Decimal(price).div(cost).minus(1).times(100),
  monthlyAmount: new Decimal(price).times(quantity),
  term: kind === 'seat' ? 'P1Y' : null,
  billingFrequency: 'monthly',
  source: { id: `li-${position}` },
});
// 40 seats at 12.50 (500.00) and Azure compute quoted at 2,000.00 a month: 2,500.00 in all.
const QUOTE_LINES = [line(0, 'seat', SKU, '40', '12.50', '12.00'), line(1, 'azure', null, '1', '2000.00', '1739.13')];

/** The quote as the quote-to-cash job records it, with its pending card (approved here, so a close can price). */
async function seedQuote(hub: TestHub, customerId: string): Promise<string> {
  const send = (url: string, key: string, payload: object) => hub.app.inject({ method: 'POST', url, headers: hub.auth(key), payload });
  const card = await send('/v1/rate-cards', hub.keys.admin, {
    name: 'Quoted margins',
    customerId,
    currency: 'USD',
    effectiveFrom: '2026-09-01',
    justification: 'Won deal',
    rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
  });
  expect(card.statusCode, card.body).toBe(201);
  for (const approver of [hub.keys.sales_ops, hub.keys.finance]) {
    const approved = await send(`/v1/rate-cards/${card.json().id}/versions/1/approve`, approver, {});
    expect(approved.statusCode, approved.body).toBe(200);
  }
  const connection = await hub.ctx.db.insertInto('connections').values({ provider: 'hubspot', name: 'HubSpot', credentials_encrypted: 'x' }).returning('id').executeTakeFirstOrThrow();
  return hub.ctx.db.transaction().execute(async (trx) => {
    const deal = await dealRow(trx, 'hubspot', 'deal-22', connection.id, 'Tailspin Microsoft package');
    await trx.updateTable('deals').set({ customer_id: customerId, latest_revision: 1 }).where('id', '=', deal.id).execute();
    return insertQuote(trx, {
      dealId: deal.id,
      revision: 1,
      customerId,
      currency: 'USD',
      closedAt: new Date('2026-09-28T12:00:00Z'),
      lines: QUOTE_LINES,
      monthlyTotal: new Decimal('2500.00'),
      azureMonthlyBudget: new Decimal('2000.00'),
      mappingVersion: 0,
      mappingSource: null,
      expectedSeats: new Map([[SKU, new Decimal(40)]]),
      rateCardId: card.json().id,
      rateCardVersion: 1,
      fingerprint: 'f1',
      createdBy: 'system:test',
    });
  });
}

const budgetAlerts = (hub: TestHub) => hub.ctx.db.selectFrom('alerts').selectAll().where('kind', '=', QUOTE_BUDGET_ALERT).execute();

describe('GET /v1/reports/quote-variance and the Azure budget alert', () => {
  let hub: TestHub;
  let customerId: string;
  let quoteId: string;
  beforeAll(async () => {
    hub = await createTestHub();
    customerId = await seedMonth(hub);
    quoteId = await seedQuote(hub, customerId);
  });
  afterAll(async () => hub?.close());

  const report = async (query: string, key = hub.keys.sales_ops) => hub.app.inject({ method: 'GET', url: `/v1/reports/quote-variance?${query}`, headers: hub.auth(key) });

  it("reports 42 seats against 40 quoted (+2) and 2,300.00 of a 2,000.00 budget (115 %, a warning), no price before the close", async () => {
    const res = await report('period=2026-10');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.flagged).toBe(1);
    expect(body.customers).toHaveLength(1);
    const row = body.customers[0];
    expect(row).toMatchObject({ customerId, customerName: NAME, quoteId, revision: 1, currency: 'USD', seatsSource: 'license_lines' });
    expect(row.seats).toEqual([{ sku: SKU, quoted: '40', microsoft: '42', difference: '2' }]);
    expect(row.azure).toEqual({
      budget: '2000',
      thresholdPercents: [110, 120],
      cost: '2300',
      costCurrencies: ['USD'],
      costPercent: '115.00',
      thresholdsPassed: [{ percent: 110, severity: 'warning' }],
      invoiceId: null,
      price: null,
      pricePercent: null,
    });
    expect(row.flags.map((f: { type: string; severity: string }) => [f.type, f.severity])).toEqual([
      ['seats_above_quote', 'info'],
      ['azure_budget_passed', 'warning'],
    ]);
    expect(row.flags[1].thresholdPercent).toBe(110);
  });

  it('another period has no usage or seats: nothing flagged but the seats below quote', async () => {
    const row = (await report('period=2026-09')).json().customers[0];
    expect(row.seatsSource).toBe('none');
    expect(row.seats).toEqual([{ sku: SKU, quoted: '40', microsoft: '0', difference: '-40' }]);
    expect(row.azure.cost).toBe('0');
    expect(row.azure.thresholdsPassed).toEqual([]);
    expect(row.flags.map((f: { type: string }) => f.type)).toEqual(['seats_below_quote']);
  });

  it('raises one warning alert, told to the notification channels, however often it is checked', async () => {
    const channel = await hub.app.inject({ method: 'POST', url: '/v1/notification-channels', headers: hub.auth(hub.keys.admin), payload: { name: 'Sales', kind: 'webhook', url: 'https://hooks.msp.example/alerts', events: ['alert.raised'] } });
    expect(channel.statusCode, channel.body).toBe(201);
    expect(await raiseQuoteBudgetAlerts(hub.ctx.db, '2026-10', { timeZone: 'UTC' })).toEqual({ checked: 1, raised: 1 });
    expect(await raiseQuoteBudgetAlerts(hub.ctx.db, '2026-10', { timeZone: 'UTC' })).toEqual({ checked: 1, raised: 0 });
    await Promise.all([raiseQuoteBudgetAlerts(hub.ctx.db, '2026-10', { timeZone: 'UTC' }), raiseQuoteBudgetAlerts(hub.ctx.db, '2026-10', { timeZone: 'UTC' })]);
    const alerts = await budgetAlerts(hub);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'warning', status: 'open', customer_id: customerId });
    expect(alerts[0]!.detail).toMatchObject({ period: '2026-10', thresholdPercent: 110, budget: '2000', cost: '2300', costPercent: '115' });
    expect(alerts[0]!.message).toContain('115.00 %');
    const deliveries = await hub.ctx.db.selectFrom('notification_deliveries').selectAll().where('event_id', '=', alerts[0]!.id).execute();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.event_type).toBe('alert.raised');
  });

  it('spend passing 120 % adds one critical alert; the warning is not repeated', async () => {
    const usage = { CustomerId: TENANT, CustomerName: NAME, Quantity: '1', UnitPrice: '1', EffectiveUnitPrice: '1' };
    // 2,300.00 + 100.01 = 2,400.01: over 2,400.00.
    await ingestUsageRecords(hub.database, [usageRecord({ ...usage, UsageDate: '10/20/2026 0:00', BillingPreTaxTotal: '100.01', PricingPreTaxTotal: '100.01' })]);
    expect(await raiseQuoteBudgetAlerts(hub.ctx.db, '2026-10', { timeZone: 'UTC' })).toEqual({ checked: 1, raised: 1 });
    const alerts = await budgetAlerts(hub);
    expect(alerts.map((a) => [a.severity, (a.detail as { thresholdPercent: number }).thresholdPercent]).sort()).toEqual([
      ['critical', 120],
      ['warning', 110],
    ]);
  });

  it('a period that ended before the deal was won (28 September 2026) has no quote to compare', async () => {
    const res = await report('period=2026-08');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ period: '2026-08', customers: [], flagged: 0 });
  });

  it('a Partner Center sync that finishes asks for a check of its period (once, however many finish)', async () => {
    const connection = await hub.ctx.db.insertInto('connections').values({ provider: 'partner-center', name: 'PC', credentials_encrypted: 'x' }).returning('id').executeTakeFirstOrThrow();
    for (let i = 0; i < 2; i++) {
      const run = await hub.ctx.db
        .insertInto('sync_runs')
        .values({ connection_id: connection.id, kind: 'billed', period: '2026-10', trigger: 'manual', status: 'running', pending_jobs: 1 })
        .returning('id')
        .executeTakeFirstOrThrow();
      await addProgress(hub.ctx.db, run.id, { pendingJobs: -1 });
    }
    const { rows } = await sql<{ payload: unknown }>`select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ${QUOTE_BUDGET_CHECK_TASK}`.execute(hub.ctx.db);
    expect(rows.map((r) => r.payload)).toEqual([{ period: '2026-10' }]);
  });

  it('names the bad period, and keeps portal keys out', async () => {
    const bad = await report('period=2026-13');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('period');
    const portal = await report('period=2026-10', await hub.keyFor(['portal'], customerId));
    expect(portal.statusCode).toBe(403);
  });
});

describe('quote variance at the month-end close', () => {
  let hub: TestHub;
  let customerId: string;
  beforeAll(async () => {
    hub = await createTestHub({ worker: true });
    customerId = await seedMonth(hub);
    await seedQuote(hub, customerId);
  });
  afterAll(async () => hub?.close());

  it("prices Azure from the issued invoice (2,645.00, 132.25 %), shows the flags in the close report, and the close's check raises the alert once", async () => {
    const run = await hub.app.inject({ method: 'POST', url: '/v1/billing-runs', headers: hub.auth(hub.keys.billing_ops), payload: { period: '2026-10' } });
    expect(run.statusCode, run.body).toBe(202);
    const runId = run.json().id as string;
    let view: { status: string; report: { quoteVariance?: { customers: number; flagged: number; flaggedCustomers: { customerId: string; azure: Record<string, unknown> }[] } } } = { status: '', report: {} };
    for (let i = 0; i < 300 && !['succeeded', 'partial', 'failed'].includes(view.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = (await hub.app.inject({ method: 'GET', url: `/v1/billing-runs/${runId}?customers=false`, headers: hub.auth(hub.keys.finance) })).json();
    }
    expect(view.status).toBe('succeeded');
    const invoice = await hub.ctx.db.selectFrom('invoices').select('id').where('customer_id', '=', customerId).where('status', '=', 'issued').executeTakeFirstOrThrow();
    expect(view.report.quoteVariance).toMatchObject({ customers: 1, flagged: 1 });
    expect(view.report.quoteVariance!.flaggedCustomers[0]!.azure).toMatchObject({ cost: '2300', costPercent: '115.00', invoiceId: invoice.id, price: '2645', pricePercent: '132.25' });

    for (let i = 0; i < 100 && (await budgetAlerts(hub)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const alerts = await budgetAlerts(hub);
    expect(alerts.map((a) => a.severity)).toEqual(['warning']);
  });

  it("after the close, Microsoft's revised lines replace the frozen ones: the newest revision counts", async () => {
    const revised = (total: string) =>
      usageRecord({ CustomerId: TENANT, CustomerName: NAME, Quantity: '1', UnitPrice: '1', EffectiveUnitPrice: '1', UsageDate: '10/3/2026 0:00', BillingPreTaxTotal: total, PricingPreTaxTotal: total });
    const azure = async () => (await hub.app.inject({ method: 'GET', url: '/v1/reports/quote-variance?period=2026-10', headers: hub.auth(hub.keys.finance) })).json().customers[0].azure;
    // 1,200.00 revised to 1,250.00: 1,250.00 + 1,100.00 = 2,350.00 → 117.50 %.
    await ingestUsageRecords(hub.database, [revised('1250.00')]);
    expect(await azure()).toMatchObject({ cost: '2350', costPercent: '117.50', price: '2645' });
    // Revised again to 1,300.00: 2,400.00 → exactly 120.00 %, on the critical threshold, not over it.
    await ingestUsageRecords(hub.database, [revised('1300.00')]);
    expect(await azure()).toMatchObject({ cost: '2400', costPercent: '120.00', thresholdsPassed: [{ percent: 110, severity: 'warning' }] });
    const late = await hub.ctx.db.selectFrom('usage_lines').select(['supersedes_id']).where('customer_id', '=', customerId).where('late', '=', true).execute();
    expect(late).toHaveLength(2);
    expect(late.every((l) => l.supersedes_id !== null)).toBe(true);
  });
});

describe('quote variance from subscriptions, and usage billed in another currency', () => {
  let hub: TestHub;
  let customerId: string;
  beforeAll(async () => {
    hub = await createTestHub();
    // Microsoft bills this customer's Azure in EUR; the quote is in USD.
    await ingestUsageRecords(hub.database, [
      usageRecord({ CustomerId: TENANT, CustomerName: NAME, UsageDate: '11/3/2026 0:00', BillingPreTaxTotal: '3000.00', BillingCurrency: 'EUR', PCToBCExchangeRate: '0.92' }),
    ]);
    customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('external_id', '=', TENANT).executeTakeFirstOrThrow()).entity_id;
    // No licence line yet for November: 30 + 8 active seats of the SKU, 5 suspended ones not counted.
    const sub = (quantity: number, status: string, n: number) => ({ customer_id: customerId, offer_id: `${SKU}:CFQ7TTC0K9ZQ`, sku_id: '0001', quantity, status, friendly_name: `sub ${n}` });
    await hub.ctx.db.insertInto('subscriptions').values([sub(30, 'active', 1), sub(8, 'active', 2), sub(5, 'suspended', 3)]).execute();
    await seedQuote(hub, customerId);
  });
  afterAll(async () => hub?.close());

  it("counts the active subscriptions' seats (38, −2) and compares no amounts across currencies; no alert", async () => {
    const res = await hub.app.inject({ method: 'GET', url: '/v1/reports/quote-variance?period=2026-11', headers: hub.auth(hub.keys.auditor) });
    expect(res.statusCode, res.body).toBe(200);
    const row = res.json().customers[0];
    expect(row.seatsSource).toBe('subscriptions');
    expect(row.seats).toEqual([{ sku: SKU, quoted: '40', microsoft: '38', difference: '-2' }]);
    expect(row.azure).toMatchObject({ cost: null, costCurrencies: ['EUR'], costPercent: null, thresholdsPassed: [] });
    expect(row.flags.map((f: { type: string }) => f.type)).toEqual(['seats_below_quote', 'azure_currency_differs']);
    expect(await raiseQuoteBudgetAlerts(hub.ctx.db, '2026-11', { timeZone: 'UTC' })).toEqual({ checked: 1, raised: 0 });
  });
});
