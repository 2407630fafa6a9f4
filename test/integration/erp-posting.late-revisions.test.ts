import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import type { QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { closePeriod, type ClosedMonth } from '../helpers/closed-month.ts';
import { startHubWithBothErps, stopHubWithBothErps, type HubWithBothErps } from '../helpers/erp-connections.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import type { TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// Late usage through revisions, in Xero and QuickBooks. October is closed (closed-month.ts:
// compute 1.95 + 8.16 at cost, +15 % on the card). By hand:
// - November r1 bills October compute that came late, 2.00 at cost: 2.00 × 1.15 = 2.30, a
//   late invoice of its own (QuickBooks: item of account 79; Xero: account 200 with 15 %
//   OUTPUT tax, 0.35, total 2.65).
// - The customer pays 1.00 on the QuickBooks late invoice; the Xero one stays unpaid.
// - One more October compute line comes late, 1.00 at cost, and November is closed again:
//   r2's late part is (2.00 + 1.00) × 1.15 = 3.45. So the r1 late documents are taken back:
//   Xero's (unpaid) is voided; QuickBooks' (1.00 paid) is credited by a memo of 2.30 applied
//   to the 1.30 it still owes, 1.00 left as credit. Then 3.45 posts once in each ERP.
// - Then Microsoft restates October's 8.16 line as 4.16, and November is closed a third
//   time: r3's late part is (2.00 + 1.00 − 8.16 + 4.16) × 1.15 = −1.00 × 1.15 = −1.15
//   (the same if each line is rounded: 2.30 + 1.15 − 9.38 + 4.78). The r2 late invoices
//   (unpaid) are voided in both ERPs; the −1.15 posts as a credit note of 1.15 in Xero
//   (+0.17 tax = 1.32) and a CreditMemo of 1.15 in QuickBooks, left as credit.

let hub: TestHub;
let xero: XeroSandbox;
let qbo: QuickBooksSandbox;
let month: ClosedMonth;
const connections = { xero: '', quickbooks: '' };
type System = keyof typeof connections;
const TENANT = 'a1b2c3d4-0000-4000-8000-0000000000e1';
const base = { CustomerId: TENANT, CustomerName: 'Fabrikam Ltd' };
const OCTOBER = { ChargeStartDate: '10/1/2026 0:00', ChargeEndDate: '10/31/2026 23:59' };

let env: HubWithBothErps;
beforeAll(async () => {
  env = await startHubWithBothErps();
  ({ hub, xero, qbo, month } = env);
  Object.assign(connections, env.connections);
}, 120_000);
afterAll(() => stopHubWithBothErps(env));

const send = (method: 'GET' | 'POST', url: string, payload?: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });

const close = (period: string) => closePeriod(hub, month.customerId, period);

const postingsOf = async (invoiceId: string, system: System) =>
  ((await send('GET', `/v1/invoices/${invoiceId}/postings`)).json().items as Record<string, any>[]).filter((p) => p.system === system);

/** Posts the run to both ERPs and waits until each has two postings (invoice and late part) posted. */
async function postToBoth(runId: string, invoiceId: string): Promise<Record<System, Record<string, any>[]>> {
  for (const system of ['xero', 'quickbooks'] as const) expect((await send('POST', `/v1/billing-runs/${runId}/post`, { connectionId: connections[system] })).json()).toMatchObject({ queued: 2, blocked: [] });
  const out = { xero: [], quickbooks: [] } as Record<System, Record<string, any>[]>;
  const deadline = Date.now() + 40_000;
  for (const system of ['xero', 'quickbooks'] as const) {
    for (;;) {
      out[system] = await postingsOf(invoiceId, system);
      if (out[system].length === 2 && out[system].every((p) => p.status === 'posted')) break;
      if (Date.now() > deadline) throw new Error(`${system} postings still ${JSON.stringify(out[system])}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return out;
}

const lateOf = (postings: Record<string, any>[]) => postings.find((p) => p.part === 'late-2026-10')!;
const qboLateNumber = (hubNumber: string, period: string) => `L2610${period.slice(2, 4)}${period.slice(5, 7)}-${hubNumber.split('-').slice(3).join('-')}`;
const lateXeroInvoices = () => [...xero.organisation.invoices.values()].filter((i) => String(i.InvoiceNumber).endsWith('-L2026-10'));
const lateQboInvoices = () => [...qbo.company.invoices.values()].filter((i) => String(i.DocNumber).startsWith('L2610'));

let r1: { id: string; number: string };
let r2Id = '';

describe('late usage in QuickBooks and Xero through revisions', () => {
  it('posts November r1 late usage as its own QuickBooks invoice, once even when the job runs again', async () => {
    await ingestUsageRecords(hub.database, [
      usageRecord({ ...base, ...OCTOBER, UsageDate: '10/20/2026 0:00', BillingPreTaxTotal: '2.00' }),
      usageRecord({ ...base, UsageDate: '11/3/2026 0:00', BillingPreTaxTotal: '1.00', ChargeStartDate: '11/1/2026 0:00', ChargeEndDate: '11/30/2026 23:59' }),
    ]);
    const { runId, invoice } = await close('2026-11');
    r1 = invoice;
    const postings = await postToBoth(runId, invoice.id);
    const qboLate = lateOf(postings.quickbooks);
    expect(qboLate).toMatchObject({ documentType: 'invoice', documentNumber: qboLateNumber(invoice.number, '2026-11'), documentTotal: '2.30' });
    expect(lateQboInvoices()).toHaveLength(1);
    const doc = qbo.company.invoices.get(qboLate.documentId)!;
    expect(doc).toMatchObject({ TotalAmt: 2.3, Balance: 2.3 });
    const sales = (doc.Line as Record<string, any>[]).filter((l) => l.DetailType === 'SalesItemLineDetail');
    expect(sales.map((l) => [l.Amount, l.SalesItemLineDetail.TaxCodeRef.value])).toEqual([[2.3, 'TAX']]);
    const item = qbo.company.items.get(sales[0]!.SalesItemLineDetail.ItemRef.value)!;
    expect(item.IncomeAccountRef).toMatchObject({ value: '79' });
    expect(xero.organisation.invoices.get(lateOf(postings.xero).documentId)).toMatchObject({ SubTotal: 2.3, TotalTax: 0.35, Total: 2.65, Status: 'AUTHORISED' });

    // The job runs again, as after a crash before the hub's commit: the read-back finds the document.
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('id', '=', qboLate.id).execute();
    await postInvoice({ postingId: qboLate.id }, hub.ctx);
    expect(lateQboInvoices()).toHaveLength(1);
    expect((await postingsOf(invoice.id, 'quickbooks')).find((p) => p.id === qboLate.id)).toMatchObject({ status: 'posted', documentId: qboLate.documentId });

    const paid = await fetch(`${qbo.url}/_sandbox/invoices/${qboLate.documentId}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: '1.00' }) });
    expect(paid.status).toBe(200);
  }, 120_000);

  it('takes back the r1 late documents when r2 bills a different late amount: Xero voided, QuickBooks credited (paid in part), exactly once', async () => {
    await ingestUsageRecords(hub.database, [usageRecord({ ...base, ...OCTOBER, UsageDate: '10/21/2026 0:00', BillingPreTaxTotal: '1.00' })]);
    const { runId, invoice } = await close('2026-11');
    expect(invoice.revision).toBe(2);
    r2Id = invoice.id;
    const before = { xero: lateOf(await postingsOf(r1.id, 'xero')), quickbooks: lateOf(await postingsOf(r1.id, 'quickbooks')) };
    // Each ERP commits one write whose answer is lost; the retry must find what it made.
    xero.dropResponsesAfterCommit(1);
    qbo.dropResponsesAfterCommit(1, 'creditmemo');
    const postings = await postToBoth(runId, invoice.id);

    // Xero: the r1 late invoice voided, the r2 one 3.45 (+0.52 tax), one each.
    expect(xero.organisation.invoices.get(before.xero.documentId)).toMatchObject({ Status: 'VOIDED' });
    const xeroLate = lateOf(postings.xero);
    expect(xeroLate).toMatchObject({ documentType: 'invoice', documentNumber: `${invoice.number}-L2026-10`, documentTotal: '3.45' });
    expect(lateXeroInvoices().map((i) => [i.InvoiceNumber, i.Status, i.SubTotal])).toEqual([
      [`${r1.number}-L2026-10`, 'VOIDED', 2.3],
      [`${invoice.number}-L2026-10`, 'AUTHORISED', 3.45],
    ]);
    expect(xero.receivables.creditNotes.size).toBe(0);
    expect(lateOf(await postingsOf(r1.id, 'xero'))).toMatchObject({ status: 'voided' });

    // QuickBooks: one credit memo of 2.30 (C for the L of the late DocNumber), 1.30 applied, 1.00 left.
    const memos = [...qbo.receivables.creditMemos.values()];
    expect(memos).toHaveLength(1);
    expect(memos[0]).toMatchObject({ DocNumber: `C${qboLateNumber(r1.number, '2026-11').slice(1)}`, TotalAmt: 2.3, Balance: 1 });
    expect(qbo.company.invoices.get(before.quickbooks.documentId)).toMatchObject({ TotalAmt: 2.3, Balance: 0 });
    const qboLate = lateOf(postings.quickbooks);
    expect(qboLate).toMatchObject({ documentType: 'invoice', documentNumber: qboLateNumber(invoice.number, '2026-11'), documentTotal: '3.45' });
    expect(lateQboInvoices().map((i) => [i.DocNumber, i.TotalAmt])).toEqual([
      [qboLateNumber(r1.number, '2026-11'), 2.3],
      [qboLateNumber(invoice.number, '2026-11'), 3.45],
    ]);
    expect(lateOf(await postingsOf(r1.id, 'quickbooks'))).toMatchObject({ status: 'credited', credit: { documentNumber: memos[0]!.DocNumber, total: '2.30' }, amountPaid: '1.00' });
    expect(qbo.stats().dropped).toBe(1);

    // The hub crashed after the ERPs answered, before its commit: r1's late postings still say
    // posted and r2's posting. Both jobs again: nothing new in either ERP.
    const counts = () => [lateXeroInvoices().length, xero.receivables.creditNotes.size, lateQboInvoices().length, qbo.receivables.creditMemos.size, qbo.receivables.payments.size];
    const seen = counts();
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posted', credit_document_id: null, credited_at: null, voided_at: null }).where('id', 'in', [before.xero.id, before.quickbooks.id]).execute();
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('id', 'in', [xeroLate.id, qboLate.id]).execute();
    for (const id of [xeroLate.id, qboLate.id]) await postInvoice({ postingId: id }, hub.ctx);
    expect(counts()).toEqual(seen);
    expect(lateOf(await postingsOf(r1.id, 'xero'))).toMatchObject({ status: 'voided' });
    expect(lateOf(await postingsOf(r1.id, 'quickbooks'))).toMatchObject({ status: 'credited', credit: { total: '2.30' } });
    expect(lateOf(await postingsOf(invoice.id, 'quickbooks'))).toMatchObject({ status: 'posted', documentId: qboLate.documentId });
  }, 120_000);

  it('posts a negative late adjustment of r3 as a credit note in Xero and a CreditMemo in QuickBooks, after voiding the r2 late invoices', async () => {
    const r2 = { xero: lateOf(await postingsOf(r2Id, 'xero')), quickbooks: lateOf(await postingsOf(r2Id, 'quickbooks')) };
    await ingestUsageRecords(hub.database, [usageRecord({ ...base, ...OCTOBER, UsageDate: '10/4/2026 0:00', Quantity: '100', BillingPreTaxTotal: '4.16', InvoiceNumber: 'G000123' })]);
    const { runId, invoice } = await close('2026-11');
    expect(invoice.revision).toBe(3);
    const creditNotesBefore = xero.receivables.creditNotes.size;
    const memosBefore = qbo.receivables.creditMemos.size;
    const postings = await postToBoth(runId, invoice.id);

    expect(xero.organisation.invoices.get(r2.xero.documentId)).toMatchObject({ Status: 'VOIDED' });
    const xeroLate = lateOf(postings.xero);
    expect(xeroLate).toMatchObject({ documentType: 'credit_note', documentNumber: `${invoice.number}-L2026-10`, documentTotal: '1.15' });
    const note = xero.receivables.creditNotes.get(xeroLate.documentId)!;
    expect(note).toMatchObject({ Type: 'ACCRECCREDIT', Status: 'AUTHORISED', CreditNoteNumber: `${invoice.number}-L2026-10`, SubTotal: 1.15, TotalTax: 0.17, Total: 1.32 });
    expect(xero.receivables.creditNotes.size).toBe(creditNotesBefore + 1);

    expect(qbo.company.invoices.get(r2.quickbooks.documentId)).toMatchObject({ TotalAmt: 0, Balance: 0 });
    const qboLate = lateOf(postings.quickbooks);
    expect(qboLate).toMatchObject({ documentType: 'credit_note', documentNumber: qboLateNumber(invoice.number, '2026-11'), documentTotal: '1.15' });
    const memo = qbo.receivables.creditMemos.get(qboLate.documentId)!;
    expect(memo).toMatchObject({ DocNumber: qboLateNumber(invoice.number, '2026-11'), TotalAmt: 1.15, Balance: 1.15 });
    expect(qbo.receivables.creditMemos.size).toBe(memosBefore + 1);
    for (const system of ['xero', 'quickbooks'] as const) expect(lateOf(await postingsOf(r2Id, system))).toMatchObject({ status: 'voided' });
  }, 120_000);
});
