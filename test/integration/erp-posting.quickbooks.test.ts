import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionSecrets } from '../../src/db/connection-secrets.ts';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import { SMALL_MONTH_LINES, closeSmallMonth, reCloseWithComputeOnWeb, waitForPosting, type ClosedMonth } from '../helpers/closed-month.ts';
import { CLASS_UNALLOCATED, CLASS_WEB, connectQuickBooksSandbox } from '../helpers/erp-connections.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Posting a closed month to the QuickBooks sandbox through node-quickbooks. The hub
// invoice (see closed-month.ts) is 11.63 compute (unallocated node) + 1.10 storage (web
// node) + 196.45 seats (unallocated) = 209.18.

const facts = JSON.parse(readFileSync(new URL('../fixtures/vendor/quickbooks/facts.json', import.meta.url), 'utf8')) as { docNumberMaxLength: number; voidMarksPrivateNote: string };

let hub: TestHub;
let qbo: QuickBooksSandbox;
let month: ClosedMonth;
let connectionId: string;

// Sandbox ids (src/sandbox/quickbooks/company.ts): income accounts 79 and 80, classes (CLASS_*), department 1 (North).

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  qbo = await startQuickBooksSandbox();
  month = await closeSmallMonth(hub);
  connectionId = await connectQuickBooksSandbox(hub, qbo);
}, 120_000);
afterAll(async () => {
  await hub?.close();
  await qbo?.close();
});

const send = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });
const postRun = (runId = month.billingRunId) => send('POST', `/v1/billing-runs/${runId}/post`, { connectionId });
const postingsOf = async (invoiceId = month.invoiceId) => (await send('GET', `/v1/invoices/${invoiceId}/postings`)).json().items as Record<string, any>[];


const invoiceNumber = async () => (await hub.ctx.db.selectFrom('invoices').select('number').where('id', '=', month.invoiceId).executeTakeFirstOrThrow()).number;
const documentsNumbered = (docNumber: string) => [...qbo.company.invoices.values()].filter((i) => i.DocNumber === docNumber);
/** The hub's numbers (INV-2026-10-1A2B3C4D-r1) are 23 characters; QuickBooks keeps 21, so the "INV-" goes. */
const docNumberFor = (hubNumber: string) => hubNumber.replace(/^INV-/, '');

describe('posting invoices to QuickBooks Online', () => {
  it('refuses to post an invoice with unmapped lines, naming them', async () => {
    const res = await postRun();
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ system: 'quickbooks', queued: 0, alreadyPosted: 0 });
    expect(res.json().blocked[0].lines.map((l: { position: number; description: string }) => [l.position, l.description])).toEqual(SMALL_MONTH_LINES);
    expect(await postingsOf()).toMatchObject([{ system: 'quickbooks', status: 'blocked', attempts: 0, documentId: null }]);
    expect(qbo.company.invoices.size).toBe(0);
  });

  it('posts once even when QuickBooks commits and the answer is lost, each line on an item of its account, with class, department and tax code', async () => {
    const mapped = await send('PUT', '/v1/accounting-mappings', {
      system: 'quickbooks',
      mappings: [
        { kind: 'category', value: 'compute', account: '79', taxCode: 'TAX' },
        { kind: 'category', value: 'storage', account: '79', taxCode: 'TAX' },
        { kind: 'category', value: 'licenses', account: '80', taxCode: 'NON' },
        { kind: 'costNode', value: month.nodes.web, dimensions: { class: CLASS_WEB, department: '1' } },
        { kind: 'costNode', value: month.nodes.unallocated, dimensions: { class: CLASS_UNALLOCATED, department: '1' } },
      ],
    });
    expect(mapped.statusCode, mapped.body).toBe(200);
    // The customer already exists in QuickBooks under the same DisplayName: found, not duplicated.
    const customer = qbo.company.createCustomer({ DisplayName: 'Fabrikam Ltd' });

    qbo.dropResponsesAfterCommit(1, 'invoice');
    const res = await postRun();
    expect(res.json()).toMatchObject({ queued: 1, blocked: [] });
    const posting = await waitForPosting(hub, month.invoiceId, ['posted']);
    // Attempt 1 created the invoice but never heard back; attempt 2 read it back by DocNumber.
    expect(posting.attempts).toBe(2);
    expect(qbo.stats().dropped).toBe(1);

    const number = await invoiceNumber();
    const docNumber = docNumberFor(number);
    expect(docNumber.length).toBeLessThanOrEqual(facts.docNumberMaxLength);
    const documents = documentsNumbered(docNumber);
    expect(documents).toHaveLength(1);
    const document = documents[0]!;
    expect(posting).toMatchObject({ documentId: document.Id, documentNumber: docNumber, documentTotal: '209.18' });
    expect(document).toMatchObject({ CustomerRef: { value: customer.Id }, CurrencyRef: { value: 'USD' }, DepartmentRef: { value: '1' }, TotalAmt: 209.18 });
    expect(String(document.PrivateNote)).toContain(number);
    expect(qbo.company.customers.size).toBe(1);

    // One Service item per income account, each booking to its account.
    const items = [...qbo.company.items.values()];
    expect(items.map((i) => [i.Type, (i.IncomeAccountRef as { value: string }).value]).sort()).toEqual([
      ['Service', '79'],
      ['Service', '80'],
    ]);
    const accountOfItem = new Map(items.map((i) => [i.Id, (i.IncomeAccountRef as { value: string }).value]));
    const sales = (document.Line as Record<string, any>[]).filter((l) => l.DetailType === 'SalesItemLineDetail');
    expect(sales.map((l) => [l.Description, l.Amount, accountOfItem.get(l.SalesItemLineDetail.ItemRef.value), l.SalesItemLineDetail.ClassRef.value, l.SalesItemLineDetail.TaxCodeRef.value])).toEqual([
      ['D2 v3', 11.63, '79', CLASS_UNALLOCATED, 'TAX'],
      ['LRS Data Stored', 1.1, '79', CLASS_WEB, 'TAX'],
      ['Microsoft 365 Business Standard', 196.45, '80', CLASS_UNALLOCATED, 'NON'],
    ]);
  }, 60_000);

  it('makes no second document when the posting is asked again or its job re-runs', async () => {
    const again = await postRun();
    expect(again.json()).toMatchObject({ queued: 0, alreadyPosted: 1, blocked: [] });
    const [posting] = await postingsOf();
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('id', '=', posting!.id).execute();
    await postInvoice({ postingId: posting!.id }, hub.ctx);
    expect(documentsNumbered(docNumberFor(await invoiceNumber()))).toHaveLength(1);
    expect((await postingsOf())[0]).toMatchObject({ status: 'posted', attempts: 3 });
  });

  it('voids the earlier revision in QuickBooks and posts the new one when the close issues a revision, through a 429 storm', async () => {
    const first = (await postingsOf())[0]!;
    const { runId, revised } = await reCloseWithComputeOnWeb(hub, month);

    // A 429 storm through the void and the repost: every third call refused, each retried after its Retry-After.
    const before = qbo.stats();
    qbo.refuseEveryNth(3);
    expect((await postRun(runId)).json()).toMatchObject({ queued: 1, blocked: [] });
    const reposted = await waitForPosting(hub, revised.id, ['posted', 'failed']);
    qbo.refuseEveryNth(0);
    expect(reposted).toMatchObject({ status: 'posted', documentTotal: '209.18', attempts: 1 });
    expect(qbo.stats().throttled - before.throttled).toBeGreaterThan(0);
    const voided = qbo.company.invoices.get(first.documentId)!;
    expect(voided).toMatchObject({ TotalAmt: 0, Balance: 0 });
    expect(String(voided.PrivateNote).startsWith(facts.voidMarksPrivateNote)).toBe(true);
    const replacement = documentsNumbered(docNumberFor(revised.number));
    expect(replacement).toHaveLength(1);
    expect(replacement[0]).toMatchObject({ TotalAmt: 209.18 });
    expect((replacement[0]!.Line as Record<string, any>[]).filter((l) => l.DetailType === 'SalesItemLineDetail').map((l) => [l.Description, l.SalesItemLineDetail.ClassRef.value])).toEqual([
      ['D2 v3', CLASS_WEB],
      ['LRS Data Stored', CLASS_WEB],
      ['Microsoft 365 Business Standard', CLASS_UNALLOCATED],
    ]);
    expect((await postingsOf())[0]).toMatchObject({ status: 'voided', documentId: first.documentId });
  }, 90_000);

  it('keeps the rotated refresh token', async () => {
    const { credentials } = await loadConnectionSecrets(hub.ctx, connectionId);
    expect(credentials.refreshToken).not.toBe(qbo.credentials.refreshToken);
    expect(credentials.refreshToken).toMatch(/^AB11/);
  });
});
