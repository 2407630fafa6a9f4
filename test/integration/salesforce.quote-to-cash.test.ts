import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesforceWebhookProvider } from '../../src/connectors/salesforce/webhook.ts';
import { handleSalesforceEvent } from '../../src/jobs/salesforce/opportunity-events.ts';
import { salesforceQuoteToCash } from '../../src/jobs/salesforce/quote-to-cash.ts';
import { OPPORTUNITIES, startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { flowSign, salesforceFacts } from '../helpers/salesforce-vendor.ts';
import { loadEffectiveRateCard, loadFxPolicy } from '../../src/db/rate-cards.ts';
import { todayIn } from '../../src/engine/dates.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { roundMoney } from '../../src/engine/money.ts';
import { priceLine } from '../../src/engine/rating.ts';
import { categorized, d, licenseLine, usageLine } from '../unit/engine/fixtures.ts';
import { crmQuoteProbe } from '../helpers/crm-quotes.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let sandbox: SalesforceSandbox;
let hub: TestHub;
let hubUrl = '';
let jwtConnection = '';

const [ADATUM_WIN, TAILSPIN_WIN, WOODGROVE_WIN] = OPPORTUNITIES.map((o) => o.Id) as [string, string, string];
const ADATUM_ACCOUNT = OPPORTUNITIES[0]!.AccountId;

async function connect(name: string, credentials: Record<string, string>, settings: Record<string, unknown> = {}): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'salesforce', name, credentials, settings: { instanceUrl: sandbox.url, loginUrl: sandbox.url, organizationId: sandbox.credentials.organizationId, ...settings } },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

beforeAll(async () => {
  sandbox = await startSalesforceSandbox();
  hub = await createTestHub({ webhookProviders: [salesforceWebhookProvider({ handle: handleSalesforceEvent })] });
  hubUrl = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}/webhooks/salesforce`;
  const c = sandbox.credentials;
  jwtConnection = await connect('Sandbox org (JWT bearer)', { clientId: c.clientId, username: c.username, privateKey: c.privateKeyPem, flowSecret: c.flowSecret });
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const { work, get, customersLinkedTo, quotesOf } = crmQuoteProbe(() => hub);
const countOf = async (table: 'webhook_inbox' | 'customers' | 'quotes' | 'rate_card_versions') =>
  Number((await hub.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('Salesforce quote-to-cash', () => {
  it('acks an Outbound Message delivered three times with the exact SOAP body, and makes one customer, one pending card version, one quote', async () => {
    const deliveries = await sandbox.winOpportunity(ADATUM_WIN, { deliverTo: hubUrl, redeliveries: 2 });
    expect(deliveries.map((d) => [d.status, d.body])).toEqual(Array(3).fill([salesforceFacts.outboundMessage.ackStatus, salesforceFacts.outboundMessage.ack]));
    expect(deliveries[0]!.contentType).toMatch(/^text\/xml/);
    expect(await countOf('webhook_inbox')).toBe(1);
    await work();

    const [link, ...more] = await customersLinkedTo('salesforce', ADATUM_ACCOUNT);
    expect(more).toEqual([]);
    const customerId = link!.entity_id;
    expect(await customersLinkedTo('partner-center', 'c0ffee00-0000-4000-8000-000000000011')).toEqual([{ entity_id: customerId }]);
    expect(await get(`/v1/customers/${customerId}`)).toMatchObject({ name: 'Adatum Corporation', billingCurrency: 'USD' });

    const cards = await get(`/v1/rate-cards?customerId=${customerId}`);
    expect(cards.items).toHaveLength(1);
    const card = await get(`/v1/rate-cards/${cards.items[0].id}`);
    expect(card.versions).toHaveLength(1);
    expect(card.versions[0]).toMatchObject({ version: 1, status: 'pending', currency: 'USD', requestedBy: 'system:salesforce-quote-to-cash', awaiting: ['sales_ops', 'finance'] });
    // Hand-checked from the sandbox opportunity: 22.00 less 10 % = 19.80 a seat; 2,300 on 2,000 cost = 15 %.
    expect(card.versions[0].rules.map((r: { match: unknown; basis: string | null; markupPercent: string | null; unitPrice: string | null }) => [r.match, r.basis, r.markupPercent, r.unitPrice])).toEqual([
      [{ sku: 'CFQ7TTC0LCHC:0002' }, null, null, '19.8'],
      [{ category: 'compute' }, 'cost', '15', null],
    ]);
    const [quote, ...others] = await quotesOf(customerId);
    expect(others).toEqual([]);
    // 40 × 19.80 + 2,300.00
    expect(quote).toMatchObject({ revision: 1, currency: 'USD', monthly_total: '3092', azure_monthly_budget: '2300', budget_alert_percents: [110, 120] });
    const seats = await hub.ctx.db.selectFrom('quote_expected_seats').select(['sku', 'seats']).where('quote_id', '=', quote!.id).execute();
    expect(seats).toEqual([{ sku: 'CFQ7TTC0LCHC:0002', seats: '40' }]);

    // Approved, the card's quoted margins priced through the engine give back the quoted month
    // to the cent: 40 seats billed a full cycle at the fixed 19.80, and Azure compute for which
    // Microsoft billed the quoted 2,000.00 cost, marked up 15 %: 792.00 + 2,300.00 = 3,092.00.
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
      const res = await hub.app.inject({ method: 'POST', url: `/v1/rate-cards/${card.id}/versions/1/approve`, headers: hub.auth(key), payload: {} });
      expect(res.statusCode, res.body).toBe(200);
    }
    const today = todayIn(hub.ctx.config.billingTimeZone);
    const effective = (await loadEffectiveRateCard(hub.ctx.db, customerId, today))!;
    const fx = await loadFxPolicy(hub.ctx.db, effective, today.slice(0, 7));
    const month = [
      categorized(licenseLine({ customerId, productId: 'CFQ7TTC0LCHC', skuId: '0002', quantity: d('40'), cost: d('704.00') }), 'licenses'),
      categorized(usageLine({ customerId, cost: d('2000.00') }), 'compute'),
    ].map((line) => priceLine(line, effective, fx));
    const prices = month.map((r) => (r.status === 'priced' ? r.price : d('NaN')));
    expect(prices.map(String)).toEqual(['792', '2300']);
    expect(roundMoney(prices, { currency: 'USD', ...effective.rounding }).total.toFixed(2)).toBe(new Decimal(quote!.monthly_total).toFixed(2));

    // The token the JWT bearer flow minted is kept (encrypted) on the connection for every process.
    const row = await hub.ctx.db.selectFrom('connections').select('credential_fields').where('id', '=', jwtConnection).executeTakeFirstOrThrow();
    expect(row.credential_fields).toContain('accessToken');
    expect(await salesforceQuoteToCash({ connectionId: jwtConnection, opportunityId: ADATUM_WIN }, hub.ctx)).toEqual({ outcome: 'unchanged', revision: 1 });
    expect(sandbox.stats().tokensIssued).toBe(1);
  });

  it('refuses an Outbound Message from another org, and a malformed one, writing nothing', async () => {
    const before = await countOf('webhook_inbox');
    const foreign = salesforceFacts.outboundMessage.example;
    const res = await hub.app.inject({ method: 'POST', url: '/webhooks/salesforce', headers: { 'content-type': 'text/xml' }, payload: foreign });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toBe('OrganizationId 00D000000000062EAA is not the org of any active Salesforce connection');
    const bad = await hub.app.inject({ method: 'POST', url: '/webhooks/salesforce', headers: { 'content-type': 'text/xml' }, payload: '<soapenv:Envelope>' });
    expect(bad.statusCode).toBe(400);
    expect(await countOf('webhook_inbox')).toBe(before);
  });

  it('takes a signed Flow callout for a reopened, changed and re-won opportunity as revision 2; refuses a forged one', async () => {
    await sandbox.reopenOpportunity(ADATUM_WIN, { deliverTo: hubUrl, via: 'flow' });
    await work();
    const lineId = OPPORTUNITIES[0]!.lines[0]!.Id;
    sandbox.org.updateLine(lineId, { Quantity: 45 });
    const [delivery] = await sandbox.winOpportunity(ADATUM_WIN, { deliverTo: hubUrl, via: 'flow' });
    expect(delivery!.status).toBe(202);
    await work();
    const [{ entity_id: customerId }] = (await customersLinkedTo('salesforce', ADATUM_ACCOUNT)) as [{ entity_id: string }];
    expect((await quotesOf(customerId)).map((q) => [q.revision, q.monthly_total, q.rate_card_version])).toEqual([
      [1, '3092', 1],
      [2, '3191', 2], // 5 more seats at 19.80
    ]);

    const before = await countOf('webhook_inbox');
    const body = JSON.stringify({ organizationId: sandbox.credentials.organizationId, opportunityId: ADATUM_WIN, notificationId: 'forged-1' });
    const forged = await hub.app.inject({ method: 'POST', url: '/webhooks/salesforce', headers: { 'content-type': 'application/json', 'x-hub-salesforce-signature': flowSign('not-the-secret', body) }, payload: body });
    expect(forged.statusCode).toBe(401);
    const signed = await hub.app.inject({ method: 'POST', url: '/webhooks/salesforce', headers: { 'content-type': 'application/json', 'x-hub-salesforce-signature': flowSign(sandbox.credentials.flowSecret, body + ' ') }, payload: body });
    expect(signed.statusCode).toBe(401);
    expect(await countOf('webhook_inbox')).toBe(before);
  });

  it('lists an opportunity with a one-time line in the exceptions, naming the line and why, and writes nothing else', async () => {
    const before = await Promise.all([countOf('customers'), countOf('rate_card_versions'), countOf('quotes')]);
    await sandbox.winOpportunity(TAILSPIN_WIN, { deliverTo: hubUrl });
    await work();
    const exceptions = await get('/v1/quote-exceptions');
    const tailspin = exceptions.items.find((x: { crm: { dealId: string } }) => x.crm.dealId === TAILSPIN_WIN);
    expect(tailspin).toMatchObject({ crm: { system: 'salesforce' }, dealName: 'Tailspin - setup', reason: 'unmappable deal' });
    expect(tailspin.problems).toEqual([
      { lineItemId: OPPORTUNITIES[1]!.lines[1]!.Id, name: 'Tenant setup', reason: 'ProductCode SVC-SETUP is neither a Partner Center SKU (ProductId:SkuId) nor azure:<charge category>' },
    ]);
    expect(await Promise.all([countOf('customers'), countOf('rate_card_versions'), countOf('quotes')])).toEqual(before);
  });

  it('with client credentials: mints a new token when Salesforce drops the session, and retries REQUEST_LIMIT_EXCEEDED without duplicates', async () => {
    const c = sandbox.credentials;
    // A second connection to the same org would share its webhooks: this one replaces the JWT one.
    const disabled = await hub.app.inject({ method: 'PATCH', url: `/v1/connections/${jwtConnection}`, headers: hub.auth(hub.keys.admin), payload: { status: 'disabled' } });
    expect(disabled.statusCode, disabled.body).toBe(200);
    const connectionId = await connect('Sandbox org (client credentials)', { clientId: c.clientId, clientSecret: c.clientSecret, flowSecret: c.flowSecret });
    await sandbox.winOpportunity(WOODGROVE_WIN, { deliverTo: hubUrl });
    sandbox.expireSessions();
    sandbox.setLimits({ everyNth: 2 });
    const tokensBefore = sandbox.stats().tokensIssued;
    try {
      await work();
    } finally {
      sandbox.setLimits({ everyNth: 0 });
    }
    expect(sandbox.stats().limitRefusals).toBeGreaterThan(0);
    expect(sandbox.stats().tokensIssued).toBe(tokensBefore + 1);
    const [{ entity_id: customerId }, ...more] = (await customersLinkedTo('salesforce', OPPORTUNITIES[2]!.AccountId)) as [{ entity_id: string }];
    expect(more).toEqual([]);
    const quotes = await quotesOf(customerId);
    expect(quotes.map((q) => [q.revision, q.currency, q.monthly_total])).toEqual([[1, 'EUR', '575']]);
    expect(await salesforceQuoteToCash({ connectionId, opportunityId: WOODGROVE_WIN }, hub.ctx)).toEqual({ outcome: 'unchanged', revision: 1 });
  });

  it("takes an org without multi-currency at the connection's orgCurrency instead of CurrencyIsoCode", async () => {
    const [connection] = await hub.ctx.db.selectFrom('connections').select('id').where('status', '=', 'active').where('provider', '=', 'salesforce').execute();
    const settings = { instanceUrl: sandbox.url, loginUrl: sandbox.url, organizationId: sandbox.credentials.organizationId, orgCurrency: 'GBP' };
    const res = await hub.app.inject({ method: 'PATCH', url: `/v1/connections/${connection!.id}`, headers: hub.auth(hub.keys.admin), payload: { settings } });
    expect(res.statusCode, res.body).toBe(200);
    const outcome = await salesforceQuoteToCash({ connectionId: connection!.id, opportunityId: WOODGROVE_WIN }, hub.ctx);
    expect(outcome).toMatchObject({ outcome: 'quoted', revision: 2 });
    const quote = await hub.ctx.db.selectFrom('quotes').select(['currency', 'monthly_total']).where('id', '=', (outcome as { quoteId: string }).quoteId).executeTakeFirstOrThrow();
    expect(quote).toEqual({ currency: 'GBP', monthly_total: '575' });
  });

  it('stops, writing nothing, when the org has used its daily API allocation', async () => {
    const [connection] = await hub.ctx.db.selectFrom('connections').select('id').where('status', '=', 'active').where('provider', '=', 'salesforce').execute();
    sandbox.setLimits({ used: 100_000 });
    try {
      await expect(salesforceQuoteToCash({ connectionId: connection!.id, opportunityId: OPPORTUNITIES[2]!.Id }, hub.ctx)).rejects.toThrow(/REQUEST_LIMIT_EXCEEDED/);
    } finally {
      sandbox.setLimits({ used: 0 });
    }
  });
});
