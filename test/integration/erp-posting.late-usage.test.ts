import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/engine/decimal.ts';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { closePeriod, closeSmallMonth, type ClosedMonth } from '../helpers/closed-month.ts';
import { connectXeroSandbox } from '../helpers/erp-connections.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// October is closed (closed-month.ts: 209.18). Then October compute arrives late: 2.00 at
// cost, +15 % on the card = 2.30, under the approval threshold, so the November close
// bills it as a late-usage adjustment 'late-2026-10' next to November's own lines (one
// compute day, 1.00 at cost + 15 % = 1.15, and the seats). By hand: the late document
// is an invoice of 2.30 on account 200, apart from November's invoice.

let hub: TestHub;
let xero: XeroSandbox;
let month: ClosedMonth;
let connectionId: string;
const TENANT = 'a1b2c3d4-0000-4000-8000-0000000000e1';
let lateNumber = '';

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  xero = await startXeroSandbox();
  month = await closeSmallMonth(hub);
  connectionId = await connectXeroSandbox(hub, xero);
}, 120_000);
afterAll(async () => {
  await hub?.close();
  await xero?.close();
});

const send = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });

async function closeNovember(): Promise<{ runId: string; invoiceId: string }> {
  const { runId, invoice } = await closePeriod(hub, month.customerId, '2026-11');
  return { runId, invoiceId: invoice.id };
}

describe('a late-usage adjustment posts to Xero as its own document', () => {
  it('posts the late usage as an invoice apart from the month, once even when asked twice', async () => {
    const base = { CustomerId: TENANT, CustomerName: 'Fabrikam Ltd' };
    await ingestUsageRecords(hub.database, [
      usageRecord({ ...base, UsageDate: '10/20/2026 0:00', BillingPreTaxTotal: '2.00', ChargeStartDate: '10/1/2026 0:00', ChargeEndDate: '10/31/2026 23:59' }),
      usageRecord({ ...base, UsageDate: '11/3/2026 0:00', BillingPreTaxTotal: '1.00', ChargeStartDate: '11/1/2026 0:00', ChargeEndDate: '11/30/2026 23:59' }),
    ]);
    const { runId, invoiceId } = await closeNovember();
    const late = await hub.ctx.db.selectFrom('invoice_lines').select(['amount', 'adjustment_id']).where('invoice_id', '=', invoiceId).where('adjustment_id', '=', 'late-2026-10').execute();
    expect(late.map((l) => new Decimal(l.amount).toFixed(2))).toEqual(['2.30']);

    const mapped = await send('PUT', '/v1/accounting-mappings', {
      system: 'xero',
      mappings: [
        { kind: 'category', value: 'compute', account: '200', taxCode: 'OUTPUT' },
        { kind: 'category', value: 'storage', account: '200', taxCode: 'OUTPUT' },
        { kind: 'category', value: 'licenses', account: '210', taxCode: 'OUTPUT' },
        { kind: 'costNode', value: month.nodes.web, dimensions: { tracking: [{ name: 'Cost centre', option: 'Web' }] } },
        { kind: 'costNode', value: month.nodes.unallocated, dimensions: { tracking: [{ name: 'Cost centre', option: 'Unallocated' }] } },
      ],
    });
    expect(mapped.statusCode, mapped.body).toBe(200);
    xero.organisation.createContact({ Name: 'Fabrikam Ltd', ContactNumber: month.customerId });

    const res = await send('POST', `/v1/billing-runs/${runId}/post`, { connectionId });
    expect(res.json()).toMatchObject({ queued: 2, blocked: [] });
    const deadline = Date.now() + 30_000;
    let items: Record<string, any>[] = [];
    while (Date.now() < deadline) {
      items = (await send('GET', `/v1/invoices/${invoiceId}/postings`)).json().items;
      if (items.length === 2 && items.every((p) => p.status === 'posted')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const number = (await hub.ctx.db.selectFrom('invoices').select('number').where('id', '=', invoiceId).executeTakeFirstOrThrow()).number;
    expect(items.map((p) => [p.part, p.documentType, p.status, p.documentNumber, p.documentTotal])).toEqual([
      ['invoice', 'invoice', 'posted', number, expect.any(String)],
      ['late-2026-10', 'invoice', 'posted', `${number}-L2026-10`, '2.30'],
    ]);
    lateNumber = `${number}-L2026-10`;
    const lateDocs = [...xero.organisation.invoices.values()].filter((i) => i.InvoiceNumber === `${number}-L2026-10`);
    expect(lateDocs).toHaveLength(1);
    expect((lateDocs[0]!.LineItems as Record<string, any>[]).map((l) => [l.LineAmount, l.AccountCode, l.TaxType])).toEqual([[2.3, '200', 'OUTPUT']]);

    // Posted twice: the run asked again, and the job re-run as after a crash before the hub's commit.
    expect((await send('POST', `/v1/billing-runs/${runId}/post`, { connectionId })).json()).toMatchObject({ queued: 0, alreadyPosted: 2 });
    const latePosting = items[1]!;
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('id', '=', latePosting.id).execute();
    await postInvoice({ postingId: latePosting.id }, hub.ctx);
    expect([...xero.organisation.invoices.values()].filter((i) => i.InvoiceNumber === `${number}-L2026-10`)).toHaveLength(1);
  }, 120_000);

  it("keeps the late document an earlier revision posted when a revision of November posts: the late usage is in Xero once", async () => {
    // Compute moves to the web cost centre (an allocation rule): revision 2 of November bills the same late 2.30 again.
    const rule = await send(
      'POST',
      `/v1/customers/${month.customerId}/allocation-rules`,
      { justification: 'Compute belongs to the web shop', effectiveFrom: '2026-01-01', priority: 2, match: { resourceGroup: 'rg-web' }, splits: [{ costNodeId: month.nodes.web, percent: '100' }] },
      hub.keys.billing_ops,
    );
    expect(rule.statusCode, rule.body).toBe(201);
    const { runId, invoiceId } = await closeNovember();
    expect((await hub.ctx.db.selectFrom('invoices').select('revision').where('id', '=', invoiceId).executeTakeFirstOrThrow()).revision).toBe(2);
    expect((await send('POST', `/v1/billing-runs/${runId}/post`, { connectionId })).json()).toMatchObject({ queued: 2, blocked: [] });
    const deadline = Date.now() + 30_000;
    let items: Record<string, any>[] = [];
    while (Date.now() < deadline) {
      items = (await send('GET', `/v1/invoices/${invoiceId}/postings`)).json().items;
      if (items.length === 2 && items.every((p) => p.status === 'posted')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(items.map((p) => [p.part, p.status, p.documentTotal])).toEqual([
      ['invoice', 'posted', expect.any(String)],
      ['late-2026-10', 'posted', '2.30'],
    ]);
    expect(items[1]!.documentNumber).toBe(lateNumber);
    expect([...xero.organisation.invoices.values()].filter((i) => String(i.InvoiceNumber).endsWith('-L2026-10'))).toHaveLength(1);
  }, 120_000);
});
