import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VendorAuthError, VendorCallError } from '../../../src/connectors/http/errors.ts';
import { createLimiter } from '../../../src/connectors/http/limits.ts';
import { PartnerCenterClient } from '../../../src/connectors/partner-center/client.ts';
import type { PartnerCenterClientOptions } from '../../../src/connectors/partner-center/client.ts';
import { ConsentLapsedError } from '../../../src/connectors/partner-center/errors.ts';
import type { PartnerCenterPage } from '../../../src/connectors/partner-center/paging.ts';

const PC = 'https://pc.test';
const AUTHORITY = 'https://login.test';
const TOKEN_PATH = '/partner-tenant/oauth2/token';

function client(overrides: Partial<PartnerCenterClientOptions> = {}) {
  const waits: number[] = [];
  const pc = new PartnerCenterClient({
    credentials: { tenantId: 'partner-tenant', clientId: 'app', clientSecret: 'secret', refreshToken: 'rt' },
    baseUrl: PC,
    graphBaseUrl: 'https://graph.test/v1.0',
    authorityUrl: AUTHORITY,
    limiters: { partnerCenter: createLimiter({}), graph: createLimiter({}), authority: createLimiter({}), blob: createLimiter({}) },
    correlationId: 'corr-1',
    customersPageSize: 2,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    ...overrides,
  });
  return { pc, waits };
}

function next(uri: string, token: string) {
  return { uri, method: 'GET', headers: [{ key: 'MS-ContinuationToken', value: token }] };
}

function customer(id: string) {
  return { id, companyProfile: { tenantId: id, domain: `${id}.onmicrosoft.com`, companyName: id }, relationshipToPartner: 'reseller' };
}

async function collect<T>(pages: AsyncIterable<PartnerCenterPage<T>>): Promise<PartnerCenterPage<T>[]> {
  const out: PartnerCenterPage<T>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  nock(AUTHORITY).persist().post(TOKEN_PATH).reply(200, { expires_in: 3600, access_token: 'pc-token' });
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('PartnerCenterClient.customers', () => {
  it('follows links.next with MS-ContinuationToken until there is no next link', async () => {
    nock(PC, { reqheaders: { authorization: 'Bearer pc-token', 'ms-correlationid': 'corr-1' } })
      .get('/v1/customers')
      .query({ size: '2' })
      .reply(200, { totalCount: 5, items: [customer('c1'), customer('c2')], links: { next: next('/customers?size=2&seekOperation=Next', 'tok-2') } })
      .get('/v1/customers')
      .query({ size: '2', seekOperation: 'Next' })
      .matchHeader('ms-continuationtoken', 'tok-2')
      .reply(200, { totalCount: 5, items: [customer('c3'), customer('c4')], links: { next: next('/customers?size=2&seekOperation=Next', 'tok-3') } })
      .get('/v1/customers')
      .query({ size: '2', seekOperation: 'Next' })
      .matchHeader('ms-continuationtoken', 'tok-3')
      .reply(200, { totalCount: 5, items: [customer('c5')], links: { self: { uri: '/customers?size=2', method: 'GET', headers: [] } } });
    const { pc } = client();

    const pages = await collect(pc.customers());

    expect(pages.map((p) => p.items.map((c) => c.id))).toEqual([['c1', 'c2'], ['c3', 'c4'], ['c5']]);
    expect(pages.map((p) => p.continuationToken)).toEqual(['tok-2', 'tok-3', undefined]);
    expect(pages[2]!.cursor).toBeUndefined();
    expect(pages[0]!.totalCount).toBe(5);
    expect(pages[0]!.items[0]!.companyProfile?.domain).toBe('c1.onmicrosoft.com');
  });

  it('resumes from a saved continuation token', async () => {
    nock(PC)
      .get('/v1/customers')
      .query({ size: '2', seekOperation: 'Next' })
      .matchHeader('ms-continuationtoken', 'tok-3')
      .reply(200, { items: [customer('c5')], links: {} });
    const { pc } = client();

    const pages = await collect(pc.customers({ continuationToken: 'tok-3' }));

    expect(pages.map((p) => p.items.map((c) => c.id))).toEqual([['c5']]);
  });

  it('resumes from a saved cursor, link and token included', async () => {
    nock(PC)
      .get('/v1/customers')
      .query({ size: '2' })
      .reply(200, { items: [customer('c1'), customer('c2')], links: { next: next('/customers?size=2&seekOperation=Next', 'tok-2') } });
    const { pc } = client();
    const first = (await pc.customers().next()).value as PartnerCenterPage<unknown>;

    nock(PC)
      .get('/v1/customers')
      .query({ size: '2', seekOperation: 'Next' })
      .matchHeader('ms-continuationtoken', 'tok-2')
      .reply(200, { items: [customer('c3')] });
    const resumed = await collect(client().pc.customers({ cursor: first.cursor! }));

    expect(resumed.map((p) => p.items.map((c) => c.id))).toEqual([['c3']]);
  });

  it('waits out a 429 mid-paging and retries the same page with the same token and request id', async () => {
    const page2Requests: { token: string | undefined; requestId: string | undefined }[] = [];
    // nock 15 hands a reply function the fetch Request.
    const record = (req: Request) =>
      page2Requests.push({
        token: req.headers.get('ms-continuationtoken') ?? undefined,
        requestId: req.headers.get('ms-requestid') ?? undefined,
      });
    nock(PC)
      .get('/v1/customers')
      .query({ size: '2' })
      .reply(200, { items: [customer('c1'), customer('c2')], links: { next: next('/customers?size=2&seekOperation=Next', 'tok-2') } })
      .get('/v1/customers')
      .query({ size: '2', seekOperation: 'Next' })
      .reply((req: Request) => {
        record(req);
        return [429, { statusCode: 429, message: 'Rate limit is exceeded. Try again in 3 seconds.' }, { 'Retry-After': '3' }];
      })
      .get('/v1/customers')
      .query({ size: '2', seekOperation: 'Next' })
      .reply((req: Request) => {
        record(req);
        return [200, { items: [customer('c3'), customer('c4')] }];
      });
    const { pc, waits } = client();

    const pages = await collect(pc.customers());

    expect(pages.flatMap((p) => p.items.map((c) => c.id))).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(waits).toEqual([3000]);
    expect(page2Requests).toHaveLength(2);
    expect(page2Requests[0]!.token).toBe('tok-2');
    expect(page2Requests[1]!.token).toBe('tok-2');
    expect(page2Requests[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(page2Requests[1]!.requestId).toBe(page2Requests[0]!.requestId);
    expect(pc.stats.partnerCenter).toMatchObject({ calls: 2, attempts: 3, retries: 1, waitedMs: 3000 });
  });

  it('refuses a next link that points at another host, which would receive the bearer token', async () => {
    nock(PC)
      .get('/v1/customers')
      .query(true)
      .reply(200, { items: [customer('c1')], links: { next: next('https://evil.test/v1/customers', 'tok') } });
    const { pc } = client();

    await expect(collect(pc.customers())).rejects.toThrow(/another host/);
  });

  it('stops a next link that never changes instead of looping forever', async () => {
    nock(PC)
      .get('/v1/customers')
      .query(true)
      .times(3)
      .reply(200, { items: [customer('c1')], links: { next: next('/customers?size=2&seekOperation=Next', 'same') } });
    const { pc } = client();

    const error = await collect(pc.customers()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VendorCallError);
    expect(error).toMatchObject({ reason: 'invalid_response', call: 'customers.list' });
  });

  it('drops the cached token on a 401 and retries with a fresh one', async () => {
    nock.cleanAll();
    nock(AUTHORITY)
      .post(TOKEN_PATH)
      .reply(200, { expires_in: 3600, access_token: 'revoked' })
      .post(TOKEN_PATH)
      .reply(200, { expires_in: 3600, access_token: 'fresh' });
    nock(PC)
      .get('/v1/customers')
      .query(true)
      .matchHeader('authorization', 'Bearer revoked')
      .reply(401)
      .get('/v1/customers')
      .query(true)
      .matchHeader('authorization', 'Bearer fresh')
      .reply(200, { items: [customer('c1')] });
    const { pc } = client();

    const pages = await collect(pc.customers());

    expect(pages[0]!.items[0]!.id).toBe('c1');
    expect(pc.tokenProvider.exchanges).toBe(2);
  });

  it('raises a plain VendorAuthError on a 403 outside any customer', async () => {
    nock(PC).get('/v1/customers').query(true).reply(403, { code: 'Forbidden' });
    const { pc } = client();

    const error = await collect(pc.customers()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VendorAuthError);
    expect(error).not.toBeInstanceOf(ConsentLapsedError);
  });
});

describe('PartnerCenterClient.subscriptions', () => {
  it("lists a customer's subscriptions", async () => {
    nock(PC)
      .get('/v1/customers/cust-1/subscriptions')
      .reply(200, {
        totalCount: 1,
        items: [{ id: 'sub-1', offerId: 'CFQ7TTC0LDPB:0001:CFQ7TTC0K9ZQ', quantity: 10, status: 'active', termDuration: 'P1Y', billingCycle: 'monthly' }],
        links: { self: { uri: '/customers/cust-1/subscriptions', method: 'GET', headers: [] } },
        attributes: { objectType: 'Collection' },
      });
    const { pc } = client();

    const pages = await collect(pc.subscriptions('cust-1'));

    expect(pages).toHaveLength(1);
    expect(pages[0]!.items[0]).toMatchObject({ id: 'sub-1', quantity: 10, termDuration: 'P1Y' });
  });

  it('raises ConsentLapsedError carrying the customer id on a 403, without retrying', async () => {
    nock(PC).get('/v1/customers/cust-9/subscriptions').reply(403, { code: 'Forbidden', description: 'Insufficient privileges' });
    const untouched = nock(PC).get('/v1/customers/cust-9/subscriptions').reply(200, { items: [] });
    const { pc } = client();

    const error = await collect(pc.subscriptions('cust-9')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConsentLapsedError);
    expect(error).toBeInstanceOf(VendorAuthError);
    expect(error).toMatchObject({ customerId: 'cust-9', status: 403, attempts: 1, retryable: false, call: 'subscriptions.list' });
    expect((error as Error).message).toContain('cust-9');
    expect(untouched.isDone()).toBe(false);
  });
});

describe('PartnerCenterClient invoices and reconciliation line items', () => {
  it('lists invoices with money as exact text', async () => {
    nock(PC)
      .get('/v1/invoices')
      .reply(200, '{"totalCount":1,"items":[{"id":"G000773581","totalCharges":1234.5600000000000001,"currencyCode":"EUR"}]}', {
        'Content-Type': 'application/json',
      });
    const { pc } = client();

    const [page] = await collect(pc.invoices());

    expect(page!.items[0]).toMatchObject({ id: 'G000773581', totalCharges: '1234.5600000000000001', currencyCode: 'EUR' });
    expect(page!.totalCount).toBe(1);
  });

  it('pages billed line items with seek paging, handing out a cursor per page', async () => {
    nock(PC)
      .get('/v1/invoices/G000024135/lineitems')
      .query({ provider: 'onetime', invoicelineitemtype: 'billinglineitems', size: '2000' })
      .reply(
        200,
        '{"totalCount":1,"items":[{"invoiceNumber":"G000024135","effectiveUnitPrice":11.225806451612903225,"billableQuantity":15}],' +
          '"links":{"next":{"uri":"/invoices/G000024135/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000&seekOperation=Next","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"seek-2"}]}}}',
        { 'Content-Type': 'application/json' },
      )
      .get('/v1/invoices/G000024135/lineitems')
      .query({ provider: 'onetime', invoicelineitemtype: 'billinglineitems', size: '2000', seekOperation: 'Next' })
      .matchHeader('ms-continuationtoken', 'seek-2')
      .reply(200, { totalCount: 1, items: [{ invoiceNumber: 'G000024135', chargeType: 'cycleCharge' }] });
    const { pc } = client();

    const pages = await collect(pc.billedLineItems('G000024135'));

    expect(pages).toHaveLength(2);
    expect(pages[0]!.items[0]).toMatchObject({ effectiveUnitPrice: '11.225806451612903225', billableQuantity: '15' });
    expect(pages[0]!.cursor).toEqual(expect.any(String));
    expect(pages[1]!.cursor).toBeUndefined();
  });

  it('resumes billed line items from a saved cursor', async () => {
    nock(PC)
      .get('/v1/invoices/G1/lineitems')
      .query(true)
      .reply(200, {
        items: [{ n: 1 }],
        links: { next: next('/invoices/G1/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000&seekOperation=Next', 'seek-2') },
      });
    const { pc } = client();
    const first = (await pc.billedLineItems('G1').next()).value as PartnerCenterPage<unknown>;
    nock(PC)
      .get('/v1/invoices/G1/lineitems')
      .query({ provider: 'onetime', invoicelineitemtype: 'billinglineitems', size: '2000', seekOperation: 'Next' })
      .matchHeader('ms-continuationtoken', 'seek-2')
      .reply(200, { items: [{ n: 2 }] });

    const rest = await collect(pc.billedLineItems('G1', { cursor: first.cursor! }));

    expect(rest.map((p) => p.items)).toEqual([[{ n: '2' }]]);
  });

  it('asks for unbilled new-commerce lines by currency and period', async () => {
    nock(PC)
      .get('/v1/invoices/unbilled/lineitems')
      .query({ provider: 'onetime', invoicelineitemtype: 'billinglineitems', currencycode: 'USD', period: 'previous', size: '2000' })
      .reply(200, { totalCount: 1, items: [{ chargeType: 'new', unitPrice: 12 }] });
    const { pc } = client();

    const pages = await collect(pc.unbilledLineItems({ currency: 'USD', period: 'previous' }));

    expect(pages[0]!.items).toEqual([{ chargeType: 'new', unitPrice: '12' }]);
  });

  it('still pages the retiring v1 usage line items as a fallback', async () => {
    nock(PC)
      .get('/v1/invoices/unbilled/lineitems')
      .query({ provider: 'onetime', invoicelineitemtype: 'usagelineitems', currencycode: 'USD', period: 'current', size: '2000' })
      .reply(200, {
        items: [{ entitlementId: 'az-1', quantity: 24 }],
        links: { next: next('/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=usd&period=current&size=2000&seekOperation=Next', 'u-2') },
      })
      .get('/v1/invoices/unbilled/lineitems')
      .query((q) => q.seekOperation === 'Next' && q.invoicelineitemtype === 'usagelineitems')
      .matchHeader('ms-continuationtoken', 'u-2')
      .reply(200, { items: [{ entitlementId: 'az-1', quantity: 12 }] })
      .get('/v1/invoices/G9/lineitems')
      .query({ provider: 'onetime', invoicelineitemtype: 'usagelineitems', currencycode: 'EUR', size: '2000' })
      .reply(200, { items: [] });
    const warnings: string[] = [];
    const { pc } = client({ logger: { debug: () => undefined, warn: (_o, msg) => void warnings.push(msg ?? '') } });

    const unbilled = await collect(pc.usageLineItems({ kind: 'unbilled', currency: 'USD', period: 'current' }));
    const billed = await collect(pc.usageLineItems({ kind: 'billed', invoiceId: 'G9', currency: 'EUR' }));

    expect(unbilled.flatMap((p) => p.items)).toEqual([
      { entitlementId: 'az-1', quantity: '24' },
      { entitlementId: 'az-1', quantity: '12' },
    ]);
    expect(billed[0]!.items).toEqual([]);
    expect(warnings.filter((w) => w.includes('usagelineitems'))).toHaveLength(1);
  });
});
