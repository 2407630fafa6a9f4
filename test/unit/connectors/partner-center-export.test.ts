import { gzipSync } from 'node:zlib';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VendorCallError } from '../../../src/connectors/http/errors.ts';
import { createLimiter } from '../../../src/connectors/http/limits.ts';
import { PartnerCenterClient } from '../../../src/connectors/partner-center/client.ts';
import type { PartnerCenterClientOptions } from '../../../src/connectors/partner-center/client.ts';
import type { BillingManifest } from '../../../src/connectors/partner-center/types.ts';

const GRAPH_HOST = 'https://graph.test';
const GRAPH = `${GRAPH_HOST}/v1.0`;
const BILLING = '/v1.0/reports/partners/billing';
const AUTHORITY = 'https://login.test';
const BLOBS = 'https://blobs.test';

function client(overrides: Partial<PartnerCenterClientOptions> = {}) {
  const waits: number[] = [];
  const pc = new PartnerCenterClient({
    credentials: { tenantId: 'partner-tenant', clientId: 'app', clientSecret: 'secret' },
    baseUrl: 'https://pc.test',
    graphBaseUrl: GRAPH,
    authorityUrl: AUTHORITY,
    limiters: { partnerCenter: createLimiter({}), graph: createLimiter({}), authority: createLimiter({}), blob: createLimiter({}) },
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    ...overrides,
  });
  return { pc, waits };
}

/** A daily rated usage line as the v2 export documents it (PascalCase). */
function usageLine(i: number) {
  return {
    PartnerId: 'p-1',
    CustomerId: `cust-${i % 7}`,
    CustomerName: 'Zürich Spedition AG',
    EntitlementId: `az-${i % 3}`,
    MeterCategory: 'Virtual Machines',
    UsageDate: '2026-10-20T00:00:00Z',
    Quantity: 24,
    UnitPrice: 0.868,
    EffectiveUnitPrice: 0.737586206896551724,
    BillingPreTaxTotal: 16.28,
    BillingCurrency: 'EUR',
    Tags: { costcenter: `cc-${i}` },
  };
}

function jsonLines(lines: object[]): string {
  // Serialised by hand so a number keeps more digits than a double can hold.
  return lines.map((line) => JSON.stringify(line).replace('"EffectiveUnitPrice":0.7375862068965517', '"EffectiveUnitPrice":0.737586206896551724')).join('\n');
}

const manifest: BillingManifest = {
  id: 'man-1',
  schemaVersion: '2',
  dataFormat: 'compressedJSONLines',
  createdDateTime: '2026-11-07T06:34:34.87Z',
  eTag: 'WYjLro78HdMg6vUWR',
  partnerTenantId: 'p-1',
  rootDirectory: `${BLOBS}/billedusagefastpath/v1/PartnerTenantId=p-1/BillingMonth=202610/InvoiceId=G016907411/Fragment=full/PartitionType=default`,
  sasToken: 'skoid=abc&sv=2021-08-06&se=2026-11-07T12%3A37%3A17Z&sr=d&sp=rl&sig=RpVY0W%3D',
  partitionType: 'Default',
  blobCount: 2,
  blobs: [
    { name: 'part-00000-a.c000.json.gz', partitionValue: 'default' },
    { name: 'part-00001-b.c000.json.gz', partitionValue: 'default' },
  ],
};

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  nock(AUTHORITY)
    .persist()
    .post('/partner-tenant/oauth2/v2.0/token', (form: Record<string, string>) => form.grant_type === 'client_credentials')
    .reply(200, { expires_in: 3599, access_token: 'graph-token' });
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('billed usage export: request → poll → manifest → blobs', () => {
  it('runs the whole asynchronous flow and streams every gzipped JSON line', async () => {
    const first = Array.from({ length: 6_000 }, (_, i) => usageLine(i));
    const second = Array.from({ length: 3 }, (_, i) => usageLine(6_000 + i));
    nock(GRAPH_HOST, { reqheaders: { authorization: 'Bearer graph-token' } })
      .post(`${BILLING}/usage/billed/export`, { invoiceId: 'G016907411', attributeSet: 'full' })
      .reply(202, '', { Location: `${GRAPH}/reports/partners/billing/operations/op-1` })
      .get(`${BILLING}/operations/op-1`)
      .reply(200, { '@odata.type': '#microsoft.graph.partners.billing.runningOperation', id: 'op-1', status: 'running' }, { 'Retry-After': '7' })
      .get(`${BILLING}/operations/op-1`)
      .reply(200, { id: 'op-1', status: 'running' })
      .get(`${BILLING}/operations/op-1`)
      .reply(200, {
        '@odata.type': '#microsoft.graph.partners.billing.exportSuccessOperation',
        id: 'op-1',
        status: 'succeeded',
        createdDateTime: '2026-11-07T08:12:53',
        lastActionDateTime: '2026-11-07T08:37:48.5046691Z',
        'resourceLocation@odata.navigationLink': `${GRAPH}/reports/partners/billing/manifests/man-1`,
      })
      .get(`${BILLING}/manifests/man-1`)
      .reply(200, manifest);
    // The SAS token authorises the blob; the Graph bearer token must not travel there.
    nock(BLOBS, { badheaders: ['authorization'] })
      .get(/part-00000-a\.c000\.json\.gz/)
      .query({ skoid: 'abc', sv: '2021-08-06', se: '2026-11-07T12:37:17Z', sr: 'd', sp: 'rl', sig: 'RpVY0W=' })
      .reply(200, gzipSync(jsonLines(first) + '\n'), { 'Content-Type': 'application/octet-stream' })
      .get(/part-00001-b\.c000\.json\.gz/)
      .query(true)
      // CRLF line ends and no trailing newline are both fine.
      .reply(200, gzipSync(jsonLines(second).replaceAll('\n', '\r\n')));
    const { pc, waits } = client();

    const operationId = await pc.exportUsage({ kind: 'billed', invoiceId: 'G016907411' });
    const done = await pc.pollOperation(operationId);
    if (done.status !== 'succeeded') throw new Error('expected success');
    const read = await pc.readManifest(done.manifestUrl);
    const urls = pc.blobUrls(read);
    const lines: Record<string, unknown>[] = [];
    for (const url of urls) for await (const line of pc.streamUsageBlob(url)) lines.push(line);

    expect(operationId).toBe('op-1');
    expect(done).toMatchObject({ id: 'op-1', manifestId: 'man-1', polls: 3 });
    // Retry-After on the first poll, then backoff from the 5 s default.
    expect(waits).toEqual([7_000, 10_000]);
    expect(read.eTag).toBe('WYjLro78HdMg6vUWR');
    expect(urls[0]).toBe(`${manifest.rootDirectory}/part-00000-a.c000.json.gz?${manifest.sasToken}`);
    expect(lines).toHaveLength(6_003);
    expect(lines[0]).toMatchObject({ CustomerName: 'Zürich Spedition AG', Quantity: '24', UnitPrice: '0.868', Tags: { costcenter: 'cc-0' } });
    expect(lines[0]!.EffectiveUnitPrice).toBe('0.737586206896551724');
    expect(lines[6_002]).toMatchObject({ CustomerId: `cust-${6_002 % 7}`, Tags: { costcenter: 'cc-6002' } });
  });

  it('asks for an unbilled export with period, currency and attribute set', async () => {
    nock(GRAPH_HOST)
      .post(`${BILLING}/usage/unbilled/export`, { currencyCode: 'USD', billingPeriod: 'last', attributeSet: 'basic' })
      .reply(202, '', { Location: `${GRAPH}/reports/partners/billing/operations/op-2` });
    const { pc } = client();

    expect(await pc.exportUsage({ kind: 'unbilled', billingPeriod: 'last', currencyCode: 'USD' }, { attributeSet: 'basic' })).toBe('op-2');
  });

  it('starts invoice reconciliation exports the same way', async () => {
    nock(GRAPH_HOST)
      .post(`${BILLING}/reconciliation/billed/export`, { invoiceId: 'G1', attributeSet: 'full' })
      .reply(202, '', { Location: `${GRAPH}/reports/partners/billing/operations/op-3` });
    const { pc } = client();

    expect(await pc.exportReconciliation({ kind: 'billed', invoiceId: 'G1' })).toBe('op-3');
  });

  it('rejects an accepted export without a Location to poll', async () => {
    nock(GRAPH_HOST).post(`${BILLING}/usage/billed/export`).reply(202);
    const { pc } = client();

    await expect(pc.exportUsage({ kind: 'billed', invoiceId: 'G1' })).rejects.toMatchObject({ reason: 'invalid_response' });
  });

  it('retries a throttled export request after Retry-After', async () => {
    nock(GRAPH_HOST)
      .post(`${BILLING}/usage/billed/export`)
      .reply(429, { error: { code: 'TooManyRequests' } }, { 'Retry-After': '30' })
      .post(`${BILLING}/usage/billed/export`)
      .reply(202, '', { Location: `${GRAPH}/reports/partners/billing/operations/op-4` });
    const { pc, waits } = client();

    expect(await pc.exportUsage({ kind: 'billed', invoiceId: 'G1' })).toBe('op-4');
    expect(waits).toEqual([30_000]);
  });
});

describe('pollOperation', () => {
  it('returns a failed export as a result, with Microsoft error code', async () => {
    nock(GRAPH_HOST)
      .get(`${BILLING}/operations/op-1`)
      .reply(200, { id: 'op-1', status: 'failed', error: { message: 'No data available', code: '5000' } });
    const { pc } = client();

    expect(await pc.pollOperation('op-1')).toMatchObject({ status: 'failed', error: { code: '5000', message: 'No data available' }, polls: 1 });
  });

  it('accepts "completed", the status the resource page documents', async () => {
    nock(GRAPH_HOST)
      .get(`${BILLING}/operations/op-1`)
      .reply(200, { id: 'op-1', status: 'completed', 'resourceLocation@odata.navigationLink': `${GRAPH}/reports/partners/billing/manifests/m-9` });
    const { pc } = client();

    expect(await pc.pollOperation('op-1')).toMatchObject({ status: 'succeeded', manifestId: 'm-9' });
  });

  it('backs off up to the maximum interval and gives up after the poll timeout', async () => {
    nock(GRAPH_HOST).get(`${BILLING}/operations/op-1`).times(4).reply(200, { id: 'op-1', status: 'running' });
    const { pc, waits } = client({ poll: { intervalMs: 1_000, maxIntervalMs: 3_000, timeoutMs: 7_000 } });

    const error = await pc.pollOperation('op-1').catch((e: unknown) => e);

    expect(waits).toEqual([1_000, 2_000, 3_000]);
    expect(error).toBeInstanceOf(VendorCallError);
    expect(error).toMatchObject({ reason: 'timeout', attempts: 4, retryable: true, call: 'billing.operations.get' });
  });

  it('surfaces an expired operation (410 Gone) so the caller can request a new export', async () => {
    nock(GRAPH_HOST).get(`${BILLING}/operations/op-old`).reply(410, { error: { code: 'Gone' } });
    const { pc } = client();

    await expect(pc.pollOperation('op-old')).rejects.toMatchObject({ status: 410, retryable: false });
  });
});

describe('operationStatus', () => {
  it('reads the status once: a running export says how long Microsoft asks to wait', async () => {
    nock(GRAPH_HOST).get(`${BILLING}/operations/op-1`).reply(200, { id: 'op-1', status: 'running' }, { 'retry-after': '12' });
    const { pc, waits } = client();

    expect(await pc.operationStatus('op-1')).toEqual({ id: 'op-1', status: 'running', reported: 'running', retryAfterMs: 12_000, polls: 1 });
    expect(waits).toEqual([]);
  });

  it("backs off by the caller's poll count when Microsoft sends no Retry-After", async () => {
    nock(GRAPH_HOST).get(`${BILLING}/operations/op-1`).reply(200, { id: 'op-1', status: 'notStarted' });
    const { pc } = client({ poll: { intervalMs: 1_000, maxIntervalMs: 3_000 } });

    expect(await pc.operationStatus('op-1', { polls: 3 })).toMatchObject({ status: 'running', reported: 'notstarted', retryAfterMs: 3_000, polls: 3 });
  });

  it('returns a finished export as pollOperation does', async () => {
    nock(GRAPH_HOST)
      .get(`${BILLING}/operations/op-1`)
      .reply(200, { id: 'op-1', status: 'succeeded', 'resourceLocation@odata.navigationLink': `${GRAPH}/reports/partners/billing/manifests/m-9` });
    const { pc } = client();

    expect(await pc.operationStatus('op-1', { polls: 2 })).toMatchObject({ status: 'succeeded', manifestId: 'm-9', polls: 2 });
  });
});

describe('manifests and blobs', () => {
  it('reads a manifest by id on the configured Graph root, never a foreign host', async () => {
    nock(GRAPH_HOST).get(`${BILLING}/manifests/man-1`).reply(200, manifest);
    const { pc } = client();

    const read = await pc.readManifest('https://elsewhere.test/v1.0/reports/partners/billing/manifests/man-1');

    expect(read.blobCount).toBe(2);
  });

  it('rejects a manifest without its blob details', async () => {
    nock(GRAPH_HOST).get(`${BILLING}/manifests/man-1`).reply(200, { id: 'man-1' });
    const { pc } = client();

    await expect(pc.readManifest('man-1')).rejects.toMatchObject({ reason: 'invalid_response' });
  });

  it('re-roots blob URLs on a configured blob host (sandbox) and tolerates a leading "?" on the SAS', () => {
    const { pc } = client({ blobBaseUrl: 'http://127.0.0.1:9999' });

    const [url] = pc.blobUrls({ ...manifest, rootDirectory: `${manifest.rootDirectory}/`, sasToken: '?sv=1&sig=x', blobs: [{ name: 'a.json.gz' }] });

    expect(url).toBe('http://127.0.0.1:9999/billedusagefastpath/v1/PartnerTenantId=p-1/BillingMonth=202610/InvoiceId=G016907411/Fragment=full/PartitionType=default/a.json.gz?sv=1&sig=x');
  });

  it('retries a blob download that fails before streaming starts', async () => {
    nock(BLOBS)
      .get('/c/a.json.gz')
      .query(true)
      .reply(503, 'ServerBusy', { 'Retry-After': '2' })
      .get('/c/a.json.gz')
      .query(true)
      .reply(200, gzipSync('{"Quantity":1}\n{"Quantity":2}\n'));
    const { pc, waits } = client();

    const lines = [];
    for await (const line of pc.streamUsageBlob(`${BLOBS}/c/a.json.gz?sig=x`)) lines.push(line);

    expect(lines).toEqual([{ Quantity: '1' }, { Quantity: '2' }]);
    expect(waits).toEqual([2_000]);
  });

  it('reads a blob that was served already inflated', async () => {
    nock(BLOBS).get('/c/plain.json').query(true).reply(200, '{"Quantity":3}\n\n{"Quantity":4}');
    const { pc } = client();

    const lines = [];
    for await (const line of pc.streamUsageBlob(`${BLOBS}/c/plain.json?sig=x`)) lines.push(line);

    expect(lines).toEqual([{ Quantity: '3' }, { Quantity: '4' }]);
  });

  it('names the line that is not JSON, with the SAS signature redacted', async () => {
    nock(BLOBS).get('/c/a.json.gz').query(true).reply(200, gzipSync('{"Quantity":1}\n{"Quantity":\n'));
    const { pc } = client();

    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const line of pc.streamUsageBlob(`${BLOBS}/c/a.json.gz?sv=1&sig=TOPSECRET`)) seen.push(line);
    })().catch((e: unknown) => e);

    expect(seen).toEqual([{ Quantity: '1' }]);
    expect(error).toBeInstanceOf(VendorCallError);
    expect(error).toMatchObject({ reason: 'invalid_response', call: 'usage.blob', url: `${BLOBS}/c/a.json.gz?sv=1&sig=REDACTED` });
    expect((error as Error).message).toContain('line 2');
  });

  it('reports a corrupt gzip blob as an invalid response', async () => {
    const gz = gzipSync('{"Quantity":1}\n'.repeat(1000));
    nock(BLOBS).get('/c/a.json.gz').query(true).reply(200, Buffer.concat([gz.subarray(0, 40), Buffer.alloc(40, 7)]));
    const { pc } = client();

    const error = await (async () => {
      for await (const _line of pc.streamUsageBlob(`${BLOBS}/c/a.json.gz?sig=x`)) void _line;
    })().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VendorCallError);
    expect(error).toMatchObject({ reason: 'invalid_response', message: expect.stringContaining('not valid gzip') });
  });
});
