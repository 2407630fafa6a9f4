import { expect } from 'vitest';
import { ingestLicenseRecords, ingestUsageRecords } from './ingest-records.ts';
import { licenseRecord } from './license-fixtures.ts';
import type { TestHub } from './test-hub.ts';
import { usageRecord } from './usage-fixtures.ts';

// A small real close for tests downstream of invoicing (ERP posting, revenue schedules):
// one customer's October 2026 Azure usage and Microsoft 365 seats ingested as a sync
// stores them, a card approved by sales_ops and finance, a real billing run.
// The figures (scope 'line', half-up): compute (10.11 at cost, one meter, one line) +15 % =
// 11.6265 → 11.63, to the unallocated node; storage 1.00 +10 % → 1.10, to the web node by
// its resource group; 15 seats at the card's 14.00 for 29 of 31 days → 196.4516 → 196.45,
// unallocated. Total 11.63 + 1.10 + 196.45 = 209.18.

export interface ClosedMonth {
  customerId: string;
  billingRunId: string;
  invoiceId: string;
  nodes: { web: string; unallocated: string };
}

export async function closeSmallMonth(hub: TestHub, tenantId = 'a1b2c3d4-0000-4000-8000-0000000000e1', name = 'Fabrikam Ltd'): Promise<ClosedMonth> {
  const send = (method: 'GET' | 'POST', url: string, payload: unknown, key: string) =>
    hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });
  const base = { CustomerId: tenantId, CustomerName: name };
  await ingestUsageRecords(hub.database, [
    usageRecord({ ...base, UsageDate: '10/3/2026 0:00', BillingPreTaxTotal: '1.95' }),
    usageRecord({ ...base, UsageDate: '10/4/2026 0:00', Quantity: '100', BillingPreTaxTotal: '8.16' }),
    usageRecord({
      ...base,
      UsageDate: '10/5/2026 0:00',
      MeterCategory: 'Storage',
      MeterId: 'storage-meter-1',
      MeterName: 'LRS Data Stored',
      ResourceGroup: 'rg-data',
      UnitPrice: '0.02',
      EffectiveUnitPrice: '0.02',
      Quantity: '50',
      BillingPreTaxTotal: '1.00',
      PricingPreTaxTotal: '1.00',
    }),
  ]);
  await ingestLicenseRecords(hub.database, [licenseRecord({ ...base, Currency: 'USD', PricingCurrency: 'USD', PCToBCExchangeRate: '1', Subtotal: '168.30', TotalForCustomer: '168.30' })]);
  const link = await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('external_id', '=', tenantId).executeTakeFirstOrThrow();
  const customerId = link.entity_id;
  const web = (await send('POST', `/v1/customers/${customerId}/cost-nodes`, { name: 'Web' }, hub.keys.admin)).json().id as string;
  const unallocated = (await hub.ctx.db.selectFrom('cost_nodes').select('id').where('customer_id', '=', customerId).where('kind', '=', 'unallocated').executeTakeFirstOrThrow()).id;
  const rule = await send(
    'POST',
    `/v1/customers/${customerId}/allocation-rules`,
    { justification: 'All of it is the web shop', effectiveFrom: '2026-01-01', priority: 1, match: { resourceGroup: 'rg-data' }, splits: [{ costNodeId: web, percent: '100' }] },
    hub.keys.billing_ops,
  );
  expect(rule.statusCode, rule.body).toBe(201);
  const card = await send(
    'POST',
    '/v1/rate-cards',
    {
      name: `${name} card`,
      customerId,
      currency: 'USD',
      effectiveFrom: '2026-09-01',
      justification: 'Agreed prices',
      rounding: { scope: 'line', mode: 'half_up' },
      rules: [
        { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
        { match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: '14.00' },
        { match: { default: true }, basis: 'cost', markupPercent: '10' },
      ],
    },
    hub.keys.admin,
  );
  expect(card.statusCode, card.body).toBe(201);
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, {}, key)).statusCode).toBe(200);

  const started = await send('POST', '/v1/billing-runs', { period: '2026-10' }, hub.keys.billing_ops);
  expect(started.statusCode, started.body).toBe(202);
  const billingRunId = started.json().id as string;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = (await send('GET', `/v1/billing-runs/${billingRunId}?customers=false`, undefined, hub.keys.finance)).json();
    if (['succeeded', 'partial', 'failed'].includes(run.status)) {
      expect(run.status).toBe('succeeded');
      break;
    }
    if (Date.now() > deadline) throw new Error(`billing run ${billingRunId} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const invoice = await hub.ctx.db.selectFrom('invoices').select('id').where('customer_id', '=', customerId).where('status', '=', 'issued').executeTakeFirstOrThrow();
  return { customerId, billingRunId, invoiceId: invoice.id, nodes: { web, unallocated } };
}

/**
 * Moves the compute line from the unallocated node to the web node (an allocation rule
 * on its resource group) and closes the month again: a changed input, so the close
 * issues revision 2. Answers the new run and the revised invoice.
 */
export async function reCloseWithComputeOnWeb(hub: TestHub, month: ClosedMonth): Promise<{ runId: string; revised: { id: string; number: string; revision: number } }> {
  const send = (method: 'GET' | 'POST', url: string, payload?: object) =>
    hub.app.inject({ method, url, headers: hub.auth(hub.keys.billing_ops), ...(payload === undefined ? {} : { payload }) });
  const rule = await send('POST', `/v1/customers/${month.customerId}/allocation-rules`, {
    justification: 'Compute belongs to the web shop',
    effectiveFrom: '2026-01-01',
    priority: 2,
    match: { resourceGroup: 'rg-web' },
    splits: [{ costNodeId: month.nodes.web, percent: '100' }],
  });
  expect(rule.statusCode, rule.body).toBe(201);
  const rerun = await send('POST', '/v1/billing-runs', { period: '2026-10' });
  expect(rerun.statusCode, rerun.body).toBe(202);
  const runId = rerun.json().id as string;
  for (let i = 0; ; i++) {
    const run = (await send('GET', `/v1/billing-runs/${runId}?customers=false`)).json();
    if (run.status === 'succeeded') break;
    if (i > 300 || ['partial', 'failed'].includes(run.status)) throw new Error(`re-close ended ${run.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const revised = await hub.ctx.db.selectFrom('invoices').select(['id', 'number', 'revision']).where('customer_id', '=', month.customerId).where('status', '=', 'issued').executeTakeFirstOrThrow();
  expect(revised.revision).toBe(2);
  return { runId, revised };
}

/** The invoice's lines as the close numbers them (position, description). */
export const SMALL_MONTH_LINES: readonly [number, string][] = [
  [1, 'D2 v3'],
  [2, 'LRS Data Stored'],
  [3, 'Microsoft 365 Business Standard'],
];

/** Polls GET /v1/invoices/{id}/postings until the first posting reaches one of `statuses`. */
export async function waitForPosting(hub: TestHub, invoiceId: string, statuses: string[], timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [posting] = (await hub.app.inject({ method: 'GET', url: `/v1/invoices/${invoiceId}/postings`, headers: hub.auth(hub.keys.finance) })).json().items as Record<string, any>[];
    if (posting && statuses.includes(posting.status)) return posting;
    if (Date.now() > deadline) throw new Error(`posting still ${JSON.stringify(posting)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Closes `period` through the API and waits for the run; answers it and the customer's issued invoice of the period. */
export async function closePeriod(hub: TestHub, customerId: string, period: string): Promise<{ runId: string; invoice: { id: string; number: string; revision: number } }> {
  const send = (method: 'GET' | 'POST', url: string, payload?: object) => hub.app.inject({ method, url, headers: hub.auth(hub.keys.billing_ops), ...(payload === undefined ? {} : { payload }) });
  const started = await send('POST', '/v1/billing-runs', { period });
  expect(started.statusCode, started.body).toBe(202);
  const runId = started.json().id as string;
  for (let i = 0; ; i++) {
    const run = (await send('GET', `/v1/billing-runs/${runId}?customers=false`)).json();
    if (run.status === 'succeeded') break;
    if (i > 600 || ['partial', 'failed'].includes(run.status)) throw new Error(`${period} close ended ${run.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const invoice = await hub.ctx.db.selectFrom('invoices').select(['id', 'number', 'revision']).where('customer_id', '=', customerId).where('period', '=', period).where('status', '=', 'issued').executeTakeFirstOrThrow();
  return { runId, invoice };
}
