import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// GET /v1/customers/{id}/usage-by-day: a closed month's usage per day and category at the
// invoiced prices. Hand-checked: a card of cost + 10 % prices compute lines of 10.00
// (3 Oct) and 30.00 (4 Oct) as one invoice line of 44.00, which spreads by cost as 11.00
// and 33.00; storage of 4.00 on 3 Oct is 4.40.

const TENANT = 'c0ffee00-0000-4000-8000-000000000001';
let hub: TestHub;
let customerId: string;

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  const common = { CustomerId: TENANT, CustomerName: 'Usage Client', EffectiveUnitPrice: '1', PCToBCExchangeRate: '1', UnitPrice: '1' };
  await ingestUsageRecords(hub.database, [
    usageRecord({ ...common, UsageDate: '10/3/2026 0:00', Quantity: '10', BillingPreTaxTotal: '10.00' }),
    usageRecord({ ...common, UsageDate: '10/4/2026 0:00', Quantity: '30', BillingPreTaxTotal: '30.00' }),
    usageRecord({ ...common, UsageDate: '10/3/2026 0:00', Quantity: '4', BillingPreTaxTotal: '4.00', MeterCategory: 'Storage', MeterId: 'meter-storage', MeterName: 'LRS' }),
  ]);
  customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', TENANT).executeTakeFirstOrThrow()).entity_id;
  const card = await hub.app.inject({
    method: 'POST',
    url: '/v1/rate-cards',
    headers: hub.auth(hub.keys.admin),
    payload: { name: 'Card', customerId, currency: 'USD', effectiveFrom: '2026-09-01', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }] },
  });
  expect(card.statusCode, card.body).toBe(201);
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
    expect((await hub.app.inject({ method: 'POST', url: `/v1/rate-cards/${card.json().id}/versions/1/approve`, headers: hub.auth(key), payload: {} })).statusCode).toBe(200);
  }
  const run = await hub.app.inject({ method: 'POST', url: '/v1/billing-runs', headers: hub.auth(hub.keys.finance), payload: { period: '2026-10' } });
  for (let status = ''; !['succeeded', 'partial', 'failed'].includes(status); ) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await hub.app.inject({ method: 'GET', url: `/v1/billing-runs/${run.json().id}?customers=false`, headers: hub.auth(hub.keys.finance) })).json().status;
  }
}, 120_000);
afterAll(async () => {
  await hub?.close();
});

describe('usage by day', () => {
  it('spreads the invoiced prices over the days of the lines behind them', async () => {
    const portal = await hub.keyFor(['portal'], customerId);
    const res = await hub.app.inject({ method: 'GET', url: `/v1/customers/${customerId}/usage-by-day?period=2026-10`, headers: hub.auth(portal) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ period: '2026-10', currency: 'USD' });
    expect(res.json().days).toEqual([
      { date: '2026-10-03', category: 'compute', amount: '11.00' },
      { date: '2026-10-03', category: 'storage', amount: '4.40' },
      { date: '2026-10-04', category: 'compute', amount: '33.00' },
    ]);
    const latest = await hub.app.inject({ method: 'GET', url: `/v1/customers/${customerId}/usage-by-day`, headers: hub.auth(portal) });
    expect(latest.json().period).toBe('2026-10');
  });

  it('is empty for a month not invoiced', async () => {
    const res = await hub.app.inject({ method: 'GET', url: `/v1/customers/${customerId}/usage-by-day?period=2026-11`, headers: hub.auth(hub.keys.auditor) });
    expect(res.json()).toMatchObject({ period: '2026-11', invoiceId: null, currency: null, days: [] });
  });
});
