import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePeriod } from '../../src/jobs/billing/close.ts';
import { closeCustomer } from '../../src/jobs/billing/close-customer.ts';
import { runStageOf } from '../../src/db/run-usage-stage.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// A billing run reads the period's usage once for all its customers, summed into groups
// per customer, and each customer's close prices its groups. The jobs run by hand here, so
// the test can act between the fan-out and a customer's close. Figures (card: cost + 10 %,
// scope line, half-up): compute 1.95 + 8.16 = 10.11 → 11.121 → 11.12; with a further
// 5.00 compute line, 15.11 → 16.621 → 16.62.
//
// At market fx a group splits where the card's rates change within the period. Contoso is
// billed in EUR by a USD card at market rates (cost + 10 %, rounded per invoice), for
// November: EUR→USD 1.10 from 31 Oct, 1.20 from 5 Nov. Lines of 10.00 EUR on 3, 4 and 6
// Nov: (20 × 1.10 + 10 × 1.20) × 1.1 = 37.40 (one group over the three would take 3 Nov's
// rate: 36.30). With a further line on 21 Nov at 1.20: (22 + 24) × 1.1 = 50.60; once a
// rate of 1.30 from 20 Nov is added: (22 + 12 + 13) × 1.1 = 51.70.

const TENANT = 'a1b2c3d4-0000-4000-8000-0000000000f7';
let hub: TestHub;
let customerId = '';

const send = (method: 'GET' | 'POST', url: string, payload: unknown, key: string) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });
const compute = (day: number, cost: string) => usageRecord({ CustomerId: TENANT, CustomerName: 'Northwind', UsageDate: `10/${day}/2026 0:00`, BillingPreTaxTotal: cost });

async function fanOut(period = '2026-10'): Promise<string> {
  const started = await send('POST', '/v1/billing-runs', { period }, hub.keys.billing_ops);
  expect(started.statusCode, started.body).toBe(202);
  const runId = started.json().id as string;
  await closePeriod({ runId }, hub.ctx);
  return runId;
}

async function issuedTotal(customer = customerId): Promise<string> {
  const invoice = await hub.ctx.db.selectFrom('invoices').select('total').where('customer_id', '=', customer).where('status', '=', 'issued').executeTakeFirstOrThrow();
  return String(invoice.total);
}

async function stagedSchemas(): Promise<string[]> {
  const { rows } = await sql<{ nspname: string }>`select nspname from pg_namespace where nspname like 'close_run_%'`.execute(hub.ctx.db);
  return rows.map((r) => r.nspname);
}

beforeAll(async () => {
  hub = await createTestHub();
  await ingestUsageRecords(hub.database, [compute(3, '1.95'), compute(4, '8.16')]);
  customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('external_id', '=', TENANT).executeTakeFirstOrThrow()).entity_id;
  const card = await send(
    'POST',
    '/v1/rate-cards',
    { name: 'Northwind card', customerId, currency: 'USD', effectiveFrom: '2026-09-01', justification: 'Agreed prices', rounding: { scope: 'line', mode: 'half_up' }, rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }] },
    hub.keys.admin,
  );
  expect(card.statusCode, card.body).toBe(201);
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, {}, key)).statusCode).toBe(200);
}, 60_000);

afterAll(async () => {
  await hub?.close();
});

describe('the run-level staging of the period usage', () => {
  it("prices the usage as the run grouped it, and drops the groups when the run finishes", async () => {
    const runId = await fanOut();
    expect(await stagedSchemas()).toEqual([`close_run_${runId.replace(/-/g, '')}`]);
    const counted = await hub.ctx.db.selectFrom('close_run_stage_counts').select(['customer_id', 'line_count']).where('billing_run_id', '=', runId).execute();
    expect(counted.map((c) => [c.customer_id, String(c.line_count)])).toEqual([[customerId, '2']]);

    // A line stored after the fan-out is not this run's: the next close picks it up.
    await ingestUsageRecords(hub.database, [compute(6, '5.00')]);
    await closeCustomer({ runId, customerId }, hub.ctx);
    expect(await issuedTotal()).toBe('11.12');
    const run = await hub.ctx.db.selectFrom('billing_runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow();
    expect(run.status).toBe('succeeded');
    expect(await stagedSchemas()).toEqual([]);
    expect(await hub.ctx.db.selectFrom('close_run_stage_counts').select('customer_id').where('billing_run_id', '=', runId).execute()).toEqual([]);
  });

  it('groups usage_lines itself when the run\'s groups lost their rows (an unlogged table after a crash)', async () => {
    const runId = await fanOut();
    // Crash recovery empties unlogged tables: the logged count no longer matches.
    await sql.raw(`truncate close_run_${runId.replace(/-/g, '')}.groups`).execute(hub.ctx.db);
    await closeCustomer({ runId, customerId }, hub.ctx);
    expect(await issuedTotal()).toBe('16.62');
    expect(await stagedSchemas()).toEqual([]);
  });

  it('drops what a failed run left staged when the next run fans out', async () => {
    const failed = await fanOut();
    await hub.ctx.db.updateTable('billing_runs').set({ status: 'failed', finished_at: new Date() }).where('id', '=', failed).execute();
    expect(await stagedSchemas()).toHaveLength(1);
    const next = await fanOut();
    expect(await stagedSchemas()).toEqual([`close_run_${next.replace(/-/g, '')}`]);
    await closeCustomer({ runId: next, customerId }, hub.ctx);
    expect(await stagedSchemas()).toEqual([]);
  });

  it("splits a market-fx customer's groups where its card's rates change, and groups usage_lines itself when the card's rates changed since the fan-out", async () => {
    const CONTOSO = 'a1b2c3d4-0000-4000-8000-0000000000f8';
    const euros = (day: number) =>
      usageRecord({
        CustomerId: CONTOSO,
        CustomerName: 'Contoso',
        UsageDate: `11/${day}/2026 0:00`,
        ChargeStartDate: '11/1/2026 0:00',
        ChargeEndDate: '11/30/2026 23:59',
        BillingPreTaxTotal: '10.00',
        BillingCurrency: 'EUR',
        PricingCurrency: 'EUR',
      });
    await ingestUsageRecords(hub.database, [euros(3), euros(4), euros(6)]);
    const contoso = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('external_id', '=', CONTOSO).executeTakeFirstOrThrow()).entity_id;
    const market = (date: string, rate: string) => ({ source: 'market', from: 'EUR', to: 'USD', date, rate });
    expect((await send('POST', '/v1/fx-rates', [market('2026-10-31', '1.10'), market('2026-11-05', '1.20')], hub.keys.finance)).statusCode).toBe(200);
    const card = await send(
      'POST',
      '/v1/rate-cards',
      { name: 'Contoso card', customerId: contoso, currency: 'USD', fx: { source: 'market' }, effectiveFrom: '2026-09-01', rounding: { scope: 'invoice', mode: 'half_up' }, rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }] },
      hub.keys.admin,
    );
    expect(card.statusCode, card.body).toBe(201);
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, {}, key)).statusCode).toBe(200);

    const first = await fanOut('2026-11');
    expect((await runStageOf(hub.ctx.db, first, contoso))?.rateSplits).toEqual(['2026-11-05']);
    // Stored after the fan-out: the close prices the run's groups, without it.
    await ingestUsageRecords(hub.database, [euros(21)]);
    await closeCustomer({ runId: first, customerId: contoso }, hub.ctx);
    expect(await issuedTotal(contoso)).toBe('37.4');

    const second = await fanOut('2026-11');
    // A rate from 20 Nov arrives after the fan-out: the run split at 5 Nov only, so the close groups the lines itself.
    expect((await send('POST', '/v1/fx-rates', [market('2026-11-20', '1.30')], hub.keys.finance)).statusCode).toBe(200);
    await closeCustomer({ runId: second, customerId: contoso }, hub.ctx);
    expect(await issuedTotal(contoso)).toBe('51.7');
    expect(await stagedSchemas()).toEqual([]);
  });
});
