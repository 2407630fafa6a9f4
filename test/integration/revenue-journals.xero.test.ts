import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Decimal } from '../../src/engine/decimal.ts';
import { postPeriodJournals, sendJournal } from '../../src/jobs/erp/post-journals.ts';
import { xeroClientFor } from '../../src/jobs/erp/xero-client-for-connection.ts';
import { xeroJournalPoster } from '../../src/jobs/erp/xero-journal-poster.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { UNPACED } from '../helpers/erp-connections.ts';
import { ingestLicenseRecords } from '../helpers/ingest-records.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Stored revenue schedules and the March 2026 journal, through the real close, the posting
// jobs and xero-node against the Xero sandbox. Figures worked by hand:
// - Annual: one seat at the card's 1,200.00 a year, from 2026-03-15 (term to 2027-03-14,
//   365 days). Invoiced in March: Cr deferred revenue 1,200.00. March holds 17 days:
//   1,200.00 × 17 ÷ 365 = 55.890… → 55.89; through April 30, 47 days: 154.520… → 154.52, so
//   April is 98.63.
// - Cancelled: the same seat bought 2026-03-15 and cancelled from 2026-03-20 (last day of
//   service 2026-03-19, day 5). Microsoft refunds 360 of 365 days; the invoice line nets
//   1,200.00 − 1,183.56 (1,200 × 360 ÷ 365 = 1,183.5616…) = 16.4384 → 16.44, deferred. The
//   schedule keeps 1,200 × 5 ÷ 365 = 16.438… → 16.44 for March and reverses 1,183.56.
// - The March journal: Dr deferred revenue 55.89 + 16.44 = 72.33, Cr licence revenue 72.33.

let hub: TestHub;
let xero: XeroSandbox;
let connectionId: string;
let runId: string;
const customers: Record<'annual' | 'cancelled', string> = { annual: '', cancelled: '' };
const cards: Record<'annual' | 'cancelled', string> = { annual: '', cancelled: '' };

const send = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const annualSeat = (tenant: string, name: string, over: Record<string, unknown> = {}) =>
  licenseRecord({
    CustomerId: tenant,
    CustomerName: name,
    ChargeType: 'new',
    Currency: 'USD',
    PricingCurrency: 'USD',
    PCToBCExchangeRate: '1',
    UnitPrice: '1000.00',
    EffectiveUnitPrice: '1000.00',
    Quantity: '1',
    BillableQuantity: '1',
    Subtotal: '1000.00',
    TotalForCustomer: '1000.00',
    OrderDate: '3/15/2026 9:00',
    ChargeStartDate: '3/15/2026 0:00',
    ChargeEndDate: '3/14/2027 0:00',
    SubscriptionStartDate: '3/15/2026 0:00',
    SubscriptionEndDate: '3/14/2027 0:00',
    BillingFrequency: 'Annual',
    TermAndBillingCycle: 'One-Year commitment for yearly billing',
    PCToBCExchangeRateDate: '3/1/2026 0:00',
    SubscriptionId: `sub-${tenant.slice(-2)}`,
    ReferenceId: `ref-${tenant.slice(-2)}-new`,
    ...over,
  });

/** Microsoft's refund of 360 of the 365 days when the annual seat is cancelled from 2026-03-20. */
const cancelledFrom20March = (tenant: string, name: string) =>
  annualSeat(tenant, name, {
    ChargeType: 'cancelImmediate',
    ChargeStartDate: '3/20/2026 0:00',
    EffectiveUnitPrice: '-986.30',
    Subtotal: '-986.30',
    TotalForCustomer: '-986.30',
    OrderDate: '3/20/2026 9:00',
    ReferenceId: `ref-${tenant.slice(-2)}-cancel`,
  });

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  xero = await startXeroSandbox();
  const tenants = { annual: 'a1b2c3d4-0000-4000-8000-0000000000a1', cancelled: 'a1b2c3d4-0000-4000-8000-0000000000a2' };
  await ingestLicenseRecords(hub.database, [
    annualSeat(tenants.annual, 'Annual Co'),
    annualSeat(tenants.cancelled, 'Cancelled Co'),
    cancelledFrom20March(tenants.cancelled, 'Cancelled Co'),
  ]);
  for (const [which, tenant] of Object.entries(tenants) as ['annual' | 'cancelled', string][]) {
    const link = await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('external_id', '=', tenant).executeTakeFirstOrThrow();
    customers[which] = link.entity_id;
    const card = await send(
      'POST',
      '/v1/rate-cards',
      {
        name: `${which} card`,
        customerId: link.entity_id,
        currency: 'USD',
        effectiveFrom: '2026-01-01',
        justification: 'Agreed prices',
        rounding: { scope: 'line', mode: 'half_up' },
        rules: [{ match: { default: true }, unitPrice: '1200.00' }],
      },
      hub.keys.admin,
    );
    expect(card.statusCode, card.body).toBe(201);
    cards[which] = card.json().id;
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, {}, key)).statusCode).toBe(200);
  }
  const run = await send('POST', '/v1/billing-runs', { period: '2026-03' }, hub.keys.billing_ops);
  expect(run.statusCode, run.body).toBe(202);
  runId = run.json().id;
  const finished = await until(() => send('GET', `/v1/billing-runs/${runId}?customers=false`).then((r) => r.json().status as string), (s) => ['succeeded', 'partial', 'failed'].includes(s), 'billing run', 60_000);
  expect(finished).toBe('succeeded');

  const created = await send(
    'POST',
    '/v1/connections',
    {
      provider: 'xero',
      name: 'Xero sandbox',
      credentials: { clientId: xero.credentials.clientId, clientSecret: xero.credentials.clientSecret, refreshToken: xero.credentials.refreshToken },
      settings: { tenantId: xero.credentials.tenantId, apiUrl: xero.apiUrl, tokenUrl: xero.tokenUrl, createMissingCustomers: true, baseCurrency: 'USD', ...UNPACED },
    },
    hub.keys.admin,
  );
  expect(created.statusCode, created.body).toBe(201);
  connectionId = created.json().id;
  const unallocated = await hub.ctx.db.selectFrom('cost_nodes').select('id').where('kind', '=', 'unallocated').where('customer_id', 'in', Object.values(customers)).execute();
  const mapped = await send('PUT', '/v1/accounting-mappings', {
    system: 'xero',
    mappings: [
      { kind: 'category', value: 'licenses', account: '210', taxCode: 'NONE' },
      { kind: 'deferredRevenue', value: '*', account: '2450' },
      ...unallocated.map((n) => ({ kind: 'costNode', value: n.id, dimensions: { tracking: [{ name: 'Cost centre', option: 'Unallocated' }] } })),
    ],
  });
  expect(mapped.statusCode, mapped.body).toBe(200);
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await xero?.close();
});

const invoiceOf = (customerId: string) => hub.ctx.db.selectFrom('invoices').select(['id', 'number', 'total']).where('customer_id', '=', customerId).where('status', '=', 'issued').executeTakeFirstOrThrow();
const schedulesOf = async (customerId: string, period?: string) => {
  const res = await send('GET', `/v1/revenue-schedules?customerId=${customerId}${period ? `&period=${period}` : ''}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Record<string, any>[];
};

describe('revenue schedules stored when invoices post, and the period journal', () => {
  it('posts upfront invoices to deferred revenue at invoicing: Cr 2450 1,200.00 and 16.44', async () => {
    const posted = await send('POST', `/v1/billing-runs/${runId}/post`, { connectionId });
    expect(posted.json()).toMatchObject({ queued: 2, blocked: [] });
    for (const customerId of Object.values(customers)) {
      const invoice = await invoiceOf(customerId);
      await until(() => send('GET', `/v1/invoices/${invoice.id}/postings`).then((r) => r.json().items[0]?.status as string), (s) => s === 'posted' || s === 'failed', 'posting');
    }
    const lines = (number: string) => ([...xero.organisation.invoices.values()].find((i) => i.InvoiceNumber === number)!.LineItems as Record<string, any>[]).map((l) => [l.AccountCode, l.LineAmount]);
    expect(lines((await invoiceOf(customers.annual)).number)).toEqual([['2450', 1200]]);
    expect(lines((await invoiceOf(customers.cancelled)).number)).toEqual([['2450', 16.44]]);
  }, 60_000);

  it('stores the annual seat ratably by day from 2026-03-15, with lineage to its invoice and licence line', async () => {
    const [schedule, ...others] = await schedulesOf(customers.annual, '2026-03');
    expect(others).toEqual([]);
    const invoice = await invoiceOf(customers.annual);
    const license = await hub.ctx.db.selectFrom('license_lines').select('id').where('customer_id', '=', customers.annual).executeTakeFirstOrThrow();
    expect(schedule).toMatchObject({
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      linePosition: 1,
      pattern: 'ratable-daily',
      serviceStart: '2026-03-15',
      serviceEnd: '2027-03-14',
      total: '1200.00',
      deferred: true,
      status: 'active',
      reversedAmount: '0.00',
      licenseLineIds: [license.id],
    });
    expect(schedule!.entries).toHaveLength(13);
    expect(schedule!.entries.slice(0, 2)).toMatchObject([
      { period: '2026-03', amount: '55.89', status: 'pending', journals: [] },
      { period: '2026-04', amount: '98.63', status: 'pending' },
    ]);
    const sum = (schedule!.entries as { amount: string }[]).reduce((s, e) => s.plus(e.amount), new Decimal(0));
    expect(sum.toFixed(2)).toBe('1200.00');
    const one = await send('GET', `/v1/revenue-schedules/${schedule!.id}`, undefined, hub.keys.auditor);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(schedule);
    expect((await send('GET', '/v1/revenue-schedules/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('ends the cancelled seat after day 5: 16.44 kept for March, 1,183.56 reversed against the refund', async () => {
    // The refund recognises nothing itself (its whole amount settles the reversed remainder), so only the customer filter lists it.
    const schedules = await schedulesOf(customers.cancelled);
    expect((await schedulesOf(customers.cancelled, '2026-03')).map((s) => s.pattern)).toEqual(['ratable-daily']);
    const purchase = schedules.find((s) => s.pattern === 'ratable-daily')!;
    const refund = schedules.find((s) => s.pattern === 'point-in-time')!;
    expect(purchase).toMatchObject({ total: '1200.00', status: 'ended', endedOn: '2026-03-19', reversedAmount: '1183.56' });
    expect(purchase.entries[0]).toMatchObject({ period: '2026-03', amount: '16.44', status: 'pending' });
    expect(purchase.entries.slice(1).every((e: { status: string }) => e.status === 'reversed')).toBe(true);
    expect(refund).toMatchObject({ total: '-1183.56', status: 'ended', reversedAmount: '-1183.56', reversesScheduleId: purchase.id, entries: [] });
  });

  it('posts the March journal once, Dr deferred 72.33 / Cr revenue 72.33, even when Xero commits and the answer is lost', async () => {
    xero.dropResponsesAfterCommit(1);
    const queued = await send('POST', '/v1/revenue-journals', { period: '2026-03', connectionId });
    expect(queued.statusCode, queued.body).toBe(202);
    const [journal] = await until(
      () => send('GET', '/v1/revenue-journals?period=2026-03').then((r) => r.json().items as Record<string, any>[]),
      (items) => items[0]?.status === 'posted',
      'journal',
      60_000,
    );
    expect(xero.stats().dropped).toBe(1);
    const inXero = [...xero.organisation.manualJournals.values()];
    expect(inXero).toHaveLength(1);
    expect(journal).toMatchObject({ number: 'RJ-2026-03-USD-1', currency: 'USD', total: '72.33', attempts: 2, documentId: inXero[0]!.ManualJournalID });
    expect(inXero[0]).toMatchObject({ Narration: 'CSP Hub revenue recognised 2026-03 USD [RJ-2026-03-USD-1]', Status: 'POSTED', Date: `/Date(${Date.parse('2026-03-31T00:00:00Z')}+0000)/` });
    expect((inXero[0]!.JournalLines as Record<string, any>[]).map((l) => [l.AccountCode, l.LineAmount, l.Tracking.map((t: { Option: string }) => t.Option)])).toEqual([
      ['2450', 72.33, ['Unallocated']],
      ['210', -72.33, ['Unallocated']],
    ]);

    const [annual] = await schedulesOf(customers.annual);
    expect(annual!.entries[0]).toMatchObject({ period: '2026-03', status: 'recognised', journals: [{ number: 'RJ-2026-03-USD-1', system: 'xero', documentId: inXero[0]!.ManualJournalID }] });
    expect(annual!.entries[1]).toMatchObject({ period: '2026-04', status: 'pending', journals: [] });

    // Another run for the period (the crontab, or finance again) finds nothing left to recognise.
    expect(await postPeriodJournals({ period: '2026-03', connectionId }, hub.ctx)).toEqual([]);
    expect(xero.organisation.manualJournals.size).toBe(1);
  }, 90_000);

  it('ends the superseded revision when a revision doubles the price after March was journaled, and catches March up in April', async () => {
    // Revision 2 charges 2,400.00 for the same seat and term (365 days from 2026-03-15).
    // New schedule by hand: March 17 days: 2,400.00 × 17 ÷ 365 = 111.780… → 111.78; through
    // April 30, 47 days: 2,400.00 × 47 ÷ 365 = 309.041… → 309.04, so April is 309.04 − 111.78 = 197.26.
    // March's journal recognised 55.89 under revision 1, so the catch-up is 111.78 − 55.89 = 55.89,
    // in April's journal: recognised through March 55.89 + 55.89 = 111.78; April's journal
    // Dr deferred revenue 197.26 + 55.89 = 253.15 / Cr licence revenue 253.15.
    const first = await invoiceOf(customers.annual);
    const version = await send(
      'POST',
      `/v1/rate-cards/${cards.annual}/versions`,
      { currency: 'USD', effectiveFrom: '2026-01-01', justification: 'Repriced', rounding: { scope: 'line', mode: 'half_up' }, rules: [{ match: { default: true }, unitPrice: '2400.00' }] },
      hub.keys.admin,
    );
    expect(version.statusCode, version.body).toBe(201);
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${cards.annual}/versions/2/approve`, {}, key)).statusCode).toBe(200);
    const rerun = await send('POST', '/v1/billing-runs', { period: '2026-03' }, hub.keys.billing_ops);
    expect(rerun.statusCode, rerun.body).toBe(202);
    const rerunId = rerun.json().id as string;
    await until(() => send('GET', `/v1/billing-runs/${rerunId}?customers=false`).then((r) => r.json().status as string), (s) => ['succeeded', 'partial', 'failed'].includes(s), 'billing run', 60_000);
    const second = await invoiceOf(customers.annual);
    expect(second.id).not.toBe(first.id);
    expect((await send('POST', `/v1/billing-runs/${rerunId}/post`, { connectionId })).statusCode).toBe(202);
    await until(() => send('GET', `/v1/invoices/${second.id}/postings`).then((r) => r.json().items[0]?.status as string), (s) => s === 'posted' || s === 'failed', 'posting');

    const schedules = await schedulesOf(customers.annual);
    const old = schedules.find((s) => s.invoiceId === first.id)!;
    const now = schedules.find((s) => s.invoiceId === second.id)!;
    expect(old).toMatchObject({ total: '1200.00', status: 'ended', reversedAmount: '1144.11' });
    expect(old.entries[0]).toMatchObject({ period: '2026-03', amount: '55.89', status: 'recognised', catchUp: false });
    expect(old.entries.slice(1).every((e: { status: string }) => e.status === 'reversed')).toBe(true);
    expect(now).toMatchObject({ total: '2400.00', status: 'active' });
    expect(now.entries.slice(0, 3)).toMatchObject([
      { period: '2026-03', amount: '111.78', status: 'carried', catchUp: false },
      { period: '2026-04', amount: '197.26', status: 'pending', catchUp: false },
      { period: '2026-04', amount: '55.89', status: 'pending', catchUp: true },
    ]);

    const [april] = await postPeriodJournals({ period: '2026-04', connectionId }, hub.ctx);
    expect(april).toMatchObject({ status: 'posted', number: 'RJ-2026-04-USD-1', total: '253.15', entries: 2 });
    const journal = hub.ctx.db.selectFrom('revenue_journals').select('lines').where('id', '=', april!.journalId);
    expect(((await journal.executeTakeFirstOrThrow()).lines as { account: string; amount: string }[]).map((l) => [l.account, l.amount])).toEqual([
      ['2450', '253.15'],
      ['210', '-253.15'],
    ]);
  }, 120_000);

  it('refuses May while no deferred revenue account is mapped, names the mapping, does not retry, and posts the same journal once mapped', async () => {
    // May for revision 2: through May 31, 78 days: 2,400.00 × 78 ÷ 365 = 512.876… → 512.88; less 309.04 through April = 203.84.
    const mapping = (entry: Record<string, unknown>) => send('PUT', '/v1/accounting-mappings', { system: 'xero', mappings: [{ kind: 'deferredRevenue', value: '*', ...entry }] });
    expect((await mapping({ remove: true })).statusCode).toBe(200);
    const jobs = async () => Number((await sql<{ n: string }>`select count(*) as n from graphile_worker.jobs where task_identifier = 'erp:post_journals'`.execute(hub.ctx.db)).rows[0]!.n);
    const queued = await send('POST', '/v1/revenue-journals', { period: '2026-05', connectionId });
    expect(queued.statusCode, queued.body).toBe(202);
    const [refused] = await until(() => send('GET', '/v1/revenue-journals?period=2026-05').then((r) => r.json().items as Record<string, any>[]), (items) => items[0]?.status === 'failed', 'refused journal');
    // The job finished (nothing left to retry) rather than failing.
    await until(jobs, (n) => n === 0, 'journal job');
    expect(refused).toMatchObject({ number: 'RJ-2026-05-USD-1', attempts: 1, documentId: null });
    expect(refused!.lastError).toBe(
      "journal RJ-2026-05-USD-1 refused: no deferred revenue account is mapped for xero; PUT /v1/accounting-mappings with { kind: 'deferredRevenue', value: '*', account }, then post the period again",
    );
    expect(xero.organisation.manualJournals.size).toBe(2);

    expect((await mapping({ account: '2450' })).statusCode).toBe(200);
    const [posted] = await postPeriodJournals({ period: '2026-05', connectionId }, hub.ctx);
    expect(posted).toMatchObject({ status: 'posted', journalId: refused!.id, number: 'RJ-2026-05-USD-1', total: '203.84', entries: 1 });
    expect(xero.organisation.manualJournals.size).toBe(3);
  }, 90_000);

  it('takes back what March to May recognised past the last day of service when a late cancellation ends revision 2, as a June catch-up', async () => {
    // Microsoft reports in April that the seat was cancelled from 2026-03-20 (last day of service 2026-03-19, day 5).
    // Revision 2 keeps 2,400.00 × 5 ÷ 365 = 32.876… → 32.88 for March and nothing after. Journaled so far:
    // March 111.78 (55.89 under revision 1 + the 55.89 catch-up), April 197.26, May 203.84 = 512.88, so the
    // catch-up in June, the period after the last one journaled, is 32.88 − 512.88 = −480.00 (Dr revenue / Cr deferred 480.00).
    expect((await send('PUT', '/v1/settings/adjustment-approval', { defaultAmount: '100000.00' }, hub.keys.admin)).statusCode).toBe(200);
    await ingestLicenseRecords(hub.database, [cancelledFrom20March('a1b2c3d4-0000-4000-8000-0000000000a1', 'Annual Co')]);
    const run = await send('POST', '/v1/billing-runs', { period: '2026-04' }, hub.keys.billing_ops);
    expect(run.statusCode, run.body).toBe(202);
    const id = run.json().id as string;
    await until(() => send('GET', `/v1/billing-runs/${id}?customers=false`).then((r) => r.json().status as string), (s) => ['succeeded', 'partial', 'failed'].includes(s), 'billing run', 60_000);
    const april = await hub.ctx.db.selectFrom('invoices').select('id').where('customer_id', '=', customers.annual).where('period', '=', '2026-04').where('status', '=', 'issued').executeTakeFirstOrThrow();
    expect((await send('POST', `/v1/billing-runs/${id}/post`, { connectionId })).statusCode).toBe(202);
    await until(() => send('GET', `/v1/invoices/${april.id}/postings`).then((r) => r.json().items[0]?.status as string), (s) => s === 'posted' || s === 'failed', 'posting');

    const revision = (await schedulesOf(customers.annual)).find((s) => s.total === '2400.00')!;
    expect(revision).toMatchObject({ status: 'ended', endedOn: '2026-03-19' });
    expect(revision.entries.filter((e: { catchUp: boolean }) => e.catchUp).map((e: { period: string; amount: string }) => [e.period, e.amount])).toEqual([
      ['2026-04', '55.89'],
      ['2026-06', '-480.00'],
    ]);
    const [june] = await postPeriodJournals({ period: '2026-06', connectionId }, hub.ctx);
    // A journal's total is its debit side: here revenue.
    expect(june).toMatchObject({ status: 'posted', number: 'RJ-2026-06-USD-1', total: '480.00', entries: 1 });
    const lines = (await hub.ctx.db.selectFrom('revenue_journals').select('lines').where('id', '=', june!.journalId).executeTakeFirstOrThrow()).lines as { account: string; amount: string }[];
    expect(lines.map((l) => [l.account, l.amount])).toEqual([
      ['2450', '-480.00'],
      ['210', '480.00'],
    ]);
  }, 120_000);

  it('refuses a hand-built journal that does not balance before it reaches Xero', async () => {
    const row = await hub.ctx.db
      .insertInto('revenue_journals')
      .values({ connection_id: connectionId, system: 'xero', period: '2026-01', currency: 'USD', sequence: 1, idempotency_key: 'hub-rj-unbalanced-test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const writes = xero.stats().writes;
    const poster = xeroJournalPoster(await xeroClientFor(hub.ctx, connectionId), 'USD');
    const lines = [
      { account: '2450', description: 'Deferred revenue released', amount: new Decimal('100.00'), dimensions: null },
      { account: '210', description: 'Revenue', amount: new Decimal('-99.99'), dimensions: null },
    ];
    const outcome = await sendJournal(hub.ctx, poster, {
      journalId: row.id,
      connectionId,
      system: 'xero',
      period: '2026-01',
      currency: 'USD',
      entries: 0,
      journal: { key: 'hub-rj-unbalanced-test', number: 'RJ-2026-01-USD-1', date: '2026-01-31', currency: 'USD', narration: 'Unbalanced', lines },
    });
    expect(outcome).toMatchObject({ status: 'failed', documentId: null, retryable: false });
    expect(outcome.error).toBe('journal RJ-2026-01-USD-1 does not balance: debits 100 USD, credits 99.99 USD; nothing was sent to the ERP');
    expect(xero.stats().writes).toBe(writes);
    expect(xero.organisation.manualJournals.size).toBe(4);
    const stored = await hub.ctx.db.selectFrom('revenue_journals').select(['status', 'last_error']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'failed', last_error: outcome.error });
  });
});
