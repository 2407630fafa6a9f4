import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/engine/decimal.ts';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { connectSandbox, startSmallSandbox, waitForRun } from '../helpers/partner-center-sync.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// A close over what a real sync stored: the sandbox's October (billed usage and licences,
// several billing currencies), one approved card per customer in its billing currency.
let hub: TestHub;
let worker: RunningWorker;
let sandbox: PartnerCenterSandbox;

beforeAll(async () => {
  hub = await createTestHub();
  worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
  sandbox = await startSmallSandbox();
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await hub?.close();
  await sandbox?.close();
});

const send = (method: 'GET' | 'POST', url: string, payload?: unknown, key = hub.keys.admin) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });

describe('closing a synced month', () => {
  it('invoices every customer with a card, with totals equal to the sum of lines in each currency', async () => {
    const connectionId = await connectSandbox(hub, sandbox);
    const sync = await send('POST', `/v1/connections/${connectionId}/sync`, { kind: 'billed', period: '2026-10' });
    expect((await waitForRun(hub, sync.json().id, 120_000)).status).toBe('succeeded');

    const currencies = await hub.ctx.db
      .selectFrom('usage_lines')
      .select(['customer_id', 'billing_currency'])
      .distinct()
      .unionAll(hub.ctx.db.selectFrom('license_lines').select(['customer_id', 'currency as billing_currency']).distinct())
      .execute();
    const currencyOf = new Map(currencies.map((c) => [c.customer_id, c.billing_currency!]));
    expect(currencyOf.size).toBeGreaterThan(1);
    for (const [customerId, currency] of currencyOf) {
      const card = await send('POST', '/v1/rate-cards', {
        name: 'Standard',
        customerId,
        currency,
        effectiveFrom: '2026-01-01',
        justification: 'Standard prices',
        targetMarginPercent: '13',
        rules: [
          { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
          { match: { default: true }, basis: 'cost', markupPercent: '12' },
        ],
      });
      expect(card.statusCode, card.body).toBe(201);
      for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, {}, key)).statusCode).toBe(200);
    }

    const started = await send('POST', '/v1/billing-runs', { period: '2026-10' }, hub.keys.finance);
    expect(started.statusCode).toBe(202);
    let run: Record<string, any>;
    for (;;) {
      run = (await send('GET', `/v1/billing-runs/${started.json().id}`, undefined, hub.keys.auditor)).json();
      if (['succeeded', 'partial', 'failed'].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run.errors).toEqual([]);
    expect(run.status).toBe('succeeded');
    expect(run.report.customers.issued).toBe(currencyOf.size);
    expect(run.report.lines.usage).toBeGreaterThan(0);

    const invoices = (await send('GET', '/v1/invoices?period=2026-10&limit=500', undefined, hub.keys.finance)).json().items as Array<{ id: string; currency: string }>;
    expect(invoices).toHaveLength(currencyOf.size);
    for (const { id } of invoices) {
      const invoice = (await send('GET', `/v1/invoices/${id}`, undefined, hub.keys.finance)).json();
      const sum = (invoice.lines as Array<{ amount: string }>).reduce((s, l) => s.plus(l.amount), new Decimal(0));
      expect(sum.equals(invoice.totals.total), invoice.number).toBe(true);
      const lineage = (await send('GET', `/v1/invoices/${id}/lineage`, undefined, hub.keys.auditor)).json();
      for (const line of lineage.lines) {
        const counted = (line.sources as Array<{ count: number; allocation: { amount: string } }>).reduce((s, src) => s.plus(src.allocation.amount), new Decimal(0));
        if (line.kind === 'charge' || line.kind === 'adjustment') expect(counted.equals(line.exactAmount), `${invoice.number} line ${line.position}`).toBe(true);
      }
    }
    const margin = (await send('GET', '/v1/reports/margin?period=2026-10', undefined, hub.keys.finance)).json();
    expect(margin.byCustomer).toHaveLength(currencyOf.size);
  }, 180_000);

  it("names each subscription on the documents as Partner Center does, its id in small print", async () => {
    // The names the sandbox serves: licence subscriptions' friendlyName, Azure subscriptions' (entitlements') friendlyName.
    const named = new Map<string, string>();
    for (const c of sandbox.portfolio.customers) {
      for (const s of c.licenseSubscriptions) named.set(s.id, s.friendlyName);
      for (const e of c.azurePlan?.entitlements ?? []) named.set(e.id, e.friendlyName);
    }
    const invoices = (await send('GET', '/v1/invoices?period=2026-10&limit=500', undefined, hub.keys.finance)).json().items as Array<{ id: string }>;
    let groups = 0;
    for (const { id } of invoices) {
      const html = (await send('GET', `/v1/invoices/${id}/document?format=detailed&type=html`, undefined, hub.keys.finance)).body;
      for (const row of html.matchAll(/<tr class="group group-1"><th scope="rowgroup" colspan="\d+">(.*?)<\/th>/g)) {
        const [, name, subscriptionId] = /^Subscription (.*?)(?: <span class="detail">(.*)<\/span>)?$/.exec(row[1]!) ?? [];
        expect(subscriptionId, `${row[1]} carries its id`).toBeDefined();
        expect(name, subscriptionId).toBe(named.get(subscriptionId!));
        groups++;
      }
    }
    expect(groups).toBeGreaterThan(invoices.length);
  }, 60_000);
});
