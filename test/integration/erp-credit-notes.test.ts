import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import type { QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { CLASS_UNALLOCATED, CLASS_WEB, startHubWithBothErps, stopHubWithBothErps, type HubWithBothErps } from '../helpers/erp-connections.ts';
import { reCloseWithComputeOnWeb, type ClosedMonth } from '../helpers/closed-month.ts';
import type { TestHub } from '../helpers/test-hub.ts';
import { xeroSpecChecker } from '../helpers/xero-spec.ts';

// A revision of an invoice that was already paid in part in the ERP: the ERP refuses to
// void it, so the hub credits it in full and applies the credit to what it still owes,
// then posts the revision. Figures by hand, from the small month (closed-month.ts):
// r1 = 11.63 + 1.10 + 196.45 = 209.18 before tax.
// - Xero adds 15 % output tax per line: 1.74 + 0.17 + 29.47 = 31.38, total 240.56. The
//   customer paid 100.00, so 140.56 is owed: the credit note (209.18 + 31.38 = 240.56)
//   is allocated 140.56 and keeps 100.00 of credit; the r1 invoice is then settled (PAID).
// - QuickBooks (the sandbox computes no sales tax) totals 209.18; after 100.00 paid,
//   109.18 is owed: the credit memo (209.18) is applied 109.18 and keeps 100.00.

let hub: TestHub;
let xero: XeroSandbox;
let qbo: QuickBooksSandbox;
let month: ClosedMonth;
const connections = { xero: '', quickbooks: '' };

let env: HubWithBothErps;
beforeAll(async () => {
  env = await startHubWithBothErps();
  ({ hub, xero, qbo, month } = env);
  Object.assign(connections, env.connections);
}, 120_000);
afterAll(() => stopHubWithBothErps(env));

type System = keyof typeof connections;
const postRun = (runId: string, system: System) =>
  hub.app.inject({ method: 'POST', url: `/v1/billing-runs/${runId}/post`, headers: hub.auth(hub.keys.finance), payload: { connectionId: connections[system] } });
const postingOf = async (invoiceId: string, system: System) =>
  ((await hub.app.inject({ method: 'GET', url: `/v1/invoices/${invoiceId}/postings`, headers: hub.auth(hub.keys.finance) })).json().items as Record<string, any>[]).find((p) => p.system === system);

async function waitFor(invoiceId: string, system: System, statuses: string[]): Promise<Record<string, any>> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const posting = await postingOf(invoiceId, system);
    if (posting && statuses.includes(posting.status)) return posting;
    if (Date.now() > deadline) throw new Error(`${system} posting still ${JSON.stringify(posting)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const pay = (sandboxUrl: string, documentId: string, amount: string) =>
  fetch(`${sandboxUrl}/_sandbox/invoices/${documentId}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount }) });

let first: { number: string; xero: Record<string, any>; quickbooks: Record<string, any> };
let revised: { id: string; number: string };

describe('a revision of an invoice paid in part in the ERP', () => {
  it('posts the first revision to both ERPs, then the customer pays 100.00 in each', async () => {
    for (const system of ['xero', 'quickbooks'] as const) expect((await postRun(month.billingRunId, system)).json()).toMatchObject({ queued: 1, blocked: [] });
    const number = (await hub.ctx.db.selectFrom('invoices').select('number').where('id', '=', month.invoiceId).executeTakeFirstOrThrow()).number;
    first = { number, xero: await waitFor(month.invoiceId, 'xero', ['posted']), quickbooks: await waitFor(month.invoiceId, 'quickbooks', ['posted']) };
    expect(xero.organisation.invoices.get(first.xero.documentId)).toMatchObject({ SubTotal: 209.18, TotalTax: 31.38, Total: 240.56 });

    expect((await pay(xero.url, first.xero.documentId, '100.00')).status).toBe(200);
    expect(xero.organisation.invoices.get(first.xero.documentId)).toMatchObject({ Status: 'AUTHORISED', AmountPaid: 100, AmountDue: 140.56 });
    expect((await pay(qbo.url, first.quickbooks.documentId, '100.00')).status).toBe(200);
    expect(qbo.company.invoices.get(first.quickbooks.documentId)).toMatchObject({ TotalAmt: 209.18, Balance: 109.18 });
  }, 90_000);

  it('credits the paid document instead of voiding it, once, even when the ERP commits the credit and the answer is lost', async () => {
    const rerun = await reCloseWithComputeOnWeb(hub, month);
    revised = rerun.revised;
    xero.dropResponsesAfterCommit(1);
    qbo.dropResponsesAfterCommit(1, 'creditmemo');
    for (const system of ['xero', 'quickbooks'] as const) expect((await postRun(rerun.runId, system)).json()).toMatchObject({ queued: 1, blocked: [] });
    const xeroPosting = await waitFor(revised.id, 'xero', ['posted']);
    const qboPosting = await waitFor(revised.id, 'quickbooks', ['posted']);
    // Attempt 1 made the credit note and never heard back; attempt 2 found it by number.
    expect(xeroPosting).toMatchObject({ attempts: 2, documentTotal: '209.18' });
    expect(qboPosting).toMatchObject({ attempts: 2, documentTotal: '209.18' });
    expect(xero.stats().dropped).toBe(1);
    expect(qbo.stats().dropped).toBe(1);

    // Xero: one credit note, the r1 lines reversed on their accounts and tracking, 140.56 allocated to r1.
    const notes = [...xero.receivables.creditNotes.values()];
    expect(notes).toHaveLength(1);
    const note = notes[0]!;
    expect(note).toMatchObject({ Type: 'ACCRECCREDIT', Status: 'AUTHORISED', CreditNoteNumber: `CN-${first.number}`, SubTotal: 209.18, TotalTax: 31.38, Total: 240.56, RemainingCredit: 100 });
    expect((note.LineItems as Record<string, any>[]).map((l) => [l.Description, l.LineAmount, l.AccountCode, l.TaxType, l.Tracking.map((t: { Option: string }) => t.Option)])).toEqual([
      ['D2 v3', 11.63, '200', 'OUTPUT', ['Unallocated']],
      ['LRS Data Stored', 1.1, '200', 'OUTPUT', ['Web']],
      ['Microsoft 365 Business Standard', 196.45, '210', 'OUTPUT', ['Unallocated']],
    ]);
    expect((note.Allocations as Record<string, any>[]).map((a) => [a.Amount, a.Invoice.InvoiceID])).toEqual([[140.56, first.xero.documentId]]);
    expect(xero.organisation.invoices.get(first.xero.documentId)).toMatchObject({ Status: 'PAID', AmountPaid: 100, AmountCredited: 140.56, AmountDue: 0 });
    expect([...xero.organisation.invoices.values()].filter((i) => i.InvoiceNumber === revised.number)).toHaveLength(1);

    // QuickBooks: one credit memo of the r1 lines, applied 109.18 to r1 by one zero-amount payment.
    const memos = [...qbo.receivables.creditMemos.values()];
    expect(memos).toHaveLength(1);
    const memo = memos[0]!;
    expect(memo).toMatchObject({ DocNumber: `C${first.number.replace(/^INV-/, '')}`, TotalAmt: 209.18, Balance: 100, DepartmentRef: { value: '1' } });
    expect((memo.Line as Record<string, any>[]).filter((l) => l.DetailType === 'SalesItemLineDetail').map((l) => [l.Description, l.Amount, l.SalesItemLineDetail.ClassRef.value])).toEqual([
      ['D2 v3', 11.63, CLASS_UNALLOCATED],
      ['LRS Data Stored', 1.1, CLASS_WEB],
      ['Microsoft 365 Business Standard', 196.45, CLASS_UNALLOCATED],
    ]);
    const applications = [...qbo.receivables.payments.values()].filter((p) => p.TotalAmt === 0);
    expect(applications.map((p) => (p.Line as Record<string, any>[]).map((l) => [l.Amount, l.LinkedTxn[0].TxnType, l.LinkedTxn[0].TxnId]))).toEqual([
      [
        [109.18, 'Invoice', first.quickbooks.documentId],
        [109.18, 'CreditMemo', memo.Id],
      ],
    ]);
    expect(qbo.company.invoices.get(first.quickbooks.documentId)).toMatchObject({ TotalAmt: 209.18, Balance: 0 });
    expect([...qbo.company.invoices.values()].filter((i) => i.DocNumber === revised.number.replace(/^INV-/, ''))).toHaveLength(1);

    // The postings of r1 say what became of them.
    expect(await postingOf(month.invoiceId, 'xero')).toMatchObject({
      status: 'credited',
      documentId: first.xero.documentId,
      credit: { documentId: note.CreditNoteID, documentNumber: `CN-${first.number}`, total: '209.18' },
      erpStatus: 'partly_paid',
      amountPaid: '100.00',
    });
    expect(await postingOf(month.invoiceId, 'quickbooks')).toMatchObject({
      status: 'credited',
      credit: { documentId: memo.Id, documentNumber: memo.DocNumber, total: '209.18' },
      erpStatus: 'partly_paid',
      amountPaid: '100.00',
    });
  }, 120_000);

  it('credits and applies nothing twice when the job runs again before the hub recorded the credit', async () => {
    // The hub crashed after the ERP's answers, before its commit: r1 still says posted, r2 posting.
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posted', credit_document_id: null, credited_at: null }).where('invoice_id', '=', month.invoiceId).execute();
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('invoice_id', '=', revised.id).execute();
    const qboPaymentsBefore = qbo.receivables.payments.size;
    for (const system of ['xero', 'quickbooks'] as const) await postInvoice({ postingId: (await postingOf(revised.id, system))!.id }, hub.ctx);

    expect(xero.receivables.creditNotes.size).toBe(1);
    expect([...xero.receivables.creditNotes.values()][0]!.Allocations).toHaveLength(1);
    expect([...xero.organisation.invoices.values()].filter((i) => i.InvoiceNumber === revised.number)).toHaveLength(1);
    expect(qbo.receivables.creditMemos.size).toBe(1);
    expect(qbo.receivables.payments.size).toBe(qboPaymentsBefore);
    expect([...qbo.company.invoices.values()].filter((i) => i.DocNumber === revised.number.replace(/^INV-/, ''))).toHaveLength(1);
    for (const system of ['xero', 'quickbooks'] as const) {
      expect(await postingOf(month.invoiceId, system)).toMatchObject({ status: 'credited', credit: { total: '209.18' } });
      expect(await postingOf(revised.id, system)).toMatchObject({ status: 'posted' });
    }
  }, 60_000);

  it('answers credit notes, allocations and payments in the shapes of xero_accounting.yaml', async () => {
    const check = await xeroSpecChecker();
    const headers = { authorization: `Bearer ${xero.accessToken()}`, 'xero-tenant-id': xero.credentials.tenantId, 'content-type': 'application/json' };
    const get = (path: string) => fetch(`${xero.apiUrl}/${path}`, { headers }).then((r) => r.json() as Promise<Record<string, any>>);
    const put = (path: string, body: unknown) => fetch(`${xero.apiUrl}/${path}`, { method: 'PUT', headers, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    check('CreditNotes', await get('CreditNotes'));
    check('CreditNotes', await get(`CreditNotes?where=${encodeURIComponent(`CreditNoteNumber=="CN-${first.number}"`)}`));
    check('Payments', await get('Payments'));
    check('Invoices', await get(`Invoices/${first.xero.documentId}`));

    // The r2 invoice: a credit note of 50.00 + 15 % = 57.50 allocated 57.50, a payment of the rest (240.56 − 57.50 = 183.06).
    const r2 = [...xero.organisation.invoices.values()].find((i) => i.InvoiceNumber === revised.number)!;
    const contact = (r2.Contact as { ContactID: string }).ContactID;
    const created = await put('CreditNotes', { CreditNotes: [{ Type: 'ACCRECCREDIT', Contact: { ContactID: contact }, Date: '2026-11-10', Status: 'AUTHORISED', LineItems: [{ Description: 'Goodwill', Quantity: 1, UnitAmount: 50, AccountCode: '200', TaxType: 'OUTPUT' }] }] });
    expect(created.status).toBe(200);
    check('CreditNotes', created.body);
    expect(created.body.CreditNotes[0]).toMatchObject({ Total: 57.5, RemainingCredit: 57.5 });
    const tooMuch = await put(`CreditNotes/${created.body.CreditNotes[0].CreditNoteID}/Allocations`, { Allocations: [{ Amount: 60, Invoice: { InvoiceID: r2.InvoiceID }, Date: '2026-11-10' }] });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.Elements[0].ValidationErrors.map((v: { Message: string }) => v.Message)).toEqual(['Amount cannot be more than the remaining credit']);
    const allocated = await put(`CreditNotes/${created.body.CreditNotes[0].CreditNoteID}/Allocations`, { Allocations: [{ Amount: 57.5, Invoice: { InvoiceID: r2.InvoiceID }, Date: '2026-11-10' }] });
    expect(allocated.status).toBe(200);
    check('Allocations', allocated.body);
    const paid = await put('Payments', { Payments: [{ Invoice: { InvoiceID: r2.InvoiceID }, Account: { Code: '090' }, Date: '2026-11-12', Amount: 183.06 }] });
    expect(paid.status).toBe(200);
    check('Payments', paid.body);
    expect(xero.organisation.invoices.get(String(r2.InvoiceID))).toMatchObject({ Status: 'PAID', AmountDue: 0, AmountPaid: 183.06, AmountCredited: 57.5 });
  }, 60_000);
});
