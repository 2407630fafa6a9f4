import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotWebhookProvider } from '../../src/connectors/hubspot/webhook.ts';
import { handleHubSpotEvent } from '../../src/jobs/hubspot/deal-events.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { crmQuoteProbe } from '../helpers/crm-quotes.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// A won sandbox deal applies the onboarding template its deal property names, in the
// quote's transaction: cost nodes under the customer (once, however often it is won),
// invoice format and review cadence on the customer, a trial's cap and conversion date
// on the quote. An unknown key is an exception naming the property.

const PROPERTY = 'onboarding_template';
let sandbox: HubSpotSandbox;
let hub: TestHub;
let hs: Client;
let hubUrl = '';

beforeAll(async () => {
  sandbox = await startHubSpotSandbox();
  hub = await createTestHub({ webhookProviders: [hubspotWebhookProvider({ handle: handleHubSpotEvent })] });
  hubUrl = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}/webhooks/hubspot`;
  hs = new Client({ accessToken: sandbox.credentials.privateAppToken, basePath: sandbox.url });
  await connectHubSpotSandbox(hub, sandbox, { onboardingTemplateProperty: PROPERTY });
  const template = await hub.app.inject({
    method: 'PUT',
    url: '/v1/onboarding-templates/trial',
    headers: hub.auth(hub.keys.sales_ops),
    payload: {
      name: 'Trial',
      costNodes: [
        { path: ['IT'], kind: 'department' },
        { path: ['IT', 'Pilot'], kind: 'project' },
      ],
      invoiceFormat: 'summary',
      reviewCadence: 'monthly',
      trial: { spendCap: '750', days: 30 },
      justification: 'Thirty-day pilot',
    },
  });
  expect(template.statusCode, template.body).toBe(200);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const { work, customersLinkedTo, quotesOf } = crmQuoteProbe(() => hub);

async function nodesOf(customerId: string) {
  const rows = await hub.ctx.db.selectFrom('cost_nodes').select(['id', 'parent_id', 'name', 'kind']).where('customer_id', '=', customerId).where('kind', '!=', 'unallocated').orderBy('name').execute();
  const byId = new Map(rows.map((r) => [r.id, r.name]));
  return rows.map((r) => [r.parent_id ? byId.get(r.parent_id) : null, r.name, r.kind]);
}

describe('HubSpot onboarding templates', () => {
  it('applies the trial template a won deal names, and a re-won deal adds no second set of cost nodes', async () => {
    await hs.crm.deals.basicApi.update('9001', { properties: { [PROPERTY]: 'Trial' } });
    await sandbox.winDeal('9001', { deliverTo: hubUrl });
    await work();

    const [{ entity_id: customerId }] = (await customersLinkedTo('hubspot', '3001')) as [{ entity_id: string }];
    expect(await nodesOf(customerId)).toEqual([
      [null, 'IT', 'department'],
      ['IT', 'Pilot', 'project'],
    ]);
    const customer = await hub.ctx.db.selectFrom('customers').select(['onboarding_template', 'invoice_format', 'review_cadence']).where('id', '=', customerId).executeTakeFirstOrThrow();
    expect(customer).toEqual({ onboarding_template: 'trial', invoice_format: 'summary', review_cadence: 'monthly' });

    const [quote] = await quotesOf(customerId);
    const closeDate = quote!.closed_at!.toISOString().slice(0, 10);
    // Thirty days after the close date, counted by hand from the date the sandbox set.
    const expected = new Date(Date.UTC(Number(closeDate.slice(0, 4)), Number(closeDate.slice(5, 7)) - 1, Number(closeDate.slice(8, 10)) + 30)).toISOString().slice(0, 10);
    expect(quote).toMatchObject({ onboarding_template: 'trial', trial_spend_cap: '750.00' });
    expect(quote!.trial_conversion_date).toBe(expected);

    await sandbox.reopenDeal('9001', { deliverTo: hubUrl });
    await hs.crm.lineItems.basicApi.update('7001', { properties: { quantity: '30' } });
    await work();
    await sandbox.winDeal('9001', { deliverTo: hubUrl });
    await work();
    expect((await quotesOf(customerId)).map((q) => [q.revision, q.onboarding_template])).toEqual([
      [1, 'trial'],
      [2, 'trial'],
    ]);
    expect(await nodesOf(customerId)).toHaveLength(2);
  });

  it('turns a deal naming an unknown template into an exception naming the property, writing no quote', async () => {
    await hs.crm.deals.basicApi.update('9002', { properties: { [PROPERTY]: 'platinum' } });
    await sandbox.winDeal('9002', { deliverTo: hubUrl });
    await work();
    expect(await customersLinkedTo('hubspot', '3002')).toEqual([]);
    const res = await hub.app.inject({ method: 'GET', url: '/v1/quote-exceptions', headers: hub.auth(hub.keys.sales_ops) });
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(res.json())).toContain('onboarding_template \\"platinum\\" names no onboarding template');
  });
});
