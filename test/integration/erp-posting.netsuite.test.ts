import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetSuiteCallError } from '../../src/connectors/netsuite/errors.ts';
import { createLimiter } from '../../src/connectors/http/limits.ts';
import { NetSuiteClient } from '../../src/connectors/netsuite/client.ts';
import { postInvoice } from '../../src/jobs/erp/post-invoice.ts';
import { postNetSuiteJournal } from '../../src/jobs/erp/netsuite-journal.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { startNetSuiteSandbox, type NetSuiteSandbox } from '../../src/sandbox/netsuite/server.ts';
import { SMALL_MONTH_LINES, closeSmallMonth, reCloseWithComputeOnWeb, waitForPosting, type ClosedMonth } from '../helpers/closed-month.ts';
import { connectNetSuite, mapSmallMonthInNetSuite, NETSUITE_UNALLOCATED, NETSUITE_WEB } from '../helpers/erp-connections.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Posting a closed month to the NetSuite sandbox over SuiteTalk REST. The hub invoice
// (see closed-month.ts) is 11.63 compute (unallocated node) + 1.10 storage (web node) +
// 196.45 seats (unallocated) = 209.18.

const facts = JSON.parse(readFileSync(new URL('../fixtures/vendor/netsuite/facts.json', import.meta.url), 'utf8'));

let hub: TestHub;
let ns: NetSuiteSandbox;
let month: ClosedMonth;
let connectionId: string;

// Sandbox ids: see erp-connections.ts.
const UNALLOCATED = NETSUITE_UNALLOCATED;
const WEB = NETSUITE_WEB;

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
const postRun = (runId = month.billingRunId) => send('POST', `/v1/billing-runs/${runId}/post`, { connectionId });
const postingsOf = async (invoiceId = month.invoiceId) => (await send('GET', `/v1/invoices/${invoiceId}/postings`)).json().items as Record<string, any>[];
const invoicesFor = (invoiceId: string) => ns.account.all('invoice').filter((i) => String(i.externalId).startsWith(`hub-inv-${invoiceId}`));
const ref = (v: unknown) => (v as { id: string } | undefined)?.id;
const linesOf = (record: Record<string, unknown>) =>
  ((record.item as { items: Record<string, unknown>[] }).items).map((l) => [l.description, l.amount, ref(ns.account.get('nonInventorySaleItem', { id: ref(l.item)! })!.incomeAccount), ref(l.department), ref(l.class), ref(l.location), ref(l.taxCode)]);

describe('posting invoices to NetSuite', () => {
  it('refuses a request whose OAuth signature is wrong, in NetSuite\'s error shape', async () => {
    const wrong = new NetSuiteClient({ credentials: { ...ns.credentials, tokenSecret: 'not-the-secret' }, baseUrl: ns.url, limiter: createLimiter({ maxConcurrent: 1 }) });
    const err = await wrong.getRecord('account', { id: '54' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetSuiteCallError);
    expect((err as NetSuiteCallError).status).toBe(facts.badLoginStatus);
    expect((err as NetSuiteCallError).codes).toEqual([facts.badLoginCode]);
    const raw = await fetch(`${ns.url}${facts.recordApiPrefix}/account/54`, { headers: { authorization: 'OAuth realm="x", oauth_signature="bad"' } });
    expect(raw.status).toBe(facts.badLoginStatus);
    expect(((await raw.json()) as Record<string, { 'o:errorCode': string }[]>)[facts.errorDetailsField]![0]!['o:errorCode']).toBe(facts.badLoginCode);
    expect(ns.stats().refusedLogins).toBe(2);
  });

  it('refuses to post an invoice with unmapped lines, naming them', async () => {
    const res = await postRun();
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ system: 'netsuite', queued: 0, alreadyPosted: 0 });
    expect(res.json().blocked[0].lines.map((l: { position: number; description: string }) => [l.position, l.description])).toEqual(SMALL_MONTH_LINES);
    expect(await postingsOf()).toMatchObject([{ system: 'netsuite', status: 'blocked', attempts: 0, documentId: null }]);
    expect(ns.account.all('invoice')).toHaveLength(0);
  });

  it('posts one invoice even when NetSuite commits and the answer is lost, each line with its account, department, class, location and tax code', async () => {
    await mapSmallMonthInNetSuite(hub, month);

    ns.dropResponsesAfterCommit(1, 'invoice');
    const res = await postRun();
    expect(res.json()).toMatchObject({ queued: 1, blocked: [] });
    const posting = await waitForPosting(hub, month.invoiceId, ['posted', 'failed']);
    expect(posting.status, posting.lastError).toBe('posted');
    expect(ns.stats().dropped).toBe(1);

    const documents = invoicesFor(month.invoiceId);
    expect(documents).toHaveLength(1);
    const document = documents[0]!;
    const { number } = await hub.ctx.db.selectFrom('invoices').select('number').where('id', '=', month.invoiceId).executeTakeFirstOrThrow();
    expect(document.externalId).toBe(`hub-inv-${month.invoiceId}-r1`);
    expect(posting).toMatchObject({ documentId: document.id, documentNumber: document.tranId, documentTotal: '209.18' });
    expect(document).toMatchObject({ currency: { id: '1' }, subsidiary: { id: '1' }, subtotal: 209.18, total: 209.18, otherRefNum: number });
    expect(String(document.memo)).toContain(number);
    // The customer was created once, by its external id, and linked in the identity map.
    const customers = ns.account.all('customer');
    expect(customers).toMatchObject([{ externalId: `hub-customer-${month.customerId}`, companyName: 'Fabrikam Ltd' }]);
    expect(ref(document.entity)).toBe(customers[0]!.id);
    const link = await hub.ctx.db.selectFrom('external_links').select('external_id').where('entity_id', '=', month.customerId).where('system', '=', 'netsuite').executeTakeFirstOrThrow();
    expect(link.external_id).toBe(customers[0]!.id);
    // One sale item per income account.
    expect(ns.account.all('nonInventorySaleItem').map((i) => ref(i.incomeAccount)).sort()).toEqual(['54', '55']);
    expect(linesOf(document)).toEqual([
      ['D2 v3', 11.63, '55', ...Object.values(UNALLOCATED), '11'],
      ['LRS Data Stored', 1.1, '55', ...Object.values(WEB), '11'],
      ['Microsoft 365 Business Standard', 196.45, '54', ...Object.values(UNALLOCATED), '12'],
    ]);
  }, 60_000);

  it('makes no second document and no second write when the posting is asked again or its job re-runs', async () => {
    const again = await postRun();
    expect(again.json()).toMatchObject({ queued: 0, alreadyPosted: 1, blocked: [] });
    const [posting] = await postingsOf();
    const writes = ns.stats().writes;
    // A worker killed after NetSuite answered: the posting is still "posting" and the job runs again.
    await hub.ctx.db.updateTable('erp_postings').set({ status: 'posting' }).where('id', '=', posting!.id).execute();
    await postInvoice({ postingId: posting!.id }, hub.ctx);
    expect(invoicesFor(month.invoiceId)).toHaveLength(1);
    expect(ns.stats().writes).toBe(writes);
    expect((await postingsOf())[0]).toMatchObject({ status: 'posted', attempts: posting!.attempts + 1, documentId: posting!.documentId });
  });

  it('credits the earlier revision with a credit memo and posts the new one when the close issues a revision, through a 429 storm', async () => {
    const first = (await postingsOf())[0]!;
    const { runId, revised } = await reCloseWithComputeOnWeb(hub, month);

    const before = ns.stats();
    const dayBefore = new Date().toISOString().slice(0, 10);
    ns.refuseEveryNth(3);
    expect((await postRun(runId)).json()).toMatchObject({ queued: 1, blocked: [] });
    const reposted = await waitForPosting(hub, revised.id, ['posted', 'failed'], 60_000);
    ns.refuseEveryNth(0);
    expect(reposted.status, reposted.lastError).toBe('posted');
    expect(reposted).toMatchObject({ documentTotal: '209.18', attempts: 1 });
    expect(ns.stats().throttled - before.throttled).toBeGreaterThan(0);

    const memos = ns.account.all('creditMemo');
    expect(memos).toHaveLength(1);
    // Dated the day the revision replaced it: the invoice's own period may be closed in NetSuite.
    expect([dayBefore, new Date().toISOString().slice(0, 10)]).toContain(memos[0]!.tranDate);
    expect(memos[0]).toMatchObject({ externalId: `hub-cm-${month.invoiceId}-r1`, total: 209.18, applied: 209.18, entity: { id: ref(ns.account.get('invoice', { id: first.documentId })!.entity) } });
    expect(ns.account.get('invoice', { id: first.documentId })).toMatchObject({ amountRemaining: 0, status: { refName: 'Paid In Full' } });

    const replacement = invoicesFor(revised.id);
    expect(replacement).toHaveLength(1);
    expect(replacement[0]).toMatchObject({ externalId: `hub-inv-${revised.id}-r2`, total: 209.18 });
    expect(linesOf(replacement[0]!).map(([description, , , department]) => [description, department])).toEqual([
      ['D2 v3', WEB.department],
      ['LRS Data Stored', WEB.department],
      ['Microsoft 365 Business Standard', UNALLOCATED.department],
    ]);
    expect((await postingsOf())[0]).toMatchObject({ status: 'voided', documentId: first.documentId });
  }, 90_000);

  it("posts a period's journal through the connection once, in the connection's subsidiary and NetSuite's id of the currency", async () => {
    // 209.18 recognised: Dr deferred revenue 209.18 / Cr Azure revenue 12.73 (Engineering) + licence revenue 196.45.
    const journal = {
      externalId: `hub-je-${month.customerId}-USD-2026-10`,
      currency: 'USD',
      tranDate: '2026-10-31',
      memo: 'Revenue recognised 2026-10',
      lines: [
        { account: '58', debit: new Decimal('209.18') },
        { account: '55', credit: new Decimal('12.73'), dimensions: WEB },
        { account: '54', credit: new Decimal('196.45'), dimensions: UNALLOCATED },
      ],
    };
    const first = await postNetSuiteJournal(hub.ctx, connectionId, journal);
    const again = await postNetSuiteJournal(hub.ctx, connectionId, journal);
    expect(again).toEqual(first);
    const entries = ns.account.all('journalEntry');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id: first.id, tranId: first.tranId, currency: { id: '1' }, subsidiary: { id: '1' }, line: { items: [{ debit: 209.18 }, { credit: 12.73, department: { id: WEB.department } }, { credit: 196.45 }] } });
    await expect(postNetSuiteJournal(hub.ctx, connectionId, { ...journal, externalId: 'hub-je-off', lines: [journal.lines[0]!, { ...journal.lines[1]!, credit: new Decimal('12.72') }, journal.lines[2]!] })).rejects.toThrow(/do not balance/);
    expect(ns.account.all('journalEntry')).toHaveLength(1);
  });
});

describe('revenue journals to NetSuite', () => {
  it('posts a period journal once through the journal job\'s poster: read back by external id, debits and credits from signed lines', async () => {
    const { journalPosterFor } = await import('../../src/jobs/erp/post-journals.ts');
    const poster = await journalPosterFor(hub.ctx, 'netsuite', connectionId);
    // 100.00 deferred on one seat line, recognised 32.26 this period: Dr deferred 32.26 / Cr licence revenue 32.26 (web cost centre).
    const journal = {
      key: 'hub-rj-netsuite-test-0001',
      number: 'RJ-2026-10-USD-1',
      date: '2026-10-31',
      currency: 'USD',
      narration: 'Revenue recognised 2026-10',
      lines: [
        { account: '58', description: 'Deferred revenue released', amount: new Decimal('32.26'), dimensions: null },
        { account: '54', description: 'Licence revenue', amount: new Decimal('-32.26'), dimensions: WEB },
        { account: '55', description: 'Nothing this period', amount: new Decimal('0'), dimensions: null },
      ],
    };
    expect(await poster.findJournal(journal)).toBeUndefined();
    const created = await poster.createJournal(journal);
    expect(await poster.findJournal(journal)).toEqual(created);
    await poster.createJournal(journal);
    const entries = ns.account.all('journalEntry').filter((j) => j.externalId === journal.key);
    expect(entries).toHaveLength(1);
    const lines = (entries[0]!.line as { items: Record<string, unknown>[] }).items.map((l) => [ref(l.account), l.debit ?? null, l.credit ?? null, ref(l.department) ?? null]);
    expect(lines).toEqual([
      ['58', 32.26, null, null],
      ['54', null, 32.26, '5'],
    ]);
  });
});
