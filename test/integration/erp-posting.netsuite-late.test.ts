import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import { startNetSuiteSandbox, type NetSuiteSandbox } from '../../src/sandbox/netsuite/server.ts';
import { closePeriod, closeSmallMonth, type ClosedMonth } from '../helpers/closed-month.ts';
import { connectNetSuite, mapSmallMonthInNetSuite } from '../helpers/erp-connections.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// A late adjustment that takes away, in NetSuite. October is closed (closed-month.ts:
// compute 1.95 + 8.16 at cost, +15 %). Microsoft then restates the 8.16 line as 7.16, and
// November (its own compute 1.00 → 1.15) bills the change, (7.16 − 8.16) × 1.15 = −1.15,
// as one late line of the meter. By hand, NetSuite gets a credit memo of 1.15 on income
// account 55 (Azure) under the late part's external id, apart from November's invoice of 1.15.

let hub: TestHub;
let ns: NetSuiteSandbox;
let month: ClosedMonth;
let connectionId: string;
const base = { CustomerId: 'a1b2c3d4-0000-4000-8000-0000000000e1', CustomerName: 'Fabrikam Ltd' };

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  ns = await startNetSuiteSandbox();
  month = await closeSmallMonth(hub);
  connectionId = await connectNetSuite(hub, ns);
}, 120_000);
afterAll(async () => {
  await hub?.close();
  await ns?.close();
});

const send = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });

describe('a negative late-usage adjustment posts to NetSuite as a credit memo', () => {
  it('makes one credit memo of 1.15 apart from the month, once even when its job runs again', async () => {
    await ingestUsageRecords(hub.database, [
      usageRecord({ ...base, UsageDate: '10/4/2026 0:00', Quantity: '100', BillingPreTaxTotal: '7.16', InvoiceNumber: 'G000123' }),
      usageRecord({ ...base, UsageDate: '11/3/2026 0:00', BillingPreTaxTotal: '1.00', ChargeStartDate: '11/1/2026 0:00', ChargeEndDate: '11/30/2026 23:59' }),
    ]);
    const { runId, invoice } = await closePeriod(hub, month.customerId, '2026-11');
    await mapSmallMonthInNetSuite(hub, month);
    expect((await send('POST', `/v1/billing-runs/${runId}/post`, { connectionId })).json()).toMatchObject({ queued: 2, blocked: [] });
    const deadline = Date.now() + 40_000;
    let items: Record<string, any>[] = [];
    while (Date.now() < deadline) {
      items = (await send('GET', `/v1/invoices/${invoice.id}/postings`)).json().items;
      if (items.length === 2 && items.every((p) => p.status === 'posted')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(items.map((p) => [p.part, p.documentType, p.status, p.documentTotal])).toEqual([
      ['invoice', 'invoice', 'posted', '1.15'],
      ['late-2026-10', 'credit_note', 'posted', '1.15'],
    ]);
    const externalId = `hub-inv-${invoice.id}-r1-late-2026-10`;
    const memos = ns.account.all('creditMemo').filter((m) => m.externalId === externalId);
    expect(memos).toHaveLength(1);
    expect(memos[0]).toMatchObject({ id: items[1]!.documentId, subtotal: 1.15 });
    const ref = (v: unknown) => (v as { id: string } | undefined)?.id;
    const lines = (memos[0]!.item as { items: Record<string, unknown>[] }).items;
    // One line (the close rates the restated meter's change as one late line) on Azure income, 1.15 credited.
    expect(lines.map((l) => [Number(l.amount), ref(ns.account.get('nonInventorySaleItem', { id: ref(l.item)! })!.incomeAccount)])).toEqual([[1.15, '55']]);
    expect(ns.account.all('invoice').filter((i) => String(i.externalId).includes('late'))).toHaveLength(0);

    const writes = ns.stats().writes;
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('id', '=', items[1]!.id).execute();
    await postInvoice({ postingId: items[1]!.id }, hub.ctx);
    expect(ns.account.all('creditMemo').filter((m) => m.externalId === externalId)).toHaveLength(1);
    expect(ns.stats().writes).toBe(writes);
  }, 120_000);
});
