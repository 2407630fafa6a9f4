import { expect } from 'vitest';
import { ingestUsageRecords } from './ingest-records.ts';
import type { TestHub } from './test-hub.ts';
import { usageRecord } from './usage-fixtures.ts';

/**
 * One customer's October 2026 closed through the real API and worker: a single usage
 * line (Microsoft's 1.95) priced at cost + 15 % by a card with a 1,000.00 minimum, so the
 * issued invoice totals exactly 1000.00 USD (2.2425 of usage topped up by the minimum).
 * The hub needs a running worker.
 */
export async function closedInvoice(
  hub: TestHub,
  tenantId: string,
  customerName: string,
  options: { usage?: Record<string, unknown>[]; billingEmail?: string } = {},
): Promise<{ customerId: string; invoiceId: string; runId: string }> {
  const usage = options.usage ?? [{}];
  const send = (method: 'GET' | 'POST', url: string, key: string, payload?: object) =>
    hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
  await ingestUsageRecords(hub.database, usage.map((u) => usageRecord({ CustomerId: tenantId, CustomerName: customerName, ...u })));
  const link = await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('external_id', '=', tenantId).executeTakeFirstOrThrow();
  const customerId = link.entity_id;
  if (options.billingEmail) {
    const patched = await hub.app.inject({ method: 'PATCH', url: `/v1/customers/${customerId}`, headers: hub.auth(hub.keys.admin), payload: { billingEmail: options.billingEmail } });
    expect(patched.statusCode, patched.body).toBe(200);
  }
  const card = await send('POST', '/v1/rate-cards', hub.keys.admin, {
    name: 'Card',
    customerId,
    currency: 'USD',
    effectiveFrom: '2026-09-01',
    justification: 'Agreed prices',
    minimumMonthly: '1000.00',
    rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
  });
  expect(card.statusCode, card.body).toBe(201);
  for (const approver of [hub.keys.sales_ops, hub.keys.finance]) {
    const approved = await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, approver, {});
    expect(approved.statusCode, approved.body).toBe(200);
  }
  const run = await send('POST', '/v1/billing-runs', hub.keys.billing_ops, { period: '2026-10' });
  expect(run.statusCode, run.body).toBe(202);
  const runId = run.json().id as string;
  for (let status = ''; !['succeeded', 'partial', 'failed'].includes(status); ) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await send('GET', `/v1/billing-runs/${runId}?customers=false`, hub.keys.finance)).json().status;
  }
  const invoice = await hub.ctx.db.selectFrom('invoices').select('id').where('customer_id', '=', customerId).where('status', '=', 'issued').executeTakeFirstOrThrow();
  return { customerId, invoiceId: invoice.id, runId };
}
