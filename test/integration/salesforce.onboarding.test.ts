import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesforceWebhookProvider } from '../../src/connectors/salesforce/webhook.ts';
import { handleSalesforceEvent } from '../../src/jobs/salesforce/opportunity-events.ts';
import { ONBOARDING_TEMPLATE_FIELD, OPPORTUNITIES, startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { crmQuoteProbe } from '../helpers/crm-quotes.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The Salesforce side of onboarding templates: the Opportunity field the connection names
// in `onboardingTemplateField` chooses the template, as HubSpot's deal property does.

let sandbox: SalesforceSandbox;
let hub: TestHub;
let hubUrl = '';

const [ADATUM, , WOODGROVE] = OPPORTUNITIES as [(typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number]];

beforeAll(async () => {
  sandbox = await startSalesforceSandbox();
  hub = await createTestHub({ webhookProviders: [salesforceWebhookProvider({ handle: handleSalesforceEvent })] });
  hubUrl = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}/webhooks/salesforce`;
  const c = sandbox.credentials;
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: {
      provider: 'salesforce',
      name: 'Sandbox org',
      credentials: { clientId: c.clientId, clientSecret: c.clientSecret },
      settings: { instanceUrl: sandbox.url, loginUrl: sandbox.url, organizationId: c.organizationId, onboardingTemplateField: ONBOARDING_TEMPLATE_FIELD },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const template = await hub.app.inject({
    method: 'PUT',
    url: '/v1/onboarding-templates/enterprise',
    headers: hub.auth(hub.keys.sales_ops),
    payload: {
      name: 'Enterprise',
      costNodes: [
        { path: ['Operations'], kind: 'department' },
        { path: ['Operations', 'Datacenter'], kind: 'team' },
      ],
      invoiceFormat: 'detailed',
      reviewCadence: 'quarterly',
      justification: 'Large accounts',
    },
  });
  expect(template.statusCode, template.body).toBe(200);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const { work, customersLinkedTo, quotesOf } = crmQuoteProbe(() => hub);

describe('Salesforce onboarding templates', () => {
  it('applies the template the Opportunity field names ("Enterprise" picks enterprise) in the quote transaction', async () => {
    sandbox.org.updateOpportunity(ADATUM.Id, { [ONBOARDING_TEMPLATE_FIELD]: 'Enterprise' });
    await sandbox.winOpportunity(ADATUM.Id, { deliverTo: hubUrl });
    await work();

    const [{ entity_id: customerId }] = (await customersLinkedTo('salesforce', ADATUM.AccountId)) as [{ entity_id: string }];
    const customer = await hub.ctx.db.selectFrom('customers').select(['onboarding_template', 'invoice_format', 'review_cadence']).where('id', '=', customerId).executeTakeFirstOrThrow();
    expect(customer).toEqual({ onboarding_template: 'enterprise', invoice_format: 'detailed', review_cadence: 'quarterly' });
    const nodes = await hub.ctx.db.selectFrom('cost_nodes').select(['name', 'kind']).where('customer_id', '=', customerId).where('kind', '!=', 'unallocated').orderBy('name').execute();
    expect(nodes).toEqual([
      { name: 'Datacenter', kind: 'team' },
      { name: 'Operations', kind: 'department' },
    ]);
    const [quote] = await quotesOf(customerId);
    // Not a trial: no cap, no conversion date.
    expect(quote).toMatchObject({ revision: 1, onboarding_template: 'enterprise', trial_spend_cap: null, trial_conversion_date: null });
  });

  it('turns an opportunity naming an unknown template into an exception naming the field, writing no customer', async () => {
    sandbox.org.updateOpportunity(WOODGROVE.Id, { [ONBOARDING_TEMPLATE_FIELD]: 'Platinum' });
    await sandbox.winOpportunity(WOODGROVE.Id, { deliverTo: hubUrl });
    await work();
    expect(await customersLinkedTo('salesforce', WOODGROVE.AccountId)).toEqual([]);
    const res = await hub.app.inject({ method: 'GET', url: '/v1/quote-exceptions', headers: hub.auth(hub.keys.sales_ops) });
    expect(res.statusCode).toBe(200);
    const exception = res.json().items.find((x: { crm: { dealId: string } }) => x.crm.dealId === WOODGROVE.Id);
    expect(exception.problems).toEqual([{ reason: 'Onboarding_Template__c "Platinum" names no onboarding template (GET /v1/onboarding-templates lists them)' }]);
  });
});
