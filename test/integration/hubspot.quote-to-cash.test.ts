import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotWebhookProvider } from '../../src/connectors/hubspot/webhook.ts';
import { handleHubSpotEvent } from '../../src/jobs/hubspot/deal-events.ts';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { crmQuoteProbe } from '../helpers/crm-quotes.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let sandbox: HubSpotSandbox;
let hub: TestHub;
let hubUrl = '';
let connectionId = '';

beforeAll(async () => {
  sandbox = await startHubSpotSandbox();
  hub = await createTestHub({ webhookProviders: [hubspotWebhookProvider({ handle: handleHubSpotEvent })] });
  hubUrl = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}/webhooks/hubspot`;
  connectionId = await connectHubSpotSandbox(hub, sandbox);
}, 60_000);
afterAll(async () => {
  await hub.close();
  await sandbox.close();
});

const { work, get, customersLinkedTo, quotesOf } = crmQuoteProbe(() => hub);

describe('HubSpot quote-to-cash', () => {
  it('turns a won deal, delivered three times, into one customer, one pending card version and one quote', async () => {
    const deliveries = await sandbox.winDeal('9001', { deliverTo: hubUrl, redeliveries: 2 });
    expect(deliveries.map((d) => d.status)).toEqual([202, 202, 202]);
    await work();

    const [link, ...more] = await customersLinkedTo('hubspot', '3001');
    expect(more).toEqual([]);
    const customerId = link!.entity_id;
    // The company's tenant-id property links the same customer to Partner Center.
    expect(await customersLinkedTo('partner-center', 'c0ffee00-0000-4000-8000-000000000001')).toEqual([{ entity_id: customerId }]);
    const customer = await get(`/v1/customers/${customerId}`);
    expect(customer).toMatchObject({ name: 'Contoso Ltd', billingCurrency: 'USD' });

    const cards = await get(`/v1/rate-cards?customerId=${customerId}`);
    expect(cards.items).toHaveLength(1);
    const card = await get(`/v1/rate-cards/${cards.items[0].id}`);
    expect(card.versions).toHaveLength(1);
    const [version] = card.versions;
    expect(version).toMatchObject({ version: 1, status: 'pending', currency: 'USD', requestedBy: 'system:hubspot-quote-to-cash', awaiting: ['sales_ops', 'finance'] });
    // Hand-checked from the sandbox deal: 22.00 − 1.00 off per seat; 36.00 less 5 %; 1150 on 1000 cost; 240 on 200.
    const rules = version.rules.map((r: { match: unknown; basis: string | null; markupPercent: string | null; unitPrice: string | null }) => [r.match, r.basis, r.markupPercent, r.unitPrice]);
    expect(rules).toEqual([
      [{ sku: 'CFQ7TTC0LCHC:0002' }, null, null, '21'],
      [{ sku: 'CFQ7TTC0LFLX:0001' }, null, null, '34.2'],
      [{ category: 'compute' }, 'cost', '15', null],
      [{ category: 'storage' }, 'cost', '20', null],
    ]);

    const [quote, ...otherQuotes] = await quotesOf(customerId);
    expect(otherQuotes).toEqual([]);
    // 25 × 21.00 + 10 × 34.20 + 1150.00 + 240.00
    expect(quote).toMatchObject({ revision: 1, currency: 'USD', monthly_total: '2257', azure_monthly_budget: '1390', budget_alert_percents: [110, 120], rate_card_version: 1 });
    const lines = await hub.ctx.db.selectFrom('quote_lines').select(['kind', 'sku', 'category', 'quantity', 'net_unit_price', 'monthly_amount', 'term']).where('quote_id', '=', quote!.id).orderBy('position').execute();
    expect(lines).toEqual([
      { kind: 'seat', sku: 'CFQ7TTC0LCHC:0002', category: 'licenses', quantity: '25', net_unit_price: '21', monthly_amount: '525', term: 'P12M' },
      { kind: 'seat', sku: 'CFQ7TTC0LFLX:0001', category: 'licenses', quantity: '10', net_unit_price: '34.2', monthly_amount: '342', term: 'P12M' },
      { kind: 'azure', sku: null, category: 'compute', quantity: '1', net_unit_price: '1150', monthly_amount: '1150', term: 'P12M' },
      { kind: 'azure', sku: null, category: 'storage', quantity: '1', net_unit_price: '240', monthly_amount: '240', term: 'P12M' },
    ]);
    const seats = await hub.ctx.db.selectFrom('quote_expected_seats').select(['sku', 'seats']).where('quote_id', '=', quote!.id).orderBy('sku').execute();
    expect(seats).toEqual([
      { sku: 'CFQ7TTC0LCHC:0002', seats: '25' },
      { sku: 'CFQ7TTC0LFLX:0001', seats: '10' },
    ]);

    // The existing dual approval applies unchanged: sales ops, then finance.
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
      const res = await hub.app.inject({ method: 'POST', url: `/v1/rate-cards/${card.id}/versions/1/approve`, headers: hub.auth(key), payload: {} });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await get(`/v1/rate-cards/${card.id}/versions/1`)).status).toBe('approved');

    // Running the job again for the same won state changes nothing.
    expect(await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx)).toEqual({ outcome: 'unchanged', revision: 1 });
    expect(await quotesOf(customerId)).toHaveLength(1);
  });

  it('makes revision 2 when the deal is reopened, changed and won again: same customer and card, a new pending version', async () => {
    const hs = new Client({ accessToken: sandbox.credentials.privateAppToken, basePath: sandbox.url });
    await sandbox.reopenDeal('9001', { deliverTo: hubUrl });
    await hs.crm.lineItems.basicApi.update('7001', { properties: { quantity: '30' } });
    await work();
    await sandbox.winDeal('9001', { deliverTo: hubUrl });
    await work();

    const [{ entity_id: customerId }] = (await customersLinkedTo('hubspot', '3001')) as [{ entity_id: string }];
    const quotes = await quotesOf(customerId);
    expect(quotes.map((q) => [q.revision, q.monthly_total, q.rate_card_version])).toEqual([
      [1, '2257', 1],
      [2, '2362', 2], // 5 more seats at 21.00
    ]);
    const cards = await get(`/v1/rate-cards?customerId=${customerId}`);
    expect(cards.items).toHaveLength(1);
    const card = await get(`/v1/rate-cards/${cards.items[0].id}`);
    expect(card.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [1, 'approved'],
      [2, 'pending'],
    ]);
    const seats = await hub.ctx.db.selectFrom('quote_expected_seats').select('seats').where('quote_id', '=', quotes[1]!.id).where('sku', '=', 'CFQ7TTC0LCHC:0002').executeTakeFirstOrThrow();
    expect(seats.seats).toBe('30');
  });

  it('lists a deal with unmappable lines in the exceptions, naming each line and why, and writes nothing else', async () => {
    const customersBefore = await hub.ctx.db.selectFrom('customers').select('id').execute();
    const cardsBefore = await hub.ctx.db.selectFrom('rate_card_versions').select('id').execute();
    await sandbox.winDeal('9002', { deliverTo: hubUrl });
    await work();

    const exceptions = await get('/v1/quote-exceptions');
    const fabrikam = exceptions.items.find((x: { crm: { dealId: string } }) => x.crm.dealId === '9002');
    expect(fabrikam).toMatchObject({ crm: { system: 'hubspot', dealId: '9002' }, dealName: 'Fabrikam - onboarding', status: 'open', reason: 'unmappable deal' });
    expect(fabrikam.problems).toEqual([
      { lineItemId: '7012', name: 'Onboarding workshop', reason: 'hs_sku SVC-ONBOARD is neither a Partner Center SKU (ProductId:SkuId) nor azure:<charge category>' },
      { lineItemId: '7013', name: 'Azure Quantum credits', reason: 'hs_sku azure:quantum names no charge category (one of compute, storage, networking, databases, licenses, marketplace, support, other)' },
    ]);
    expect(await customersLinkedTo('hubspot', '3002')).toEqual([]);
    expect(await hub.ctx.db.selectFrom('customers').select('id').execute()).toHaveLength(customersBefore.length);
    expect(await hub.ctx.db.selectFrom('rate_card_versions').select('id').execute()).toHaveLength(cardsBefore.length);

    // Another win of the same deal refreshes the one open exception instead of adding one.
    await quoteToCash({ connectionId, dealId: '9002' }, hub.ctx);
    const again = (await get('/v1/quote-exceptions')).items.filter((x: { crm: { dealId: string } }) => x.crm.dealId === '9002');
    expect(again).toHaveLength(1);
    expect(again[0].attempts).toBe(2);
  });

  it('refuses to guess between an unlinked customer of the same name and a new one; once linked, maps it, retrying 429s without duplicates', async () => {
    const created = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: hub.auth(hub.keys.admin), payload: { name: 'Northwind Traders', billingCurrency: 'EUR' } });
    const namesake = created.json().id;
    expect(await quoteToCash({ connectionId, dealId: '9003' }, hub.ctx)).toEqual({ outcome: 'not-won' });
    await sandbox.winDeal('9003');
    const refused = await quoteToCash({ connectionId, dealId: '9003' }, hub.ctx);
    expect(refused.outcome).toBe('exception');
    const open = (await get('/v1/quote-exceptions')).items.find((x: { crm: { dealId: string } }) => x.crm.dealId === '9003');
    expect(open.reason).toBe('ambiguous customer');
    expect(open.problems[0].reason).toContain(`customer ${namesake} has the name "Northwind Traders" but nothing links it to company 3003`);

    const linked = await hub.app.inject({ method: 'POST', url: `/v1/customers/${namesake}/external-links`, headers: hub.auth(hub.keys.admin), payload: { system: 'hubspot', externalId: '3003' } });
    expect(linked.statusCode, linked.body).toBe(201);
    sandbox.setThrottle({ everyNth: 2, everyNthRetryAfterSeconds: 1 });
    const throttledBefore = sandbox.stats().throttled;
    try {
      const quoted = await quoteToCash({ connectionId, dealId: '9003' }, hub.ctx);
      expect(quoted).toMatchObject({ outcome: 'quoted', revision: 1, customerId: namesake });
      expect(sandbox.stats().throttled).toBeGreaterThan(throttledBefore);
      expect(await quoteToCash({ connectionId, dealId: '9003' }, hub.ctx)).toEqual({ outcome: 'unchanged', revision: 1 });
    } finally {
      sandbox.setThrottle({});
    }
    const quotes = await quotesOf(namesake);
    // 330 on a 300 cost: 10 % markup; the quote is in the deal's currency.
    expect(quotes.map((q) => [q.revision, q.currency, q.azure_monthly_budget])).toEqual([[1, 'EUR', '330']]);
    const card = await get(`/v1/rate-cards/${quotes[0]!.rate_card_id}`);
    expect(card.versions.map((v: { rules: { match: unknown; markupPercent: string }[] }) => v.rules.map((r) => [r.match, r.markupPercent]))).toEqual([[[{ category: 'networking' }, '10']]]);
    expect(await customersLinkedTo('partner-center', 'c0ffee00-0000-4000-8000-000000000003')).toEqual([{ entity_id: namesake }]);
    const still = (await get('/v1/quote-exceptions')).items.filter((x: { crm: { dealId: string } }) => x.crm.dealId === '9003');
    expect(still).toEqual([]);
    expect((await get('/v1/quote-exceptions?status=resolved')).items.map((x: { crm: { dealId: string } }) => x.crm.dealId)).toContain('9003');
  }, 60_000);

  it('reads the deal with an OAuth connection too: the refresh token is exchanged for an access token the CRM accepts', async () => {
    const { clientId, clientSecret, refreshToken } = sandbox.credentials;
    const res = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'hubspot', name: 'Sandbox CRM (OAuth)', credentials: { clientId, clientSecret, refreshToken }, settings: { baseUrl: sandbox.url } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const refreshes = sandbox.stats().tokenRefreshes;
    expect(await quoteToCash({ connectionId: res.json().id, dealId: '9001' }, hub.ctx)).toEqual({ outcome: 'unchanged', revision: 2 });
    expect(sandbox.stats().tokenRefreshes).toBe(refreshes + 1);
  });
});
