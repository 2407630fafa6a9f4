import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionSecrets } from '../../src/db/connection-secrets.ts';
import { createHmac } from 'node:crypto';
import { xeroWebhookProvider } from '../../src/connectors/xero/webhook.ts';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import { handleXeroEvent } from '../../src/jobs/erp/xero-events.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { closeSmallMonth, reCloseWithComputeOnWeb, type ClosedMonth } from '../helpers/closed-month.ts';
import { connectXeroSandbox } from '../helpers/erp-connections.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { xeroSpecChecker } from '../helpers/xero-spec.ts';

// Posting a closed month to the Xero sandbox through xero-node. The hub invoice (see
// closed-month.ts) is 11.63 compute (unallocated node) + 1.10 storage (web node) +
// 196.45 seats (unallocated) = 209.18.

let hub: TestHub;
let xero: XeroSandbox;
let month: ClosedMonth;
let connectionId: string;
const WEBHOOK_KEY = 'xero-webhook-signing-key';

beforeAll(async () => {
  hub = await createTestHub({ worker: true, webhookProviders: [xeroWebhookProvider({ handle: handleXeroEvent })] });
  xero = await startXeroSandbox();
  month = await closeSmallMonth(hub);
  connectionId = await connectXeroSandbox(hub, xero, WEBHOOK_KEY);
}, 120_000);
afterAll(async () => {
  await hub?.close();
  await xero?.close();
});

const send = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });
const postRun = () => send('POST', `/v1/billing-runs/${month.billingRunId}/post`, { connectionId });
const postings = async () => (await send('GET', `/v1/invoices/${month.invoiceId}/postings`)).json().items as Record<string, any>[];

async function waitForPosting(statuses: string[], timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [posting] = await postings();
    if (posting && statuses.includes(posting.status)) return posting;
    if (Date.now() > deadline) throw new Error(`posting still ${JSON.stringify(posting)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const invoiceNumber = async () => (await hub.ctx.db.selectFrom('invoices').select('number').where('id', '=', month.invoiceId).executeTakeFirstOrThrow()).number;
const xeroInvoicesNumbered = (n: string) => [...xero.organisation.invoices.values()].filter((i) => i.InvoiceNumber === n);

describe('posting invoices to Xero', () => {
  it('refuses to post an invoice with unmapped lines, naming them', async () => {
    const res = await postRun();
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ system: 'xero', queued: 0, alreadyPosted: 0 });
    expect(res.json().blocked).toHaveLength(1);
    expect(res.json().blocked[0].lines.map((l: { position: number; description: string }) => [l.position, l.description])).toEqual([
      [1, 'D2 v3'],
      [2, 'LRS Data Stored'],
      [3, 'Microsoft 365 Business Standard'],
    ]);
    expect(await postings()).toMatchObject([{ system: 'xero', status: 'blocked', attempts: 0, documentId: null }]);
    expect(xero.organisation.invoices.size).toBe(0);
  });

  it('posts once even when Xero commits and the answer is lost, with each line on its account and tracking', async () => {
    const mapped = await send('PUT', '/v1/accounting-mappings', {
      system: 'xero',
      mappings: [
        { kind: 'category', value: 'compute', account: '200', taxCode: 'OUTPUT' },
        { kind: 'category', value: 'storage', account: '200', taxCode: 'OUTPUT' },
        { kind: 'category', value: 'licenses', account: '210', taxCode: 'OUTPUT' },
        { kind: 'costNode', value: month.nodes.web, dimensions: { tracking: [{ name: 'Cost centre', option: 'Web' }] } },
        { kind: 'costNode', value: month.nodes.unallocated, dimensions: { tracking: [{ name: 'Cost centre', option: 'Unallocated' }, { name: 'Region', option: 'North' }] } },
      ],
    });
    expect(mapped.statusCode, mapped.body).toBe(200);
    // The customer already exists in Xero, carrying the hub customer id: found, not duplicated.
    const contact = xero.organisation.createContact({ Name: 'Fabrikam Ltd', ContactNumber: month.customerId });

    xero.dropResponsesAfterCommit(1);
    const res = await postRun();
    expect(res.json()).toMatchObject({ queued: 1, blocked: [] });
    const posting = await waitForPosting(['posted']);
    // Attempt 1 created the invoice but never heard back; attempt 2 read it back by number.
    expect(posting.attempts).toBe(2);
    expect(xero.stats().dropped).toBe(1);

    const number = await invoiceNumber();
    const documents = xeroInvoicesNumbered(number);
    expect(documents).toHaveLength(1);
    const document = documents[0]!;
    expect(posting).toMatchObject({ documentId: document.InvoiceID, documentNumber: number, documentTotal: '209.18' });
    expect(document).toMatchObject({ Type: 'ACCREC', Status: 'AUTHORISED', CurrencyCode: 'USD', SubTotal: 209.18, Contact: { ContactID: contact.ContactID } });
    // 15 % output tax in the sandbox's tax table: 1.74 + 0.17 + 29.47 = 31.38 (each line rounded).
    expect(document.TotalTax).toBe(31.38);
    expect((document.LineItems as Record<string, any>[]).map((l) => [l.Description, l.LineAmount, l.AccountCode, l.TaxType, l.Tracking.map((t: { Option: string }) => t.Option)])).toEqual([
      ['D2 v3', 11.63, '200', 'OUTPUT', ['Unallocated', 'North']],
      ['LRS Data Stored', 1.1, '200', 'OUTPUT', ['Web']],
      ['Microsoft 365 Business Standard', 196.45, '210', 'OUTPUT', ['Unallocated', 'North']],
    ]);
  }, 60_000);

  it('makes no second document when the posting is asked again or its job re-runs', async () => {
    const again = await postRun();
    expect(again.json()).toMatchObject({ queued: 0, alreadyPosted: 1, blocked: [] });
    // A job re-run after a crash before the hub's commit: the posting still says 'posting'.
    const [posting] = await postings();
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('id', '=', posting!.id).execute();
    await postInvoice({ postingId: posting!.id }, hub.ctx);
    expect(xeroInvoicesNumbered(await invoiceNumber())).toHaveLength(1);
    expect((await postings())[0]).toMatchObject({ status: 'posted', attempts: 3 });
  });

  it('voids the earlier revision in Xero and posts the new one when the close issues a revision', async () => {
    const first = (await postings())[0]!;
    // The compute line moves from the unallocated node to the web node: a changed input, so a re-close issues r2.
    const { runId, revised } = await reCloseWithComputeOnWeb(hub, month);

    const posted = await send('POST', `/v1/billing-runs/${runId}/post`, { connectionId });
    expect(posted.json()).toMatchObject({ queued: 1, blocked: [] });
    const deadline = Date.now() + 30_000;
    let now: Record<string, any> | undefined;
    while (Date.now() < deadline) {
      now = (await send('GET', `/v1/invoices/${revised.id}/postings`)).json().items[0];
      if (now?.status === 'posted') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(now).toMatchObject({ status: 'posted', documentTotal: '209.18' });
    expect(xero.organisation.invoices.get(first.documentId)).toMatchObject({ Status: 'VOIDED', AmountDue: 0 });
    const replacement = xeroInvoicesNumbered(revised.number);
    expect(replacement).toHaveLength(1);
    expect(replacement[0]).toMatchObject({ Status: 'AUTHORISED', SubTotal: 209.18 });
    expect((replacement[0]!.LineItems as Record<string, any>[]).map((l) => [l.Description, l.Tracking.map((t: { Option: string }) => t.Option)])).toEqual([
      ['D2 v3', ['Web']],
      ['LRS Data Stored', ['Web']],
      ['Microsoft 365 Business Standard', ['Unallocated', 'North']],
    ]);
    expect((await postings())[0]).toMatchObject({ status: 'voided', documentId: first.documentId });
  }, 90_000);

  it('marks the posting voided when the invoice is voided in Xero (webhook, then read back)', async () => {
    const current = await hub.ctx.db.selectFrom('invoices').select('id').where('customer_id', '=', month.customerId).where('status', '=', 'issued').executeTakeFirstOrThrow();
    const posting = (await send('GET', `/v1/invoices/${current.id}/postings`)).json().items[0];
    xero.organisation.updateInvoiceStatus(posting.documentId, { Status: 'VOIDED' });
    const event = { resourceUrl: `${xero.apiUrl}/Invoices/${posting.documentId}`, resourceId: posting.documentId, eventDateUtc: '2026-11-05T09:00:00.000', eventType: 'UPDATE', eventCategory: 'INVOICE', tenantId: xero.credentials.tenantId, tenantType: 'ORGANISATION' };
    const body = JSON.stringify({ events: [event], firstEventSequence: 7, lastEventSequence: 7, entropy: 'QWERTYUIOPASDFGHJKLZ' });
    const res = await hub.app.inject({ method: 'POST', url: '/webhooks/xero', payload: body, headers: { 'content-type': 'application/json', 'x-xero-signature': createHmac('sha256', WEBHOOK_KEY).update(body).digest('base64') } });
    expect(res.statusCode).toBe(200);
    const deadline = Date.now() + 20_000;
    let now: Record<string, any> = posting;
    while (now.status !== 'voided' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      now = (await send('GET', `/v1/invoices/${current.id}/postings`)).json().items[0];
    }
    expect(now).toMatchObject({ status: 'voided', lastError: 'voided in Xero' });
  }, 30_000);

  it("keeps the rotated refresh token, since Xero's are single use", async () => {
    const { credentials } = await loadConnectionSecrets(hub.ctx, connectionId);
    expect(credentials.refreshToken).not.toBe(xero.credentials.refreshToken);
    expect(credentials.refreshToken).toMatch(/^rt-/);
  });
});

describe('the Xero sandbox against the Xero OpenAPI', () => {
  it('answers invoices, contacts and validation errors in the shapes of xero_accounting.yaml', async () => {
    const check = await xeroSpecChecker();
    const headers = { authorization: `Bearer ${xero.accessToken()}`, 'xero-tenant-id': xero.credentials.tenantId, 'content-type': 'application/json' };

    const put = (path: string, body: unknown) => fetch(`${xero.apiUrl}/${path}`, { method: 'PUT', headers, body: JSON.stringify(body) }).then((r) => r.json() as Promise<Record<string, any>>);
    const contacts = await put('Contacts', { Contacts: [{ Name: 'Contract Check Ltd', ContactNumber: 'contract-check' }] });
    check('Contacts', contacts);
    const created = await put('Invoices', {
      Invoices: [{ Type: 'ACCREC', Contact: { ContactID: contacts.Contacts[0].ContactID }, Date: '2026-10-31', InvoiceNumber: 'CONTRACT-1', Status: 'AUTHORISED', LineItems: [{ Description: 'Seats', Quantity: 1, UnitAmount: 12.5, AccountCode: '200', TaxType: 'NONE', Tracking: [{ Name: 'Region', Option: 'North' }] }] }],
    });
    check('Invoices', created);
    const invoices = (await fetch(`${xero.apiUrl}/Invoices?InvoiceNumbers=CONTRACT-1`, { headers }).then((r) => r.json())) as { Invoices: unknown[] };
    expect(invoices.Invoices).toHaveLength(1);
    check('Invoices', invoices);
    check('Contacts', await fetch(`${xero.apiUrl}/Contacts`, { headers }).then((r) => r.json()));

    const bad = await fetch(`${xero.apiUrl}/Invoices`, { method: 'PUT', headers, body: JSON.stringify({ Invoices: [{ Type: 'ACCREC', LineItems: [{ AccountCode: '999', UnitAmount: 1 }] }] }) });
    expect(bad.status).toBe(400);
    const error = (await bad.json()) as { Elements: { ValidationErrors: { Message: string }[] }[] };
    // An Element echoes the submitted object; the spec lists only the ids it may carry, so check the error's own fields.
    check('Error', { ...error, Elements: error.Elements.map(({ ValidationErrors }) => ({ ValidationErrors })) });
    expect(error.Elements[0]!.ValidationErrors.map((v) => v.Message)).toEqual([
      'A Contact must be specified for this type of transaction',
      "Account code '999' is not a valid code for this document.",
    ]);

    const journal = await fetch(`${xero.apiUrl}/ManualJournals`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ ManualJournals: [{ Narration: 'Rev rec 2026-10', Status: 'POSTED', JournalLines: [{ LineAmount: 100, AccountCode: '2450' }, { LineAmount: -100, AccountCode: '200' }] }] }),
    }).then((r) => r.json());
    check('ManualJournals', journal);
  }, 60_000);
});
