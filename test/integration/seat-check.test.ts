import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPeriodLines } from '../../src/db/billing-lines.ts';
import { loadSeatSubscriptions } from '../../src/db/seat-subscriptions.ts';
import { upsertSubscriptions } from '../../src/db/subscriptions.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import { ingestLicenseRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';

// The close's seat check end to end: subscriptions and their events written as a Partner
// Center sync writes them, Microsoft's licence lines ingested as a billed sync stores them,
// a real worker closing June 2026 (30 days). Figures are hand-checked.
//
// - Fabrikam: 10 seats of a 10.00 P1M licence bought 2026-05-01, +5 seen on 2026-06-16.
//   The hub's events: 10 × 30 + 5 × 15 = 375 seat-days, 100.00 + 5 × 10 × 15/30 = 125.00.
//   Microsoft: a 10-seat cycle charge (100.00) and a 5-seat addQuantity line for 15 of 30
//   days (EffectiveUnitPrice 5.00, 25.00): the same 375 seat-days and 125.00. No finding.
// - Contoso: 10 seats bought 2026-06-03, cancelled 2026-06-10 (inside the 7-day window:
//   the subscription ends that day). The hub's events: 10 × 7 = 70 seat-days, 10 × 10 × 7/30 = 23.33.
//   Microsoft billed the whole cycle 06-03..07-02 and no refund: 10 × 30 = 300 seat-days, 100.00. One finding.

let hub: TestHub;
let worker: RunningWorker;

const TENANT = { a: 'b2c3d4e5-0000-4000-8000-00000000000a', b: 'b2c3d4e5-0000-4000-8000-00000000000b' };
const PC_SUB = { a: '11111111-aaaa-4000-8000-000000000001', b: '22222222-bbbb-4000-8000-000000000002' };
const ids = { a: '', b: '' };
const subs = { a: '', b: '' };
let connectionId = '';

function send(method: 'GET' | 'POST', url: string, payload?: unknown, key = hub.keys.admin) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });
}

function ingestLicenses(records: Record<string, unknown>[]): Promise<void> {
  return ingestLicenseRecords(hub.database, records);
}

/** A USD seat line of 10.00 per seat per month, billed in USD. */
const seatLine = (o: Record<string, unknown>) =>
  licenseRecord({ Currency: 'USD', PricingCurrency: 'USD', PCToBCExchangeRate: '1', PCToBCExchangeRateDate: '6/1/2026 0:00', UnitPrice: '10.00', BillingFrequency: 'Monthly', ...o });

const subscription = (id: string, quantity: number, status: string, effectiveStartDate: string) => ({
  id,
  offerId: 'CFQ7TTC0LDPB:0001:CFQ7TTC0K9ZQ',
  offerName: 'Microsoft 365 Business Standard',
  quantity,
  status,
  billingType: 'license',
  billingCycle: 'Monthly',
  termDuration: 'P1M',
  autoRenewEnabled: true,
  effectiveStartDate,
});

async function sync(customerId: string, subscriptions: ReturnType<typeof subscription>[], seenAt: string): Promise<void> {
  await upsertSubscriptions(hub.ctx.db, { customerId, connectionId, subscriptions, seenAt: new Date(seenAt) }, { actor: 'system:test' });
}

async function approvedCard(customerId: string): Promise<void> {
  const res = await send('POST', '/v1/rate-cards', {
    name: 'Card',
    customerId,
    currency: 'USD',
    effectiveFrom: '2026-01-01',
    justification: 'Agreed prices',
    rounding: { scope: 'line', mode: 'half_up' },
    rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }],
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  expect((await send('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, hub.keys.sales_ops)).statusCode).toBe(200);
  expect((await send('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, hub.keys.finance)).statusCode).toBe(200);
}

async function waitForBillingRun(runId: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await send('GET', `/v1/billing-runs/${runId}`, undefined, hub.keys.finance)).json();
    if (['succeeded', 'partial', 'failed'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`billing run ${runId} still ${run.status}: ${JSON.stringify(run.progress)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  hub = await createTestHub();
  worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 2, crontab: '' });

  await ingestLicenses([
    // Fabrikam: the June cycle charge, and the +5 seats from 06-16 (15 of 30 days: 10 × 15/30 = 5.00 × 5 = 25.00).
    seatLine({ CustomerId: TENANT.a, CustomerName: 'Fabrikam Ltd', SubscriptionId: PC_SUB.a, ChargeType: 'cycleCharge', ChargeStartDate: '6/1/2026 0:00', ChargeEndDate: '6/30/2026 0:00', Quantity: '10', BillableQuantity: '10', EffectiveUnitPrice: '10.00', Subtotal: '100.00', TotalForCustomer: '100.00', ReferenceId: 'f0000000-0000-4000-8000-000000000001' }),
    seatLine({ CustomerId: TENANT.a, CustomerName: 'Fabrikam Ltd', SubscriptionId: PC_SUB.a, ChargeType: 'addQuantity', ChargeStartDate: '6/16/2026 0:00', ChargeEndDate: '6/30/2026 0:00', Quantity: '5', BillableQuantity: '5', EffectiveUnitPrice: '5.000000', Subtotal: '25.00', TotalForCustomer: '25.00', ReferenceId: 'f0000000-0000-4000-8000-000000000002' }),
    // Contoso: the whole first cycle 06-03..07-02 (30 of 30 days), no refund after the cancel.
    seatLine({ CustomerId: TENANT.b, CustomerName: 'Contoso Ltd', SubscriptionId: PC_SUB.b, ChargeType: 'new', ChargeStartDate: '6/3/2026 0:00', ChargeEndDate: '7/2/2026 0:00', Quantity: '10', BillableQuantity: '10', EffectiveUnitPrice: '10.00', Subtotal: '100.00', TotalForCustomer: '100.00', ReferenceId: 'f0000000-0000-4000-8000-000000000003' }),
  ]);
  const customers = await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
  for (const key of ['a', 'b'] as const) ids[key] = customers.find((c) => c.external_id === TENANT[key])!.entity_id;

  connectionId = (
    await hub.ctx.db.insertInto('connections').values({ provider: 'partner-center', name: 'Seat check test', credentials_encrypted: 'unused' }).returning('id').executeTakeFirstOrThrow()
  ).id;
  // Fabrikam: bought with 10 seats (the purchase is dated its effectiveStartDate), 15 seen on 06-16.
  await sync(ids.a, [subscription(PC_SUB.a, 10, 'active', '2026-05-01T00:00:00Z')], '2026-05-01T10:00:00Z');
  await sync(ids.a, [subscription(PC_SUB.a, 15, 'active', '2026-05-01T00:00:00Z')], '2026-06-16T10:00:00Z');
  // Contoso: bought 06-03, seen deleted on 06-10.
  await sync(ids.b, [subscription(PC_SUB.b, 10, 'active', '2026-06-03T00:00:00Z')], '2026-06-03T10:00:00Z');
  await sync(ids.b, [subscription(PC_SUB.b, 10, 'deleted', '2026-06-03T00:00:00Z')], '2026-06-10T10:00:00Z');
  const link = (pc: string) => hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'subscription').where('external_id', '=', pc).executeTakeFirstOrThrow();
  subs.a = (await link(PC_SUB.a)).entity_id;
  subs.b = (await link(PC_SUB.b)).entity_id;

  await approvedCard(ids.a);
  await approvedCard(ids.b);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
});

describe('the seat check', () => {
  let run: Record<string, any>;

  it("loads each licence subscription's events as the engine reads them, priced from Microsoft's lines", async () => {
    const { lines } = await loadPeriodLines(hub.ctx.db, ids.a, '2026-06', 'USD');
    const [fabrikam, ...others] = await loadSeatSubscriptions(hub.ctx.db, ids.a, '2026-06', lines);
    expect(others).toEqual([]);
    expect(fabrikam).toMatchObject({ id: subs.a, partnerCenterId: PC_SUB.a, term: 'P1M', billingFrequency: 'monthly', autoRenew: true, priceKnown: true });
    expect(fabrikam?.events.map((e) => ({ ...e, ...('unitPrice' in e && e.unitPrice ? { unitPrice: e.unitPrice.toString() } : {}) }))).toEqual([
      { type: 'purchase', date: '2026-05-01', quantity: 10, sku: 'CFQ7TTC0LDPB:0001', unitPrice: '10' },
      { type: 'add', date: '2026-06-16', delta: 5 },
    ]);
    // Without lines the price is unknown: seat-days only.
    const [unpriced] = await loadSeatSubscriptions(hub.ctx.db, ids.b, '2026-06', []);
    expect(unpriced).toMatchObject({ id: subs.b, priceKnown: false, events: [{ type: 'purchase', date: '2026-06-03', quantity: 10 }, { type: 'cancel', date: '2026-06-10' }] });
  });

  it('closes June and counts one seat discrepancy, for the customer Microsoft billed after the cancel', async () => {
    const res = await send('POST', '/v1/billing-runs', { period: '2026-06' }, hub.keys.billing_ops);
    expect(res.statusCode, res.body).toBe(202);
    run = await waitForBillingRun(res.json().id);
    expect(run.status).toBe('succeeded');
    expect(run.report.customers).toMatchObject({ total: 2, issued: 2 });
    expect(run.report.seatDiscrepancies).toBe(1);
    expect(run.report.costDiscrepancies).toBe(0);
    const byCustomer = Object.fromEntries((run.customers as Array<{ customerId: string; seatDiscrepancies: number }>).map((c) => [c.customerId, c.seatDiscrepancies]));
    expect(byCustomer).toEqual({ [ids.a]: 0, [ids.b]: 1 });
  });

  it('lists the finding with its hand-checked numbers: 70 vs 300 seat-days, 23.33 vs 100.00', async () => {
    const res = await send('GET', `/v1/billing-runs/${run.id}/seat-discrepancies`, undefined, hub.keys.auditor);
    expect(res.statusCode, res.body).toBe(200);
    const { items, nextCursor } = res.json();
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(1);
    const [f] = items;
    const line = await hub.ctx.db.selectFrom('license_lines').select('id').where('subscription_id', '=', PC_SUB.b).executeTakeFirstOrThrow();
    expect(f).toMatchObject({
      customerId: ids.b,
      period: '2026-06',
      subscriptionId: subs.b,
      partnerCenterSubscriptionId: PC_SUB.b,
      kind: 'seat_days',
      expectedSeatDays: '70', // 06-03..06-09: 7 days × 10 seats
      billedSeatDays: '300', // 30 of 30 days × 10 seats
      billedAmount: '100',
      currency: 'USD',
      licenseLineIds: [line.id],
    });
    expect(new Decimal(f.expectedAmount).toDecimalPlaces(10).toString()).toBe('23.3333333333'); // 10 × 10 × 7/30
    expect(f.message).toBe(`Subscription ${subs.b} in 2026-06: the hub's events imply 70 seat-days (23.33 USD), Microsoft billed 300 seat-days (100 USD) on 1 licence line(s)`);
  });

  it('filters by customer, pages with a cursor, and is for the roles that watch runs', async () => {
    const none = await send('GET', `/v1/billing-runs/${run.id}/seat-discrepancies?customerId=${ids.a}`, undefined, hub.keys.finance);
    expect(none.json()).toEqual({ items: [], nextCursor: null });
    const first = await send('GET', `/v1/billing-runs/${run.id}/seat-discrepancies?limit=1&customerId=${ids.b}`, undefined, hub.keys.billing_ops);
    expect(first.json().items).toHaveLength(1);
    expect(first.json().nextCursor).toBeNull();
    expect((await send('GET', `/v1/billing-runs/${run.id}/seat-discrepancies`, undefined, hub.keys.sales_ops)).statusCode).toBe(403);
    expect((await send('GET', '/v1/billing-runs/00000000-0000-4000-8000-000000000000/seat-discrepancies')).statusCode).toBe(404);
    expect((await send('GET', `/v1/billing-runs/${run.id}/seat-discrepancies?cursor=bm90LWEtbnVtYmVy`)).statusCode).toBe(400);
  });

  it('prices the invoices from Microsoft\'s lines regardless: 125.00 and 100.00 plus 10 %', async () => {
    const totals = run.report.totals as Array<{ currency: string; cost: string; price: string }>;
    expect(totals).toEqual([expect.objectContaining({ currency: 'USD', cost: '225', price: '247.5' })]);
  });
});
