import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../src/connectors/http/exact-json.ts';
import { knownCurrencies, unbilledCurrencies } from '../../src/jobs/partner-center/currencies.ts';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import { mapLicenseLine, mapUsageLine } from '../../src/mappings/partner-center/lines.ts';
import { dayOf, monthIndexOfDay } from '../../src/sandbox/partner-center/calendar.ts';
import { LicenseLineSource, UsageLineSource, type PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { WRITERS } from '../../src/sandbox/partner-center/writers.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { connectSandbox, SANDBOX_NOW, startSmallSandbox, usageFingerprint, waitForRun } from '../helpers/partner-center-sync.ts';
import { importThroughApi } from '../helpers/imports.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

let hub: TestHub;
let worker: RunningWorker | undefined;
const sandboxes: PartnerCenterSandbox[] = [];

beforeEach(async () => {
  hub = await createTestHub();
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await hub.close();
});
afterAll(async () => {
  for (const s of sandboxes) await s.close();
});

async function sandboxFor(options: Parameters<typeof startSmallSandbox>[0]) {
  const sandbox = await startSmallSandbox(options);
  sandboxes.push(sandbox);
  return sandbox;
}

async function unbilledSync(connectionId: string): Promise<Record<string, any>> {
  const started = await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.billing_ops), payload: { kind: 'unbilled' } });
  expect(started.statusCode).toBe(202);
  return waitForRun(hub, started.json().id, 120_000);
}

/** The unbilled sources a run asked Microsoft for, as the keys of its saved cursors. */
async function requested(runId: string): Promise<{ usage: string[]; licenses: string[] }> {
  const rows = await hub.ctx.db.selectFrom('sync_cursors').select('scope').where('scope', 'like', `run:${runId}:%`).execute();
  const keys = (prefix: string) => rows.filter((r) => r.scope.startsWith(prefix)).map((r) => r.scope.slice(prefix.length)).sort();
  return { usage: keys(`run:${runId}:usage-export:`), licenses: keys(`run:${runId}:license:`) };
}

const expectedKeys = (currencies: string[], periods: [string, string]) => currencies.flatMap((c) => periods.map((p) => `unbilled:${p}:${c}`)).sort();

/**
 * What the sandbox published as unbilled (this month and last) in each currency, mapped to
 * the hub's natural keys and counted per currency and customer tenant.
 */
function publishedCounts(sandbox: PartnerCenterSandbox, currencies: readonly string[]): { usage: Map<string, number>; licenses: Map<string, number> } {
  const month = monthIndexOfDay(dayOf(SANDBOX_NOW.getTime()));
  const usage = new Map<string, Set<string>>();
  const licenses = new Map<string, Set<string>>();
  const add = (into: Map<string, Set<string>>, group: string, key: string) => into.set(group, (into.get(group) ?? new Set()).add(key));
  for (const currency of currencies) {
    for (const billingMonth of [month, month - 1]) {
      const scope = { billingMonth, currency, asOfMs: SANDBOX_NOW.getTime(), invoiceNumber: '' };
      for (const line of new UsageLineSource(sandbox.portfolio, scope).rendered(WRITERS.usageBlobFull)) {
        const mapped = mapUsageLine(parseJsonExact(line) as Record<string, unknown>);
        if (!mapped.ok) throw new Error(JSON.stringify(mapped.errors));
        expect(mapped.row.billing_currency).toBe(currency);
        add(usage, `${currency}|${mapped.row.customer_tenant_id}`, `${mapped.row.usage_date}|${mapped.row.line_key}`);
      }
      for (const line of new LicenseLineSource(sandbox.portfolio, scope).rendered(WRITERS.licenseApi)) {
        const mapped = mapLicenseLine(parseJsonExact(line) as Record<string, unknown>);
        if (!mapped.ok) throw new Error(JSON.stringify(mapped.errors));
        expect(mapped.row.currency).toBe(currency);
        add(licenses, `${currency}|${mapped.row.customer_tenant_id}`, mapped.row.line_key!);
      }
    }
  }
  const sizes = (m: Map<string, Set<string>>) => new Map([...m].map(([k, v]) => [k, v.size]));
  return { usage: sizes(usage), licenses: sizes(licenses) };
}

async function storedCounts(): Promise<{ usage: Map<string, number>; licenses: Map<string, number> }> {
  const usage = await hub.ctx.db
    .selectFrom('usage_lines')
    .select(['billing_currency', 'customer_tenant_id', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy(['billing_currency', 'customer_tenant_id'])
    .execute();
  const licenses = await hub.ctx.db
    .selectFrom('license_lines')
    .select(['currency', 'customer_tenant_id', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy(['currency', 'customer_tenant_id'])
    .execute();
  return {
    usage: new Map(usage.map((r) => [`${r.billing_currency}|${r.customer_tenant_id}`, Number(r.n)])),
    licenses: new Map(licenses.map((r) => [`${r.currency}|${r.customer_tenant_id}`, Number(r.n)])),
  };
}

const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b));

describe('Partner Center unbilled data in every billing currency', () => {
  it('asks for each currency the partner is billed in and stores every customer’s unbilled usage and licence lines; a repeated trigger adds nothing', async () => {
    // Seed 11: customers billed in USD, EUR and GBP; October's invoices are out (one per currency).
    const sb = await sandboxFor({ seed: 11 });
    const currencies = sb.portfolio.currencies();
    expect(currencies).toEqual(['USD', 'EUR', 'GBP']);
    worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
    const connectionId = await connectSandbox(hub, sb);

    const run = await unbilledSync(connectionId);
    expect(run.status).toBe('succeeded');
    expect(run.errors).toEqual([]);
    const asked = await requested(run.id);
    expect(asked.usage).toEqual(expectedKeys([...currencies], ['current', 'last']));
    expect(asked.licenses).toEqual(expectedKeys([...currencies], ['current', 'previous']));

    const expected = publishedCounts(sb, currencies);
    // Every customer of the portfolio has lines, in its own currency, and all of them are stored.
    for (const c of sb.portfolio.customers) {
      expect([...expected.usage.keys()].some((k) => k === `${c.geography.currency}|${c.id}`) || c.azurePlan === null, c.id).toBe(true);
    }
    const stored = await storedCounts();
    expect(sorted(stored.usage)).toEqual(sorted(expected.usage));
    expect(sorted(stored.licenses)).toEqual(sorted(expected.licenses));
    const perCurrency = (m: Map<string, number>) => Object.fromEntries(currencies.map((cur) => [cur, [...m].filter(([k]) => k.startsWith(`${cur}|`)).reduce((s, [, n]) => s + n, 0)]));
    for (const cur of currencies) {
      expect(perCurrency(stored.usage)[cur], `usage ${cur}`).toBeGreaterThan(0);
      expect(perCurrency(stored.licenses)[cur], `licences ${cur}`).toBeGreaterThan(0);
    }
    expect(run.progress.lines).toBe(Object.values(perCurrency(expected.usage)).concat(Object.values(perCurrency(expected.licenses))).reduce((s, n) => s + n, 0));

    const usageBefore = await usageFingerprint(hub);
    const again = await unbilledSync(connectionId);
    expect(again.status).toBe('succeeded');
    expect(again.id).not.toBe(run.id);
    expect((await requested(again.id)).usage).toEqual(asked.usage);
    expect(await usageFingerprint(hub)).toEqual(usageBefore);
    const storedAgain = await storedCounts();
    expect(sorted(storedAgain.usage)).toEqual(sorted(expected.usage));
    expect(sorted(storedAgain.licenses)).toEqual(sorted(expected.licenses));
  });

  it('adds the configured currencies and the customers’ own; a currency nobody is billed in comes back empty, not as an error', async () => {
    // Seed 11 with more foreign customers: EUR and GBP only, no USD customer at all.
    const sb = await sandboxFor({ seed: 11, customers: 6, foreignCurrencyShare: 0.6 });
    expect(sb.portfolio.currencies()).toEqual(['EUR', 'GBP']);
    worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
    const connectionId = await connectSandbox(hub, sb, { currencies: ['JPY'] });

    // The hub knows no customer yet: the invoices name EUR and GBP, the settings JPY.
    const first = await unbilledSync(connectionId);
    expect(first.status).toBe('succeeded');
    expect(first.errors).toEqual([]);
    expect((await requested(first.id)).usage).toEqual(expectedKeys(['EUR', 'GBP', 'JPY'], ['current', 'last']));
    expect((await requested(first.id)).licenses).toEqual(expectedKeys(['EUR', 'GBP', 'JPY'], ['current', 'previous']));
    const expected = publishedCounts(sb, ['EUR', 'GBP']);
    expect(sorted((await storedCounts()).usage)).toEqual(sorted(expected.usage));
    expect(sorted((await storedCounts()).licenses)).toEqual(sorted(expected.licenses));

    // Now the customers exist (billed in USD by the hub, the default): USD is asked for too, and is empty.
    const second = await unbilledSync(connectionId);
    expect(second.status).toBe('succeeded');
    expect(second.errors).toEqual([]);
    expect((await requested(second.id)).usage).toEqual(expectedKeys(['EUR', 'GBP', 'JPY', 'USD'], ['current', 'last']));
    expect(sorted((await storedCounts()).usage)).toEqual(sorted(expected.usage));
    expect(sorted((await storedCounts()).licenses)).toEqual(sorted(expected.licenses));
  });
});

describe('connection settings', () => {
  const credentials = { tenantId: 't', clientId: 'c', clientSecret: 's', refreshToken: 'r' };
  const create = (settings: unknown) =>
    hub.app.inject({ method: 'POST', url: '/v1/connections', headers: hub.auth(hub.keys.admin), payload: { provider: 'partner-center', name: 'pc', credentials, settings } });

  it('takes currencies as a list of ISO 4217 codes, and still takes the single currency', async () => {
    const ok = await create({ currencies: ['EUR', 'GBP'], currency: 'USD' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().settings).toEqual({ currencies: ['EUR', 'GBP'], currency: 'USD' });
    const patched = await hub.app.inject({ method: 'PATCH', url: `/v1/connections/${ok.json().id}`, headers: hub.auth(hub.keys.admin), payload: { settings: { currencies: ['CHF'] } } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().settings).toEqual({ currencies: ['CHF'] });

    for (const bad of [{ currencies: ['eur'] }, { currencies: ['EURO'] }, { currencies: ['EUR', 'EUR'] }, { currency: 'dollars' }]) {
      const res = await create(bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().field, JSON.stringify(bad)).toMatch(/^settings\.currenc/);
    }
  });
});

describe('what the hub knows of a connection’s currencies', () => {
  const credentials = { tenantId: 't', clientId: 'c', clientSecret: 's', refreshToken: 'r' };
  const connect = async (settings: Record<string, unknown> = {}) =>
    (await hub.app.inject({ method: 'POST', url: '/v1/connections', headers: hub.auth(hub.keys.admin), payload: { provider: 'partner-center', name: `pc ${Math.random()}`, credentials, settings } })).json().id as string;
  const importFile = async (records: Record<string, unknown>[]) => {
    worker ??= await startWorker(hub.database.pool, hub.ctx, { concurrency: 1, crontab: '' });
    return importThroughApi(hub, records.map((r) => JSON.stringify(r)).join('\n'), { contentType: 'application/x-ndjson' });
  };

  it('joins the settings, the customers’ billing currencies and the currencies Microsoft billed them in', async () => {
    const a = await connect({ currency: 'CHF' });
    expect((await unbilledCurrencies(hub.ctx.db, a, { settings: { currency: 'CHF' } })).currencies).toEqual(['CHF']);
    expect((await unbilledCurrencies(hub.ctx.db, a, { settings: {} })).currencies).toEqual(['USD']);
    // A legacy lower-case setting stored before the schema checked it still counts.
    expect((await unbilledCurrencies(hub.ctx.db, a, { settings: { currency: 'chf' } })).currencies).toEqual(['CHF']);

    // Files from the portal: a GBP-billed usage customer and a EUR-billed licence customer (both created, billed by the hub in USD).
    await importFile([usageRecord({ CustomerId: 'A1B2C3D4-0000-4000-8000-0000000000AA', BillingCurrency: 'GBP' })]);
    await importFile([licenseRecord({ CustomerId: '9B1D4E22-7F3A-4C55-8A66-0000000000BB', Currency: 'EUR' })]);
    const eurCustomer = await hub.ctx.db
      .selectFrom('external_links')
      .select('entity_id')
      .where('system', '=', 'partner-center')
      .where('external_id', '=', '9b1d4e22-7f3a-4c55-8a66-0000000000bb')
      .executeTakeFirstOrThrow();
    await hub.ctx.db.updateTable('customers').set({ billing_currency: 'EUR' }).where('id', '=', eurCustomer.entity_id).execute();

    // The only Partner Center connection: every customer linked to a tenant is its customer.
    expect(await knownCurrencies(hub.ctx.db, a)).toEqual({ customers: expect.arrayContaining(['USD', 'EUR']), lines: expect.arrayContaining(['GBP', 'EUR']) });
    const all = await unbilledCurrencies(hub.ctx.db, a, {
      settings: { currencies: ['JPY'], currency: 'CHF' },
      invoices: [{ id: 'G1', billingPeriodStartDate: '2026-10-01T00:00:00Z', currencyCode: 'NOK' }],
    });
    expect(all.currencies).toEqual(['CHF', 'EUR', 'GBP', 'JPY', 'NOK', 'USD']);
    expect(all.from).toEqual({ settings: ['CHF', 'JPY'], customers: ['EUR', 'USD'], lines: ['EUR', 'GBP'], invoices: ['NOK'] });

    // With a second Partner Center connection, a connection's customers are those it synced subscriptions for.
    const b = await connect();
    expect(await knownCurrencies(hub.ctx.db, a)).toEqual({ customers: [], lines: [] });
    await hub.ctx.db.insertInto('subscriptions').values({ customer_id: eurCustomer.entity_id, connection_id: b, status: 'active' }).execute();
    expect(await knownCurrencies(hub.ctx.db, b)).toEqual({ customers: ['EUR'], lines: ['EUR'] });
    expect(await knownCurrencies(hub.ctx.db, a)).toEqual({ customers: [], lines: [] });
  });
});
