import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { connectBothErps } from '../helpers/erp-connections.ts';
import { closeSmallMonth, type ClosedMonth } from '../helpers/closed-month.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The ERP posting's hub → vendor header fields are a field mapping an admin changes
// through the API: the next posting uses the version in force and records it
// (mapping_uses). The small month (closed-month.ts) totals 209.18 before tax.

let hub: TestHub;
let xero: XeroSandbox;
let qbo: QuickBooksSandbox;
let month: ClosedMonth;
const connections = { xero: '', quickbooks: '' };

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, key = hub.keys.admin) => hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
const postings = async () => (await call('GET', `/v1/invoices/${month.invoiceId}/postings`, undefined, hub.keys.finance)).json().items as Record<string, any>[];
async function waitForPosting(system: string, statuses: string[], timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const posting = (await postings()).find((p) => p.system === system);
    if (posting && statuses.includes(posting.status)) return posting;
    if (Date.now() > deadline) throw new Error(`posting still ${JSON.stringify(posting)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const uses = (connectionId: string) => hub.ctx.db.selectFrom('mapping_uses').select(['object', 'version', 'records']).where('connection_id', '=', connectionId).orderBy('object').execute();
const hubNumber = async () => (await hub.ctx.db.selectFrom('invoices').select('number').where('id', '=', month.invoiceId).executeTakeFirstOrThrow()).number;

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  xero = await startXeroSandbox();
  qbo = await startQuickBooksSandbox();
  month = await closeSmallMonth(hub);
  Object.assign(connections, await connectBothErps(hub, month, xero, qbo));
}, 120_000);
afterAll(async () => {
  await hub?.close();
  await xero?.close();
  await qbo?.close();
});

describe('ERP posting field mappings through the API', () => {
  it('shows the built-in Xero invoice and contact mappings as version 0', async () => {
    const res = await call('GET', `/v1/connections/${connections.xero}/mappings`);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { object: string; version: number; rules: { id: string; source: string; target: string }[] }[];
    expect(items.map((i) => [i.object, i.version])).toEqual([
      ['contact', 0],
      ['invoice', 0],
    ]);
    expect(items[1]!.rules.map((r) => [r.source, r.target])).toEqual([
      ['invoice.number', 'invoice.InvoiceNumber'],
      ['invoice.reference', 'invoice.Reference'],
      ['invoice.date', 'invoice.Date'],
      ['invoice.dueDate', 'invoice.DueDate'],
    ]);
  });

  it('an admin sends the hub number to Reference instead: Xero numbers the invoice itself, the posting reads it back by Reference (once, though the answer is lost) and records version 1', async () => {
    const saved = await call('PUT', `/v1/connections/${connections.xero}/mappings/invoice`, {
      reason: 'Xero keeps its own invoice sequence; the hub number goes in Reference',
      rules: [
        { id: 'number', source: 'invoice.number', target: 'invoice.Reference', transform: { type: 'copy' } },
        { id: 'date', source: 'invoice.date', target: 'invoice.Date', transform: { type: 'copy' } },
      ],
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().version).toBe(1);

    xero.dropResponsesAfterCommit(1);
    const res = await call('POST', `/v1/billing-runs/${month.billingRunId}/post`, { connectionId: connections.xero }, hub.keys.finance);
    expect(res.json()).toMatchObject({ queued: 1, blocked: [] });
    const posting = await waitForPosting('xero', ['posted']);
    expect(posting.attempts).toBe(2);
    const number = await hubNumber();
    const invoices = [...xero.organisation.invoices.values()];
    expect(invoices.map((i) => [i.InvoiceNumber, i.Reference, i.SubTotal])).toEqual([['INV-0001', number, 209.18]]);
    expect(posting).toMatchObject({ documentNumber: 'INV-0001' });
    expect((await uses(connections.xero)).map((u) => [u.object, u.version, Number(u.records)])).toEqual([['invoice', 1, 1]]);
  });

  it('refuses a Xero invoice mapping that keeps the hub number out of both InvoiceNumber and Reference, naming the fields, at posting time', async () => {
    const saved = await call('PUT', `/v1/connections/${connections.xero}/mappings/invoice`, {
      reason: 'period only',
      rules: [{ id: 'reference', source: 'invoice.reference', target: 'invoice.Reference', transform: { type: 'copy' } }],
    });
    expect(saved.statusCode, saved.body).toBe(200);
    const posting = (await postings()).find((p) => p.system === 'xero')!;
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'queued', document_id: null, document_number: null }).where('id', '=', posting.id).execute();
    const refusal = /version 2\) puts the hub number INV-\S+ in neither InvoiceNumber nor Reference/;
    await expect(postInvoice({ postingId: posting.id }, hub.ctx)).rejects.toThrow(refusal);
    expect((await waitForPosting('xero', ['failed'])).lastError).toMatch(refusal);
    expect(xero.organisation.invoices.size).toBe(1);
  });

  it('an admin adds the hub number as QuickBooks custom field 1 and a customer memo: the next posting sends them, keeps DocNumber, and records version 1', async () => {
    const current = (await call('GET', `/v1/connections/${connections.quickbooks}/mappings/invoice`)).json();
    expect(current).toMatchObject({ version: 0, builtIn: true });
    const saved = await call('PUT', `/v1/connections/${connections.quickbooks}/mappings/invoice`, {
      reason: 'our invoice template prints custom field 1 as "Hub invoice"',
      rules: [
        ...current.rules,
        { id: 'hub-number', source: 'invoice.number', target: 'invoice.CustomField1', transform: { type: 'copy' } },
        { id: 'memo', target: 'invoice.CustomerMemo', transform: { type: 'template', template: 'Microsoft cloud services, {invoice.period}' } },
      ],
    });
    expect(saved.statusCode, saved.body).toBe(200);
    const res = await call('POST', `/v1/billing-runs/${month.billingRunId}/post`, { connectionId: connections.quickbooks }, hub.keys.finance);
    expect(res.json()).toMatchObject({ queued: 1, blocked: [] });
    await waitForPosting('quickbooks', ['posted']);
    const number = await hubNumber();
    const invoices = [...qbo.company.invoices.values()];
    expect(invoices).toHaveLength(1);
    // The hub number has 23 characters: DocNumber keeps it without the INV- prefix (21 at most).
    expect(invoices[0]).toMatchObject({
      DocNumber: number.replace(/^INV-/, ''),
      PrivateNote: `${number} (2026-10 r1)`,
      CustomerMemo: { value: 'Microsoft cloud services, 2026-10' },
      CustomField: [{ DefinitionId: '1', Type: 'StringType', StringValue: number }],
      TotalAmt: 209.18,
    });
    expect((await uses(connections.quickbooks)).map((u) => [u.object, u.version, Number(u.records)])).toEqual([['invoice', 1, 1]]);
  });
});
