import { gunzipSync } from 'node:zlib';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPartnerCenterSandbox, USAGE_LINE_FIELDS, type PartnerCenterSandbox, type PartnerCenterSandboxOptions } from '../../../src/sandbox/partner-center/index.ts';
import { facts } from './vendor-facts.ts';
import { downloadBlob, exportLines, getAllPages, GRAPH_RESOURCE, PC_RESOURCE, runExport, token, type ManifestJson } from './partner-center-client.ts';

const NOW = Date.parse('2026-09-20T12:00:00Z');
let wallMs = NOW;
const OPTIONS: PartnerCenterSandboxOptions = {
  seed: 9,
  customers: 6,
  subscriptionsPerCustomer: 3,
  licenseShare: 0.34,
  resourcesPerSubscription: 10,
  period: '2026-08',
  days: 61,
  foreignCurrencyShare: 0.5,
  latentShare: 0.02,
  linesPerBlob: 500,
  exportPollsBeforeReady: 2,
  now: new Date(NOW),
  wallClock: () => wallMs,
};

let sandbox: PartnerCenterSandbox;
let graphToken: string;

beforeAll(async () => {
  sandbox = await startPartnerCenterSandbox(OPTIONS);
  graphToken = await token(sandbox, GRAPH_RESOURCE);
});
afterAll(() => sandbox.close());

async function unbilledManifest(target: PartnerCenterSandbox, bearer: string, extra: Record<string, string> = {}): Promise<ManifestJson> {
  const op = await runExport(target, bearer, '/reports/partners/billing/usage/unbilled/export', { currencyCode: 'USD', billingPeriod: 'current', attributeSet: 'full', ...extra });
  expect(op.status).toBe('succeeded');
  return op.resourceLocation as ManifestJson;
}

const floor2 = (v: Decimal) => v.toDecimalPlaces(2, Decimal.ROUND_DOWN);
const lineKey = (l: Record<string, unknown>) => `${String(l.ResourceURI)}|${String(l.UsageDate)}`;

describe('usage export (Graph v2)', () => {
  it('runs, reports running with Retry-After, then succeeds with a manifest', async () => {
    const headers = { authorization: `Bearer ${graphToken}`, 'content-type': 'application/json' };
    const started = await fetch(`${sandbox.graphUrl}/reports/partners/billing/usage/unbilled/export`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ currencyCode: 'USD', billingPeriod: 'current', attributeSet: 'full' }),
    });
    expect(started.status).toBe(202);
    const location = started.headers.get('location') ?? '';
    expect(location).toMatch(/\/v1\.0\/reports\/partners\/billing\/operations\/[0-9a-f-]{36}$/);
    const first = await fetch(location, { headers });
    expect(first.headers.get('retry-after')).toBe('1');
    expect(((await first.json()) as Record<string, unknown>).status).toBe('running');
    await fetch(location, { headers });
    const done = (await (await fetch(location, { headers })).json()) as Record<string, unknown>;
    expect(done.status).toBe('succeeded');
    expect(done['@odata.type']).toBe('#microsoft.graph.partners.billing.exportSuccessOperation');
    const manifestUrl = String(done['resourceLocation@odata.navigationLink']);
    const manifest = (await (await fetch(manifestUrl, { headers })).json()) as ManifestJson;
    expect(manifest).toEqual(done.resourceLocation);
    expect(manifest).toMatchObject({ dataFormat: 'compressedJSONLines', partitionType: 'Default', partnerTenantId: sandbox.credentials.tenantId });
    expect(manifest.blobCount).toBe(manifest.blobs.length);
  });

  it('splits large exports into blobs of gzipped JSON lines whose totals obey Microsoft formula', async () => {
    const manifest = await unbilledManifest(sandbox, graphToken);
    expect(manifest.blobCount).toBeGreaterThan(1);
    const lines = await exportLines(manifest);
    expect(lines.length).toBeGreaterThan(500 * (manifest.blobCount - 1));
    expect(new Set(lines.map(lineKey)).size).toBe(lines.length);
    for (const l of lines) {
      expect(l.BillingCurrency).toBe('USD');
      expect(l.InvoiceNumber).toBe('');
      const eup = new Decimal(String(l.EffectiveUnitPrice));
      expect(eup.lte(new Decimal(String(l.UnitPrice)))).toBe(true);
      const billing = floor2(eup.times(String(l.Quantity)).times(String(l.PCToBCExchangeRate)));
      expect(new Decimal(String(l.BillingPreTaxTotal)).eq(billing)).toBe(true);
      // Nothing is visible before 24 h have passed since its usage date.
      expect(Date.parse(String(l.UsageDate)) + 24 * 3600_000).toBeLessThanOrEqual(NOW);
    }
  });

  it('publishes usage 24–48 h late: moving the clock forward makes more lines appear', async () => {
    const before = await exportLines(await unbilledManifest(sandbox, graphToken));
    sandbox.setNow(new Date(NOW + 2 * 24 * 3600_000));
    const after = await exportLines(await unbilledManifest(sandbox, graphToken));
    sandbox.setNow(new Date(NOW));
    expect(after.length).toBeGreaterThan(before.length);
    const afterKeys = new Set(after.map(lineKey));
    for (const l of before) expect(afterKeys.has(lineKey(l))).toBe(true);
    const newest = (ls: Array<Record<string, unknown>>) => ls.map((l) => String(l.UsageDate)).sort().at(-1);
    expect(String(newest(after)) > String(newest(before))).toBe(true);
    // Some lines of a day are out while others of the same day are not: the delay is per line.
    const beforeDays = new Map<string, number>();
    for (const l of before) beforeDays.set(String(l.UsageDate), (beforeDays.get(String(l.UsageDate)) ?? 0) + 1);
    const afterDays = new Map<string, number>();
    for (const l of after) afterDays.set(String(l.UsageDate), (afterDays.get(String(l.UsageDate)) ?? 0) + 1);
    const partial = [...beforeDays].filter(([day, n]) => n > 0 && n < (afterDays.get(day) ?? 0));
    expect(partial.length).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed gives byte-identical blobs, another seed does not', async () => {
    const twin = await startPartnerCenterSandbox(OPTIONS);
    const other = await startPartnerCenterSandbox({ ...OPTIONS, seed: 10 });
    try {
      const a = await unbilledManifest(sandbox, graphToken);
      const b = await unbilledManifest(twin, await token(twin, GRAPH_RESOURCE));
      const c = await unbilledManifest(other, await token(other, GRAPH_RESOURCE));
      expect(b.blobCount).toBe(a.blobCount);
      for (let i = 0; i < a.blobCount; i++) expect((await downloadBlob(a, i)).equals(await downloadBlob(b, i))).toBe(true);
      expect((await downloadBlob(a, 0)).equals(await downloadBlob(c, 0))).toBe(false);
    } finally {
      await twin.close();
      await other.close();
    }
  });

  it('answers 403 for a tampered or expired SAS', async () => {
    const manifest = await unbilledManifest(sandbox, graphToken);
    const blob = manifest.blobs[0]?.name ?? '';
    const tampered = await fetch(`${manifest.rootDirectory}/${blob}?${manifest.sasToken.replace(/sig=[^&]+/, 'sig=AAAA')}`);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>AuthenticationFailed</Code>');
    expect((await fetch(`${manifest.rootDirectory}/${blob}`)).status).toBe(403);
    wallMs += 13 * 3600_000;
    try {
      expect((await fetch(`${manifest.rootDirectory}/${blob}?${manifest.sasToken}`)).status).toBe(403);
    } finally {
      wallMs = NOW;
    }
    graphToken = await token(sandbox, GRAPH_RESOURCE);
  });

  it(`answers 410 Gone, as Microsoft documents, for an operation and a manifest that have outlived their links`, async () => {
    const headers = { authorization: `Bearer ${graphToken}`, 'content-type': 'application/json' };
    const started = await fetch(`${sandbox.graphUrl}/reports/partners/billing/usage/unbilled/export`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ currencyCode: 'USD', billingPeriod: 'current', attributeSet: 'basic' }),
    });
    const location = started.headers.get('location') ?? '';
    let done: Record<string, any> = {};
    for (let i = 0; i < 5 && done.status !== 'succeeded'; i++) done = (await (await fetch(location, { headers })).json()) as Record<string, any>;
    const manifestUrl = String(done['resourceLocation@odata.navigationLink'] ?? '');
    expect(manifestUrl).toMatch(/manifests/);
    expect((await fetch(manifestUrl, { headers })).status).toBe(200);
    wallMs += 25 * 3600_000;
    try {
      graphToken = await token(sandbox, GRAPH_RESOURCE);
      const fresh = { ...headers, authorization: `Bearer ${graphToken}` };
      const op = await fetch(location, { headers: fresh });
      expect(op.status).toBe(facts.exportOperations.expiredStatus);
      expect(((await op.json()) as { error: { code: string } }).error.code).toBe('Gone');
      expect((await fetch(manifestUrl, { headers: fresh })).status).toBe(facts.exportOperations.expiredStatus);
    } finally {
      wallMs = NOW;
      graphToken = await token(sandbox, GRAPH_RESOURCE);
    }
  });

  it('exports only the basic attributes when asked', async () => {
    const lines = await exportLines(await unbilledManifest(sandbox, graphToken, { attributeSet: 'basic' }));
    const basic = USAGE_LINE_FIELDS.filter((f) => f.basic && f.blob !== null).map((f) => f.blob);
    expect(Object.keys(lines[0] ?? {})).toEqual(basic);
  });

  it('carries latent usage: last period’s lines charged in this period with last period’s dates', async () => {
    const lines = await exportLines(await unbilledManifest(sandbox, graphToken));
    const latent = lines.filter((l) => String(l.UsageDate).startsWith('2026-08'));
    expect(latent.length).toBeGreaterThan(0);
    for (const l of latent) expect(l.ChargeStartDate).toBe('2026-08-01T00:00:00Z');
  });

  it('exports a billed invoice whose lines add up to the invoice total', async () => {
    const pc = await token(sandbox, PC_RESOURCE);
    const invoices = (await (await fetch(`${sandbox.partnerCenterUrl}/v1/invoices`, { headers: { authorization: `Bearer ${pc}` } })).json()) as {
      items: Array<{ id: string; totalCharges: number; currencyCode: string; billingPeriodStartDate: string }>;
    };
    const august = invoices.items.filter((i) => i.billingPeriodStartDate === '2026-08-01T00:00:00Z');
    expect(august.length).toBeGreaterThan(0);
    for (const invoice of august) {
      const usage = await runExport(sandbox, graphToken, '/reports/partners/billing/usage/billed/export', { invoiceId: invoice.id, attributeSet: 'full' });
      const recon = await runExport(sandbox, graphToken, '/reports/partners/billing/reconciliation/billed/export', { invoiceId: invoice.id, attributeSet: 'full' });
      let sum = new Decimal(0);
      for (const op of [usage, recon]) {
        if (op.status !== 'succeeded') continue;
        for (const l of await exportLines(op.resourceLocation as ManifestJson)) {
          expect(l.InvoiceNumber).toBe(invoice.id);
          sum = sum.plus(String(l.BillingPreTaxTotal ?? l.Subtotal));
        }
      }
      expect(sum.toFixed(2)).toBe(new Decimal(String(invoice.totalCharges)).toFixed(2));
    }
  });

  it('fails an export for an invoice it does not know with "No data available"', async () => {
    const op = await runExport(sandbox, graphToken, '/reports/partners/billing/usage/billed/export', { invoiceId: 'D0200XXXXX', attributeSet: 'full' });
    expect(op).toMatchObject({ status: 'failed', error: { code: '5000', message: 'No data available' } });
  });
});

describe('blob format', () => {
  it('is gzip without Content-Encoding, so clients gunzip it themselves', async () => {
    const manifest = await unbilledManifest(sandbox, graphToken);
    const res = await fetch(`${manifest.rootDirectory}/${manifest.blobs[0]?.name ?? ''}?${manifest.sasToken}`);
    expect(res.headers.get('content-encoding')).toBeNull();
    const raw = Buffer.from(await res.arrayBuffer());
    expect(raw.subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(gunzipSync(raw).toString('utf8').endsWith('\n')).toBe(true);
  });
});

describe('unbilled data per billing currency', () => {
  const unbilledItems = async (currency: string, type: 'billinglineitems' | 'usagelineitems') =>
    getAllPages<Record<string, unknown>>(
      sandbox,
      await token(sandbox, PC_RESOURCE),
      `${sandbox.partnerCenterUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=${type}&currencycode=${currency}&period=current&size=2000`,
    );

  it('serves each customer’s lines only in its own billing currency, every customer in exactly one', async () => {
    const currencies = sandbox.portfolio.currencies();
    expect(currencies.length).toBeGreaterThan(1);
    const usageSeen = new Map<string, string>();
    const licenceSeen = new Map<string, string>();
    for (const currency of currencies) {
      const inCurrency = new Set(sandbox.portfolio.customers.filter((c) => c.geography.currency === currency).map((c) => c.id));
      const op = await runExport(sandbox, graphToken, '/reports/partners/billing/usage/unbilled/export', { currencyCode: currency.toLowerCase(), billingPeriod: 'current', attributeSet: 'full' });
      expect(op.status).toBe('succeeded');
      for (const line of await exportLines(op.resourceLocation as ManifestJson)) {
        expect(line.BillingCurrency).toBe(currency);
        expect(inCurrency.has(String(line.CustomerId))).toBe(true);
        expect(usageSeen.get(String(line.CustomerId)) ?? currency).toBe(currency);
        usageSeen.set(String(line.CustomerId), currency);
      }
      const { items } = await unbilledItems(currency, 'billinglineitems');
      for (const item of items) {
        expect(item.currency).toBe(currency);
        expect(inCurrency.has(String(item.customerId))).toBe(true);
        expect(licenceSeen.get(String(item.customerId)) ?? currency).toBe(currency);
        licenceSeen.set(String(item.customerId), currency);
      }
    }
    const withPlan = sandbox.portfolio.customers.filter((c) => c.azurePlan);
    expect([...usageSeen.keys()].sort()).toEqual(withPlan.map((c) => c.id).sort());
    // Not every licence is charged this month (annual terms bill up front): those charged are each in one currency.
    expect(licenceSeen.size).toBeGreaterThan(1);
    expect(new Set(licenceSeen.values()).size).toBeGreaterThan(1);
  });

  it('answers a currency no customer is billed in with no lines rather than an error, as Microsoft does', async () => {
    expect(sandbox.portfolio.currencies()).not.toContain('JPY');
    for (const type of ['billinglineitems', 'usagelineitems'] as const) {
      const { items, pages } = await unbilledItems('JPY', type);
      expect(items).toEqual([]);
      expect(pages).toBe(1);
    }
    // An export with nothing in it ends as Microsoft's empty exports do: "No data available", not a rejected request.
    for (const dataset of ['usage', 'reconciliation']) {
      const op = await runExport(sandbox, graphToken, `/reports/partners/billing/${dataset}/unbilled/export`, { currencyCode: 'JPY', billingPeriod: 'last', attributeSet: 'full' });
      expect(op).toMatchObject({ status: 'failed', error: { code: '5000', message: 'No data available' } });
    }
  });
});
